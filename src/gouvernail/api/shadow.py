"""Shadow AI over HTTP: the catalogue of AI services (security referents and AI referents edit
it), proxy-log imports, the report, and turning a discovered service into a use-case idea or
a vendor."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.db.base import utcnow
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.jobs.builtin import ShadowImport, uploads
from gouvernail.jobs.schemas import JobView
from gouvernail.observatory.shadow.schemas import (
    AdoptIn,
    AdoptView,
    ImportView,
    LogFormat,
    Report,
    ServiceIn,
    ServicePatch,
    ServiceView,
)

router = APIRouter(prefix="/api/v1/shadow", tags=["shadow AI"])

Reader = Annotated[Principal, Depends(Require("shadow", "read"))]
Curator = Annotated[Principal, Depends(Require("shadow", "manage"))]
Importer = Annotated[Principal, Depends(Require("shadow", "import"))]


@router.get("/services", response_model=list[ServiceView])
def list_services(principal: Reader, runtime: Rt) -> list[ServiceView]:
    """The catalogue of AI services recognised in proxy logs (at least 100 shipped)."""
    return runtime.shadow.services()


@router.post("/services", status_code=201, response_model=ServiceView)
def add_service(body: ServiceIn, request: Request, principal: Curator, runtime: Rt) -> ServiceView:
    return runtime.shadow.add(audit_context(request, principal), body)


@router.get("/services/{slug}", response_model=ServiceView)
def get_service(slug: str, principal: Reader, runtime: Rt) -> ServiceView:
    return runtime.shadow.service(slug)


@router.patch("/services/{slug}", response_model=ServiceView)
def change_service(
    slug: str, body: ServicePatch, request: Request, principal: Curator, runtime: Rt
) -> ServiceView:
    """Sanction a service, or change its hosts or category (with the version you read)."""
    return runtime.shadow.change(audit_context(request, principal), slug, body)


@router.delete("/services/{slug}", status_code=204)
def remove_service(
    slug: str,
    request: Request,
    principal: Curator,
    runtime: Rt,
    reason: Annotated[str, Query(min_length=3, max_length=2000)],
) -> Response:
    """Remove a service no import has observed (409 otherwise: change it instead)."""
    runtime.shadow.remove(audit_context(request, principal), slug, reason)
    return Response(status_code=204)


@router.post("/services/{slug}/adopt", response_model=AdoptView, status_code=201)
def adopt_service(
    slug: str, body: AdoptIn, request: Request, principal: Curator, runtime: Rt
) -> AdoptView:
    """Make a discovered service a use-case idea (409 with similar use cases: give a
    justification) or a vendor candidate in the inventory."""
    return runtime.shadow.adopt(
        audit_context(request, principal), slug, body, requester_id=principal.user_id
    )


@router.post(
    "/imports",
    status_code=202,
    response_model=JobView,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def import_log(
    request: Request,
    principal: Importer,
    runtime: Rt,
    format: Annotated[LogFormat, Query(description="squid, zscaler, csv or jsonl")],
    name: Annotated[str, Query(min_length=1, max_length=500, description="The file's name.")],
) -> JobView:
    """Upload a proxy log (gzip or not) to import; the import runs as a job (follow it with
    GET /api/v1/jobs/{id}; its result names the import). What the import would refuse — an
    empty file, a CSV without its columns, a file imported already (409) — is refused here at
    once. Sending a file whose import stopped midway resumes it."""
    limit = runtime.settings.shadow.upload_max_mb * 2**20
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    folder = uploads(runtime)
    folder.mkdir(parents=True, exist_ok=True)
    handle, name_on_disk = tempfile.mkstemp(dir=folder, suffix=".log")
    path = Path(name_on_disk)
    queued = False
    try:
        size = 0
        with open(handle, "wb") as file:  # noqa: ASYNC230 - small writes, the loop stays free
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                file.write(chunk)
        await asyncio.to_thread(runtime.shadow.check_file, path, format)
        job = await asyncio.to_thread(
            runtime.jobs.enqueue,
            audit_context(request, principal),
            "shadow.import",
            ShadowImport(path=str(path), format=format, name=name),
            requested_by=principal.user_id,
        )
        queued = True
        return job
    finally:
        if not queued:
            await asyncio.to_thread(path.unlink, missing_ok=True)


def _too_large(limit: int) -> GouvernailError:
    return GouvernailError(
        f"the file is larger than {limit // 2**20} MB (shadow.upload_max_mb): import it with "
        "`gouvernail shadow import` on the server",
        field="body",
        code="too_large",
        status=413,
    )


@router.get("/imports", response_model=list[ImportView])
def list_imports(
    principal: Reader, runtime: Rt, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[ImportView]:
    """Imports, newest first, with their malformed-line counts and examples."""
    return runtime.shadow.imports(limit)


@router.get("/imports/{import_id}", response_model=ImportView)
def get_import(import_id: int, principal: Reader, runtime: Rt) -> ImportView:
    return runtime.shadow.get_import(import_id)


@router.get("/report", response_model=Report)
def report(
    principal: Reader,
    runtime: Rt,
    since: Annotated[date | None, Query(description="First day (default: 90 days ago).")] = None,
    until: Annotated[date | None, Query(description="Last day (default: today).")] = None,
    department: Annotated[str | None, Query(max_length=200)] = None,
) -> Report:
    """AI services seen in the proxy logs: by service (with severity and trend), department
    and person; direct calls to model APIs and large uploads to unsanctioned services."""
    last = until or utcnow().date()
    return runtime.shadow.report(since or last - timedelta(days=90), last, department)
