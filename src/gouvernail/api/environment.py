"""Energy, CO2e and sobriety hints of the gateway's calls over HTTP (``environment, read``:
AI referents, the committee, auditors, administrators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gouvernail.api.deps import Require, Rt
from gouvernail.identity.principal import Principal
from gouvernail.observatory.environment.schemas import EnvironmentReport, SobrietyReport
from gouvernail.observatory.environment.service import Period

router = APIRouter(prefix="/api/v1/observatory/environment", tags=["observatory"])

Reader = Annotated[Principal, Depends(Require("environment", "read"))]


def period(
    days: Annotated[int, Query(ge=1, le=366, description="The last N days (default 30).")] = 30,
    since: Annotated[date | None, Query(description="First day (UTC), instead of days.")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC, included).")] = None,
    department: Annotated[
        str | None, Query(description="A team's slug: its use cases and its sub-teams'.")
    ] = None,
) -> Period:
    return Period(days=days, since=since, until=until, department=department)


Chosen = Annotated[Period, Depends(period)]


@router.get("")
def environment_report(principal: Reader, runtime: Rt, chosen: Chosen) -> EnvironmentReport:
    """Energy (kWh) and CO2e (kg) of the period's calls in total and per use case, department
    and model, with the method and factors behind each model's figures."""
    return runtime.environment.report(chosen)


@router.get("/sobriety")
def sobriety_hints(principal: Reader, runtime: Rt, chosen: Chosen) -> SobrietyReport:
    """Short calls sent to a model when a much smaller approved model, allowed for the same
    use case and data class, would have done; the energy, CO2e and cost switching would save."""
    return runtime.environment.sobriety(chosen)
