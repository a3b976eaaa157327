"""Tables of agents: the registry (one row per agent, its current version), every version of
it, and its runs.

Allowed models, tools, data classes and peer agents are JSON lists of names, and the approval
rule a JSON object: plain data that the gateway (models, run limits) and the tool and message
gateways to come (tools, peers, approvals) read and enforce.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class AgentStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class RunStatus(StrEnum):
    RUNNING = "running"
    ENDED = "ended"


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    """The accountable owner: the employee responsible for what the agent does."""
    purpose: Mapped[str] = mapped_column(Text)
    allowed_models: Mapped[str] = mapped_column(Text, default="[]")
    allowed_tools: Mapped[str] = mapped_column(Text, default="[]")
    data_classes: Mapped[str] = mapped_column(Text, default="[]")
    peer_agents: Mapped[str] = mapped_column(Text, default="[]")
    approval_rule: Mapped[str] = mapped_column(Text, default="{}")
    max_steps: Mapped[int] = mapped_column(Integer)
    max_tokens: Mapped[int] = mapped_column(Integer)
    max_cost_eur: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    max_seconds: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=AgentStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgentVersion(Base):
    """One version of an agent as it was saved (a JSON snapshot), with who and why."""

    __tablename__ = "agent_versions"
    __table_args__ = (UniqueConstraint("agent_id", "version", name="uq_agent_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgentRun(Base):
    """A run of an agent: its public id (``x-gouvernail-agent-run``), a W3C trace id, the
    limits in force when it started, and its totals once ended."""

    __tablename__ = "agent_runs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    trace_id: Mapped[str] = mapped_column(String(32))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING)
    max_steps: Mapped[int] = mapped_column(Integer)
    max_tokens: Mapped[int] = mapped_column(Integer)
    max_cost_eur: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    max_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_eur: Mapped[Decimal] = mapped_column(Numeric(16, 8), default=Decimal(0))
