"""Usage read from the request log: calls, errors, tokens, cost, energy and CO2 over a period,
in total and per day, for a user, a use case or everyone (the portal's "my usage" and the
use case's charts; the observatory's frames)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from gouvernail.gateway.models import RequestLog


@dataclass(frozen=True)
class Totals:
    calls: int = 0
    errors: int = 0
    refusals: int = 0
    tokens: int = 0
    cost_eur: Decimal = Decimal(0)
    energy_wh: float = 0.0
    gco2e: float = 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class Usage:
    since: datetime
    until: datetime
    total: Totals
    days: list[tuple[date, Totals]] = field(default_factory=list)


def _filtered(
    query: Select[Any],
    since: datetime,
    until: datetime,
    user_id: int | None,
    use_case_id: int | None,
) -> Select[Any]:
    query = query.where(RequestLog.at >= since, RequestLog.at < until)
    if user_id is not None:
        query = query.where(RequestLog.user_id == user_id)
    if use_case_id is not None:
        query = query.where(RequestLog.use_case_id == use_case_id)
    return query


def _aggregates() -> list[Any]:
    return [
        func.count(RequestLog.id),
        func.sum(case((RequestLog.status >= 500, 1), else_=0)),
        func.sum(case((RequestLog.decision == "block", 1), else_=0)),
        func.sum(RequestLog.prompt_tokens + RequestLog.completion_tokens),
        func.sum(RequestLog.cost_eur),
        func.sum(RequestLog.energy_wh),
        func.sum(RequestLog.gco2e),
    ]


def _totals(row: Sequence[Any]) -> Totals:
    calls, errors, refusals, tokens, cost, energy, co2 = row
    return Totals(
        calls=int(calls or 0),
        errors=int(errors or 0),
        refusals=int(refusals or 0),
        tokens=int(tokens or 0),
        cost_eur=Decimal(str(cost or 0)),
        energy_wh=float(energy or 0),
        gco2e=float(co2 or 0),
    )


def usage(
    session: Session,
    since: datetime,
    until: datetime | None = None,
    *,
    user_id: int | None = None,
    use_case_id: int | None = None,
) -> Usage:
    """Totals over [since, until) and one entry per day (days without calls included)."""
    until = until or datetime.now(UTC)
    total = session.execute(
        _filtered(select(*_aggregates()), since, until, user_id, use_case_id)
    ).one()
    day = func.date(RequestLog.at)
    rows = session.execute(
        _filtered(
            select(day, *_aggregates()).group_by(day),
            since,
            until,
            user_id,
            use_case_id,
        )
    ).all()
    by_day = {date.fromisoformat(str(row[0])[:10]): _totals(tuple(row[1:])) for row in rows}
    days = []
    current = since.date()
    while current <= (until - timedelta(microseconds=1)).date():
        days.append((current, by_day.get(current, Totals())))
        current += timedelta(days=1)
    return Usage(since=since, until=until, total=_totals(tuple(total)), days=days)
