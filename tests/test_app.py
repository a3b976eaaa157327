"""The server skeleton: health, metrics, errors, request ids, route declarations, settings."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from gouvernail.api.deps import Require, authenticated, public
from gouvernail.api.gateway import gateway_key
from gouvernail.api.selfhosted import loopback_only
from gouvernail.app import create_app
from gouvernail.portal.csrf import checked_form
from gouvernail.portal.guards import PageRequire, PortalRoute, anyone, signed_in
from gouvernail.settings import Settings


def test_liveness_readiness_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    metrics = client.get("/metrics").text
    assert 'gouvernail_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    assert client.get("/docs").status_code == 200
    assert "/api/v1/audit/verify" in client.get("/openapi.json").json()["paths"]


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"]
    assert len(made) == 32


def test_errors_have_one_shape(client: TestClient) -> None:
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    invalid = client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert invalid.status_code == 422
    assert set(invalid.json()["error"]) == {"code", "message", "field"}
    huge = client.post("/api/v1/auth/login", json={"username": "a" * 500, "password": "x"})
    assert huge.status_code == 422
    assert huge.json()["error"]["field"] == "username"


@dataclass(frozen=True)
class Declared:
    """A route as the application serves it: its path, methods, class, and its dependencies
    including those of the routers it was included through."""

    path: str
    methods: set[str]
    route: APIRoute
    dependant: Dependant


def served_routes(app: FastAPI) -> list[Declared]:
    """Every API route of ``app`` (FastAPI keeps included routers as entries of their own)."""
    found = []
    for entry in app.routes:
        if isinstance(entry, APIRoute):
            found.append(Declared(entry.path, set(entry.methods), entry, entry.dependant))
        elif hasattr(entry, "effective_route_contexts"):
            for context in entry.effective_route_contexts():
                route = context.original_route
                if isinstance(route, APIRoute):
                    found.append(
                        Declared(context.path, set(context.methods), route, context.dependant)
                    )
    return found


def test_every_route_declares_who_may_call_it(settings: Settings) -> None:
    app = create_app(settings)
    routes = served_routes(app)
    assert len(routes) > 200  # the listing sees the included routers' routes
    for route in routes:
        calls = {dep.call for dep in route.dependant.dependencies}
        declared = (
            public in calls
            or (gateway_key in calls and route.path.startswith("/v1/"))
            or (loopback_only in calls and route.path.startswith("/self-hosted/"))
            or authenticated in calls
            or anyone in calls
            or signed_in in calls
            or any(isinstance(call, Require | PageRequire) for call in calls)
            or any(
                authenticated in {d.call for d in dep.dependencies}
                for dep in route.dependant.dependencies
            )
        )
        assert declared, f"{route.path} declares neither Public, CurrentUser nor Require"
        if route.path.startswith(("/api/", "/v1/")):  # the portal's guards are for pages only
            assert not calls & {anyone, signed_in}, route.path
    app.state.runtime.close()


def test_prod_refuses_default_secrets(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="default secrets"):
        Settings(env="prod")
    with pytest.raises(ValueError, match="shorter than 32"):
        Settings(env="prod", secret_key="short", audit_signing_key_file="/k.pem")


def test_settings_mask_secrets() -> None:
    shown = Settings(secret_key="x" * 40).masked()
    assert "x" * 40 not in str(shown)


def test_every_portal_form_checks_its_csrf_token(settings: Settings) -> None:
    app = create_app(settings)
    posts = [
        route
        for route in served_routes(app)
        if isinstance(route.route, PortalRoute) and "POST" in route.methods
    ]
    assert len(posts) > 20
    for route in posts:
        calls = {dep.call for dep in route.dependant.dependencies}
        assert checked_form in calls, f"POST {route.path} takes no CSRF-checked form"
    app.state.runtime.close()


def test_markdown_in_pages_never_runs_html(client: TestClient) -> None:
    env = client.app.state.pages.env  # type: ignore[attr-defined]
    rendered = env.from_string("{{ text | markdown }}").render(
        text="# Title\n<script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<script>" not in rendered
    assert 'href="javascript:' not in rendered
    assert "<h3>Title</h3>" in rendered  # headings start under the page's own


def test_start_up_leaves_its_heap_out_of_the_collectors_way() -> None:
    import gc

    from gouvernail.app import _freeze_start_up_heap

    kept = [[index] for index in range(1000)]  # long-lived objects made at start-up
    try:
        _freeze_start_up_heap()
        assert gc.get_freeze_count() >= len(kept)
        oldest = {id(item) for item in gc.get_objects(generation=2)}
        assert not oldest.intersection(id(item) for item in kept)  # frozen: never traversed
    finally:
        gc.unfreeze()
