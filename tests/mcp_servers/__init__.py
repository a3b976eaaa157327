"""Small real MCP servers for the tests, and ``serve_http`` to serve one on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from tests.oidc_provider import ServerThread

NOTES_PATH = Path(__file__).with_name("notes.py")


class _RequireBearer:
    """Answer 401 unless the request carries ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and dict(scope["headers"]).get(b"authorization") != self.expected
        ):
            await JSONResponse({"error": "unauthorized"}, status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


@contextlib.contextmanager
def serve_http(server: MCPServer, *, bearer: str | None = None) -> Iterator[str]:
    """Serve ``server`` over streamable HTTP on a free port; yields its URL (``.../mcp``)."""
    inner = server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    app: Any = Starlette(routes=inner.routes, lifespan=lifespan)
    thread = ServerThread(_RequireBearer(app, bearer) if bearer else app)
    thread.start()
    try:
        yield f"{thread.url}/mcp"
    finally:
        thread.stop()


__all__ = ["NOTES_PATH", "serve_http"]
