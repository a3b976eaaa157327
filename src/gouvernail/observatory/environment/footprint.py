"""Energy and CO2e of the gateway's calls over a period, per use case, department and model.

The figures are the request log's: the gateway's accounting (``gateway/accounting/_impacts.py``)
computed each call's energy and CO2e when it was made, from the inventory's declaration of the
model (energy per 1,000 tokens and the grid factor of its region) or else EcoLogits' estimate
(model, output tokens, latency, the electricity mix of the model's zone). Sums come from
``gateway.usage`` (the observatory page's computations); this module adds how many calls had a
figure, the method per model, and the names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.gateway.accounting._zones import zone_of
from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.usage import Totals, by_department, grouped, usage, use_case_departments
from gouvernail.identity.models import Team
from gouvernail.inventory.views import ModelView
from gouvernail.observatory.environment.schemas import (
    DepartmentFootprint,
    EnvironmentReport,
    Factors,
    Footprint,
    ModelFootprint,
    UseCaseFootprint,
)
from gouvernail.registry.models import UseCase

METHOD = (
    "Each call's energy and CO2e were computed by the gateway when it was made (request log): "
    "from the model's inventory declaration (Wh per 1,000 tokens x tokens; CO2e = energy x the "
    "grid factor declared for its region), else EcoLogits' estimate (model, output tokens, "
    "latency, electricity mix of the model's zone), else no estimate (not counted as zero: "
    "totals are a lower bound when calls_estimated < calls)."
)
NO_USE_CASE, NO_DEPARTMENT = "(no use case)", "(no department)"


@dataclass(frozen=True)
class Scope:
    since: datetime
    until: datetime
    use_case_ids: Collection[int] | None
    """None: every call; else the calls of these use cases (a department's)."""
    department: str | None


def footprint(totals: Totals, estimated: int) -> Footprint:
    return Footprint(
        calls=totals.calls,
        calls_estimated=estimated,
        tokens=totals.tokens,
        energy_kwh=totals.energy_wh / 1000,
        co2e_kg=totals.gco2e / 1000,
    )


def _estimated(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    """(use case, model, impact source, calls, calls with energy) over the scope."""
    query = (
        select(
            RequestLog.use_case_id,
            RequestLog.model,
            RequestLog.impact_source,
            func.count(RequestLog.id),
            func.count(RequestLog.energy_wh),
        )
        .where(RequestLog.at >= scope.since, RequestLog.at < scope.until)
        .group_by(RequestLog.use_case_id, RequestLog.model, RequestLog.impact_source)
    )
    if scope.use_case_ids is not None:
        query = query.where(RequestLog.use_case_id.in_(scope.use_case_ids))
    return [tuple(row) for row in session.execute(query)]


def _factors(models: Sequence[ModelView], rows: list[tuple[Any, ...]]) -> tuple[list[Factors], str]:
    by_source: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, model, source, calls, _ in rows:
        if model is not None:
            by_source[model][source or "none"] += int(calls)
    known = {m.name: m for m in models}
    found = []
    for name in sorted(by_source):
        model = known.get(name)
        sources = dict(sorted(by_source[name].items()))
        if model is not None and model.energy is not None:
            found.append(
                Factors(
                    model=name,
                    method="inventory",
                    wh_per_1k_tokens=model.energy.wh_per_1k_tokens,
                    grid_gco2e_per_kwh=model.energy.grid_gco2e_per_kwh,
                    source=model.energy.source,
                    calls_by_source=sources,
                )
            )
        else:
            found.append(
                Factors(
                    model=name,
                    method="ecologits" if model is not None else "no estimate",
                    zone=zone_of(model.region) if model is not None else None,
                    calls_by_source=sources,
                )
            )
    return found, METHOD


def build_report(session: Session, scope: Scope, models: Sequence[ModelView]) -> EnvironmentReport:
    rows = _estimated(session, scope)
    per_use_case: defaultdict[int | None, int] = defaultdict(int)
    per_model: defaultdict[str | None, int] = defaultdict(int)
    departments = use_case_departments(session)
    per_department: defaultdict[int | None, int] = defaultdict(int)
    for use_case_id, model, _, _, estimated in rows:
        per_use_case[use_case_id] += int(estimated)
        per_model[model] += int(estimated)
        department = departments.get(use_case_id) if use_case_id is not None else None
        per_department[department] += int(estimated)

    ids = scope.use_case_ids
    total = usage(session, scope.since, scope.until, use_case_ids=ids).total
    titles = dict(session.execute(select(UseCase.id, UseCase.title)).all())
    names = dict(session.execute(select(Team.id, Team.name)).all())
    use_cases = grouped(session, scope.since, scope.until, RequestLog.use_case_id, use_case_ids=ids)
    model_rows = grouped(
        session, scope.since, scope.until, RequestLog.provider, RequestLog.model, use_case_ids=ids
    )
    teams = by_department(session, scope.since, scope.until, use_case_ids=ids)
    factors, method = _factors(models, rows)

    def heaviest(item: tuple[Any, Totals]) -> tuple[float, int, str]:
        return (-item[1].energy_wh, -item[1].calls, str(item[0]))

    return EnvironmentReport(
        since=scope.since,
        until=scope.until,
        department=scope.department,
        method=method,
        factors=factors,
        total=footprint(total, sum(per_use_case.values())),
        by_use_case=[
            UseCaseFootprint(
                use_case_id=key[0],
                use_case=titles.get(key[0], NO_USE_CASE) if key[0] is not None else NO_USE_CASE,
                footprint=footprint(totals, per_use_case[key[0]]),
            )
            for key, totals in sorted(use_cases.items(), key=heaviest)
        ],
        by_department=[
            DepartmentFootprint(
                department_id=team,
                department=names.get(team, NO_DEPARTMENT) if team is not None else NO_DEPARTMENT,
                footprint=footprint(totals, per_department[team]),
            )
            for team, totals in sorted(teams.items(), key=heaviest)
        ],
        by_model=[
            ModelFootprint(
                provider=key[0], model=key[1], footprint=footprint(totals, per_model[key[1]])
            )
            for key, totals in sorted(model_rows.items(), key=heaviest)
        ],
    )
