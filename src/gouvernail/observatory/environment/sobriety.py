"""Sobriety hints: short calls sent to a model when a much smaller one would have done.

A call is short when its prompt and its answer are both at most the settings' token counts.
For the short answered calls of one use case to one model with one data class, an
*alternative* is an approved model (the inventory's routable models) that the gateway would
have let serve them: capable of their operations, allowed by the use case (its model list,
empty meaning every approved model) and whose data-class ceiling — the lowest of the charter's
class for its hosting, its own maximum and the use case's ceiling (``gateway.rules.ceiling_for``,
the gateway's own rule) — admits the calls' class. The alternative's energy, CO2e and cost for
the same calls come from the gateway's accounting (``Impacts.for_call`` with the same tokens and
latency, ``Prices.price_sheet``); it is suggested when that energy is at most
``max_energy_ratio`` of what the calls used, the smallest first. Calls without an energy figure
are left out: nothing can be said about them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.charter.rules import CharterRules
from gouvernail.gateway.accounting import Impacts, Prices, UnknownPrice
from gouvernail.gateway.models import RequestLog, UseCaseGateway
from gouvernail.gateway.rules import ceiling_for
from gouvernail.gateway.steps import NEEDS
from gouvernail.inventory.routing import RoutableModel
from gouvernail.observatory.environment.footprint import NO_USE_CASE, Scope
from gouvernail.observatory.environment.schemas import Hint, SobrietyReport, Thresholds
from gouvernail.registry.models import UseCase
from gouvernail.settings import SobrietySettings

ANSWERED = ("chat", "responses")
EXAMPLES = 3
METHOD = (
    "Short calls (prompt and answer both within the thresholds) that had an energy figure, "
    "grouped by use case, model and data class. For each approved model the gateway would "
    "have allowed for them (capability, the use case's model list, the data-class ceiling of "
    "the charter in force), the same calls are costed by the gateway's accounting: energy and "
    "CO2e from the model's inventory declaration or EcoLogits (same tokens and latency), cost "
    "from its price sheet. A model is suggested when it would have used at most the ratio of "
    "the energy; the smallest is shown."
)


@dataclass
class _Group:
    """The short calls of one (use case, model, data class)."""

    operations: set[str] = field(default_factory=set)
    buckets: list[tuple[int, int, float, int]] = field(default_factory=list)
    """(prompt tokens, answer tokens, mean upstream latency in s, calls)."""
    calls: int = 0
    tokens: int = 0
    energy_wh: float = 0.0
    gco2e: float = 0.0
    cost_eur: Decimal = Decimal(0)


@dataclass(frozen=True)
class _Estimate:
    model: RoutableModel
    energy_wh: float
    gco2e: float
    cost_eur: Decimal


def _short_calls(
    session: Session, scope: Scope, thresholds: SobrietySettings
) -> dict[tuple[int | None, str, str | None], _Group]:
    query = (
        select(
            RequestLog.use_case_id,
            RequestLog.model,
            RequestLog.data_class,
            RequestLog.operation,
            RequestLog.prompt_tokens,
            RequestLog.completion_tokens,
            func.count(RequestLog.id),
            func.sum(RequestLog.energy_wh),
            func.sum(RequestLog.gco2e),
            func.sum(RequestLog.cost_eur),
            func.avg(RequestLog.upstream_ms),
        )
        .where(
            RequestLog.at >= scope.since,
            RequestLog.at < scope.until,
            RequestLog.status == 200,
            RequestLog.operation.in_(ANSWERED),
            RequestLog.model.is_not(None),
            RequestLog.energy_wh.is_not(None),
            RequestLog.prompt_tokens <= thresholds.short_prompt_tokens,
            RequestLog.completion_tokens <= thresholds.short_answer_tokens,
        )
        .group_by(
            RequestLog.use_case_id,
            RequestLog.model,
            RequestLog.data_class,
            RequestLog.operation,
            RequestLog.prompt_tokens,
            RequestLog.completion_tokens,
        )
    )
    if scope.use_case_ids is not None:
        query = query.where(RequestLog.use_case_id.in_(scope.use_case_ids))
    groups: defaultdict[tuple[int | None, str, str | None], _Group] = defaultdict(_Group)
    for row in session.execute(query):
        use_case_id, model, data_class, operation, prompt, answer, calls = row[:7]
        energy, co2, cost, latency_ms = row[7:]
        group = groups[(use_case_id, str(model), data_class)]
        group.operations.add(operation)
        group.buckets.append((int(prompt), int(answer), float(latency_ms or 0) / 1000, int(calls)))
        group.calls += int(calls)
        group.tokens += (int(prompt) + int(answer)) * int(calls)
        group.energy_wh += float(energy or 0)
        group.gco2e += float(co2 or 0)
        group.cost_eur += Decimal(str(cost or 0))
    return dict(groups)


@dataclass(frozen=True)
class _UseCaseRules:
    allowed_models: tuple[str, ...]
    ceiling: str | None


NO_RULES = _UseCaseRules((), None)
"""A use case without gateway settings (or a call without a use case): every approved model,
no ceiling of its own."""


def _use_case_rules(
    session: Session, ids: set[int], charter: CharterRules
) -> dict[int, _UseCaseRules]:
    found = {
        use_case_id: _UseCaseRules(tuple(orjson.loads(allowed or "[]")), ceiling)
        for use_case_id, allowed, ceiling in session.execute(
            select(
                UseCaseGateway.use_case_id,
                UseCaseGateway.allowed_models,
                UseCaseGateway.data_class_ceiling,
            ).where(UseCaseGateway.use_case_id.in_(ids))
        )
    }
    for (use_case_id,) in session.execute(
        select(UseCase.id).where(UseCase.id.in_(ids), UseCase.sandbox_of.is_not(None))
    ):  # a sandbox sees the lowest data class, whatever its row says (as the gateway does)
        allowed = found.get(use_case_id, NO_RULES).allowed_models
        found[use_case_id] = _UseCaseRules(allowed, charter.class_names[0])
    return found


def _eligible(
    model: RoutableModel,
    operations: set[str],
    data_class: str | None,
    rules: _UseCaseRules,
    charter: CharterRules,
) -> bool:
    if any(NEEDS[operation] not in model.capabilities for operation in operations):
        return False
    if rules.allowed_models and model.name not in rules.allowed_models:
        return False
    if data_class is None:
        return True
    ceiling = ceiling_for(
        charter,
        hosting=model.hosting.value,
        model_max=model.max_data_class,
        use_case_max=rules.ceiling,
    ).data_class
    names = charter.class_names
    if ceiling not in names or data_class not in names:
        return False
    return charter.class_rank(data_class) <= charter.class_rank(ceiling)


def _estimate(
    model: RoutableModel, group: _Group, impacts: Impacts, prices: Prices
) -> _Estimate | None:
    """The group's calls on ``model`` (None when its energy or price is unknown)."""
    try:
        sheet = prices.price_sheet(model)
    except UnknownPrice:
        return None
    energy = co2 = 0.0
    cost = Decimal(0)
    for prompt, answer, latency_s, calls in group.buckets:
        impact = impacts.for_call(
            model, input_tokens=prompt, output_tokens=answer, latency_s=latency_s
        )
        if impact.energy_wh is None or impact.gco2e is None:
            return None
        energy += impact.energy_wh * calls
        co2 += impact.gco2e * calls
        cost += sheet.cost(prompt, answer) * calls
    return _Estimate(model, energy, co2, cost)


