"""The tool gateway over HTTP: MCP servers and tools in the inventory, agents' tool calls, and
human approvals of consequential calls.

Registering a server, syncing its tools and governing them: ``agent_tools, manage`` (AI
referents, administrators); suspending a server or a tool: ``agent_tools, suspend`` (AI and
security referents, administrators); reading: ``agent_tools, read``. An agent's key lists the
tools it may call and calls them (``/me/tools``, ``/tools/{name}/call``; MCP clients use
``/mcp``). Approvals are decided by whom the agent's approval rule names; ``agent_tools,
read_all`` reads every approval.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from gouvernail.agents.mcp.endpoint import DoorCaller, DoorRefusal
from gouvernail.agents.models import ApprovalStatus, ToolStatus
from gouvernail.agents.tools.schemas import (
    ApprovalView,
    DecisionIn,
    McpServerIn,
    McpServerView,
    StatusIn,
    SyncView,
    ToolAnswerView,
    ToolCallIn,
    ToolCallView,
    ToolPatch,
    ToolView,
)
from gouvernail.api.agents import AgentKey
from gouvernail.api.deps import CurrentUser, Require, Rt, audit_context, request_id
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1/agents", tags=["agent tools"])


def bounded_body(request: Request, runtime: Rt) -> None:
    """Refuse (413) a body announced larger than ``gateway.max_body_bytes`` before it is read:
    agents' tool calls and messages are bounded like their model calls."""
    limit = runtime.settings.gateway.max_body_bytes
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise GouvernailError(
            f"the request body is {announced} bytes; at most {limit} are accepted "
            "(gateway.max_body_bytes)",
            code="request_too_large",
            status=413,
        )


Bounded = Annotated[None, Depends(bounded_body)]
RESOURCE = "agent_tools"
Reader = Annotated[Principal, Depends(Require(RESOURCE, "read"))]
Manager = Annotated[Principal, Depends(Require(RESOURCE, "manage"))]
Suspender = Annotated[Principal, Depends(Require(RESOURCE, "suspend"))]


# --- MCP servers ----------------------------------------------------------------------------


@router.post("/mcp-servers", status_code=201)
def register_server(
    body: McpServerIn, request: Request, principal: Manager, runtime: Rt
) -> McpServerView:
    """Register an MCP server (stdio command or streamable HTTP URL). Its tools are read with
    ``…/sync`` and start suspended until governed."""
    return runtime.tool_inventory.register_server(
        audit_context(request, principal), body, by=principal.user_id
    )


@router.get("/mcp-servers")
def list_servers(_: Reader, runtime: Rt) -> list[McpServerView]:
    return runtime.tool_inventory.servers()


@router.get("/mcp-servers/{slug}")
def get_server(slug: str, _: Reader, runtime: Rt) -> McpServerView:
    return runtime.tool_inventory.server(slug)


@router.post("/mcp-servers/{slug}/sync")
async def sync_server(slug: str, request: Request, principal: Manager, runtime: Rt) -> SyncView:
    """Read the server's tools: new tools, and tools whose description or input schema
    changed, are suspended until a referent reviews them; tools it no longer lists are kept
    for the record and never callable."""
    return await runtime.tool_inventory.sync(audit_context(request, principal), slug)


@router.post("/mcp-servers/{slug}/suspend")
def suspend_server(
    slug: str, body: StatusIn, request: Request, principal: Suspender, runtime: Rt
) -> McpServerView:
    """No tool of the server may be called (an agent's next call is refused)."""
    return runtime.tool_inventory.set_server_status(
        audit_context(request, principal), slug, ToolStatus.SUSPENDED, body.reason
    )


@router.post("/mcp-servers/{slug}/resume")
def resume_server(
    slug: str, body: StatusIn, request: Request, principal: Manager, runtime: Rt
) -> McpServerView:
    return runtime.tool_inventory.set_server_status(
        audit_context(request, principal), slug, ToolStatus.ACTIVE, body.reason
    )


# --- tools ------------------------------------------------------------------------------------


@router.get("/tools")
def list_tools(
    _: Reader, runtime: Rt, server: Annotated[str | None, Query()] = None
) -> list[ToolView]:
    return runtime.tool_inventory.tools(server)


@router.get("/me/tools")
async def my_tools(principal: AgentKey, request: Request, runtime: Rt) -> list[ToolView]:
    """The tools the calling agent may call now (its key)."""
    caller = _caller(request)
    try:
        listed = await runtime.tool_gateway.list_tools(caller)
    except DoorRefusal as refusal:
        raise GouvernailError(refusal.message, code=refusal.code, status=refusal.status) from None
    names = {spec.name for spec in listed}
    return [t for t in runtime.tool_inventory.tools() if t.name in names]


