"""The use-case registry: intake, catalogue, answers, lifecycle.

Any employee submits ideas and reads the catalogue. Members of a use case edit it; the AI
referent may edit any. Suspending needs the ``use_cases, suspend`` right.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from gouvernail.api.deps import Require, Rt, audit_context, enforce
from gouvernail.identity.principal import Principal
from gouvernail.registry import catalogue, history, imports
from gouvernail.registry.history import HistoryEntry
from gouvernail.registry.models import Status
from gouvernail.registry.qualification import questions
from gouvernail.registry.schemas import (
    ClassificationIn,
    DeploymentIn,
    MeasurementIn,
    QualificationIn,
    SimilarIn,
    Suggestion,
    TransitionCheck,
    TransitionIn,
    UseCaseIn,
    UseCasePatch,
    UseCaseSummary,
    UseCaseView,
)
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/use-cases", tags=["use cases"])

Reader = Annotated[Principal, Depends(Require("use_cases", "read"))]
Submitter = Annotated[Principal, Depends(Require("use_cases", "submit"))]
Editor = Annotated[Principal, Depends(Require("use_cases", "edit_own"))]
OUT_OF_LIVE = {Status.SUSPENDED.value}


def require_editor(
    runtime: Runtime, request: Request, principal: Principal, use_case_id: int
) -> None:
    """Members edit their use case; others need ``use_cases, edit_any`` (refusals audited)."""
    if not runtime.use_cases.is_member(use_case_id, principal.user_id):
        enforce(runtime, request, principal, "use_cases", "edit_any")


@router.get("")
def list_use_cases(
    _: Reader,
    runtime: Rt,
    status: Annotated[list[Status] | None, Query()] = None,
    tier: Annotated[list[str] | None, Query()] = None,
    department: str | None = None,
    flag: str | None = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    sort: catalogue.Sort = catalogue.Sort.PRIORITY,
) -> list[UseCaseSummary]:
    """The catalogue, filtered and sorted (``q`` ranks by text similarity)."""
    return catalogue.search(
        runtime.use_cases,
        catalogue.Filters(
            status=[s.value for s in status or []],
            tier=tier or [],
            department=department,
            flag=flag,
            q=q,
            min_score=min_score,
        ),
        sort,
    )


@router.get("/export")
def export_use_cases(
    _: Reader,
    runtime: Rt,
    format: Annotated[catalogue.ExportFormat, Query()] = catalogue.ExportFormat.CSV,
    status: Annotated[list[Status] | None, Query()] = None,
    tier: Annotated[list[str] | None, Query()] = None,
    department: str | None = None,
    flag: str | None = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    sort: catalogue.Sort = catalogue.Sort.PRIORITY,
) -> Response:
    """The catalogue as CSV or XLSX (one row per use case, the columns of the summary),
    filtered and sorted like the list (``GET /api/v1/use-cases``)."""
    rows = catalogue.search(
        runtime.use_cases,
        catalogue.Filters(
            status=[s.value for s in status or []],
            tier=tier or [],
            department=department,
            flag=flag,
            q=q,
            min_score=min_score,
        ),
        sort,
    )
    body, media_type = catalogue.export(rows, format)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="use-cases.{format.value}"'},
    )


@router.post("/import", responses={422: {"description": "Rows rejected"}})
def import_use_cases(
    request: Request,
    principal: Annotated[Principal, Depends(Require("use_cases", "import"))],
    runtime: Rt,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8, ';' or ',') or XLSX, one row per use case.")
    ],
    partial: Annotated[
        bool, Form(description="Import the good rows even if some are bad.")
    ] = False,
) -> imports.ImportReport:
    """Import an existing inventory of use cases. Columns: title, description, requester
    (username) and optionally department, sponsor, business_problem, current_process,
    target_process, objective, intended_users, affected_people, expected_benefit, sourcing,
    preferred_hosting. Each bad row is reported; nothing is imported if any row is bad unless
    ``partial``."""
    data = file.file.read(imports.MAX_BYTES + 1)
    return imports.import_use_cases(
        runtime.use_cases,
        audit_context(request, principal),
        data,
        file.filename or "upload",
        partial=partial,
    )


@router.get("/questions")
def qualification_questions(_: Reader) -> dict[str, Any]:
    """The qualification and AI-versus-automation questions, in French and English."""
    return questions()


@router.post("/similar")
def similar_use_cases(body: SimilarIn, _: Submitter, runtime: Rt) -> list[Suggestion]:
    """While an idea is typed: the most similar existing use cases, with a similarity score."""
    return runtime.use_cases.duplicates.suggest(body.title, body.description)


@router.post("", status_code=201)
def submit_use_case(
    body: UseCaseIn, request: Request, principal: Submitter, runtime: Rt
) -> UseCaseView:
    """Submit an idea. 409 ``possible_duplicate`` when similar use cases exist and no
    ``duplicate_justification`` is given: join one of them, or explain the difference."""
    return runtime.use_cases.submit(audit_context(request, principal), principal.user_id, body)


@router.get("/{use_case_id}")
def get_use_case(use_case_id: int, _: Reader, runtime: Rt) -> UseCaseView:
    return runtime.use_cases.get(use_case_id)


@router.patch("/{use_case_id}")
def update_use_case(
    use_case_id: int, body: UseCasePatch, request: Request, principal: Editor, runtime: Rt
) -> UseCaseView:
    """Change fields. Send the ``version`` you read: 409 if it changed since."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.use_cases.update(audit_context(request, principal), use_case_id, body)


