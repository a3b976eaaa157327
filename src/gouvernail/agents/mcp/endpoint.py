"""The server side of the tool gateway: the ``/mcp`` endpoint agents connect to.

``McpEndpoint`` is an ASGI app serving MCP over streamable HTTP, stateless, with JSON
responses. It decides nothing: every request is first authenticated by the ``ToolDoor``
(before any MCP processing, so a bad key never reaches the SDK), then ``tools/list`` and
``tools/call`` go to the same door with the same ``DoorCaller``.

The caller reaches the SDK's handlers through the ASGI scope (``scope["gouvernail.door_caller"]``),
read back from ``ServerRequestContext.request``, the Starlette request the SDK hands every
handler on both the 2025 (stateless) and the 2026-07-28 (single-exchange) paths; a contextvar
would depend on where the SDK starts its tasks.

Host checks: the SDK's DNS-rebinding protection is off, because Gouvernail is served on hosts
its settings choose and agents are authenticated by their bearer key (a browser cannot forge
one). Request bodies are limited to ``max_request_body_size`` (1 MB by default; 413 beyond).

Mounting: ``app.mount("/mcp", endpoint)`` serves ``POST /mcp/`` (Starlette redirects
``/mcp`` to ``/mcp/`` with a 307, which the SDK client follows); agents use ``https://<host>/mcp/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import mcp_types
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from gouvernail.agents.mcp.upstream import ToolOutcome, ToolSpec

__all__ = ["DoorCaller", "DoorRefusal", "McpEndpoint", "ToolDoor"]

_SCOPE_KEY = "gouvernail.door_caller"
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True, slots=True)
class DoorCaller:
    """Who is calling the endpoint, read from the request headers."""

    key: str
    """The bearer token (an agent's API key), ``""`` if absent."""
    run_header: str | None
    """The ``x-gouvernail-agent-run`` header."""
    traceparent: str | None
    """The W3C ``traceparent`` header."""
    request_id: str
    """``x-request-id`` if sent and sane (<= 64 of ``[A-Za-z0-9_.-]``), else a new uuid4 hex."""

    @classmethod
    def from_headers(cls, headers: Headers) -> DoorCaller:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        sent_id = headers.get("x-request-id", "")
        return cls(
            key=token.strip() if scheme.lower() == "bearer" else "",
            run_header=headers.get("x-gouvernail-agent-run"),
            traceparent=headers.get("traceparent"),
            request_id=sent_id if _REQUEST_ID.fullmatch(sent_id) else uuid.uuid4().hex,
        )


class DoorRefusal(Exception):  # noqa: N818 - the name the tool door's contract uses
    """The door turns the caller away: answered with ``status`` and ``{"error": {...}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@runtime_checkable
class ToolDoor(Protocol):
    """What the endpoint asks before anything reaches a tool (implemented by the policy core)."""

    async def authenticate(self, caller: DoorCaller) -> None:
        """Raise ``DoorRefusal`` (401, 403, ...) for a bad key, a suspended agent, etc."""

    async def list_tools(self, caller: DoorCaller) -> list[ToolSpec]:
        """The tools this caller may see; may raise ``DoorRefusal``."""

    async def call_tool(
        self, caller: DoorCaller, name: str, arguments: dict[str, Any]
    ) -> ToolOutcome:
        """Refusals come back as ``ToolOutcome(is_error=True)``; ``DoorRefusal`` only for auth."""


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _result(outcome: ToolOutcome) -> mcp_types.CallToolResult:
    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text=outcome.text)],
        structured_content=outcome.structured,
        is_error=outcome.is_error,
    )


def _caller(ctx: ServerRequestContext[Any, Any]) -> DoorCaller:
    request = ctx.request
    caller = request.scope.get(_SCOPE_KEY) if isinstance(request, Request) else None
    if not isinstance(caller, DoorCaller):  # pragma: no cover - the wrapper always sets it
        raise RuntimeError("MCP request without a door caller")
    return caller


async def _arguments_must_be_an_object(
    ctx: ServerRequestContext[Any, Any], call_next: CallNext
) -> HandlerResult:
    """Answer ``tools/call`` with non-object arguments by an error result, not a protocol error."""
    arguments = (ctx.params or {}).get("arguments")
    if ctx.method == "tools/call" and arguments is not None and not isinstance(arguments, dict):
        message = f"tool arguments must be a JSON object, not {type(arguments).__name__}"
        return _result(ToolOutcome(is_error=True, text=message))
    return await call_next(ctx)


class McpEndpoint:
    """The ``/mcp`` ASGI app; ``door`` may be a factory, called at the first request."""

    def __init__(
        self, door: ToolDoor | Callable[[], ToolDoor], *, max_request_body_size: int = 1_000_000
    ) -> None:
        self._door_or_factory = door
        self._door: ToolDoor | None = None
        self._max_body = max_request_body_size
        self._manager: StreamableHTTPSessionManager | None = None
        self._server: Server[Any] = Server(
            "gouvernail", on_list_tools=self._list_tools, on_call_tool=self._call_tool
        )
        self._server.middleware.append(_arguments_must_be_an_object)

    @property
    def door(self) -> ToolDoor:
        if self._door is None:
            candidate = self._door_or_factory
            self._door = candidate if isinstance(candidate, ToolDoor) else candidate()
        return self._door

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the SDK's session manager for the app's life (call from the lifespan)."""
        manager = StreamableHTTPSessionManager(
            self._server,
            json_response=True,
            stateless=True,
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=self._max_body,
        )
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - lifespan is the app's, websockets unused
            return
        caller = DoorCaller.from_headers(Headers(scope=scope))
        response: JSONResponse | None = None
        if not caller.key:
            response = _error(
                401,
                "missing_api_key",
                "send the agent's API key as 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": "Bearer"},
            )
        elif self._manager is None:
            response = _error(503, "mcp_not_running", "the MCP endpoint is not running")
        else:
            try:
                await self.door.authenticate(caller)
            except DoorRefusal as refusal:
                headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
                response = _error(refusal.status, refusal.code, refusal.message, headers)
        if response is not None:
            await response(scope, receive, send)
            return
        assert self._manager is not None
        scope[_SCOPE_KEY] = caller
        await self._manager.handle_request(scope, receive, send)

    async def _list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: mcp_types.PaginatedRequestParams | None
    ) -> mcp_types.ListToolsResult:
        try:
            tools = await self.door.list_tools(_caller(ctx))
        except DoorRefusal as refusal:
            raise MCPError(
                code=INVALID_REQUEST, message=f"{refusal.code}: {refusal.message}"
            ) from None
        return mcp_types.ListToolsResult(
            tools=[
                mcp_types.Tool(name=t.name, description=t.description, input_schema=t.input_schema)
                for t in tools
            ]
        )

    async def _call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: mcp_types.CallToolRequestParams
    ) -> mcp_types.CallToolResult:
        try:
            outcome = await self.door.call_tool(
                _caller(ctx), params.name, dict(params.arguments or {})
            )
        except DoorRefusal as refusal:
            raise MCPError(
                code=INVALID_REQUEST, message=f"{refusal.code}: {refusal.message}"
            ) from None
        return _result(outcome)
