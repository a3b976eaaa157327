"""Tables of the AI incident register: the incident, its timeline, the gateway calls linked to
it and its corrective actions.

Whether an incident may be a serious incident of the AI Act is never stored: it is computed from
the incident and its use case's tier by ``rules.py`` each time the incident is read, so a
reclassified use case or a corrected rule set shows at once.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class Kind(StrEnum):
    WRONG_ANSWER = "wrong_answer"
    DATA_LEAK = "data_leak"
    BIAS = "bias"
    OUTAGE = "outage"
    SECURITY = "security"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IncidentStatus(StrEnum):
    """Open (being handled), mitigated (the harm is contained), closed (handled); a mitigated or
    closed incident can be reopened, with a reason."""

    OPEN = "open"
    MITIGATED = "mitigated"
    CLOSED = "closed"


class Harm(StrEnum):
    """The harms of a serious incident, AI Act Art. 3(49) (a) to (d), or ``none``."""

    DEATH_OR_SERIOUS_HEALTH_HARM = "death_or_serious_health_harm"
    CRITICAL_INFRASTRUCTURE_DISRUPTION = "critical_infrastructure_disruption"
    FUNDAMENTAL_RIGHTS_INFRINGEMENT = "fundamental_rights_infringement"
    PROPERTY_OR_ENVIRONMENT_HARM = "property_or_environment_harm"
    NONE = "none"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Incident(Base):
    """One AI incident. ``version`` changes on every change of its own fields (optimistic
    concurrency); notes, linked calls and actions are added beside it without changing it."""

    __tablename__ = "incidents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN.value, index=True)
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """When the organisation became aware of it: the AI Act and GDPR deadlines count from here."""
    reported_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    harms: Mapped[str] = mapped_column(Text, default='["none"]')
    """JSON list of ``Harm`` values."""
    widespread: Mapped[bool] = mapped_column(Boolean, default=False)
    death: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IncidentEntry(Base):
    """One line of an incident's timeline: what happened, when, by whom (the printed name at
    the time). Written by the service with each change, never edited."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    """``reported``, ``status``, ``severity``, ``harms``, ``changed``, ``note``, ``requests``,
    ``action_added`` or ``action_done``."""
    text: Mapped[str] = mapped_column(Text)


class IncidentRequest(Base):
    """A gateway call (by its request id) involved in an incident."""

    __tablename__ = "incident_requests"
    __table_args__ = (UniqueConstraint("incident_id", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    linked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IncidentAction(Base):
    """A corrective action: what, who is accountable, by when, and who marked it done when."""

    __tablename__ = "incident_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=ActionStatus.OPEN.value)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    """What was done (given when it is marked done)."""