@router.get("/tools/{name}")
def get_tool(name: str, _: Reader, runtime: Rt) -> ToolView:
    return runtime.tool_inventory.tool(name)


@router.patch("/tools/{name}")
def govern_tool(
    name: str, body: ToolPatch, request: Request, principal: Manager, runtime: Rt
) -> ToolView:
    """Set a tool's governance (the version you read; a reason): the class of its results,
    consequential (a human approves each call) and GxP-relevant (the approval is signed), what
    to do with a result carrying instructions, its rate limit, monthly budget and cost."""
    return runtime.tool_inventory.govern(audit_context(request, principal), name, body)


@router.post("/tools/{name}/suspend")
def suspend_tool(
    name: str, body: StatusIn, request: Request, principal: Suspender, runtime: Rt
) -> ToolView:
    """Kill switch of one tool: an agent's next call of it is refused."""
    return runtime.tool_inventory.set_tool_status(
        audit_context(request, principal), name, ToolStatus.SUSPENDED, body.reason
    )


@router.post("/tools/{name}/resume")
def resume_tool(
    name: str, body: StatusIn, request: Request, principal: Manager, runtime: Rt
) -> ToolView:
    """Make a tool callable (after reviewing a new or changed one)."""
    return runtime.tool_inventory.set_tool_status(
        audit_context(request, principal), name, ToolStatus.ACTIVE, body.reason
    )


@router.post("/tools/{name}/call")
async def call_tool(
    name: str,
    body: ToolCallIn,
    request: Request,
    principal: AgentKey,
    runtime: Rt,
    _: Bounded,
    x_gouvernail_agent_run: Annotated[str | None, Header()] = None,  # in OpenAPI; read by _caller
) -> ToolAnswerView:
    """Call a tool with the agent's key, within the run named in ``x-gouvernail-agent-run``
    (the REST form of the MCP endpoint ``/mcp``). A refusal is a 200 answer with ``is_error``
    and its ``code``, as an MCP tool error would be: the agent's loop reads it as the tool's
    answer."""
    caller = _caller(request)
    try:
        done = await runtime.tool_gateway.invoke(caller, name, body.arguments)
    except DoorRefusal as refusal:
        raise GouvernailError(refusal.message, code=refusal.code, status=refusal.status) from None
    return ToolAnswerView(
        call_id=done.call_id,
        is_error=done.outcome.is_error,
        code=done.code,
        text=done.outcome.text,
        structured=done.outcome.structured,
        approval_id=done.approval_id,
    )


@router.get("/tool-calls")
def list_tool_calls(
    _: Reader,
    runtime: Rt,
    agent: Annotated[str | None, Query()] = None,
    trace_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ToolCallView]:
    """The latest tool calls (never their arguments or results), by agent or trace."""
    return runtime.tool_gateway.calls(agent=agent, trace_id=trace_id, limit=limit)


# --- approvals ----------------------------------------------------------------------------------


@router.get("/approvals")
def list_approvals(
    principal: CurrentUser,
    runtime: Rt,
    status: Annotated[ApprovalStatus | None, Query()] = None,
) -> list[ApprovalView]:
    """Approvals you may decide (every one with ``agent_tools, read_all``), newest first."""
    return runtime.tool_approvals.list(principal, status=status.value if status else None)


@router.get("/approvals/{approval_id}")
def get_approval(approval_id: int, principal: CurrentUser, runtime: Rt) -> ApprovalView:
    return runtime.tool_approvals.get(principal, approval_id)


@router.post("/approvals/{approval_id}/decide")
def decide_approval(
    approval_id: int, body: DecisionIn, request: Request, principal: CurrentUser, runtime: Rt
) -> ApprovalView:
    """Approve or reject a consequential tool call (the version you reviewed; a reason). For a
    GxP-relevant tool the decision is an electronic signature: send your password (or sign in
    again through single sign-on first)."""
    return runtime.tool_approvals.decide(
        principal, approval_id, body, request_id=request_id(request)
    )


def _caller(request: Request) -> DoorCaller:
    """The caller as the MCP endpoint reads it, under this request's id (its audit records
    and its log line share it)."""
    return dataclasses.replace(
        DoorCaller.from_headers(request.headers), request_id=request_id(request)
    )
