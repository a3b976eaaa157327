"""MCP servers and their tools in the inventory (``runtime.tool_inventory``).

A server is registered with how to reach it (a command over stdio, a URL over streamable
HTTP), the names of the secrets it receives (their values stay in the environment or the
secrets directory, as for model providers), where it runs and the most sensitive data class
that may be sent to it. Its tools are read from the server (``sync``): a tool seen for the first
time, or whose description or input schema changed since it was reviewed, is suspended until a
referent makes it active again, so a server cannot slip a new or reworded tool to agents (a
"rug pull"). Each tool carries its governance: the class of its results, whether a human must
approve each call (and by electronic signature when it is GxP-relevant), what to do with a
result that carries instructions, its rate limit, monthly budget and cost per call.

Every change is one audited unit of work with a reason; ``on_change`` drops the tool gateway's
cached view on this replica.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.agents.mcp.upstream import McpConnector, McpUnavailable, ServerSpec, ToolSpec
from gouvernail.agents.models import AgentTool, McpServer, ToolStatus
from gouvernail.agents.tools import events as ev
from gouvernail.agents.tools.builtin import Builtins
from gouvernail.agents.tools.schemas import (
    McpServerIn,
    McpServerView,
    SyncView,
    ToolPatch,
    ToolView,
)
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import User

TOOL_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
GOVERNED = (
    "result_class",
    "consequential",
    "gxp",
    "on_injection",
    "max_calls_per_minute",
    "monthly_budget_eur",
    "cost_per_call_eur",
)
NEW_TOOL = "new: listed by its server, not reviewed yet"
CHANGED_TOOL = "changed: its description or input schema changed since it was reviewed"


def server_view(server: McpServer, owner: str) -> McpServerView:
    return McpServerView(
        id=server.id,
        slug=server.slug,
        name=server.name,
        transport=server.transport,
        command=orjson.loads(server.command),
        url=server.url,
        secret_env=orjson.loads(server.secret_env),
        hosting=server.hosting,
        max_data_class=server.max_data_class,
        owner_id=server.owner_id,
        owner=owner,
        status=server.status,
        status_reason=server.status_reason,
        version=server.version,
        synced_at=server.synced_at,
        created_at=server.created_at,
    )


def tool_view(tool: AgentTool, server: str) -> ToolView:
    return ToolView(
        id=tool.id,
        name=tool.name,
        server=server,
        tool=tool.tool,
        description=tool.description,
        input_schema=orjson.loads(tool.input_schema),
        result_class=tool.result_class,
        consequential=tool.consequential,
        gxp=tool.gxp,
        on_injection=tool.on_injection,
        max_calls_per_minute=tool.max_calls_per_minute,
        monthly_budget_eur=tool.monthly_budget_eur,
        cost_per_call_eur=tool.cost_per_call_eur,
        status=tool.status,
        status_reason=tool.status_reason,
        present=tool.present,
        version=tool.version,
    )


def _governance(tool: AgentTool) -> dict[str, Any]:
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name in GOVERNED
        for value in [getattr(tool, name)]
    }


class ToolInventory:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        *,
        charter: Callable[[], CharterRules | None],
        connector: Callable[[], McpConnector],
        secret: Callable[[str], str | None],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.database = database
        self.trail = trail
        self.charter = charter
        self.connector = connector
        self.secret = secret
        self.on_change = on_change

    # --- reads ------------------------------------------------------------------------------

    def servers(self) -> list[McpServerView]:
        with self.database.read() as session:
            rows = session.scalars(select(McpServer).order_by(McpServer.slug))
            return [server_view(s, _username(session, s.owner_id)) for s in rows]

    def server(self, slug: str) -> McpServerView:
        with self.database.read() as session:
            server = _server(session, slug)
            return server_view(server, _username(session, server.owner_id))

    def tools(self, server: str | None = None) -> list[ToolView]:
        with self.database.read() as session:
            query = select(AgentTool, McpServer.slug).join(McpServer).order_by(AgentTool.name)
            if server is not None:
                query = query.where(McpServer.slug == _server(session, server).slug)
            return [tool_view(tool, slug) for tool, slug in session.execute(query)]

    def tool(self, name: str) -> ToolView:
        with self.database.read() as session:
            tool = _tool(session, name)
            return tool_view(tool, _server_of(session, tool).slug)

    def spec_of(self, slug: str) -> ServerSpec:
        """How to reach the server ``slug`` (not a built-in one)."""
        with self.database.read() as session:
            return self.spec(_server(session, slug))

    def spec(self, server: McpServer) -> ServerSpec:
        """How to reach a server, its secrets resolved now (a rotated secret is picked up)."""
        names: dict[str, str] = orjson.loads(server.secret_env)
        values: dict[str, str] = {}
        for target, env_name in names.items():
            value = self.secret(env_name)
            if value is None:
                raise GouvernailError(
                    f"the MCP server {server.slug} needs the secret {env_name}, which is not "
                    "set (environment or gateway.secrets_dir)",
                    code="tool_secret_missing",
                    status=503,
                )
            values[target] = value
        if server.transport == "stdio":
            return ServerSpec(
                server.slug, "stdio", command=tuple(orjson.loads(server.command)), env=values
            )
        return ServerSpec(server.slug, "streamable_http", url=server.url, headers=values)

    # --- changes ----------------------------------------------------------------------------

    def register_server(self, ctx: AuditContext, body: McpServerIn, *, by: int) -> McpServerView:
        charter = self.charter()
        _check_class(charter, body.max_data_class, "max_data_class")
        if body.transport == "builtin":
            Builtins.tools(body.slug)  # a known built-in server, or 400
            if body.command or body.url or body.secret_env:
                raise GouvernailError(
                    "a built-in server has no command, url or secrets", field="transport"
                )
        elif body.transport == "stdio":
            if not body.command or body.url:
                raise GouvernailError("a stdio server has a command (and no url)", field="command")
        else:
            parts = urlsplit(body.url)
            if parts.scheme not in ("http", "https") or not parts.netloc or body.command:
                raise GouvernailError(
                    "a streamable HTTP server has an http(s) url (and no command)", field="url"
                )
            if parts.username or parts.password:
                raise GouvernailError(
                    "put credentials in secret_env (a header), never in the url", field="url"
                )

        def work(tx: Tx) -> McpServerView:
            session = tx.session
            if session.scalar(select(McpServer.id).where(McpServer.slug == body.slug)):
                raise ConflictError(f"an MCP server {body.slug!r} exists", field="slug")
            owner_id = body.owner_id if body.owner_id is not None else by
            owner = session.get(User, owner_id)
            if owner is None or not owner.is_active:
                raise NotFoundError(f"no active user with id {owner_id}", field="owner_id")
            now = utcnow()
            server = McpServer(
                slug=body.slug,
                name=body.name,
                transport=body.transport,
                command=orjson.dumps(body.command).decode(),
                url=body.url,
                secret_env=orjson.dumps(body.secret_env).decode(),
                hosting=body.hosting,
                max_data_class=body.max_data_class,
                owner_id=owner_id,
                status=ToolStatus.ACTIVE.value,
                version=1,
                created_by=by,
                created_at=now,
                updated_at=now,
            )
            session.add(server)
            session.flush()
            tx.emit(
                ev.McpServerRegistered(
                    object_id=server.slug,
                    object_version=1,
                    new={
                        "name": body.name,
                        "transport": body.transport,
                        "command": body.command,
                        "url": body.url,
                        "secret_names": sorted(body.secret_env.values()),
                        "hosting": body.hosting,
                        "max_data_class": body.max_data_class,
                        "owner_id": owner_id,
                    },
                    reason=body.reason,
                )
            )
            return server_view(server, owner.username)

        return self.trail.run(ctx, work)

    async def sync(self, ctx: AuditContext, slug: str) -> SyncView:
        """Read the server's tools into the inventory (new and changed ones suspended)."""
        with self.database.read() as session:
            server = _server(session, slug)
            builtin = server.transport == "builtin"
            spec = None if builtin else self.spec(server)
        try:
            listed = (
                Builtins.tools(slug) if spec is None else await self.connector().list_tools(spec)
            )
        except McpUnavailable as error:
            raise GouvernailError(str(error), code="mcp_unavailable", status=502) from None
        for item in listed:
            if not TOOL_NAME.match(item.name) or len(f"{slug}.{item.name}") > 200:
                raise GouvernailError(
                    f"the server lists a tool named {item.name[:120]!r}, which is not a valid "
                    "name (letters, digits and _ . : / -, at most 100)",
                    code="mcp_bad_tool",
                    status=502,
                )
        outcome = self.trail.run(ctx, lambda tx: self._merge(tx, slug, listed))
        self.on_change()
        return outcome

    def _merge(self, tx: Tx, slug: str, listed: list[ToolSpec]) -> SyncView:
        session = tx.session
        server = _server(session, slug)
        known = {
            t.tool: t
            for t in session.scalars(select(AgentTool).where(AgentTool.server_id == server.id))
        }
        added: list[str] = []
        changed: list[str] = []
        now = utcnow()
        for item in listed:
            schema = orjson.dumps(item.input_schema, option=orjson.OPT_SORT_KEYS).decode()
            tool = known.pop(item.name, None)
            if tool is None:
                session.add(
                    AgentTool(
                        server_id=server.id,
                        name=f"{slug}.{item.name}",
                        tool=item.name,
                        description=item.description,
                        input_schema=schema,
                        status=ToolStatus.SUSPENDED.value,
                        status_reason=NEW_TOOL,
                        present=True,
                        version=1,
                        updated_at=now,
                    )
                )
                added.append(f"{slug}.{item.name}")
            elif (
                tool.description != item.description
                or tool.input_schema != schema
                or not tool.present
            ):
                tool.description, tool.input_schema, tool.present = item.description, schema, True
                tool.status, tool.status_reason = ToolStatus.SUSPENDED.value, CHANGED_TOOL
                tool.version += 1
                tool.updated_at = now
                changed.append(tool.name)
        gone = []
        for tool in known.values():
            if tool.present:
                tool.present = False
                tool.version += 1
                tool.updated_at = now
                gone.append(tool.name)
        server.synced_at = now
        session.flush()
        tx.emit(
            ev.McpToolsSynced(
                object_id=slug,
                object_version=server.version,
                new={"added": added, "changed": changed, "gone": gone, "listed": len(listed)},
            )
        )
        tools = session.scalars(
            select(AgentTool).where(AgentTool.server_id == server.id).order_by(AgentTool.name)
        )
        return SyncView(
            server=slug,
            added=added,
            changed=changed,
            gone=gone,
            tools=[tool_view(t, slug) for t in tools],
        )

    def govern(self, ctx: AuditContext, name: str, patch: ToolPatch) -> ToolView:
        charter = self.charter()
        if patch.result_class is not None:
            _check_class(charter, patch.result_class, "result_class")

        def work(tx: Tx) -> ToolView:
            tool = _tool(tx.session, name)
            if tool.version != patch.version:
                raise ConflictError(
                    f"the tool {name} is at version {tool.version}, not {patch.version}: "
                    "read it again",
                    field="version",
                )
            old = _governance(tool)
            for field in GOVERNED:
                value = getattr(patch, field)
                if value is not None:
                    setattr(tool, field, value)
            for field in patch.clear:
                setattr(tool, field, None)
            if tool.gxp and not tool.consequential:
                raise GouvernailError(
                    "a GxP-relevant tool is consequential (its calls need a signed approval)",
                    field="gxp",
                )
            new = _governance(tool)
            if new == old:
                raise GouvernailError("nothing to change", field="reason")
            tool.version += 1
            tool.updated_at = utcnow()
            tx.emit(
                ev.ToolGoverned(
                    object_id=name,
                    object_version=tool.version,
                    old={k: v for k, v in old.items() if new[k] != v},
                    new={k: v for k, v in new.items() if old[k] != v},
                    reason=patch.reason,
                )
            )
            return tool_view(tool, _server_of(tx.session, tool).slug)

        outcome = self.trail.run(ctx, work)
        self.on_change()
        return outcome

    def set_tool_status(
        self, ctx: AuditContext, name: str, status: ToolStatus, reason: str
    ) -> ToolView:
        def work(tx: Tx) -> ToolView:
            tool = _tool(tx.session, name)
            if status is ToolStatus.ACTIVE and not tool.present:
                raise ConflictError(f"the server no longer lists {name}: sync it first")
            _switch(tx, tool, f"the tool {name}", status, reason, ev.ToolStatusChanged, name)
            return tool_view(tool, _server_of(tx.session, tool).slug)

        outcome = self.trail.run(ctx, work)
        self.on_change()
        return outcome

    def set_server_status(
        self, ctx: AuditContext, slug: str, status: ToolStatus, reason: str
    ) -> McpServerView:
        def work(tx: Tx) -> McpServerView:
            server = _server(tx.session, slug)
            what = f"the MCP server {slug}"
            _switch(tx, server, what, status, reason, ev.McpServerStatusChanged, slug)
            return server_view(server, _username(tx.session, server.owner_id))

        outcome = self.trail.run(ctx, work)
        self.on_change()
        return outcome