@router.put("/{use_case_id}/qualification")
def record_qualification(
    use_case_id: int, body: QualificationIn, request: Request, principal: Editor, runtime: Rt
) -> UseCaseView:
    """Answer the qualification and the AI-versus-automation check; the verdict comes back."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.use_cases.record_qualification(
        audit_context(request, principal), use_case_id, body
    )


@router.put("/{use_case_id}/classification")
def classify_use_case(
    use_case_id: int, body: ClassificationIn, request: Request, principal: Editor, runtime: Rt
) -> UseCaseView:
    """Answer the EU AI Act questionnaire (see GET /api/v1/ai-act/questionnaire)."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.use_cases.classify(audit_context(request, principal), use_case_id, body)


@router.put("/{use_case_id}/deployment")
def record_deployment(
    use_case_id: int, body: DeploymentIn, request: Request, principal: Editor, runtime: Rt
) -> UseCaseView:
    """The answers required for deployment: fallback without AI (and when it was last
    rehearsed), cybersecurity, human oversight, vendor exit plan, adoption plan."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.use_cases.record_deployment(audit_context(request, principal), use_case_id, body)


@router.post("/{use_case_id}/key-results/{key_result_id}/measurements")
def measure_key_result(
    use_case_id: int,
    key_result_id: int,
    body: MeasurementIn,
    request: Request,
    principal: Editor,
    runtime: Rt,
) -> UseCaseView:
    """Record a measured result against a key result (production needs one per key result)."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.use_cases.measure(
        audit_context(request, principal), use_case_id, key_result_id, body
    )


@router.get("/{use_case_id}/transitions/{to}")
def check_transition(
    use_case_id: int,
    to: str,
    _: Reader,
    runtime: Rt,
    pilot_end_date: date | None = None,
) -> TransitionCheck:
    """Would the transition go? Lists every missing prerequisite, without changing anything."""
    return runtime.use_cases.check(use_case_id, to, pilot_end_date)


@router.post("/{use_case_id}/transitions")
def transition_use_case(
    use_case_id: int, body: TransitionIn, request: Request, principal: Editor, runtime: Rt
) -> UseCaseView:
    """Move along the lifecycle with a reason. 409 ``prerequisites_missing`` names what is
    missing. Suspending and resuming need the ``use_cases, suspend`` right."""
    current = runtime.use_cases.get(use_case_id)
    if body.to == Status.SUSPENDED.value or current.status in OUT_OF_LIVE:
        enforce(runtime, request, principal, "use_cases", "suspend")
    else:
        require_editor(runtime, request, principal, use_case_id)
    return runtime.use_cases.transition(audit_context(request, principal), use_case_id, body)


@router.get("/{use_case_id}/history")
def use_case_history(use_case_id: int, _: Reader, runtime: Rt) -> list[HistoryEntry]:
    """The audit history of the record: every audited change, oldest first."""
    return history.of(runtime.database, "use_case", use_case_id)
