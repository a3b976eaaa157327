"""Tables of alerts: the rules (one per kind, with threshold overrides), the channels they
deliver to, the alerts raised and each alert's delivery to each channel.

An alert is identified by its ``key`` (``kind:subject:level:period``) and its ``occurrence``:
an alert without a period (an error rate, an SLA breach) may be raised again once the earlier
one resolved, as occurrence 2, 3…; one with a period (a budget's month, a shadow spike's day)
is raised at most once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class RuleKind(StrEnum):
    ERROR_RATE = "error_rate"
    BUDGET = "budget"
    SLA = "sla"
    CANARY_DRIFT = "canary_drift"
    SHADOW_SPIKE = "shadow_spike"


class AlertStatus(StrEnum):
    """Open (raised, nobody acknowledged it), acknowledged (someone is on it), resolved (the
    condition no longer holds: set by a check, never typed in)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    """Pending (not tried yet), failed (tried, retried at the next check), delivered, or
    abandoned (failed ``alerts.max_delivery_attempts`` times; the alert itself stays)."""

    PENDING = "pending"
    FAILED = "failed"
    DELIVERED = "delivered"
    ABANDONED = "abandoned"


class AlertRule(Base):
    """The rule of one kind: on or off, its threshold overrides (JSON; absent ones come from
    the ``alerts.*`` settings) and its channels."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    thresholds: Mapped[str] = mapped_column(Text, default="{}")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertChannel(Base):
    """Where alerts go: a webhook (``target`` is its URL, which may hold a token: shown and
    audited redacted; ``signing_key`` signs each body) or e-mail (``target``: a JSON list of
    recipients)."""

    __tablename__ = "alert_channels"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(Text)
    signing_key: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertRuleChannel(Base):
    """A rule delivers to a channel."""

    __tablename__ = "alert_rule_channels"
    __table_args__ = (UniqueConstraint("rule_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id"), index=True)


class Alert(Base):
    """One alert raised by a check. ``facts`` (JSON) are the figures it fired on."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("key", "occurrence"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.OPEN.value, index=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text, default="{}")
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AlertDelivery(Base):
    """An alert's delivery to one channel: tried at each check until delivered (or abandoned);
    ``due_at`` also serves as a lease while a check is sending it."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
