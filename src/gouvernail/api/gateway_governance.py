"""Operating the gateway: kill switches, how a use case is served, limits and budgets, and
each employee's personal sandbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from gouvernail.api.deps import CurrentUser, Require, Rt, audit_context
from gouvernail.gateway.governance import (
    LimitIn,
    LimitScope,
    LimitView,
    SwitchIn,
    SwitchView,
    UseCaseGatewayIn,
    UseCaseGatewayView,
)
from gouvernail.gateway.models import SwitchScope
from gouvernail.gateway.sla import MAX_DAYS, SlaReport, report
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["gateway operations"])

Operator = Annotated[Principal, Depends(Require("kill_switches", "operate"))]
Configurator = Annotated[Principal, Depends(Require("gateway", "configure"))]


@router.get("/kill-switches")
def kill_switches(
    _: Annotated[Principal, Depends(Require("kill_switches", "read"))], runtime: Rt
) -> list[SwitchView]:
    """Every kill switch that was ever set, engaged or released."""
    with runtime.database.read() as session:
        return runtime.governance.switches(session)


@router.put("/kill-switches/global")
def global_switch(body: SwitchIn, request: Request, principal: Operator, runtime: Rt) -> SwitchView:
    """Turn AI off (or back on) for the whole company; callers get the fallback procedure."""
    return runtime.governance.set_switch(
        audit_context(request, principal), principal.user_id, SwitchScope.GLOBAL, 0, body
    )


@router.put("/kill-switches/team/{team_id}")
def team_switch(
    team_id: int, body: SwitchIn, request: Request, principal: Operator, runtime: Rt
) -> SwitchView:
    """Turn AI off (or on) for a department and every team under it."""
    return runtime.governance.set_switch(
        audit_context(request, principal), principal.user_id, SwitchScope.TEAM, team_id, body
    )


@router.put("/kill-switches/use-case/{use_case_id}")
def use_case_switch(
    use_case_id: int, body: SwitchIn, request: Request, principal: Operator, runtime: Rt
) -> SwitchView:
    """Turn AI off (or on) for one use case."""
    return runtime.governance.set_switch(
        audit_context(request, principal),
        principal.user_id,
        SwitchScope.USE_CASE,
        use_case_id,
        body,
    )


@router.get("/use-cases/{use_case_id}/gateway")
def use_case_gateway(
    use_case_id: int,
    _: Annotated[Principal, Depends(Require("use_cases", "read"))],
    runtime: Rt,
) -> UseCaseGatewayView:
    """How the gateway serves this use case."""
    with runtime.database.read() as session:
        return runtime.governance.use_case_gateway(session, use_case_id)


@router.put("/use-cases/{use_case_id}/gateway")
def configure_use_case_gateway(
    use_case_id: int,
    body: UseCaseGatewayIn,
    request: Request,
    principal: Configurator,
    runtime: Rt,
) -> UseCaseGatewayView:
    """Set the use case's data-class ceiling, allowed models and content retention."""
    return runtime.governance.configure(audit_context(request, principal), use_case_id, body)


@router.get("/gateway/limits")
def limits(
    _: Annotated[Principal, Depends(Require("gateway", "read"))], runtime: Rt
) -> list[LimitView]:
    """Every limit set on a user, team, use case or key (others get the defaults)."""
    with runtime.database.read() as session:
        return runtime.governance.limits(session)


@router.get("/gateway/sla")
def provider_sla(
    _: Annotated[Principal, Depends(Require("gateway", "read"))],
    runtime: Rt,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Days back from now.")] = 30,
) -> SlaReport:
    """Measured availability and latency percentiles per provider and model over the last
    ``days`` days, next to the SLA the inventory records; breaches listed per model."""
    return report(runtime.database, runtime.inventory.list_models(), days)


@router.put("/gateway/limits/{scope}/{target_id}")
def set_limit(
    scope: LimitScope,
    target_id: int,
    body: LimitIn,
    request: Request,
    principal: Configurator,
    runtime: Rt,
) -> LimitView:
    """Requests and tokens per minute and the monthly budget (euros) of one scope."""
    return runtime.governance.set_limit(audit_context(request, principal), scope, target_id, body)


class SandboxOut(BaseModel):
    use_case_id: int
    created: bool


@router.post("/sandbox")
def open_sandbox(request: Request, principal: CurrentUser, runtime: Rt) -> SandboxOut:
    """Your personal sandbox use case, to prototype with approved models at the lowest data
    class and a small capped budget; then create a key for it (POST /api/v1/keys)."""
    use_case_id, created = runtime.governance.open_sandbox(
        audit_context(request, principal), principal.user_id
    )
    return SandboxOut(use_case_id=use_case_id, created=created)
