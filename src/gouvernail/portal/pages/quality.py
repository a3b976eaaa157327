"""Quality, a tab of the observatory: how good the answers are and what went wrong. Error rates
from feedback by use case, model and prompt version over the last 7 and 90 days (the worsening
ones first), the latest evaluation runs with their pass rate (incomplete ones marked: their
figures are partial), the open canary drifts with the metrics that changed, and the incident
register's open incidents (those that may be serious under the AI Act flagged).

Every figure is the services' (``runtime.feedback``, ``evaluations``, ``canaries``,
``incidents``). The page opens for whoever may read one of them and shows only the sections
the user may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gouvernail.api.deps import Rt
from gouvernail.identity.principal import Principal
from gouvernail.observatory.canaries.models import DriftStatus
from gouvernail.observatory.canaries.schemas import DriftView, Metric
from gouvernail.observatory.feedback.schemas import Grouping, GroupRates
from gouvernail.observatory.incidents.models import IncidentStatus
from gouvernail.portal.guards import PageRequireAny, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import N_, QUALITY_TAB
from gouvernail.portal.templating import render
from gouvernail.registry.views import reference
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequireAny(*QUALITY_TAB.rights))]

LATEST_RUNS = 20
GROUPINGS: tuple[tuple[Grouping, str], ...] = (
    ("use_case", N_("By use case")),
    ("model", N_("By model")),
    ("prompt_version", N_("By prompt version")),
)


@dataclass(frozen=True)
class Drift:
    """An open drift and the metrics of its run that changed."""

    drift: DriftView
    changed: list[Metric]


def _may(runtime: Runtime, principal: Principal, resource: str) -> bool:
    return runtime.policy.decide(principal.roles, resource, "read").allowed


def group_name(by: str, group: GroupRates) -> str:
    """What a row of error rates is about, in the user's language."""
    if by == "model":
        return group.model or _("no model")
    if by == "prompt_version":
        if group.prompt_version_id is None:
            return _("no prompt version")
        return _("%(name)s v%(version)s", name=group.prompt_name, version=group.prompt_version)
    return group.use_case or _("no use case")


def _error_rates(runtime: Runtime) -> list[dict[str, Any]]:
    """The three groupings, the worsening groups first (the service's order otherwise)."""
    tables = []
    for by, title in GROUPINGS:
        rates = runtime.feedback.rates(by)
        groups = sorted(rates.groups, key=lambda group: not group.worsening)
        tables.append(
            {
                "by": by,
                "title": _(title),
                "rows": [(group_name(by, group), group) for group in groups],
                "worsening": sum(group.worsening for group in groups),
            }
        )
    return tables


def _drifts(runtime: Runtime) -> list[Drift]:
    return [
        Drift(drift, [m for m in drift.comparison.metrics if m.changed])
        for drift in runtime.canaries.drifts(status=DriftStatus.OPEN)
    ]


def figures(runtime: Runtime, principal: Principal) -> dict[str, Any]:
    """What the page shows: each section only for those who may read it (None otherwise)."""
    found: dict[str, Any] = {"rates": None, "runs": None, "drifts": None, "incidents": None}
    if _may(runtime, principal, "error_rates"):
        found["rates"] = _error_rates(runtime)
    if _may(runtime, principal, "evaluations"):
        found["runs"] = runtime.evaluations.runs(limit=LATEST_RUNS)
    if _may(runtime, principal, "canaries"):
        found["drifts"] = _drifts(runtime)
        found["watched"] = len(runtime.canaries.configs())
    if _may(runtime, principal, "incidents"):
        found["incidents"] = [
            incident
            for incident in runtime.incidents.find()
            if incident.status != IncidentStatus.CLOSED
        ]
    return found


@router.get(QUALITY_TAB.href)
def quality(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    return render(
        request,
        "quality.html",
        {"title": _("Quality"), "reference": reference, **figures(runtime, principal)},
        principal=principal,
    )
