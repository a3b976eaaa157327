"""What the agents API reads and returns. Input models are strict (unknown fields: 422); what
needs the database (the use case, the owner's membership, models, data classes, peers) is
checked by the service, with a 4xx naming the field."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.agents.models import AgentStatus, RunStatus

SLUG = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
NAME = r"^[A-Za-z0-9_.:/-]{1,100}$"
RUN_ID = r"^[A-Za-z0-9_.-]{8,64}$"
ACTION = r"^(\*|[A-Za-z0-9_.:/-]{1,100})$"
TRACE_ID = r"^[0-9a-f]{32}$"

Names = list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class ApprovalRule(_Strict):
    """Consequential actions a human must approve before the agent performs them (enforced by
    the tool gateway, which names its actions and tools with these strings)."""

    actions: list[Annotated[str, Field(pattern=ACTION)]] = Field(
        default_factory=list,
        max_length=100,
        description="Action or tool names that need a human approval, e.g. `budget.move`; "
        "`*` for every tool call.",
    )
    approver: Literal["owner", "use_case_owner", "ai_referent"] = Field(
        "owner",
        description="Who approves: the agent's accountable owner (default), the use "
        "case's owner, or an AI referent.",
    )


class RunLimits(_Strict):
    max_steps: int = Field(50, ge=1, le=100_000, description="Gateway calls per run.")
    max_tokens: int = Field(200_000, ge=1, le=1_000_000_000, description="Tokens per run.")
    max_cost_eur: Decimal = Field(
        Decimal(5), gt=0, le=Decimal(100_000), decimal_places=4, description="Euros per run."
    )
    max_seconds: int = Field(900, ge=1, le=7 * 86_400, description="Seconds a run may last.")


class AgentIn(RunLimits):
    slug: str = Field(pattern=SLUG, description="Lower-case letters, digits and dashes.")
    name: str = Field(min_length=1, max_length=200)
    use_case_id: int
    owner_id: int = Field(description="The accountable owner: a member of the use case.")
    purpose: str = Field(min_length=10, max_length=4000)
    allowed_models: Names = Field(
        min_length=1, max_length=50, description="Inventory models the use case allows."
    )
    allowed_tools: Names = Field(default_factory=list, max_length=200)
    data_classes: Names = Field(
        default_factory=list,
        max_length=20,
        description="Data classes it may read, at most the use case's ceiling.",
    )
    peer_agents: Names = Field(
        default_factory=list, max_length=100, description="Slugs of agents it may talk to."
    )
    approval_rule: ApprovalRule = Field(default_factory=ApprovalRule)
    reason: str = Field(min_length=3, max_length=2000, description="Why (kept in the audit).")


class AgentPatch(_Strict):
    version: int = Field(description="The version you read; 409 if it changed meanwhile.")
    reason: str = Field(min_length=3, max_length=2000)
    name: str | None = Field(None, min_length=1, max_length=200)
    owner_id: int | None = None
    purpose: str | None = Field(None, min_length=10, max_length=4000)
    allowed_models: Names | None = Field(None, min_length=1, max_length=50)
    allowed_tools: Names | None = Field(None, max_length=200)
    data_classes: Names | None = Field(None, max_length=20)
    peer_agents: Names | None = Field(None, max_length=100)
    approval_rule: ApprovalRule | None = None
    max_steps: int | None = Field(None, ge=1, le=100_000)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000_000)
    max_cost_eur: Decimal | None = Field(None, gt=0, le=Decimal(100_000), decimal_places=4)
    max_seconds: int | None = Field(None, ge=1, le=7 * 86_400)


class StatusIn(_Strict):
    reason: str = Field(min_length=3, max_length=2000)


class AgentKeyIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class AgentView(BaseModel):
    id: int
    slug: str
    name: str
    use_case_id: int
    owner_id: int
    owner: str = Field(description="The accountable owner's username.")
    purpose: str
    allowed_models: Names
    allowed_tools: Names
    data_classes: Names
    peer_agents: Names
    approval_rule: ApprovalRule
    max_steps: int
    max_tokens: int
    max_cost_eur: Decimal
    max_seconds: int
    status: AgentStatus
    status_reason: str
    version: int
    created_at: datetime
    updated_at: datetime


class AgentVersionView(BaseModel):
    version: int
    snapshot: dict[str, object]
    reason: str
    changed_by: int
    changed_at: datetime


class RunIn(_Strict):
    run_id: str | None = Field(
        None, pattern=RUN_ID, description="Your id for the run (default: one is made up)."
    )
    trace_id: str | None = Field(
        None,
        pattern=TRACE_ID,
        description="A W3C trace id (32 lower-case hex) to join; default: a `traceparent` "
        "header's, else a new one.",
    )
    message_id: str | None = Field(
        None,
        max_length=40,
        description="Take up a message of your inbox: the run joins the message's trace, its "
        "parent is the sender's run (trace_id and traceparent are then ignored).",
    )


class EndRunIn(_Strict):
    reason: str = Field("finished", min_length=3, max_length=2000)


class RunView(BaseModel):
    run_id: str
    agent_id: int
    agent: str = Field(description="The agent's slug.")
    trace_id: str
    traceparent: str = Field(description="W3C `traceparent` for the run's root.")
    status: RunStatus
    max_steps: int
    max_tokens: int
    max_cost_eur: Decimal
    max_seconds: int
    started_at: datetime
    ended_at: datetime | None
    end_reason: str
    steps: int
    tokens: int
    cost_eur: Decimal
    parent_run: str | None = Field(None, description="The run that asked for this one.")
    message_id: str | None = Field(None, description="The message this run took up.")
    data_class_seen: str | None = Field(
        None, description="The most sensitive class tools and messages gave the run."
    )
    untrusted_input: bool = Field(
        False, description="A message or tool result with prompt-injection signals reached it."
    )
