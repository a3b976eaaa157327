"""Where the figures of the rules come from: the services that already compute them (the
feedback's error rates, the gateway's limits and month-to-date spend, the provider SLA report,
the canaries' drifts, the shadow-AI report). Alerts read them; they never recompute them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.db.engine import Database
from gouvernail.gateway.accounting import Scope
from gouvernail.gateway.governance import LimitView
from gouvernail.gateway.sla import SlaReport, report
from gouvernail.gateway.spend import month_to_date
from gouvernail.identity.models import ApiKey, Team, User
from gouvernail.observatory.canaries.models import DriftStatus
from gouvernail.observatory.canaries.schemas import DriftView
from gouvernail.observatory.feedback.schemas import ErrorRates, Grouping
from gouvernail.observatory.shadow.schemas import Report
from gouvernail.registry.models import UseCase

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime


@dataclass(frozen=True, slots=True)
class BudgetUse:
    """A scope with a monthly budget, and what it spent this month (UTC)."""

    scope: str
    """``use_case``, ``team``, ``user`` or ``key``."""
    target_id: int
    name: str
    budget_eur: Decimal
    spent_eur: Decimal
    month: str

    @property
    def percent(self) -> float:
        return float(self.spent_eur / self.budget_eur * 100) if self.budget_eur > 0 else 0.0


@dataclass(frozen=True)
class Sources:
    error_rates: Callable[[Grouping, datetime], ErrorRates]
    budgets: Callable[[datetime], list[BudgetUse]]
    sla: Callable[[int, datetime], SlaReport]
    drifts: Callable[[datetime], list[DriftView]]
    shadow: Callable[[date, date], Report]


def budget_uses(
    database: Database, limits: Callable[[Session], list[LimitView]], now: datetime
) -> list[BudgetUse]:
    """Every limit with a monthly budget (``Governance.limits``) against the month-to-date
    spend the gateway's quota store starts from (``gateway.spend.month_to_date``)."""
    with database.read() as session:
        budgeted = [v for v in limits(session) if v.monthly_budget_eur is not None]
        if not budgeted:
            return []
        spent = month_to_date(session, now)
        names = _names(session, budgeted)
    month = f"{now:%Y-%m}"
    return [
        BudgetUse(
            scope=v.scope,
            target_id=v.target_id,
            name=names.get((v.scope, v.target_id), f"{v.scope} {v.target_id}"),
            budget_eur=Decimal(v.monthly_budget_eur or 0),
            spent_eur=spent.get(Scope(v.scope, str(v.target_id)), Decimal(0)),
            month=month,
        )
        for v in budgeted
    ]


def _names(session: Session, views: list[LimitView]) -> dict[tuple[str, int], str]:
    columns = {
        "use_case": (UseCase.id, UseCase.title),
        "team": (Team.id, Team.name),
        "user": (User.id, User.display_name),
        "key": (ApiKey.id, ApiKey.name),
    }
    names: dict[tuple[str, int], str] = {}
    for scope, (id_column, name_column) in columns.items():
        ids = [v.target_id for v in views if v.scope == scope]
        if ids:
            for target_id, name in session.execute(
                select(id_column, name_column).where(id_column.in_(ids))
            ):
                names[(scope, target_id)] = name
    return names


def runtime_sources(rt: Runtime) -> Sources:
    """The figures as the runtime's services give them."""
    return Sources(
        error_rates=lambda by, now: rt.feedback.rates(by, now),
        budgets=lambda now: budget_uses(rt.database, rt.governance.limits, now),
        sla=lambda days, now: report(rt.database, rt.inventory.list_models(), days, now=now),
        drifts=lambda since: rt.canaries.drifts(since, status=DriftStatus.OPEN),
        shadow=rt.shadow.report,
    )
