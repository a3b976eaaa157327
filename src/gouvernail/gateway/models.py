"""Tables of the gateway: what the registry adds for it, kill switches, limits, the request log.

The request log has one row per call; on PostgreSQL it is partitioned by month (the migration
creates the partitioned table and ``partitions.py`` keeps the next months' partitions ready).
Prompt and answer content lives apart (``request_content``) so that the purge job can delete it
when its retention ends without touching the log row or the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class SwitchScope(StrEnum):
    GLOBAL = "global"
    TEAM = "team"
    USE_CASE = "use_case"


class ContentRetention(StrEnum):
    """What the gateway keeps of prompts and answers."""

    NONE = "none"
    REDACTED = "redacted"
    FULL = "full"


class KillSwitch(Base):
    """AI off for everyone, for a department (and the teams under it) or for one use case."""

    __tablename__ = "kill_switches"
    __table_args__ = (UniqueConstraint("scope", "target_id", name="uq_kill_switches_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer, default=0)
    """Team or use-case id; 0 for the global switch."""
    engaged: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class UseCaseGateway(Base):
    """How the gateway serves one use case: data-class ceiling, models, content retention."""

    __tablename__ = "use_case_gateway"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    data_class_ceiling: Mapped[str | None] = mapped_column(String(40))
    allowed_models: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of model names; empty: every approved model the ceiling allows."""
    content_retention: Mapped[str] = mapped_column(String(20), default=ContentRetention.NONE)
    retention_days: Mapped[int] = mapped_column(Integer, default=0)
    system_prompt: Mapped[str | None] = mapped_column(String(100))
    """A prompt name of the use case's registry whose production version the gateway applies."""
    system_prompt_mode: Mapped[str] = mapped_column(String(20), default="replace")
    """``replace`` the caller's system messages, or ``prepend`` the prompt to them."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GatewayLimit(Base):
    """Rate limits and monthly budget of one scope (user, team, use case or key)."""

    __tablename__ = "gateway_limits"
    __table_args__ = (UniqueConstraint("scope", "target_id", name="uq_gateway_limits_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    tokens_per_minute: Mapped[int | None] = mapped_column(Integer)
    monthly_budget_eur: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RequestLog(Base):
    """One row per gateway call. Never holds raw PII: findings are counted by type."""

    __tablename__ = "request_log"
    __table_args__ = (
        Index("ix_request_log_use_case_at", "use_case_id", "at"),
        Index("ix_request_log_user_at", "user_id", "at"),
        # an agent run's calls (the trace view); partial: other calls never touch it
        Index(
            "ix_request_log_agent_run",
            "agent_run_id",
            sqlite_where=text("agent_run_id IS NOT NULL"),
            postgresql_where=text("agent_run_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    """On PostgreSQL the primary key is (id, at), as partitioning by month requires."""
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    use_case_id: Mapped[int | None] = mapped_column(Integer)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(20))
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    model_requested: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(20))
    rule_ids: Mapped[str] = mapped_column(Text, default="[]")
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    findings: Mapped[str] = mapped_column(Text, default="{}")
    data_class: Mapped[str | None] = mapped_column(String(40))
    injection: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_eur: Mapped[Decimal] = mapped_column(Numeric(16, 8), default=Decimal(0))
    price_source: Mapped[str | None] = mapped_column(String(20))
    energy_wh: Mapped[float | None] = mapped_column(Float)
    gco2e: Mapped[float | None] = mapped_column(Float)
    impact_source: Mapped[str | None] = mapped_column(String(40))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    upstream_ms: Mapped[float | None] = mapped_column(Float)
    ttfb_ms: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failover: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the models tried before the one that answered."""
    prompt_version_id: Mapped[int | None] = mapped_column(Integer)
    """The registry's prompt version the call used (applied by the gateway, or declared by the
    caller); no foreign key, like the other ids of this log."""
    agent_id: Mapped[int | None] = mapped_column(Integer)
    """The agent whose key made the call (``agents/``); its user is the accountable owner."""
    agent_run_id: Mapped[int | None] = mapped_column(Integer)
    """The agent's run (``agent_runs.id``) the call was a step of."""


class RequestContent(Base):
    """Prompt and answer of a call, kept as the use case's retention policy says, until
    ``purge_after``."""

    __tablename__ = "request_content"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    use_case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    mode: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    purge_after: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PolicyDocument(Base):
    """One version of an administrator's detectors overlay or enforcement rules (YAML, the
    layout of the files); the newest version of each kind is in force. Never edited."""

    __tablename__ = "policy_documents"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_policy_documents"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
