"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from gouvernail.api.deps import Public, Rt
from gouvernail.db import migrate
from gouvernail.errors import GouvernailError

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[Public])
def liveness() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Public])
def readiness(runtime: Rt) -> dict[str, str]:
    """The database answers, its schema is current and the audit writer runs."""
    try:
        with runtime.database.read() as session:
            session.execute(text("SELECT 1"))
        current, head = migrate.status(runtime.database)
    except Exception as error:  # report, never crash the probe
        raise GouvernailError(
            f"database unavailable: {type(error).__name__}", code="not_ready", status=503
        ) from None
    if current != head:
        raise GouvernailError(
            f"schema at {current}, expected {head}: run gouvernail db upgrade",
            code="not_ready",
            status=503,
        )
    if not runtime.trail.running:
        raise GouvernailError("the audit writer is not running", code="not_ready", status=503)
    return {"status": "ready", "schema": str(current)}


@router.get("/metrics", dependencies=[Public], response_class=Response)
def metrics(runtime: Rt) -> Response:
    """Prometheus metrics of this process."""
    registry = runtime.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
