"""Value and environment, a tab of the observatory, over the last 7, 30 or 90 days: the return
on investment of each use case with a value model (what was declared and what was measured
labelled, the hours freed against the savings realised, the payback), then the energy and CO2e
of the gateway's calls by use case, department and model, and the sobriety hints (short calls
a smaller approved model could have served).

Every figure is the services' (``runtime.value``, ``runtime.environment``). The page opens for
whoever may read one of them and shows only the sections the user may read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gouvernail.api.deps import Rt
from gouvernail.identity.principal import Principal
from gouvernail.observatory.environment.service import Period
from gouvernail.observatory.value.schemas import ValueReport
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import PageRequireAny, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import VALUE_TAB
from gouvernail.portal.pages.observatory import DEFAULT_DAYS, PERIODS
from gouvernail.portal.templating import render
from gouvernail.registry.views import reference
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequireAny(*VALUE_TAB.rights))]


def tasks_label(report: ValueReport) -> str:
    """Whether the period's tasks were declared per month or measured from the request log
    (the value model says which)."""
    return "declared" if report.model.calls_per_task is None else "measured"


def figures(runtime: Runtime, principal: Principal, days: int) -> dict[str, Any]:
    """What the page shows for the period: each section only for those who may read it."""
    found: dict[str, Any] = {"reports": None, "environment": None, "sobriety": None}
    if runtime.policy.decide(principal.roles, "value", "read").allowed:
        found["reports"] = runtime.value.reports(days)
    if runtime.policy.decide(principal.roles, "environment", "read").allowed:
        period = Period(days=days)
        found["environment"] = runtime.environment.report(period)
        found["sobriety"] = runtime.environment.sobriety(period)
    return found


@router.get(VALUE_TAB.href)
def value(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    raw = text_of(request.query_params, "days", 4)
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_DAYS
    return render(
        request,
        "value.html",
        {
            "title": _("Value and environment"),
            "days": days,
            "periods": [(d, _("last %(days)s days", days=d)) for d in PERIODS],
            "reference": reference,
            "tasks_label": tasks_label,
            **figures(runtime, principal, days),
        },
        principal=principal,
    )
