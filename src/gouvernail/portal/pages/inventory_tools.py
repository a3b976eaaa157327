"""The agents' tools in the inventory: the MCP servers (how they are reached, where they run,
the most sensitive class they may receive, the *names* of their secrets, never the values),
their tools with each tool's governance, and the latest tool calls (never their arguments).

Reading needs ``agent_tools, read``. Suspending a tool or a server needs ``agent_tools,
suspend`` (AI and security referents, administrators); making one active again, after a
review, ``agent_tools, manage`` (AI referents, administrators): the rights of
``POST /api/v1/agents/tools/{name}/suspend`` and its siblings, with the same services. Editing
a tool's governance and syncing a server stay in the API and the CLI."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gouvernail.agents.models import ToolStatus
from gouvernail.agents.tools.inventory import CHANGED_TOOL, NEW_TOOL
from gouvernail.agents.tools.schemas import ToolView
from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

RESOURCE = "agent_tools"
Reader = Annotated[Principal, Depends(PageRequire(RESOURCE, "read"))]
Manager = Annotated[Principal, Depends(PageRequire(RESOURCE, "manage"))]
Suspender = Annotated[Principal, Depends(PageRequire(RESOURCE, "suspend"))]
LATEST_CALLS = 20
PAGE = "/inventory/tools"


def _tools_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    inventory = runtime.tool_inventory
    tools: dict[str, list[ToolView]] = {}
    for tool in inventory.tools():
        tools.setdefault(tool.server, []).append(tool)
    return render(
        request,
        "inventory_tools.html",
        {
            "title": _("Tools of agents"),
            "servers": inventory.servers(),
            "tools": tools,
            "calls": runtime.tool_gateway.calls(limit=LATEST_CALLS),
            "in_review": {
                NEW_TOOL: _("new: listed by its server, not reviewed yet"),
                CHANGED_TOOL: _("changed: its description or input schema changed since review"),
            },
            "errors": errors or {},
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get(PAGE)
def tools_page(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    done = request.query_params.get("done", "")
    name = request.query_params.get("name", "")
    inventory = runtime.tool_inventory
    notice = None
    if done.startswith("tool-") and name in {t.name for t in inventory.tools()}:
        notice = {
            "tool-suspended": _(
                "The tool %(tool)s is suspended: agents may not call it.", tool=name
            ),
            "tool-active": _("The tool %(tool)s is active again.", tool=name),
        }.get(done)
    elif done.startswith("server-") and name in {s.slug for s in inventory.servers()}:
        notice = {
            "server-suspended": _(
                "The MCP server %(server)s is suspended: none of its tools may be called.",
                server=name,
            ),
            "server-active": _("The MCP server %(server)s is active again.", server=name),
        }.get(done)
    return _tools_page(request, runtime, principal, notice=notice)


def _change(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    form: Form,
    *,
    kind: str,
    name: str,
    status: ToolStatus,
) -> Response:
    """Suspend or resume the tool or server ``name`` with the form's reason: back to the page
    with a notice, or the page again with what the service refused."""
    reason = text_of(form, "reason", 2000)
    key = f"{kind}-{name}"
    if len(reason) < 3:
        errors = {key: _("Say why (at least 3 characters): the reason is kept in the audit trail.")}
        return _tools_page(request, runtime, principal, errors=errors, status=422)
    ctx = audit_context(request, principal)
    try:
        if kind == "tool":
            runtime.tool_inventory.set_tool_status(ctx, name, status, reason)
        else:
            runtime.tool_inventory.set_server_status(ctx, name, status, reason)
    except GouvernailError as error:
        return _tools_page(
            request, runtime, principal, errors={key: error.message}, status=error.status
        )
    query = urlencode({"done": f"{kind}-{status.value}", "name": name})
    return RedirectResponse(f"{PAGE}?{query}#{quote(key, safe='/:')}", 303)


@router.post("/inventory/tools/{name:path}/suspend")
def suspend_tool(
    name: str, request: Request, principal: Suspender, runtime: Rt, form: Form
) -> Response:
    """Kill switch of one tool: an agent's next call of it is refused."""
    return _change(
        request, runtime, principal, form, kind="tool", name=name, status=ToolStatus.SUSPENDED
    )


@router.post("/inventory/tools/{name:path}/resume")
def resume_tool(
    name: str, request: Request, principal: Manager, runtime: Rt, form: Form
) -> Response:
    """Make a tool callable again (after reviewing a new or changed one)."""
    return _change(
        request, runtime, principal, form, kind="tool", name=name, status=ToolStatus.ACTIVE
    )


@router.post("/inventory/mcp-servers/{slug}/suspend")
def suspend_server(
    slug: str, request: Request, principal: Suspender, runtime: Rt, form: Form
) -> Response:
    """No tool of the server may be called."""
    return _change(
        request, runtime, principal, form, kind="server", name=slug, status=ToolStatus.SUSPENDED
    )


@router.post("/inventory/mcp-servers/{slug}/resume")
def resume_server(
    slug: str, request: Request, principal: Manager, runtime: Rt, form: Form
) -> Response:
    return _change(
        request, runtime, principal, form, kind="server", name=slug, status=ToolStatus.ACTIVE
    )
