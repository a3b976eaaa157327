"""The client side of the tool gateway: talking to the MCP servers registered in the inventory.

``McpConnector`` lists and calls the tools of a server described by a ``ServerSpec`` (stdio
subprocess or streamable HTTP) and turns every failure to reach it into ``McpUnavailable``.

Connection model. Spawning a stdio server costs about 0.7 s per call on the development
machine (0.55 s start and handshake of a Python server, 0.13 s shutdown), against 2 ms for a
call over a session that is already open. So the connector keeps one session per server open
and reuses it: each session lives in a background task of its own (anyio task groups must be
left by the task that entered them, which a request handler cannot promise), connections are
opened under a per-server lock, and ``aclose()`` ends them all. A session whose connection
died is replaced by a new one; ``list_tools`` then retries once, but ``call_tool`` never does,
since the call may already have run (moving money twice is worse than an error). A session
belongs to the event loop that opened it; one used from another loop is forgotten and reopened.

Safety. The stdio subprocess gets an explicit environment: ``PATH``, ``HOME`` and ``LANG`` of
ours plus ``ServerSpec.env`` (the SDK adds ``LOGNAME``, ``SHELL``, ``TERM`` and ``USER``), never
our secrets. Error messages name the server and the cause, and any value of ``env`` or
``headers`` that a cause might echo is masked.

Results longer than ``max_result_chars`` (the text parts, or the structured content serialized
as JSON) are truncated, not refused: the text keeps its first ``max_result_chars`` characters
followed by a ``[truncated: ...]`` marker, the structured content is dropped, and the outcome is
not an error, so that policy and inspection still see what the tool said.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx2
import mcp_types
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

__all__ = ["McpConnector", "McpUnavailable", "ServerSpec", "ToolOutcome", "ToolSpec"]

_INHERITED_ENV = ("PATH", "HOME", "LANG")
_MAX_LIST_PAGES = 100


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """How to reach one MCP server (secrets in ``env`` and ``headers`` already resolved)."""

    slug: str
    transport: Literal["stdio", "streamable_http"]
    command: tuple[str, ...] = ()
    """stdio: the argv; ``command[0]`` is run as given (no lookup beyond ``PATH``)."""
    url: str = ""
    """streamable_http: the endpoint URL."""
    env: Mapping[str, str] = field(default_factory=dict)
    """stdio: extra environment variables."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """streamable_http: extra request headers (e.g. ``Authorization``)."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as a server (or the gateway) advertises it."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What a tool call produced: the text parts joined with newlines, and structured content."""

    is_error: bool
    text: str
    structured: dict[str, Any] | None = None


class McpUnavailable(Exception):  # noqa: N818 - the name the gateway's API uses
    """A server could not be reached or misbehaved: spawn or connection failure, protocol error,
    timeout. The message names the server and the cause, never a secret."""


class _BrokenError(Exception):
    """The connection failed under an exchange (internal: decides on a retry)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _placeholder(part: Any) -> str:
    kind = getattr(part, "type", "content")
    if kind == "resource_link":
        return f"[resource link omitted: {getattr(part, 'uri', '')}]"
    return f"[{kind} omitted]"


def outcome_from_result(result: mcp_types.CallToolResult, max_chars: int) -> ToolOutcome:
    """Flatten an SDK ``CallToolResult`` into a ``ToolOutcome`` of at most ``max_chars``."""
    parts = [
        p.text if isinstance(p, mcp_types.TextContent) else _placeholder(p) for p in result.content
    ]
    text = "\n".join(parts)
    structured = result.structured_content if isinstance(result.structured_content, dict) else None
    if len(text) > max_chars:
        marker = f"[truncated: the result had {len(text)} characters, the limit is {max_chars}]"
        text = f"{text[:max_chars]}\n{marker}"
        structured = None
    elif structured is not None and len(json.dumps(structured, default=str)) > max_chars:
        structured = None
    return ToolOutcome(is_error=bool(result.is_error), text=text, structured=structured)


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(server: ServerSpec, exc: BaseException) -> str:
    leaf = _leaf(exc)
    if isinstance(leaf, TimeoutError):
        cause = "timed out"
    else:
        cause = f"{type(leaf).__name__}: {leaf}" if str(leaf) else type(leaf).__name__
    for secret in (*server.env.values(), *server.headers.values()):
        if len(secret) >= 4:
            cause = cause.replace(secret, "***")
    where = server.command[0] if server.transport == "stdio" and server.command else server.url
    return f"MCP server {server.slug!r} ({server.transport} {where}): {cause}"


_Key = tuple[Any, ...]


def _key(server: ServerSpec) -> _Key:
    """``ServerSpec`` holds mappings, so sessions are kept under this hashable equivalent."""
    env, headers = tuple(sorted(server.env.items())), tuple(sorted(server.headers.items()))
    return (server.slug, server.transport, server.command, server.url, env, headers)


def _stdio_env(server: ServerSpec) -> dict[str, str]:
    env = {key: os.environ[key] for key in _INHERITED_ENV if key in os.environ}
    return env | dict(server.env)