def _examples(
    session: Session, scope: Scope, key: tuple[int | None, str, str | None], t: SobrietySettings
) -> list[str]:
    use_case_id, model, data_class = key
    query = (
        select(RequestLog.request_id)
        .where(
            RequestLog.at >= scope.since,
            RequestLog.at < scope.until,
            RequestLog.status == 200,
            RequestLog.operation.in_(ANSWERED),
            RequestLog.model == model,
            RequestLog.energy_wh.is_not(None),
            RequestLog.prompt_tokens <= t.short_prompt_tokens,
            RequestLog.completion_tokens <= t.short_answer_tokens,
            RequestLog.use_case_id.is_(None)
            if use_case_id is None
            else RequestLog.use_case_id == use_case_id,
            RequestLog.data_class.is_(None)
            if data_class is None
            else RequestLog.data_class == data_class,
        )
        .order_by(RequestLog.at.desc())
        .limit(EXAMPLES)
    )
    return list(session.scalars(query))


def build_hints(
    session: Session,
    scope: Scope,
    settings: SobrietySettings,
    *,
    models: Sequence[RoutableModel],
    charter: CharterRules | None,
    impacts: Impacts,
    prices: Prices,
) -> SobrietyReport:
    hints: list[Hint] = []
    groups = _short_calls(session, scope, settings) if charter is not None else {}
    ids = {key[0] for key in groups if key[0] is not None}
    rules = _use_case_rules(session, ids, charter) if charter is not None else {}
    titles = dict(
        session.execute(select(UseCase.id, UseCase.title).where(UseCase.id.in_(ids))).all()
    )
    for key, group in sorted(groups.items(), key=lambda item: (-item[1].energy_wh, str(item[0]))):
        use_case_id, called, data_class = key
        if charter is None or group.energy_wh <= 0:
            continue
        own = rules.get(use_case_id, NO_RULES) if use_case_id is not None else NO_RULES
        candidates = [
            estimate
            for model in models
            if model.name != called
            and _eligible(model, group.operations, data_class, own, charter)
            and (estimate := _estimate(model, group, impacts, prices)) is not None
            and estimate.energy_wh <= settings.max_energy_ratio * group.energy_wh
        ]
        if not candidates:
            continue
        best = min(candidates, key=lambda e: (e.energy_wh, e.cost_eur, e.model.name))
        hints.append(_hint(session, scope, settings, key, group, best, titles))
    return SobrietyReport(
        since=scope.since,
        until=scope.until,
        department=scope.department,
        thresholds=Thresholds(
            short_prompt_tokens=settings.short_prompt_tokens,
            short_answer_tokens=settings.short_answer_tokens,
            max_energy_ratio=settings.max_energy_ratio,
        ),
        method=METHOD,
        hints=hints,
        energy_saved_kwh=sum(h.energy_saved_kwh for h in hints),
        co2e_saved_kg=sum(h.co2e_saved_kg for h in hints),
        cost_saved_eur=sum(h.cost_saved_eur for h in hints),
    )


