"""The ASGI application, built by ``create_app(settings)`` with no module-level state."""

from __future__ import annotations

import asyncio
import gc
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gouvernail import __version__, portal
from gouvernail.agents.mcp.endpoint import McpEndpoint
from gouvernail.api import agent_messages as agent_message_routes
from gouvernail.api import agent_tools as agent_tool_routes
from gouvernail.api import agents as agent_routes
from gouvernail.api import aiact as ai_act_routes
from gouvernail.api import alerts as alert_routes
from gouvernail.api import (
    audit,
    auth,
    charter,
    directory,
    gateway_governance,
    health,
    keys,
    notifications,
    oidc,
    use_case_governance,
    use_cases,
)
from gouvernail.api import bias as bias_routes
from gouvernail.api import canaries as canary_routes
from gouvernail.api import committee as committee_routes
from gouvernail.api import documentation as documentation_routes
from gouvernail.api import environment as environment_routes
from gouvernail.api import evaluations as evaluation_routes
from gouvernail.api import feedback as feedback_routes
from gouvernail.api import gateway as gateway_routes
from gouvernail.api import incidents as incident_routes
from gouvernail.api import insight as insight_routes
from gouvernail.api import inspect as inspect_routes
from gouvernail.api import inventory as inventory_routes
from gouvernail.api import jobs as job_routes
from gouvernail.api import licences as licence_routes
from gouvernail.api import literacy as literacy_routes
from gouvernail.api import prompts as prompt_routes
from gouvernail.api import risks as risk_routes
from gouvernail.api import selfhosted as self_hosted_routes
from gouvernail.api import shadow as shadow_routes
from gouvernail.api import signatures as signature_routes
from gouvernail.api import value as value_routes
from gouvernail.errors import GouvernailError
from gouvernail.jobs.builtin import ensure_housekeeping
from gouvernail.jobs.worker import Worker
from gouvernail.logs import configure_logging
from gouvernail.runtime import Runtime
from gouvernail.settings import Environment, Settings

