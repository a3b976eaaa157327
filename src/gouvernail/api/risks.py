"""The risk register of a use case, its GxP assessment, the risk library and the heat maps.

Every employee reads (``risks, read``). Owners and members of a use case edit its register and
its GxP assessment (``risks, manage_own`` plus membership); others need ``risks, manage_any``
(the AI referent). A refusal is audited and reported like any other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context, enforce
from gouvernail.identity.principal import Principal
from gouvernail.registry.models import Status
from gouvernail.risk.library import DEFAULT_LANGUAGE, LibraryRiskView
from gouvernail.risk.models import RiskStatus
from gouvernail.risk.schemas import (
    GxpIn,
    GxpView,
    HeatMap,
    LibraryImport,
    RiskIn,
    RiskPatch,
    RiskView,
    StatusChange,
)
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["risks"])

Reader = Annotated[Principal, Depends(Require("risks", "read"))]
Editor = Annotated[Principal, Depends(Require("risks", "manage_own"))]
USE_CASE = "/use-cases/{use_case_id}"


def require_editor(
    runtime: Runtime, request: Request, principal: Principal, use_case_id: int
) -> None:
    """Owners and members edit their use case's risks; others need ``risks, manage_any``
    (refusals are audited and reported by ``enforce``). 404 for an unknown use case."""
    if not runtime.use_cases.is_member(use_case_id, principal.user_id):
        enforce(runtime, request, principal, "risks", "manage_any")


# --- library and portfolio ------------------------------------------------------------------


@router.get("/risks/library")
def risk_library(
    _: Reader, runtime: Rt, lang: Annotated[str, Query(max_length=8)] = DEFAULT_LANGUAGE
) -> list[LibraryRiskView]:
    """Common AI risks to start a register from, in English (``en``) or French (``fr``)."""
    return runtime.risks.library.views(lang)


@router.get("/risks/heatmap")
def portfolio_heatmap(
    _: Reader,
    runtime: Rt,
    department: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[list[Status] | None, Query()] = None,
) -> HeatMap:
    """Risks of every use case on the 5x5 matrix, inherent and residual (closed risks left
    out); ``department`` is a team slug (its sub-teams included), ``status`` a use-case status
    (repeatable)."""
    return runtime.risks.portfolio_heatmap(
        department=department, statuses=[s.value for s in status or []]
    )


# --- register of one use case ---------------------------------------------------------------


@router.get(f"{USE_CASE}/risks")
def list_risks(
    use_case_id: int, _: Reader, runtime: Rt, status: RiskStatus | None = None
) -> list[RiskView]:
    return runtime.risks.list_risks(use_case_id, status=status)


@router.post(f"{USE_CASE}/risks", status_code=201)
def create_risk(
    use_case_id: int, body: RiskIn, request: Request, principal: Editor, runtime: Rt
) -> RiskView:
    """Add a risk (status open); scores and levels follow docs/risk-scoring.md."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.risks.create(audit_context(request, principal), use_case_id, body)


@router.get(f"{USE_CASE}/risks/heatmap")
def use_case_heatmap(use_case_id: int, _: Reader, runtime: Rt) -> HeatMap:
    """This use case's risks on the 5x5 matrix, inherent and residual (closed left out)."""
    return runtime.risks.heatmap(use_case_id)


@router.post(f"{USE_CASE}/risks/from-library", status_code=201)
def import_risks(
    use_case_id: int, body: LibraryImport, request: Request, principal: Editor, runtime: Rt
) -> list[RiskView]:
    """Create open risks from library entries, with their typical rating, to adapt."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.risks.import_from_library(audit_context(request, principal), use_case_id, body)


@router.get(f"{USE_CASE}/risks/{{number}}")
def get_risk(use_case_id: int, number: int, _: Reader, runtime: Rt) -> RiskView:
    return runtime.risks.get(use_case_id, number)


@router.patch(f"{USE_CASE}/risks/{{number}}")
def update_risk(
    use_case_id: int,
    number: int,
    body: RiskPatch,
    request: Request,
    principal: Editor,
    runtime: Rt,
) -> RiskView:
    """Change the fields sent; ``version`` must be the current one (409 otherwise)."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.risks.update(audit_context(request, principal), use_case_id, number, body)


@router.post(f"{USE_CASE}/risks/{{number}}/status")
def change_risk_status(
    use_case_id: int,
    number: int,
    body: StatusChange,
    request: Request,
    principal: Editor,
    runtime: Rt,
) -> RiskView:
    """Open, mitigated, accepted (residual level up to ``risk_acceptance_max_level``) or
    closed, with a reason."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.risks.change_status(
        audit_context(request, principal),
        use_case_id,
        number,
        status=body.status,
        reason=body.reason,
        version=body.version,
    )


# --- GxP assessment -------------------------------------------------------------------------


@router.get(f"{USE_CASE}/gxp")
def get_gxp_assessment(use_case_id: int, _: Reader, runtime: Rt) -> GxpView:
    """The current GxP assessment: FDA model risk, credibility activities, Annex 22 verdict."""
    return runtime.risks.gxp.get(use_case_id)


@router.put(f"{USE_CASE}/gxp")
def assess_gxp(
    use_case_id: int, body: GxpIn, request: Request, principal: Editor, runtime: Rt
) -> GxpView:
    """Record the GxP assessment (omit ``version`` the first time, then send the current one)."""
    require_editor(runtime, request, principal, use_case_id)
    return runtime.risks.gxp.assess(audit_context(request, principal), use_case_id, body)
