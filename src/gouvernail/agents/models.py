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

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
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
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
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
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agent_runs.id"))
    """The run that asked for this one (a message from another agent), in the same trace."""
    message_id: Mapped[int | None] = mapped_column(Integer)
    """The ``agent_messages.id`` this run answers (no foreign key: messages name their runs)."""
    data_class_seen: Mapped[str | None] = mapped_column(String(40))
    """The most sensitive class of what tools and messages gave the run: its model calls are
    classed at least this high (a secret tool result never flows to an external model)."""
    untrusted_input: Mapped[bool] = mapped_column(Boolean, default=False)
    """A tool result or message with prompt-injection signals reached the run."""


# --- the tool gateway -------------------------------------------------------------------------


class ToolStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class McpServer(Base):
    """An MCP server in the inventory: how to reach it (a command over stdio, or a URL over
    streamable HTTP), where it runs, and the most sensitive data class that may be sent to it."""

    __tablename__ = "mcp_servers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    transport: Mapped[str] = mapped_column(String(20))
    """``stdio`` or ``streamable_http``."""
    command: Mapped[str] = mapped_column(Text, default="[]")
    """stdio: the command and its arguments (JSON list)."""
    url: Mapped[str] = mapped_column(Text, default="")
    """streamable HTTP: the endpoint."""
    secret_env: Mapped[str] = mapped_column(Text, default="{}")
    """stdio: ``{"VARIABLE": "ENV_NAME"}`` passed from the server's environment (never stored);
    streamable HTTP: ``{"Header-Name": "ENV_NAME"}``."""
    hosting: Mapped[str] = mapped_column(String(20))
    """Where it runs, as for models: ``external_saas``, ``eu_cloud`` or ``self_hosted``."""
    max_data_class: Mapped[str] = mapped_column(String(40))
    """The most sensitive class of arguments that may be sent to it."""
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=ToolStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgentTool(Base):
    """One tool of an MCP server, known to agents as ``<server slug>.<tool name>``, with the
    governance that applies to it."""

    __tablename__ = "agent_tools"
    __table_args__ = (
        UniqueConstraint("server_id", "tool", name="uq_agent_tools_server_tool"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("mcp_servers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    """``<server slug>.<tool>``: the name agents use."""
    tool: Mapped[str] = mapped_column(String(128))
    """The name on the MCP server."""
    description: Mapped[str] = mapped_column(Text, default="")
    input_schema: Mapped[str] = mapped_column(Text, default="{}")
    result_class: Mapped[str | None] = mapped_column(String(40))
    """The data class its results carry at least (detections may raise it)."""
    consequential: Mapped[bool] = mapped_column(Boolean, default=False)
    """A human must approve each call first."""
    gxp: Mapped[bool] = mapped_column(Boolean, default=False)
    """GxP-relevant: the approval is an electronic signature."""
    on_injection: Mapped[str] = mapped_column(String(20), default="withhold")
    """A result with prompt-injection signals: ``withhold`` it, or ``deliver`` it as quoted data."""
    max_calls_per_minute: Mapped[int | None] = mapped_column(Integer)
    monthly_budget_eur: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    cost_per_call_eur: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(20), default=ToolStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    """False when the server no longer lists it (kept for the record, never callable)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ToolCallStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    REFUSED = "refused"
    WITHHELD = "withheld"
    AWAITING_APPROVAL = "awaiting_approval"


class ToolCall(Base):
    """One tool call of an agent through the tool gateway, refused ones included: never its
    arguments or result, only their hashes, classes and a summary of the findings."""

    __tablename__ = "agent_tool_calls"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(40), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("agent_runs.id"), index=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("agent_tools.id"))
    tool_name: Mapped[str] = mapped_column(String(200))
    """As the agent asked for it (an unknown tool has no ``tool_id``)."""
    status: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(60), default="")
    """The refusal or failure code."""
    message: Mapped[str] = mapped_column(Text, default="")
    arguments_hash: Mapped[str] = mapped_column(String(64), default="")
    arguments_class: Mapped[str | None] = mapped_column(String(40))
    result_class: Mapped[str | None] = mapped_column(String(40))
    findings: Mapped[str] = mapped_column(Text, default="{}")
    """``{"arguments": {TYPE: count}, "result": {TYPE: count}, "injection": [signals]}``."""
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("agent_approvals.id"))
    cost_eur: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal(0))
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    USED = "used"
    EXPIRED = "expired"


class ToolApproval(Base):
    """A human's decision on one consequential tool call, bound to its exact arguments: the
    agent calls again with the same arguments once approved, and the approval is used once."""

    __tablename__ = "agent_approvals"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("agent_runs.id"), index=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("agent_tools.id"))
    arguments: Mapped[str] = mapped_column(Text)
    """The arguments as the agent sent them (JSON), shown to the approver."""
    arguments_hash: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str] = mapped_column(String(30))
    """Who decides: ``owner``, ``use_case_owner`` or ``ai_referent``."""
    gxp: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=ApprovalStatus.PENDING)
    version: Mapped[int] = mapped_column(Integer, default=1)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id"))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# --- agent-to-agent messages ------------------------------------------------------------------


class MessageStatus(StrEnum):
    DELIVERED = "delivered"
    READ = "read"
    REFUSED = "refused"


class AgentMessage(Base):
    """One message from a registered agent to another, within a trace. A refused message is
    kept without its text (who, to whom, why)."""

    __tablename__ = "agent_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    sender_run_id: Mapped[int | None] = mapped_column(ForeignKey("agent_runs.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(64))
    """As the sender named it (an unknown agent has no ``recipient_id``)."""
    reply_to: Mapped[int | None] = mapped_column(ForeignKey("agent_messages.id"))
    content: Mapped[str] = mapped_column(Text, default="")
    data_class: Mapped[str | None] = mapped_column(String(40))
    findings: Mapped[str] = mapped_column(Text, default="{}")
    injection: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