log = structlog.get_logger(__name__)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def error_body(
    code: str,
    message: str,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    if details is not None:
        body["details"] = details
    return {"error": body}


class RequestContext:
    """Gives each request an id (``X-Request-ID`` in and out), logs it and counts it."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                elapsed = time.perf_counter() - started
                metrics = self.runtime.metrics
                metrics.http_requests.labels(scope["method"], route, str(status)).inc()
                metrics.http_duration.labels(scope["method"], route).observe(elapsed)
                log.info(
                    "http",
                    method=scope["method"],
                    route=route,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )


class SsoSession:
    """Starlette's signed-cookie session, except on the OpenAI-compatible routes (``/v1/``):
    model calls never use it, and parsing cookies on every call is measurable there."""

    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        self.app = app
        self.session = SessionMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
        else:
            await self.session(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GouvernailError)
    async def gouvernail_error(_: Request, error: GouvernailError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message, error.field, error.details), error.status
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        loc = list(first.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # where the input came from, not a field name
        location = [str(part) for part in loc]
        field = ".".join(location) or None
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        return JSONResponse(error_body("invalid_input", message, field), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        if portal.wants_page(request):  # a person's browser on a page address
            return await run_in_threadpool(
                portal.error_page,
                request,
                GouvernailError(str(error.detail), code=code, status=error.status_code),
            )
        return JSONResponse(
            error_body(code, str(error.detail)),
            error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", error=type(error).__name__)
        request_id = getattr(request.state, "request_id", "")
        return JSONResponse(
            error_body("internal_error", f"internal error; quote request id {request_id}"), 500
        )


def _serves_bundled(rt: Runtime) -> bool:
    """Whether an approved model of the inventory is served by this server's ``/self-hosted/v1``
    (only then is the bundled embedding model worth ~400 MB of memory from start-up; otherwise
    its first call loads it)."""
    from urllib.parse import urlsplit

    from gouvernail.selfhosted.inprocess import LOOPBACK, PREFIX

    for model in rt.inventory.routable_models():
        url = urlsplit(model.endpoint.base_url)
        if url.hostname in LOOPBACK and (url.path.rstrip("/") + "/").startswith(PREFIX):
            return True
    return False


async def _warm_up_embeddings(rt: Runtime) -> None:
    """The self-hosted embedding model loads in the background (importing its libraries takes
    seconds; start-up does not wait); on failure, logged, the first embeddings call tries again."""
    try:
        await asyncio.to_thread(rt.self_hosted_embeddings.warm)
    except Exception:
        log.exception("embedding model warm-up failed")


def _freeze_start_up_heap() -> None:
    """What start-up loaded (libraries, settings, detectors, models) lives as long as the
    process: collect once, then move it out of the cyclic garbage collector's generations, so
    that full collections under load traverse only what requests create. Without it, the full
    collections of a gateway under load took about a tenth of its CPU, in pauses of ~0.4 s
    (benchmarks/README.md). Objects frozen here are still freed by reference counting."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """Build the application. The runtime (database, audit writer, services) is created here,
    or handed in by tests, and closed when the application shuts down."""
    configure_logging(settings)
    owned = runtime is None
    rt = runtime or Runtime.build(settings)

    mcp_endpoint = McpEndpoint(lambda: rt.tool_gateway)  # agents' MCP clients: /mcp/

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stack = AsyncExitStack()
        rt.trail.start()
        worker = policy_watch = embeddings_warm_up = None
        if settings.env is not Environment.TEST:  # load the detectors before the first call
            await asyncio.to_thread(rt.gateway.warm_up)
            if settings.self_hosted.enabled and await asyncio.to_thread(_serves_bundled, rt):
                embeddings_warm_up = asyncio.create_task(_warm_up_embeddings(rt))
            await rt.gateway.seed_spend()  # monthly budgets survive a restart
            await asyncio.to_thread(ensure_housekeeping, rt)
            policy_watch = asyncio.create_task(rt.gateway.watch_policy(rt.policy_documents))
            _freeze_start_up_heap()
        await stack.enter_async_context(mcp_endpoint.running())
        if settings.jobs.embedded_worker:
            worker = asyncio.create_task(Worker(rt).run())
        log.info(
            "started", version=__version__, env=settings.env.value, database=rt.database.dialect
        )
        yield
        for task in (worker, policy_watch, embeddings_warm_up):
            if task is not None:
                task.cancel()
        if worker is not None:  # its running jobs are handed back to the queue
            await asyncio.gather(worker, return_exceptions=True)
        await stack.aclose()
        if "gateway" in rt.__dict__:
            await rt.gateway.aclose()
        if "mcp_connector" in rt.__dict__:
            await rt.mcp_connector.aclose()
        if owned:
            rt.close()

    app = FastAPI(
        title="Gouvernail",
        version=__version__,
        summary="Control plane for responsible generative AI",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = rt
    _install_error_handlers(app)
    for module in (
        gateway_routes,  # first: the hot path is matched before the other routes
        health,
        auth,
        oidc,
        directory,
        keys,
        audit,
        charter,
        signature_routes,
        notifications,
        literacy_routes,
        use_cases,
        use_case_governance,
        prompt_routes,
        risk_routes,
        committee_routes,
        inventory_routes,
        ai_act_routes,
        documentation_routes,
        gateway_governance,
        inspect_routes,
        insight_routes,
        shadow_routes,
        feedback_routes,
        incident_routes,
        canary_routes,
        licence_routes,
        bias_routes,
        evaluation_routes,
        job_routes,
        value_routes,
        environment_routes,
        alert_routes,
        agent_message_routes,  # before agent_routes: /messages/…, /traces/… over /{slug}
        agent_tool_routes,  # before agent_routes too: /tools/…, /approvals/…, /mcp-servers/…
        agent_routes,
    ):
        app.include_router(module.router)
    if settings.self_hosted.enabled:
        app.include_router(self_hosted_routes.router)
    app.mount("/mcp", mcp_endpoint)
    portal.install(app)
    app.add_middleware(gateway_routes.GatewayFastPath)  # innermost: model calls skip routing
    app.add_middleware(
        SsoSession,  # holds only the OpenID Connect state and nonce between redirects
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="gouvernail_sso",
        https_only=settings.env is Environment.PROD,
        max_age=600,
    )
    app.add_middleware(RequestContext, runtime=rt)
    return app


def app_from_environment() -> FastAPI:
    """The application built from the environment's settings: the factory each worker process
    of ``gouvernail serve --workers N`` calls."""
    return create_app(Settings())