def _switch(
    tx: Tx,
    row: AgentTool | McpServer,
    what: str,
    status: ToolStatus,
    reason: str,
    event: type[ev.ToolStatusChanged] | type[ev.McpServerStatusChanged],
    object_id: str,
) -> None:
    """Suspend or resume a tool or a server: a new version, the reason, one audit record."""
    if row.status == status.value:
        raise ConflictError(f"{what} is already {status.value}")
    old = row.status
    row.status, row.status_reason = status.value, reason
    row.version += 1
    row.updated_at = utcnow()
    tx.emit(
        event(
            object_id=object_id,
            object_version=row.version,
            old={"status": old},
            new={"status": status.value},
            reason=reason,
        )
    )


def _check_class(charter: CharterRules | None, name: str, field: str) -> None:
    if charter is None:
        raise ConflictError("no charter is in force: data classes cannot be checked", field=field)
    if name not in charter.class_names:
        raise GouvernailError(
            f"unknown data class {name!r}; the charter's: {', '.join(charter.class_names)}",
            field=field,
        )


def _server(session: Session, slug: str) -> McpServer:
    server = session.scalar(select(McpServer).where(McpServer.slug == slug))
    if server is None:
        raise NotFoundError(f"no MCP server {slug!r}")
    return server


def _server_of(session: Session, tool: AgentTool) -> McpServer:
    server = session.get(McpServer, tool.server_id)
    assert server is not None  # foreign key
    return server


def _tool(session: Session, name: str) -> AgentTool:
    tool = session.scalar(select(AgentTool).where(AgentTool.name == name))
    if tool is None:
        raise NotFoundError(f"no tool {name!r}")
    return tool


def _username(session: Session, user_id: int) -> str:
    return session.scalar(select(User.username).where(User.id == user_id)) or str(user_id)
