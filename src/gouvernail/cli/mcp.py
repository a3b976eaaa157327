"""MCP servers and their tools from the console: register a server, read its tools, govern
them, suspend and resume servers and tools, and list agents' tool calls.

Changes name, with ``--as``, the person in whose name they are made, and need that person's
rights as the API would (``agent_tools, manage``; suspending: ``agent_tools, suspend``); they
are recorded as the console operator's. Reading needs no ``--as``.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from gouvernail.agents.models import ToolStatus
from gouvernail.agents.tools.schemas import (
    McpServerIn,
    McpServerView,
    SyncView,
    ToolCallView,
    ToolPatch,
    ToolView,
)
from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.runtime import Runtime

RESOURCE = "agent_tools"

mcp_app = group(
    "mcp",
    "MCP servers and their tools: register a server, read (sync) its tools, govern them, "
    "suspend and resume servers and tools, list agents' tool calls.",
)
server_app = typer.Typer(
    help="MCP servers: register, list, show, sync their tools, suspend and resume.",
    no_args_is_help=True,
)
tool_app = typer.Typer(
    help="The tools of MCP servers: list, show, govern, suspend and resume.",
    no_args_is_help=True,
)
mcp_app.add_typer(server_app, name="server")
mcp_app.add_typer(tool_app, name="tool")

JsonOption = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")]
AsUser = Annotated[
    str, typer.Option("--as", help="Username in whose name the change is made (their rights).")
]
Reason = Annotated[str, typer.Option(help="Why (kept in the audit trail).")]


def _line(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def _acting(rt: Runtime, username: str, action: str) -> int:
    """The id of the person the console acts for, if the policy lets them ``action`` the
    tool inventory (as the API's ``Require(agent_tools, action)``)."""
    user = rt.directory.by_username(username, field="as")
    if not user.is_active:
        raise GouvernailError(f"user {username!r} is deactivated", field="as")
    decision = rt.policy.decide(user.roles, RESOURCE, action)
    if not decision.allowed:
        raise ForbiddenError(f"{username} may not {action} {RESOURCE}: {decision.reason}")
    return user.id


def _validated(model: type[Any], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise typer.BadParameter(first["msg"], param_hint=where) from None


def print_server(view: McpServerView) -> None:
    where = shlex.join(view.command) if view.transport == "stdio" else view.url
    status = view.status + (f": {view.status_reason}" if view.status_reason else "")
    synced = f"{view.synced_at:%Y-%m-%d %H:%M:%S}" if view.synced_at else "never"
    _line(f"{view.slug}: {view.name} [{status}] {view.transport} {where}")
    _line(
        f"  hosting {view.hosting}, data up to {view.max_data_class}, owner {view.owner}, "
        f"version {view.version}, synced {synced}"
    )
    if view.secret_env:
        _line("  secrets: " + ", ".join(f"{k}={v}" for k, v in sorted(view.secret_env.items())))


def print_tool(view: ToolView) -> None:
    status = view.status + (f": {view.status_reason}" if view.status_reason else "")
    gone = "" if view.present else " (no longer listed by its server)"
    _line(f"{view.name} [{status}]{gone} version {view.version}")
    _line(
        f"  results {view.result_class or 'unclassed'}, "
        f"{'consequential' if view.consequential else 'not consequential'}"
        f"{', GxP (signed approvals)' if view.gxp else ''}, on injection {view.on_injection}"
    )
    rate = f"{view.max_calls_per_minute}/min" if view.max_calls_per_minute else "no rate limit"
    budget = f"{view.monthly_budget_eur} EUR/month" if view.monthly_budget_eur else "no budget"
    _line(f"  {rate}, {budget}, {view.cost_per_call_eur} EUR per call")


def print_call(view: ToolCallView) -> None:
    _line(
        f"{view.created_at:%Y-%m-%d %H:%M:%S} {view.call_id} {view.agent} {view.tool} "
        f"[{view.status}] {view.code or '-'} run {view.run_id or '-'} trace {view.trace_id}, "
        f"{view.cost_eur} EUR, {view.latency_ms} ms"
        + (f", approval {view.approval_id}" if view.approval_id else "")
    )


# --- servers ------------------------------------------------------------------------------------


@server_app.command("add")
def add_server(
    slug: Annotated[str, typer.Argument(help="Lower-case letters, digits and dashes.")],
    name: Annotated[str, typer.Option(help="Its name.")],
    hosting: Annotated[
        str, typer.Option(help="Where it runs: external_saas, eu_cloud or self_hosted.")
    ],
    max_class: Annotated[
        str,
        typer.Option(
            "--max-class", help="The most sensitive data class of arguments it may receive."
        ),
    ],
    reason: Reason,
    as_user: AsUser,
    stdio: Annotated[
        str | None,
        typer.Option(help='The command and its arguments, e.g. "python server.py" (no shell).'),
    ] = None,
    url: Annotated[str | None, typer.Option(help="A streamable HTTP endpoint.")] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option(
            help="VAR=ENV_NAME: give the server the value of ENV_NAME (environment or secrets "
            "directory) as the environment variable VAR (stdio) or the header VAR (HTTP). "
            "Repeat for several.",
        ),
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Username of its owner (default: the --as person).")
    ] = None,
) -> None:
    """Register an MCP server reached over stdio (--stdio) or streamable HTTP (--url). Its
    tools are read with `mcp server sync` and stay suspended until governed."""
    if (stdio is None) == (url is None):
        raise typer.BadParameter("give either --stdio or --url", param_hint="--stdio/--url")
    secrets: dict[str, str] = {}
    for item in secret or []:
        target, sep, env_name = item.partition("=")
        if not sep or not target or not env_name:
            raise typer.BadParameter(f"{item!r} is not VAR=ENV_NAME", param_hint="--secret")
        secrets[target] = env_name
    with runtime() as rt:
        by = _acting(rt, as_user, "manage")
        owner_id = rt.directory.by_username(owner, field="owner").id if owner else None
        body = _validated(
            McpServerIn,
            {
                "slug": slug,
                "name": name,
                "transport": "stdio" if stdio is not None else "streamable_http",
                "command": shlex.split(stdio) if stdio is not None else [],
                "url": url or "",
                "secret_env": secrets,
                "hosting": hosting,
                "max_data_class": max_class,
                "owner_id": owner_id,
                "reason": reason,
            },
        )
        view = rt.tool_inventory.register_server(console_context(), body, by=by)
    print_server(view)


@server_app.command("list")
def list_servers(as_json: JsonOption = False) -> None:
    """Registered MCP servers."""
    with runtime() as rt:
        found = rt.tool_inventory.servers()
    if as_json:
        out.print_json(data=[s.model_dump(mode="json") for s in found])
        return
    if not found:
        _line("no MCP server")
    for view in found:
        print_server(view)


@server_app.command("show")
def show_server(slug: str, as_json: JsonOption = False) -> None:
    """One MCP server (its tools too, except with --json: see `mcp tool list --server`)."""
    with runtime() as rt:
        view = rt.tool_inventory.server(slug)
        tools = rt.tool_inventory.tools(slug)
    if as_json:
        out.print_json(data=view.model_dump(mode="json"))
        return
    print_server(view)
    for tool in tools:
        print_tool(tool)


@server_app.command("sync")
def sync_server(slug: str, as_user: AsUser, as_json: JsonOption = False) -> None:
    """Read the server's tools: new tools, and tools whose description or input schema
    changed, are suspended until reviewed (`mcp tool resume`); tools it no longer lists are
    kept for the record and never callable."""
    with runtime() as rt:
        _acting(rt, as_user, "manage")

        async def work() -> SyncView:
            try:
                return await rt.tool_inventory.sync(console_context(), slug)
            finally:
                if "mcp_connector" in rt.__dict__:
                    await rt.mcp_connector.aclose()

        view = asyncio.run(work())
    if as_json:
        out.print_json(data=view.model_dump(mode="json"))
        return
    _line(
        f"{view.server}: {len(view.tools)} tools, added {', '.join(view.added) or 'none'}, "
        f"changed {', '.join(view.changed) or 'none'}, gone {', '.join(view.gone) or 'none'}"
    )
    for tool in view.tools:
        print_tool(tool)


@server_app.command("suspend")
def suspend_server(slug: str, reason: Reason, as_user: AsUser) -> None:
    """Kill switch of a server: no tool of it may be called (an agent's next call is
    refused)."""
    with runtime() as rt:
        _acting(rt, as_user, "suspend")
        view = rt.tool_inventory.set_server_status(
            console_context(), slug, ToolStatus.SUSPENDED, reason
        )
    print_server(view)


@server_app.command("resume")
def resume_server(slug: str, reason: Reason, as_user: AsUser) -> None:
    """Make a suspended server's active tools callable again."""
    with runtime() as rt:
        _acting(rt, as_user, "manage")
        view = rt.tool_inventory.set_server_status(
            console_context(), slug, ToolStatus.ACTIVE, reason
        )
    print_server(view)


# --- tools --------------------------------------------------------------------------------------


@tool_app.command("list")
def list_tools(
    server: Annotated[str | None, typer.Option(help="Only this server's (its slug).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Tools in the inventory, with their status and governance."""
    with runtime() as rt:
        found = rt.tool_inventory.tools(server)
    if as_json:
        out.print_json(data=[t.model_dump(mode="json") for t in found])
        return
    if not found:
        _line("no tool")
    for view in found:
        print_tool(view)


@tool_app.command("show")
def show_tool(
    name: Annotated[str, typer.Argument(help="SERVER.TOOL, e.g. notes.search_notes.")],
    as_json: JsonOption = False,
) -> None:
    """One tool: its governance, description and input schema."""
    with runtime() as rt:
        view = rt.tool_inventory.tool(name)
    if as_json:
        out.print_json(data=view.model_dump(mode="json"))
        return
    print_tool(view)
    _line(f"  description: {view.description}")
    _line(f"  input schema: {view.input_schema}")


@tool_app.command("govern")
def govern_tool(
    name: Annotated[str, typer.Argument(help="SERVER.TOOL, e.g. notes.search_notes.")],
    reason: Reason,
    as_user: AsUser,
    result_class: Annotated[
        str | None, typer.Option(help="The data class its results carry at least.")
    ] = None,
    consequential: Annotated[
        bool | None,
        typer.Option(
            "--consequential/--not-consequential", help="Each call needs a human approval."
        ),
    ] = None,
    gxp: Annotated[
        bool | None,
        typer.Option(
            "--gxp/--no-gxp",
            help="GxP-relevant: the approval is an electronic signature (consequential too).",
        ),
    ] = None,
    on_injection: Annotated[
        str | None,
        typer.Option(
            help="A result carrying instructions: withhold it, or deliver it marked as "
            "untrusted data."
        ),
    ] = None,
    max_calls_per_minute: Annotated[int | None, typer.Option(help="Rate limit.")] = None,
    monthly_budget_eur: Annotated[str | None, typer.Option(help="Monthly budget (EUR).")] = None,
    cost_per_call_eur: Annotated[
        str | None, typer.Option(help="Cost charged per call (EUR).")
    ] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            help="Set back to none: result_class, max_calls_per_minute or monthly_budget_eur. "
            "Repeat for several."
        ),
    ] = None,
) -> None:
    """Set a tool's governance. Reads the tool's current version first; only the options
    given change."""
    values: dict[str, Any] = {
        "result_class": result_class,
        "consequential": consequential,
        "gxp": gxp,
        "on_injection": on_injection,
        "max_calls_per_minute": max_calls_per_minute,
        "monthly_budget_eur": monthly_budget_eur,
        "cost_per_call_eur": cost_per_call_eur,
    }
    with runtime() as rt:
        _acting(rt, as_user, "manage")
        version = rt.tool_inventory.tool(name).version
        patch = _validated(
            ToolPatch,
            {
                "version": version,
                "reason": reason,
                "clear": clear or [],
                **{k: v for k, v in values.items() if v is not None},
            },
        )
        view = rt.tool_inventory.govern(console_context(), name, patch)
    print_tool(view)


@tool_app.command("suspend")
def suspend_tool(name: str, reason: Reason, as_user: AsUser) -> None:
    """Kill switch of one tool: an agent's next call of it is refused."""
    with runtime() as rt:
        _acting(rt, as_user, "suspend")
        view = rt.tool_inventory.set_tool_status(
            console_context(), name, ToolStatus.SUSPENDED, reason
        )
    print_tool(view)


@tool_app.command("resume")
def resume_tool(name: str, reason: Reason, as_user: AsUser) -> None:
    """Make a tool callable (after reviewing a new or changed one)."""
    with runtime() as rt:
        _acting(rt, as_user, "manage")
        view = rt.tool_inventory.set_tool_status(console_context(), name, ToolStatus.ACTIVE, reason)
    print_tool(view)


# --- calls --------------------------------------------------------------------------------------


@mcp_app.command("calls")
def calls(
    agent: Annotated[str | None, typer.Option(help="Only this agent's (its slug).")] = None,
    trace: Annotated[str | None, typer.Option(help="Only this trace's (32 hex digits).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=1000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """Agents' latest tool calls, newest first (never their arguments or results)."""
    with runtime() as rt:
        found = rt.tool_gateway.calls(agent=agent, trace_id=trace, limit=limit)
    if as_json:
        out.print_json(data=[c.model_dump(mode="json") for c in found])
        return
    if not found:
        _line("no tool call")
    for view in found:
        print_call(view)
