"""The OpenAI-compatible surface: ``/v1/chat/completions``, ``/v1/embeddings``,
``/v1/responses`` and ``/v1/models``.

Callers authenticate with a Gouvernail API key (``Authorization: Bearer gk_…``), which the
gateway pipeline checks itself (``GatewayKey`` is the routes' declaration), and get OpenAI's
request and error formats, so that any OpenAI client works by changing only its base URL and key.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from gouvernail.api.deps import client_of, request_id
from gouvernail.gateway.agent_runs import RUN_HEADER
from gouvernail.gateway.call import Call
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.prompting import PROMPT_HEADER
from gouvernail.gateway.providers import Operation
from gouvernail.gateway.service import GatewayService
from gouvernail.insight.chat import complete, is_insight

router = APIRouter(prefix="/v1", tags=["gateway (OpenAI-compatible)"])


async def gateway_key() -> None:
    """Marker: the gateway pipeline authenticates the caller's API key and admits the call.
    (``async``: FastAPI would run a plain function in its thread pool on every call.)"""


GatewayKey = Depends(gateway_key)

JSON = "application/json"
OPENAI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {JSON: {"schema": {"type": "object", "additionalProperties": True}}},
    }
}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("api-key") or None


def error_response(error: GatewayError, call: Call | None = None) -> Response:
    headers = dict(error.headers)
    if call is not None and call.decision is not None:
        headers["x-gouvernail-decision"] = call.decision_header()
    return Response(error.body(), error.status, headers=headers, media_type=JSON)


def _headers(call: Call) -> dict[str, str]:
    headers = {"x-gouvernail-decision": call.decision_header()}
    if call.model is not None:
        headers["x-gouvernail-model"] = call.model.name
    if call.prompt_version_id is not None:
        headers[PROMPT_HEADER] = str(call.prompt_version_id)
    return headers


async def _read(request: Request, limit: int) -> tuple[bytes, bool]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
    return b"".join(chunks), False


async def _handle(request: Request, operation: Operation, *, insight: bool = False) -> Response:
    service: GatewayService = request.app.state.runtime.gateway
    raw, oversized = await _read(request, service.settings.gateway.max_body_bytes)
    if insight and not oversized and is_insight(raw):
        answered = await _insight(request, raw)
        if answered is not None:
            return answered
    call = Call(
        request_id=request_id(request),
        operation=operation,
        raw=raw,
        secret=_bearer(request),
        client=client_of(request),
        oversized=oversized,
        prompt_header=request.headers.get(PROMPT_HEADER),
        run_header=request.headers.get(RUN_HEADER),
    )
    try:
        result = await service.gateway.handle(call)
    except GatewayError as error:
        return error_response(error, call)
    if isinstance(result, dict):
        return Response(orjson.dumps(result), 200, headers=_headers(call), media_type=JSON)
    return StreamingResponse(
        result,
        200,
        headers={**_headers(call), "cache-control": "no-cache", "x-accel-buffering": "no"},
        media_type="text/event-stream",
    )


async def _insight(request: Request, raw: bytes) -> Response | None:
    """``insight:<source>``: an answer from internal documents (``insight/chat.py``)."""
    try:
        result = await complete(
            request.app.state.runtime,
            raw,
            secret=_bearer(request),
            request_id=request_id(request),
            client=client_of(request),
        )
    except GatewayError as error:
        return error_response(error, None)
    if result is None:
        return None
    if isinstance(result, dict):
        return Response(orjson.dumps(result), 200, media_type=JSON)
    return StreamingResponse(result, 200, media_type="text/event-stream")


@router.post(
    "/chat/completions",
    dependencies=[GatewayKey],
    openapi_extra=OPENAI_BODY,
    summary="Chat completion (OpenAI format, streaming with stream: true)",
)
async def chat_completions(request: Request) -> Response:
    return await _handle(request, "chat", insight=True)


@router.post(
    "/embeddings",
    dependencies=[GatewayKey],
    openapi_extra=OPENAI_BODY,
    summary="Embeddings (OpenAI format)",
)
async def embeddings(request: Request) -> Response:
    return await _handle(request, "embeddings")


@router.post(
    "/responses",
    dependencies=[GatewayKey],
    openapi_extra=OPENAI_BODY,
    summary="Responses API (OpenAI format) for upstreams that support it",
)
async def responses(request: Request) -> Response:
    return await _handle(request, "responses")


@router.get("/models", dependencies=[GatewayKey], summary="The models the caller may use")
async def models(request: Request) -> Response:
    service: GatewayService = request.app.state.runtime.gateway
    try:
        listed = await service.models_for(_bearer(request))
    except GatewayError as error:
        return error_response(error)
    return Response(orjson.dumps(listed), 200, media_type=JSON)


class GatewayFastPath:
    """ASGI middleware: the OpenAI-compatible POST routes go straight to their endpoint.

    They take the raw request and declare no dependency but the ``GatewayKey`` marker (the
    pipeline authenticates), so FastAPI's routing, dependency solving and exception layers only
    cost time there (about a third of the gateway's CPU per call, measured). The routes stay
    declared on ``router`` (OpenAPI, the route declaration test); this dispatches to the same
    endpoint functions. Installed inside ``RequestContext``: request ids, logs and metrics still
    apply, with the route's path as label; other paths go on through the application.
    """

    def __init__(self, app: ASGIApp, /) -> None:
        self.app = app
        self.routes: dict[str, APIRoute] = {}
        for route in router.routes:
            if not isinstance(route, APIRoute) or route.methods != {"POST"}:
                continue
            markers = [d.call for d in route.dependant.dependencies]
            if markers != [gateway_key]:  # anything else needs FastAPI to solve it
                continue
            self.routes[route.path] = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        response = await route.endpoint(Request(scope, receive))
        await response(scope, receive, send)
