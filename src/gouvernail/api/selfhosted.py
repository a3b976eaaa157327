"""The self-hosted model server: ``POST /self-hosted/v1/embeddings`` and
``GET /self-hosted/v1/models`` in OpenAI's format.

This is plumbing for the gateway, not an API for people: an inventory model (provider
``openai_compatible``, hosting ``self_hosted``, base URL ``http://127.0.0.1:<port>/self-hosted/v1``)
points at it, and the gateway calls it over loopback like a vLLM or TEI server, so admission,
inspection, budgets and the request log apply as for any model. Only loopback callers are
admitted (``LoopbackOnly``); the routes are left out of the public OpenAPI schema. Mounted only
when ``self_hosted.enabled``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from gouvernail.api.gateway import JSON, error_response
from gouvernail.gateway.errors import GatewayError
from gouvernail.runtime import Runtime
from gouvernail.selfhosted import embeddings_body, models_body, parse_embeddings


class OpenAIRoute(APIRoute):
    """A route answering refusals (``GatewayError``, its dependencies' included) in OpenAI's
    error shape, as the SDKs and the gateway's provider adapter expect."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except GatewayError as error:
                return error_response(error)

        return route


async def loopback_only(request: Request) -> None:
    """Admit only a client on this machine (127.0.0.0/8, ::1): the peer address of the
    connection, never a header. (``async``: a plain function would take a thread-pool hop.)"""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address is None or not address.is_loopback:
        raise GatewayError(
            403,
            "the self-hosted models answer only this machine (the gateway); call them through "
            "/v1 with a Gouvernail key",
            code="loopback_only",
        )


LoopbackOnly = Depends(loopback_only)

router = APIRouter(
    prefix="/self-hosted/v1",
    tags=["self-hosted models"],
    route_class=OpenAIRoute,
    include_in_schema=False,
)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/embeddings", dependencies=[LoopbackOnly], summary="Embeddings (OpenAI format)")
async def embeddings(request: Request) -> Response:
    runtime = _runtime(request)
    model = runtime.self_hosted_embeddings
    settings = runtime.settings.self_hosted
    wanted = parse_embeddings(await request.body(), settings, model.dimensions)
    encoded = await model.aencode(wanted.texts)
    body = embeddings_body(settings.embedding_model, encoded, wanted.encoding_format)
    return Response(body, 200, media_type=JSON)


@router.get("/models", dependencies=[LoopbackOnly], summary="The model served here")
async def models(request: Request) -> Response:
    return Response(
        models_body(_runtime(request).settings.self_hosted.embedding_model), 200, media_type=JSON
    )
