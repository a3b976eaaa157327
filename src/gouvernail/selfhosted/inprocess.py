"""The gateway's upstream transport, with this process's own self-hosted models answered in
process: a request for ``http://127.0.0.1:<our port>/self-hosted/v1/...`` (or ``localhost``,
``[::1]``) goes to the same routes through ASGI instead of a socket.

Why: a CLI command (``gouvernail insight source sync``) has no server listening, yet its model
calls must reach the bundled model through the gateway like the server's do; and the server
saves a loopback connection per call. Everything else goes to the real transport. The routes
see a loopback client, as over real loopback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime

PREFIX = "/self-hosted/v1/"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class InProcess(httpx.AsyncBaseTransport):
    def __init__(self, app: FastAPI, *, port: int, fallback: httpx.AsyncBaseTransport) -> None:
        self.port = port
        self.fallback = fallback
        self._asgi = httpx.ASGITransport(app, client=("127.0.0.1", 0))

    def local(self, url: httpx.URL) -> bool:
        port = url.port or (443 if url.scheme == "https" else 80)
        return url.host in LOOPBACK and port == self.port and url.path.startswith(PREFIX)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.local(request.url):
            return await self._asgi.handle_async_request(request)
        return await self.fallback.handle_async_request(request)

    async def aclose(self) -> None:
        await self.fallback.aclose()


def in_process(runtime: Runtime, fallback: httpx.AsyncBaseTransport) -> InProcess:
    """The transport for ``runtime``'s gateway: its self-hosted routes in process, the rest
    through ``fallback``."""
    from gouvernail.api import selfhosted

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.include_router(selfhosted.router)
    return InProcess(app, port=runtime.settings.port, fallback=fallback)
