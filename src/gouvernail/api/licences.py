"""Licences and AI tools used outside the gateway over HTTP.

``licences, read``: the tools and the aggregate figures (the committee, security and AI
referents, auditors, administrators); ``licences, read_people``: per-person seats, reclaim
lists and unknown identities (AI referents, auditors, administrators); ``licences,
read_findings``: charter findings per person from outside tools (security and AI referents,
auditors); ``licences, manage``: declare and change tools; ``licences, import``: import seat
and activity exports (AI referents, administrators). Refusals are audited and reported.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.jobs.builtin import ActivityImport, licence_uploads
from gouvernail.jobs.schemas import JobView
from gouvernail.observatory.licences.schemas import (
    ActivityFormat,
    FindingView,
    ImportView,
    LicenceCost,
    LicenceReport,
    SeatFormat,
    SeatView,
    ToolIn,
    ToolPatch,
    ToolView,
)
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/licences", tags=["licences"])

Reader = Annotated[Principal, Depends(Require("licences", "read"))]
PeopleReader = Annotated[Principal, Depends(Require("licences", "read_people"))]
FindingsReader = Annotated[Principal, Depends(Require("licences", "read_findings"))]
Manager = Annotated[Principal, Depends(Require("licences", "manage"))]
Importer = Annotated[Principal, Depends(Require("licences", "import"))]
BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def sees_people(runtime: Runtime, principal: Principal) -> bool:
    return runtime.policy.decide(principal.roles, "licences", "read_people").allowed


@router.get("/tools")
def list_tools(principal: Reader, runtime: Rt) -> list[ToolView]:
    """The licensed tools, with their effective hosting, data-class ceiling and seat price
    (their own, else their first inventory model's)."""
    return runtime.licences.tools()


@router.post("/tools", status_code=201)
def add_tool(body: ToolIn, request: Request, principal: Manager, runtime: Rt) -> ToolView:
    """Declare a licensed tool: its inventory links (vendor, models, use case), hosting and
    highest data class (or an inventory model that declares them), seat price and seats."""
    return runtime.licences.add_tool(audit_context(request, principal), body)


@router.get("/tools/{slug}")
def get_tool(slug: str, principal: Reader, runtime: Rt) -> ToolView:
    return runtime.licences.tool(slug)


@router.patch("/tools/{slug}")
def change_tool(
    slug: str, body: ToolPatch, request: Request, principal: Manager, runtime: Rt
) -> ToolView:
    """Change the fields sent (seats bought, price, links…) with a reason and the version you
    read (409 otherwise)."""
    return runtime.licences.change_tool(audit_context(request, principal), slug, body)


@router.get("/tools/{slug}/cost")
def tool_cost(slug: str, principal: Reader, runtime: Rt) -> LicenceCost:
    """The tool's licence cost per month (seats billed x monthly seat price)."""
    return runtime.licences.monthly_cost(slug)


@router.get("/tools/{slug}/seats")
def list_seats(
    slug: str,
    principal: PeopleReader,
    runtime: Rt,
    as_of: Annotated[date | None, Query(description="Day of the figures (default today).")] = None,
) -> list[SeatView]:
    """Every seat of the tool, per person, with its last activity by source."""
    return runtime.licences.seats(slug, as_of)


@router.post("/tools/{slug}/seat-imports", status_code=201, openapi_extra=BINARY_BODY)
async def import_seats(
    slug: str,
    request: Request,
    principal: Importer,
    runtime: Rt,
    format: Annotated[SeatFormat, Query(description="m365_copilot or generic")],
    name: Annotated[str, Query(min_length=1, max_length=500, description="The file's name.")],
    as_of: Annotated[
        date | None, Query(description="Date of a generic export (default: today).")
    ] = None,
    email_column: Annotated[str | None, Query(max_length=200)] = None,
    last_active_column: Annotated[str | None, Query(max_length=200)] = None,
    assigned_column: Annotated[str | None, Query(max_length=200)] = None,
    display_name_column: Annotated[str | None, Query(max_length=200)] = None,
) -> ImportView:
    """Import a vendor's seat export (CSV or XLSX) sent as the body. The same file twice is
    refused (409 ``already_imported``); a newer export updates the seats and releases those
    it no longer lists. Unknown people are listed in ``unknown``."""
    data = await _body(request, runtime)
    mapping = {
        role: column
        for role, column in (
            ("email", email_column),
            ("last_active", last_active_column),
            ("assigned", assigned_column),
            ("display_name", display_name_column),
        )
        if column
    }
    context = audit_context(request, principal)
    return await asyncio.to_thread(
        runtime.licences.import_seats,
        context,
        slug,
        data,
        name=name,
        format=format,
        mapping=mapping,
        as_of=as_of,
    )


@router.post(
    "/tools/{slug}/activity-imports",
    status_code=202,
    response_model=JobView,
    openapi_extra=BINARY_BODY,
)
async def import_activity(
    slug: str,
    request: Request,
    principal: Importer,
    runtime: Rt,
    name: Annotated[str, Query(min_length=1, max_length=500, description="The file's name.")],
    format: Annotated[ActivityFormat, Query(description="chatgpt_compliance")] = (
        "chatgpt_compliance"
    ),
) -> JobView:
    """Upload an outside tool's compliance export (JSON lines) to import; the import runs as a
    job (follow it with GET /api/v1/jobs/{id}; its result names the import): every message a
    person wrote is inspected with the gateway's detectors against what the charter lets this
    tool receive; the figures are kept, never the text. All or nothing. What the import would
    refuse before reading the messages — no charter in force (409 ``no_charter``), the same
    file twice (409 ``already_imported``), an empty file — is refused here at once."""
    folder = licence_uploads(runtime)
    folder.mkdir(parents=True, exist_ok=True)
    handle, name_on_disk = tempfile.mkstemp(dir=folder, suffix=".jsonl")
    path = Path(name_on_disk)
    limit = runtime.settings.licences.upload_max_mb * 2**20
    queued = False
    try:
        size = 0
        with open(handle, "wb") as file:  # noqa: ASYNC230 - small writes, the loop stays free
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                file.write(chunk)
        await asyncio.to_thread(runtime.licences.check_activity, slug, path, format=format)
        job = await asyncio.to_thread(
            runtime.jobs.enqueue,
            audit_context(request, principal),
            "licences.activity_import",
            ActivityImport(path=str(path), tool=slug, name=name, format=format),
            requested_by=principal.user_id,
        )
        queued = True
        return job
    finally:
        if not queued:
            await asyncio.to_thread(path.unlink, missing_ok=True)


@router.get("/imports")
def list_imports(
    principal: Reader, runtime: Rt, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[ImportView]:
    """Imports, newest first, with malformed rows (line and why) and what they changed;
    unknown identities only for those who may see people."""
    return runtime.licences.imports(show_people=sees_people(runtime, principal), limit=limit)


@router.get("/imports/{import_id}")
def get_import(import_id: int, principal: Reader, runtime: Rt) -> ImportView:
    """One import (a finished import job's ``result.import_id``)."""
    return runtime.licences.get_import(import_id, show_people=sees_people(runtime, principal))


@router.get("/report")
def report(
    principal: Reader,
    runtime: Rt,
    as_of: Annotated[date | None, Query(description="Day of the figures (default today).")] = None,
    reclaim_after_days: Annotated[
        int | None, Query(ge=30, le=3650, description="Default: licences.reclaim_after_days.")
    ] = None,
) -> LicenceReport:
    """Per tool: seats bought, assigned, active and inactive over 30/60/90 days (vendor,
    gateway or outside activity), utilisation, cost per active user, reclaim recommendations
    (per person only with ``licences, read_people``) and the charter findings from outside
    tools, counted."""
    return runtime.licences.report(
        people_visible=sees_people(runtime, principal),
        as_of=as_of,
        reclaim_after=reclaim_after_days,
    )


@router.get("/findings")
def findings(
    principal: FindingsReader,
    runtime: Rt,
    tool: Annotated[str | None, Query(max_length=64, description="One tool only.")] = None,
    since: Annotated[date | None, Query(description="First day (default: 90 days ago).")] = None,
    until: Annotated[date | None, Query(description="Last day (default: today).")] = None,
) -> list[FindingView]:
    """Per tool and person: messages sent to an outside tool with data above what the charter
    lets it receive (classes and entity types counted, conversation ids to follow up)."""
    return runtime.licences.findings(tool=tool, since=since, until=until)


async def _body(request: Request, runtime: Runtime) -> bytes:
    limit = runtime.settings.licences.upload_max_mb * 2**20
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> GouvernailError:
    return GouvernailError(
        f"the file is larger than {limit // 2**20} MB (licences.upload_max_mb): import it with "
        "`gouvernail licence` on the server",
        field="body",
        code="too_large",
        status=413,
    )
