"""The observatory: how AI is used through the gateway over the last 7, 30 or 90 days, for
everyone or one department (its sub-teams included). Calls, cost, energy, CO2 and error rate
in total and per day; by department, by use case and by model (next to the SLA the gateway
measured); the calls the enforcement rules blocked; licence utilisation as the gateway sees it
(keys issued against keys and people that made calls). Seat licences, shadow AI, quality,
value and environment have their own tabs (``licences.py``, ``shadow.py``, ``quality.py``,
``value.py``), shown to those who may read them (``navigation.OBSERVATORY_TABS``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from gouvernail.api.deps import Rt
from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.sla import ModelSla, report
from gouvernail.gateway.usage import (
    KeyActivity,
    Totals,
    by_department,
    grouped,
    key_activity,
    refusals_by_rule,
    usage,
)
from gouvernail.identity.directory import team_subtree
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import TeamView
from gouvernail.portal.guards import PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.pages.use_case_tabs import _series
from gouvernail.portal.templating import render
from gouvernail.registry.models import UseCase
from gouvernail.registry.views import reference
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("gateway", "read"))]

PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP_USE_CASES = 10


@dataclass(frozen=True)
class Period:
    """What the filter form asked for: the last ``days`` days (UTC, today included) and
    optionally one department."""

    days: int
    since: datetime
    until: datetime
    department: TeamView | None


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: what it is, its figures, and where to read more."""

    label: str
    totals: Totals
    href: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ModelRow:
    provider: str
    model: str
    totals: Totals
    sla: ModelSla | None


def period(params: QueryParams, teams: list[TeamView], now: datetime) -> Period:
    """The period and department chosen; unknown values fall back to the defaults."""
    raw = params.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_DAYS
    slug = params.get("department", "")
    department = next((team for team in teams if team.slug == slug), None)
    since = datetime.combine(now.date() - timedelta(days=days - 1), time(), UTC)
    return Period(days, since, now, department)


def _use_case_ids(session: Session, department: TeamView | None) -> list[int] | None:
    """The use cases of the department and its sub-teams (None: every call)."""
    if department is None:
        return None
    teams = team_subtree(session, department.id)
    return list(session.scalars(select(UseCase.id).where(UseCase.department_id.in_(teams))))


def _department_name(names: dict[int, str], team: int | None) -> str:
    return names.get(team, str(team)) if team is not None else _("No department")


def _departments(
    session: Session, chosen: Period, scope: Collection[int] | None, names: dict[int, str]
) -> list[Row]:
    found = by_department(session, chosen.since, chosen.until, use_case_ids=scope)
    rows = [Row(_department_name(names, team), totals) for team, totals in found.items()]
    return sorted(rows, key=lambda row: (-row.totals.calls, row.label))


def _use_cases(session: Session, chosen: Period, scope: Collection[int] | None) -> list[Row]:
    """The use cases with the most calls, most first."""
    found = grouped(session, chosen.since, chosen.until, RequestLog.use_case_id, use_case_ids=scope)
    top = sorted(
        ((key[0], totals) for key, totals in found.items() if key[0] is not None),
        key=lambda item: (-item[1].calls, item[0]),
    )[:TOP_USE_CASES]
    ids = [item[0] for item in top]
    titles = dict(
        session.execute(select(UseCase.id, UseCase.title).where(UseCase.id.in_(ids))).all()
    )
    return [
        Row(reference(uc), totals, f"/use-cases/{uc}", titles.get(uc, "")) for uc, totals in top
    ]


def _models(
    session: Session, chosen: Period, scope: Collection[int] | None, sla: dict[str, ModelSla]
) -> list[ModelRow]:
    found = grouped(
        session,
        chosen.since,
        chosen.until,
        RequestLog.provider,
        RequestLog.model,
        use_case_ids=scope,
    )
    rows = [
        ModelRow(provider or "—", model or "—", totals, sla.get(model) if model else None)
        for (provider, model), totals in found.items()
    ]
    return sorted(rows, key=lambda row: (-row.totals.calls, row.provider, row.model))


def _licences(
    session: Session, chosen: Period, scope: Collection[int] | None, names: dict[int, str]
) -> dict[str, Any]:
    found = key_activity(session, chosen.since, chosen.until, use_case_ids=scope)
    rows: list[tuple[str, KeyActivity]] = sorted(
        ((_department_name(names, team), activity) for team, activity in found.departments.items()),
        key=lambda row: (-row[1].keys_issued, row[0]),
    )
    return {"total": found.total, "departments": rows}


def _bars(rows: list[Row], pick: str) -> list[tuple[str, float]]:
    return [(row.label, float(getattr(row.totals, pick))) for row in rows if row.totals.calls]


def figures(runtime: Runtime, chosen: Period, names: dict[int, str]) -> dict[str, Any]:
    """Everything the page shows for the period chosen."""
    models = runtime.inventory.list_models()
    sla = {row.model: row for row in report(runtime.database, models, chosen.days).models}
    with runtime.database.read() as session:
        scope = _use_case_ids(session, chosen.department)
        measured = usage(session, chosen.since, chosen.until, use_case_ids=scope)
        departments = _departments(session, chosen, scope, names)
        use_cases = _use_cases(session, chosen, scope)
        return {
            "usage": measured,
            "series": _series(measured),
            "departments": departments,
            "use_cases": use_cases,
            "models": _models(session, chosen, scope, sla),
            "refusals": refusals_by_rule(session, chosen.since, chosen.until, use_case_ids=scope),
            "licences": _licences(session, chosen, scope, names),
            "bars": {
                "department_calls": _bars(departments, "calls"),
                "department_cost": _bars(departments, "cost_eur"),
                "use_cases": _bars(use_cases, "calls"),
            },
        }


@router.get("/observatory")
def observatory(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    teams = runtime.directory.list_teams()
    chosen = period(request.query_params, teams, datetime.now(UTC))
    names = {team.id: team.name for team in teams}
    return render(
        request,
        "observatory.html",
        {
            "title": _("Observatory"),
            "chosen": chosen,
            "periods": [(days, _("last %(days)s days", days=days)) for days in PERIODS],
            "team_options": [("", _("every department"))]
            + [(team.slug, team.name) for team in teams],
            **figures(runtime, chosen, names),
        },
        principal=principal,
    )
