"""AI literacy (EU AI Act Art. 4): modules, completions, imports, your trainings, coverage,
and the eligibility for AI keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from gouvernail.api.deps import Require, Rt, audit_context, request_id
from gouvernail.api.schemas import CompletionIn, DeclareIn
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.literacy.coverage import CoverageReport
from gouvernail.literacy.importer import MAX_BYTES, ImportMapping
from gouvernail.literacy.importing import ImportRejectedError
from gouvernail.literacy.modules import ModuleChanges, ModuleSpec, validated
from gouvernail.literacy.views import CompletionView, Eligibility, ModuleView, MyTrainings

router = APIRouter(prefix="/api/v1/literacy", tags=["literacy"])


class ModulePatch(ModuleChanges):
    reason: str = ""


@router.get("/modules")
def list_modules(
    _: Annotated[Principal, Depends(Require("literacy", "read"))], runtime: Rt
) -> list[ModuleView]:
    """The training catalogue."""
    return runtime.literacy.modules()


@router.post("/modules", status_code=201)
def create_module(
    body: ModuleSpec,
    request: Request,
    principal: Annotated[Principal, Depends(Require("literacy", "manage"))],
    runtime: Rt,
) -> ModuleView:
    """Create a module: audience (roles, teams, levels; empty: everyone), validity in days
    (forces refreshers), whether it is required."""
    return runtime.literacy.create_module(audit_context(request, principal), body)


@router.get("/modules/{code}")
def get_module(
    code: str, _: Annotated[Principal, Depends(Require("literacy", "read"))], runtime: Rt
) -> ModuleView:
    return runtime.literacy.module(code)


@router.patch("/modules/{code}")
def update_module(
    code: str,
    body: ModulePatch,
    request: Request,
    principal: Annotated[Principal, Depends(Require("literacy", "manage"))],
    runtime: Rt,
) -> ModuleView:
    """Change a module, with a reason; a new validity recomputes existing expiries."""
    changes = ModuleChanges.model_validate(body.model_dump(exclude={"reason"}))
    return runtime.literacy.update_module(
        audit_context(request, principal), code, changes, reason=body.reason
    )


@router.post("/completions", status_code=201)
def record_completion(
    body: CompletionIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("literacy", "manage"))],
    runtime: Rt,
) -> CompletionView:
    """Record that a person completed a module; its expiry follows the module's validity."""
    return runtime.literacy.record(
        audit_context(request, principal),
        user_id=body.user_id,
        module=body.module,
        completed_at=body.completed_at,
        score=body.score,
        evidence=body.evidence,
    )


@router.get("/completions")
def list_completions(
    _: Annotated[Principal, Depends(Require("literacy", "read_any"))],
    runtime: Rt,
    user_id: int | None = None,
    module: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[CompletionView]:
    """Completions, newest first, for a person or a module."""
    return runtime.literacy.completions(user_id=user_id, module=module, limit=limit)


@router.post("/completions/import", responses={422: {"description": "Rows rejected"}})
def import_completions(
    request: Request,
    principal: Annotated[Principal, Depends(Require("literacy", "manage"))],
    runtime: Rt,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, ';' or ',') or XLSX export.")],
    partial: Annotated[bool, Form(description="Import the good rows even if some are bad.")] = (
        False
    ),
    dry_run: Annotated[bool, Form(description="Check only; import nothing.")] = False,
    mapping: Annotated[
        str | None,
        Form(description='JSON, e.g. {"user": "Learner e-mail", "date_format": "%m/%d/%Y"}.'),
    ] = None,
) -> Any:
    """Import completions from a learning platform's export. Every bad row is reported with
    its line, field and reason; nothing is imported if any row is bad unless ``partial``;
    rows already recorded are skipped (importing twice changes nothing)."""
    data = file.file.read(MAX_BYTES + 1)
    wanted = None
    if mapping:
        try:
            raw = orjson.loads(mapping)
        except orjson.JSONDecodeError:
            raise GouvernailError("mapping is not JSON", field="mapping") from None
        wanted = validated(ImportMapping, raw, "mapping.")
    try:
        return runtime.literacy.import_file(
            audit_context(request, principal),
            data,
            filename=file.filename or "upload",
            mapping=wanted,
            partial=partial,
            dry_run=dry_run,
        )
    except ImportRejectedError as rejected:
        return JSONResponse(
            {
                "error": {
                    "code": rejected.code,
                    "message": rejected.message,
                    "field": rejected.field,
                },
                "report": rejected.report.model_dump(mode="json"),
            },
            status_code=rejected.status,
        )


@router.get("/me")
def my_trainings(
    principal: Annotated[Principal, Depends(Require("literacy", "read_own"))], runtime: Rt
) -> MyTrainings:
    """Your trainings with status and expiry, the required ones missing or expired, and
    whether you may hold AI keys (with the reasons if not)."""
    return runtime.literacy.trainings(principal.user_id)


@router.post("/me/completions", status_code=201)
def declare_completion(
    body: DeclareIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("literacy", "declare_own"))],
    runtime: Rt,
) -> CompletionView:
    """Declare your own completion (refused unless the literacy_self_declaration setting
    allows it)."""
    return runtime.literacy.declare(
        principal,
        module=body.module,
        completed_at=body.completed_at,
        score=body.score,
        evidence=body.evidence,
        request_id=request_id(request),
    )


@router.get("/coverage")
def coverage(
    _: Annotated[Principal, Depends(Require("literacy", "read_coverage"))],
    runtime: Rt,
    by: Annotated[str, Query(description="team, role or level")] = "team",
    team: Annotated[str | None, Query(description="Team slug (with its sub-teams).")] = None,
    within_days: Annotated[
        int | None, Query(description="Expiring window; default: the setting.")
    ] = None,
    at: Annotated[datetime | None, Query(description="As of this time (default: now).")] = None,
) -> CoverageReport:
    """Coverage of the required trainings among active people, per group and per module:
    people, compliant, expiring soon, expired, missing."""
    return runtime.literacy.coverage(by=by, at=at, team=team, within_days=within_days)


@router.get("/eligibility/{user_id}")
def eligibility(
    user_id: int,
    _: Annotated[Principal, Depends(Require("literacy", "read_any"))],
    runtime: Rt,
) -> Eligibility:
    """May this person hold AI keys now? If not, every reason and how to fix it."""
    return runtime.literacy.eligibility(user_id)
