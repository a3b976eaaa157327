"""Value models and ROI reports of use cases over HTTP.

A use case's owner reads and sets its value model (``value, manage_own`` plus ownership of that
use case); AI referents set any (``value, manage``); the committee, auditors and
administrators read every report (``value, read``). Refusals are audited and reported like any
other."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from gouvernail.api.deps import CurrentUser, Rt, audit_context, enforce
from gouvernail.identity.principal import Principal
from gouvernail.observatory.value.schemas import ValueModelIn, ValueModelView, ValueReport
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/observatory/value", tags=["observatory"])

Days = Annotated[int, Query(ge=1, le=366, description="The report's period: the last N days.")]


def _check(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    use_case_id: int | None,
    action: str,
) -> None:
    """Refuse (403, audited) unless the caller may ``action`` this use case's value model."""
    assert action in ("read", "manage")
    if not runtime.value.allowed(
        runtime.policy,
        principal.roles,
        principal.user_id,
        use_case_id,
        "read" if action == "read" else "manage",
    ):
        enforce(runtime, request, principal, "value", action)


@router.get("")
def list_reports(
    request: Request, principal: CurrentUser, runtime: Rt, days: Days = 30
) -> list[ValueReport]:
    """The value reports of every use case with a value model (``value, read``), or of the
    use cases the caller owns (``value, manage_own``)."""
    if runtime.policy.decide(principal.roles, "value", "read").allowed:
        return runtime.value.reports(days)
    if runtime.policy.decide(principal.roles, "value", "manage_own").allowed:
        return runtime.value.reports(days, only=runtime.value.owned(principal.user_id))
    enforce(runtime, request, principal, "value", "read")
    return []


@router.get("/{use_case_id}")
def get_report(
    use_case_id: int, request: Request, principal: CurrentUser, runtime: Rt, days: Days = 30
) -> ValueReport:
    """A use case's value report over the last ``days`` days: baseline, tasks, time saved
    (declared or measured, by whom, when), adoption over 30 days by department and hierarchy
    level, costs (tokens measured, licences and run declared), hours freed, savings realised,
    ROI and payback."""
    _check(runtime, request, principal, use_case_id, "read")
    return runtime.value.report(use_case_id, days)


@router.put("/{use_case_id}")
def set_model(
    use_case_id: int,
    body: ValueModelIn,
    request: Request,
    principal: CurrentUser,
    runtime: Rt,
) -> ValueModelView:
    """Set or replace a use case's value model (``version``: the current one when replacing;
    a changed time saved records the caller as who declared it, and when)."""
    _check(runtime, request, principal, use_case_id, "manage")
    return runtime.value.set(
        audit_context(request, principal), use_case_id, body, user_id=principal.user_id
    )
