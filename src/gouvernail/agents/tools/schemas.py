"""What the tool gateway's API reads and returns. Input models are strict (unknown fields:
422); what needs the database or the charter is checked by the services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.agents.schemas import SLUG

ENV_NAME = r"^[A-Z_][A-Z0-9_]{0,99}$"
HEADER_NAME = r"^[A-Za-z0-9-]{1,100}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class McpServerIn(_Strict):
    slug: str = Field(pattern=SLUG, description="Lower-case letters, digits and dashes.")
    name: str = Field(min_length=1, max_length=200)
    transport: Literal["stdio", "streamable_http", "builtin"] = Field(
        description="`builtin`: tools Gouvernail serves itself (`insight`), by their slug."
    )
    command: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list,
        max_length=50,
        description="stdio: the command and its arguments, run without a shell.",
    )
    url: str = Field("", max_length=2000, description="streamable HTTP: the endpoint URL.")
    secret_env: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")],
        Annotated[str, Field(pattern=ENV_NAME)],
    ] = Field(
        default_factory=dict,
        max_length=20,
        description="stdio: `{VARIABLE: ENV_NAME}`, environment variables given to the server "
        "from this server's environment; streamable HTTP: `{Header-Name: ENV_NAME}`, headers. "
        "Only the names are stored.",
    )
    hosting: Literal["external_saas", "eu_cloud", "self_hosted"] = Field(
        description="Where it runs, as for models: the charter says which data classes each "
        "hosting may receive."
    )
    max_data_class: str = Field(
        min_length=1,
        max_length=40,
        description="The most sensitive data class of arguments that may be sent to it.",
    )
    owner_id: int | None = Field(None, description="Its owner (default: who registers it).")
    reason: str = Field(min_length=3, max_length=2000)


class McpServerView(BaseModel):
    id: int
    slug: str
    name: str
    transport: str
    command: list[str]
    url: str
    secret_env: dict[str, str]
    hosting: str
    max_data_class: str
    owner_id: int
    owner: str
    status: str
    status_reason: str
    version: int
    synced_at: datetime | None
    created_at: datetime


class ToolPatch(_Strict):
    version: int = Field(description="The version you read (409 if it moved since).")
    reason: str = Field(min_length=3, max_length=2000)
    result_class: str | None = Field(
        None, max_length=40, description="The class its results carry at least."
    )
    consequential: bool | None = Field(None, description="Each call needs a human approval.")
    gxp: bool | None = Field(
        None, description="GxP-relevant: the approval is an electronic signature."
    )
    on_injection: Literal["withhold", "deliver"] | None = Field(
        None,
        description="A result carrying instructions: withhold it from the agent, or deliver "
        "it marked as untrusted data.",
    )
    max_calls_per_minute: int | None = Field(None, ge=1, le=1_000_000)
    monthly_budget_eur: Decimal | None = Field(None, ge=0, le=Decimal(10_000_000))
    cost_per_call_eur: Decimal | None = Field(None, ge=0, le=Decimal(100_000))
    clear: list[Literal["result_class", "max_calls_per_minute", "monthly_budget_eur"]] = Field(
        default_factory=list, description="Fields to set back to none."
    )


class ToolView(BaseModel):
    id: int
    name: str
    server: str
    tool: str
    description: str
    input_schema: dict[str, Any]
    result_class: str | None
    consequential: bool
    gxp: bool
    on_injection: str
    max_calls_per_minute: int | None
    monthly_budget_eur: Decimal | None
    cost_per_call_eur: Decimal
    status: str
    status_reason: str
    present: bool
    version: int


class SyncView(BaseModel):
    server: str
    added: list[str]
    changed: list[str]
    gone: list[str]
    tools: list[ToolView]


class StatusIn(_Strict):
    reason: str = Field(min_length=3, max_length=2000)


class ToolCallIn(_Strict):
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolAnswerView(BaseModel):
    """What an agent receives for a tool call (the REST form of an MCP ``CallToolResult``)."""

    call_id: str
    is_error: bool
    code: str
    text: str
    structured: dict[str, Any] | None = None
    approval_id: int | None = None


class ToolCallView(BaseModel):
    call_id: str
    agent: str
    run_id: str | None
    trace_id: str
    tool: str
    status: str
    code: str
    message: str
    arguments_hash: str
    arguments_class: str | None
    result_class: str | None
    findings: dict[str, Any]
    approval_id: int | None
    cost_eur: Decimal
    latency_ms: int
    created_at: datetime


class ApprovalView(BaseModel):
    id: int
    agent: str
    run_id: str
    trace_id: str
    tool: str
    arguments: dict[str, Any]
    arguments_hash: str
    approver: str
    gxp: bool
    untrusted_input: bool
    status: str
    version: int
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    signature_id: int | None
    used_at: datetime | None


class DecisionIn(_Strict):
    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=3, max_length=2000)
    version: int = Field(description="The version of the approval you reviewed.")
    password: str | None = Field(
        None,
        max_length=1000,
        description="Your password: required for GxP-relevant tools (an electronic signature).",
    )