class _Session:
    """One open ``Client`` kept by a background task until ``close()``."""

    def __init__(self, server: ServerSpec, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.client: Client | None = None
        self.error: BaseException | None = None
        self._ready = anyio.Event()
        self._closing = anyio.Event()
        self._task = self.loop.create_task(self._own())

    @property
    def alive(self) -> bool:
        return (
            self.client is not None
            and not self._task.done()
            and self.loop is asyncio.get_running_loop()
        )

    def _client(self, stack: AsyncExitStack) -> Client:
        server = self.server
        if server.transport == "stdio":
            if not server.command:
                raise ValueError("no command given")
            params = StdioServerParameters(
                command=server.command[0], args=list(server.command[1:]), env=_stdio_env(server)
            )
            return Client(params, cache=None)
        timeout = httpx2.Timeout(self.timeout)
        http = httpx2.AsyncClient(headers=dict(server.headers), timeout=timeout)
        stack.push_async_callback(http.aclose)
        return Client(streamable_http_client(server.url, http_client=http), cache=None)

    async def _own(self) -> None:
        # The deadline covers the connection only; it is lifted once the client is open (a
        # fail_after around entering the client alone would be left before its task groups).
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + self.timeout) as scope:
                async with AsyncExitStack() as stack:
                    client = await stack.enter_async_context(self._client(stack))
                    scope.deadline = math.inf
                    self.client = client
                    self._ready.set()
                    await self._closing.wait()
            if scope.cancelled_caught and self.client is None:
                self.error = TimeoutError()
        except BaseException as exc:
            self.error = exc
        finally:
            self.client = None
            self._ready.set()

    async def open(self) -> Client:
        await self._ready.wait()
        if self.client is None:
            raise McpUnavailable(_describe(self.server, self.error or ConnectionError("closed")))
        return self.client

    async def close(self) -> None:
        self._closing.set()
        if self.loop is asyncio.get_running_loop():
            with anyio.CancelScope(shield=True):
                await asyncio.wait([self._task], timeout=self.timeout)
            if not self._task.done():
                self._task.cancel()


class McpConnector:
    """Lists and calls the tools of MCP servers, one reusable session per server."""

    def __init__(self, *, timeout_seconds: float = 30.0, max_result_chars: int = 1_000_000) -> None:
        self.timeout_seconds = timeout_seconds
        self.max_result_chars = max_result_chars
        self._sessions: dict[_Key, _Session] = {}
        self._locks: dict[_Key, anyio.Lock] = {}

    async def _client(self, server: ServerSpec) -> Client:
        key = _key(server)
        async with self._locks.setdefault(key, anyio.Lock()):
            session = self._sessions.get(key)
            if session is not None and not session.alive:
                await self._drop(session)
                session = None
            if session is None:
                session = self._sessions[key] = _Session(server, self.timeout_seconds)
        try:
            return await session.open()
        except McpUnavailable:
            await self._drop(session)
            raise

    async def _drop(self, session: _Session) -> None:
        key = _key(session.server)
        if self._sessions.get(key) is session:
            del self._sessions[key]
        await session.close()

    async def _forget(self, server: ServerSpec) -> None:
        session = self._sessions.get(_key(server))
        if session is not None:
            await self._drop(session)

    async def list_tools(self, server: ServerSpec) -> list[ToolSpec]:
        """Every tool the server advertises, all pages; retried once on a fresh connection."""
        try:
            return await self._list_all(server)
        except _BrokenError:
            pass
        try:
            return await self._list_all(server)
        except _BrokenError as broken:
            raise McpUnavailable(_describe(server, broken.cause)) from None

    async def _list_all(self, server: ServerSpec) -> list[ToolSpec]:
        tools: list[ToolSpec] = []
        cursor: str | None = None
        async with self._exchange(server) as client:
            for _ in range(_MAX_LIST_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools.extend(
                    ToolSpec(t.name, t.description or "", dict(t.input_schema)) for t in page.tools
                )
                cursor = page.next_cursor
                if not cursor:
                    break
        return tools

    async def call_tool(
        self, server: ServerSpec, tool: str, arguments: dict[str, Any]
    ) -> ToolOutcome:
        """Call one tool; a tool's own failure is ``ToolOutcome(is_error=True)``, not an exception.

        Never retried: the call may have run before the connection broke."""
        try:
            async with self._exchange(server) as client:
                result = await client.call_tool(tool, arguments)
        except _BrokenError as broken:
            raise McpUnavailable(_describe(server, broken.cause)) from None
        return outcome_from_result(result, self.max_result_chars)

    @asynccontextmanager
    async def _exchange(self, server: ServerSpec) -> AsyncIterator[Client]:
        """An open client for ``server``, with the timeout and the translation of failures:
        ``McpUnavailable`` for a refusal or timeout, ``_BrokenError`` (and the session dropped) when
        the connection itself failed."""
        client = await self._client(server)
        try:
            with anyio.fail_after(self.timeout_seconds):
                yield client
        except TimeoutError as exc:
            raise McpUnavailable(_describe(server, exc)) from None
        except MCPError as exc:
            if exc.code != CONNECTION_CLOSED:
                raise McpUnavailable(_describe(server, exc)) from None
            await self._forget(server)
            raise _BrokenError(exc) from None
        except Exception as exc:
            await self._forget(server)
            raise _BrokenError(exc) from None

    async def aclose(self) -> None:
        """Close every session this event loop opened (and stop their stdio servers). Sessions
        of another loop (two applications sharing one runtime, as tests do) are left to that
        loop's own ``aclose``: they can only be closed where they run."""
        loop = asyncio.get_running_loop()
        mine = {key: s for key, s in self._sessions.items() if s.loop is loop}
        for key in mine:
            del self._sessions[key]
        for session in mine.values():
            await session.close()