def _hint(
    session: Session,
    scope: Scope,
    settings: SobrietySettings,
    key: tuple[int | None, str, str | None],
    group: _Group,
    best: _Estimate,
    titles: dict[Any, str],
) -> Hint:
    use_case_id, called, data_class = key
    share = best.energy_wh / group.energy_wh
    what = f"{data_class} data" if data_class else "data without a detected class"
    return Hint(
        use_case_id=use_case_id,
        use_case=titles.get(use_case_id, NO_USE_CASE) if use_case_id else NO_USE_CASE,
        model=called,
        data_class=data_class,
        alternative=best.model.name,
        calls=group.calls,
        tokens=group.tokens,
        energy_kwh=group.energy_wh / 1000,
        energy_kwh_if_switched=best.energy_wh / 1000,
        energy_saved_kwh=(group.energy_wh - best.energy_wh) / 1000,
        co2e_saved_kg=(group.gco2e - best.gco2e) / 1000,
        cost_eur=float(group.cost_eur),
        cost_eur_if_switched=float(best.cost_eur),
        cost_saved_eur=float(group.cost_eur - best.cost_eur),
        examples=_examples(session, scope, key, settings),
        reason=f"{group.calls} calls with prompts of at most {settings.short_prompt_tokens} "
        f"tokens and answers of at most {settings.short_answer_tokens} went to {called}; "
        f"{best.model.name} is approved for {what} and this use case and would have used "
        f"{share:.0%} of the energy",
    )
