"""Tables of the governance committee (members, meetings, attendance, agenda, minutes) and of the
named referents of each team.

Membership, referent assignments and minutes keep their history: a membership or an assignment
is ended (``until``, with a reason), never deleted, and each minutes revision is a new row holding
the exact content an approval signature binds.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class CommitteeRole(StrEnum):
    CHAIR = "chair"
    MEMBER = "member"
    SECRETARY = "secretary"
    EXPERT = "expert"


class MeetingStatus(StrEnum):
    """planned → held → minutes_approved; planned → cancelled. Editing approved minutes brings
    the meeting back to held until they are approved again."""

    PLANNED = "planned"
    HELD = "held"
    MINUTES_APPROVED = "minutes_approved"
    CANCELLED = "cancelled"


class Presence(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


class ItemKind(StrEnum):
    USE_CASE = "use_case"
    TOPIC = "topic"


class Outcome(StrEnum):
    """What the committee decided on an agenda item."""

    APPROVED = "approved"
    REJECTED = "rejected"
    DEFERRED = "deferred"
    INFORMATION = "information"
    SUSPENSION_REQUESTED = "suspension_requested"


class ReferentKind(StrEnum):
    """The named referents of a team; each needs the directory role of the same name."""

    AI_REFERENT = "ai_referent"
    SECURITY_REFERENT = "security_referent"
    DATA_OWNER = "data_owner"


class CommitteeMember(Base):
    """A membership of the committee from ``since`` up to, not including, ``until``."""

    __tablename__ = "committee_members"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    voting: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Meeting(Base):
    """A committee meeting. ``version`` changes on every write (optimistic concurrency);
    ``minutes_revision`` is the revision of its minutes (0: none written yet)."""

    __tablename__ = "committee_meetings"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    location: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.PLANNED.value, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    minutes_revision: Mapped[int] = mapped_column(Integer, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attendance(Base):
    """Who attended a meeting (present), sent apologies (excused) or did not come (absent)."""

    __tablename__ = "committee_attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    presence: Mapped[str] = mapped_column(String(20))


class AgendaItem(Base):
    """One item of a meeting's agenda: a use case (with its key facts as they were when it was
    put on the agenda) or a free topic; then the discussion notes and the outcome, linked to the
    approval decision or the lifecycle transition that implemented it, when there is one."""

    __tablename__ = "committee_agenda_items"
    __table_args__ = (
        UniqueConstraint("meeting_id", "use_case_id", name="uq_committee_agenda_items_use_case"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id"), index=True)
    topic: Mapped[str] = mapped_column(String(200), default="")
    why: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str] = mapped_column(Text, default="{}")
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(30))
    approval_decision_id: Mapped[int | None] = mapped_column(ForeignKey("approval_decisions.id"))
    transition_id: Mapped[int | None] = mapped_column(ForeignKey("use_case_transitions.id"))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MinutesRevision(Base):
    """One revision of a meeting's minutes: the Markdown text and the canonical content an
    approval signature binds (text, attendance, agenda outcomes and notes)."""

    __tablename__ = "committee_minutes"
    __table_args__ = (
        UniqueConstraint("meeting_id", "revision", name="uq_committee_minutes_revision"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    edited_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TeamReferent(Base):
    """A named referent of a team, from ``since`` until ``until`` (null: still in office)."""

    __tablename__ = "team_referents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    since: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    end_reason: Mapped[str | None] = mapped_column(Text)
