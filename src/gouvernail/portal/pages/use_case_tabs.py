"""The tabs of a use case's page: which right each needs beyond ``use_cases, read`` and what
each reads from the services (the routes are in ``use_case.py``).

A tab with a right is open to the members of the use case when ``members`` says so (like the
API's "members edit their own, others need the *_any right"); otherwise the policy decides,
and a refusal is audited by ``enforce``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gouvernail.api.deps import enforce
from gouvernail.errors import NotFoundError
from gouvernail.gateway.admission import team_chain
from gouvernail.gateway.models import RequestLog, SwitchScope
from gouvernail.gateway.spend import month_start
from gouvernail.gateway.usage import Usage, usage
from gouvernail.identity.principal import Principal
from gouvernail.inventory.values import ModelStatus
from gouvernail.portal.charts import Series
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import LABELS
from gouvernail.portal.navigation import N_
from gouvernail.registry import history
from gouvernail.registry.models import UseCase
from gouvernail.registry.qualification import questions
from gouvernail.registry.schemas import UseCaseView
from gouvernail.risk.schemas import Grid, HeatMap
from gouvernail.runtime import Runtime

USAGE_DAYS = 30
INCIDENT_LIMIT = 50

Loader = Callable[[Runtime, UseCaseView], dict[str, Any]]


@dataclass(frozen=True)
class Tab:
    key: str
    label: str  # marked with N_, translated where it is shown
    load: Loader
    right: tuple[str, str] | None = None  # (resource, action) beyond use_cases:read
    members: bool = False  # members of the use case may open it without ``right``

    @property
    def template(self) -> str:
        return f"use_case/{self.key.replace('-', '_')}.html"

    def open_to(self, runtime: Runtime, principal: Principal, member: bool) -> bool:
        """May ``principal`` open this tab (for showing its link)?"""
        if self.right is None or (self.members and member):
            return True
        return runtime.policy.decide(principal.roles, *self.right).allowed

    def guard(self, runtime: Runtime, request: Request, principal: Principal, member: bool) -> None:
        """403 (audited and reported) unless ``principal`` may open this tab."""
        if self.right is not None and not (self.members and member):
            enforce(runtime, request, principal, *self.right)


# --- summary, qualification, classification ----------------------------------------------------


def _nothing(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    return {}


def _qualification(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    return {"questions": questions()}


def _classification(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    record = use_case.classification or {}
    return {"classification": record.get("result"), "answers": record.get("answers") or {}}


# --- risks ---------------------------------------------------------------------------------------


def heat_cells(
    grid: Grid, levels: list[list[str]]
) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], str]]:
    """A heat map's grid (``cells[severity - 1][likelihood - 1]``) as the chart wants it:
    counts and levels keyed by (likelihood, severity)."""
    counts: dict[tuple[int, int], int] = {}
    named: dict[tuple[int, int], str] = {}
    for severity, row in enumerate(grid.cells, start=1):
        for likelihood, count in enumerate(row, start=1):
            counts[(likelihood, severity)] = count
            named[(likelihood, severity)] = levels[severity - 1][likelihood - 1]
    return counts, named


def _risks(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    heat: HeatMap = runtime.risks.heatmap(use_case.id)
    return {
        "risks": runtime.risks.list_risks(use_case.id),
        "heat": heat,
        "inherent": heat_cells(heat.inherent, heat.levels),
        "residual": heat_cells(heat.residual, heat.levels),
    }


# --- approvals -----------------------------------------------------------------------------------


def _approvals(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    view = runtime.approvals.view(use_case.id)
    signatures = runtime.signatures.list_for("use_case", str(use_case.id))
    next_stage = next((s for s in view.stages if s.id == view.next_stage), None)
    return {
        "approvals": view,
        "signatures": {s.id: s for s in signatures},
        "stage_labels": {s.id: s.label for s in view.stages},
        "role_names": LABELS["role"],
        "next_stage": next_stage,
        "signable": use_case.status == "assessed" and next_stage is not None,
        "workers": {m.id for m in use_case.members} | {use_case.requester.id},
        "data_owners": {s.owner.id for s in use_case.data_sources if s.owner is not None},
    }


# --- models, budget and consumption ------------------------------------------------------------


def _budget(session: Session, runtime: Runtime, use_case_id: int) -> dict[str, Any]:
    limit = next(
        (
            row
            for row in runtime.governance.limits(session)
            if row.scope == "use_case" and row.target_id == use_case_id
        ),
        None,
    )
    sandbox = session.scalar(select(UseCase.sandbox_of).where(UseCase.id == use_case_id))
    budget = limit.monthly_budget_eur if limit else None
    cap = runtime.settings.gateway.sandbox_monthly_budget_eur if sandbox is not None else None
    if cap is not None:
        budget = min(cap, budget) if budget is not None else cap
    now = datetime.now(UTC)
    spent = usage(session, month_start(now), now, use_case_id=use_case_id).total.cost_eur
    share = float(spent / budget * 100) if budget else None
    return {
        "limit": limit,
        "budget": budget,
        "sandbox": sandbox is not None,
        "spent": spent,
        "share": share,
    }


def _gateway(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    with runtime.database.read() as session:
        served = runtime.governance.use_case_gateway(session, use_case.id)
        budget = _budget(session, runtime, use_case.id)
    approved = [
        m.name for m in runtime.inventory.list_models() if m.status == ModelStatus.APPROVED.value
    ]
    return {"served": served, "approved_models": approved, **budget}


# --- usage charts --------------------------------------------------------------------------------


def _series(measured: Usage) -> dict[str, list[Series]]:
    """The per-day figures as chart series (x labels ``MM-DD``)."""

    def per_day(name: str, pick: Callable[[Any], float]) -> Series:
        return Series(name, [(day.isoformat()[5:], pick(t)) for day, t in measured.days])

    return {
        "calls": [
            per_day(_("calls"), lambda t: t.calls),
            per_day(_("refused"), lambda t: t.refusals),
            per_day(_("errors"), lambda t: t.errors),
        ],
        "cost": [per_day(_("cost"), lambda t: float(t.cost_eur))],
        "co2": [per_day(_("CO2 equivalent"), lambda t: t.gco2e)],
        "error_rate": [per_day(_("error rate"), lambda t: t.error_rate * 100)],
    }


def _usage(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=USAGE_DAYS - 1), time(), UTC)
    with runtime.database.read() as session:
        measured = usage(session, since, use_case_id=use_case.id)
    return {"usage": measured, "series": _series(measured), "days": USAGE_DAYS}


# --- incidents: the gateway's refusals and errors ------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    at: datetime
    operation: str
    model: str
    decision: str
    status: int
    error_code: str | None
    reasons: list[str]


def refusals(session: Session, use_case_id: int, since: datetime) -> list[Refusal]:
    """The latest calls of the use case that the gateway refused or that failed."""
    rows = session.scalars(
        select(RequestLog)
        .where(
            RequestLog.use_case_id == use_case_id,
            RequestLog.at >= since,
            or_(RequestLog.decision == "block", RequestLog.status >= 400),
        )
        .order_by(RequestLog.at.desc())
        .limit(INCIDENT_LIMIT)
    )
    return [
        Refusal(
            at=row.at,
            operation=row.operation,
            model=row.model or row.model_requested,
            decision=row.decision,
            status=row.status,
            error_code=row.error_code,
            reasons=[str(reason) for reason in orjson.loads(row.reasons or "[]")],
        )
        for row in rows
    ]


def _incidents(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    since = datetime.now(UTC) - timedelta(days=USAGE_DAYS)
    with runtime.database.read() as session:
        found = refusals(session, use_case.id, since)
    return {"refusals": found, "days": USAGE_DAYS, "limit": INCIDENT_LIMIT}


# --- audit history and kill switch ----------------------------------------------------------------


def _history(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    return {"entries": history.of(runtime.database, "use_case", use_case.id)}


def switch_target(use_case_id: int) -> str:
    return f"{SwitchScope.USE_CASE.value}:{use_case_id}"


def _kill_switch(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    with runtime.database.read() as session:
        department = session.scalar(select(UseCase.department_id).where(UseCase.id == use_case.id))
        teams = set(team_chain(session, department))
        switches = runtime.governance.switches(session)
    own = next(
        (s for s in switches if s.scope is SwitchScope.USE_CASE and s.target_id == use_case.id),
        None,
    )
    above = [
        s
        for s in switches
        if s.engaged
        and (
            s.scope is SwitchScope.GLOBAL or (s.scope is SwitchScope.TEAM and s.target_id in teams)
        )
    ]
    return {
        "switch": own,
        "engaged": bool(own and own.engaged),
        "above": above,
        "switch_history": history.of(runtime.database, "kill_switch", switch_target(use_case.id)),
    }


def _prompts(runtime: Runtime, use_case: UseCaseView) -> dict[str, Any]:
    return {"prompts": runtime.prompts.versions(use_case.id)}


TABS = (
    Tab("summary", N_("Summary"), _nothing),
    Tab("qualification", N_("Qualification"), _qualification),
    Tab("classification", N_("AI Act"), _classification),
    Tab("risks", N_("Risks"), _risks, ("risks", "read")),
    Tab("approvals", N_("Approvals"), _approvals),
    Tab("prompts", N_("Prompts"), _prompts),
    Tab("gateway", N_("Models and budget"), _gateway),
    Tab("usage", N_("Usage"), _usage),
    Tab("incidents", N_("Incidents"), _incidents, ("gateway", "read"), members=True),
    Tab("history", N_("History"), _history),
    Tab("kill-switch", N_("Kill switch"), _kill_switch, ("kill_switches", "read"), members=True),
)
BY_KEY = {tab.key: tab for tab in TABS}


def tab_named(key: str) -> Tab:
    tab = BY_KEY.get(key)
    if tab is None:
        raise NotFoundError(_("This use case has no tab %(name)s.", name=repr(key[:40])))
    return tab
