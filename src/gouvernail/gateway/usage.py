"""Usage read from the request log: calls, errors, tokens, cost, energy and CO2 over a period,
in total and per day, for a user, a use case or everyone (the portal's "my usage" and the
use case's charts; the observatory's frames).

The observatory also groups the figures: by any request-log columns (use case, provider and
model), by department, blocked calls by enforcement rule, and API keys issued against the keys
and people that made calls. A call's department is its use case's: the nearest team of kind
``department`` at or above the use case's department (the team itself when none is above)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gouvernail.gateway.models import RequestLog
from gouvernail.identity.models import ApiKey, Team, TeamKind
from gouvernail.registry.models import UseCase

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


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

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            calls=self.calls + other.calls,
            errors=self.errors + other.errors,
            refusals=self.refusals + other.refusals,
            tokens=self.tokens + other.tokens,
            cost_eur=self.cost_eur + other.cost_eur,
            energy_wh=self.energy_wh + other.energy_wh,
            gco2e=self.gco2e + other.gco2e,
        )


@dataclass(frozen=True)
class Usage:
    since: datetime
    until: datetime
    total: Totals
    days: list[tuple[date, Totals]] = field(default_factory=list)


def _filtered(
    query: Query,
    since: datetime,
    until: datetime,
    user_id: int | None,
    use_case_id: int | None,
    use_case_ids: Collection[int] | None = None,
) -> Query:
    query = query.where(RequestLog.at >= since, RequestLog.at < until)
    if user_id is not None:
        query = query.where(RequestLog.user_id == user_id)
    if use_case_id is not None:
        query = query.where(RequestLog.use_case_id == use_case_id)
    if use_case_ids is not None:
        query = query.where(RequestLog.use_case_id.in_(use_case_ids))
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
    use_case_ids: Collection[int] | None = None,
) -> Usage:
    """Totals over [since, until) and one entry per day (days without calls included);
    ``use_case_ids``: only the calls of these use cases."""
    until = until or datetime.now(UTC)
    total = session.execute(
        _filtered(select(*_aggregates()), since, until, user_id, use_case_id, use_case_ids)
    ).one()
    day = func.date(RequestLog.at)
    rows = session.execute(
        _filtered(
            select(day, *_aggregates()).group_by(day),
            since,
            until,
            user_id,
            use_case_id,
            use_case_ids,
        )
    ).all()
    by_day = {date.fromisoformat(str(row[0])[:10]): _totals(tuple(row[1:])) for row in rows}
    days = []
    current = since.date()
    while current <= (until - timedelta(microseconds=1)).date():
        days.append((current, by_day.get(current, Totals())))
        current += timedelta(days=1)
    return Usage(since=since, until=until, total=_totals(tuple(total)), days=days)


# --- grouped figures (the observatory) ------------------------------------------------------------


def grouped(
    session: Session,
    since: datetime,
    until: datetime,
    *columns: InstrumentedAttribute[Any],
    use_case_ids: Collection[int] | None = None,
) -> dict[tuple[Any, ...], Totals]:
    """Totals over [since, until) per distinct value of the request-log ``columns``."""
    query = select(*columns, *_aggregates()).group_by(*columns)
    rows = session.execute(_filtered(query, since, until, None, None, use_case_ids)).all()
    width = len(columns)
    return {tuple(row[:width]): _totals(tuple(row[width:])) for row in rows}


def department_of(teams: Mapping[int, tuple[str, int | None]], team_id: int | None) -> int | None:
    """The nearest department at or above ``team_id`` (``teams``: id -> (kind, parent id));
    the team itself when no department is above it."""
    current, seen = team_id, set()
    while current is not None and current in teams and current not in seen:
        kind, parent = teams[current]
        if kind == TeamKind.DEPARTMENT:
            return current
        seen.add(current)
        current = parent
    return team_id


def use_case_departments(session: Session) -> dict[int, int | None]:
    """Every use case's department (see ``department_of``)."""
    teams = {
        team_id: (kind, parent)
        for team_id, kind, parent in session.execute(select(Team.id, Team.kind, Team.parent_id))
    }
    return {
        use_case_id: department_of(teams, team_id)
        for use_case_id, team_id in session.execute(select(UseCase.id, UseCase.department_id))
    }


def _department(departments: Mapping[int, int | None], use_case_id: int | None) -> int | None:
    return departments.get(use_case_id) if use_case_id is not None else None


def by_department(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    use_case_ids: Collection[int] | None = None,
) -> dict[int | None, Totals]:
    """Totals per department of the calls' use cases (None: calls without a use case or of a
    use case without a department)."""
    departments = use_case_departments(session)
    found: defaultdict[int | None, Totals] = defaultdict(Totals)
    per_use_case = grouped(session, since, until, RequestLog.use_case_id, use_case_ids=use_case_ids)
    for (use_case_id,), totals in per_use_case.items():
        department = _department(departments, use_case_id)
        found[department] = found[department] + totals
    return dict(found)


def refusals_by_rule(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    use_case_ids: Collection[int] | None = None,
) -> list[tuple[str, int]]:
    """Calls blocked by the enforcement rules, per rule id, most frequent first (a call that
    several rules blocked counts for each; "" when the log names no rule)."""
    query = (
        select(RequestLog.rule_ids, func.count(RequestLog.id))
        .where(RequestLog.decision == "block")
        .group_by(RequestLog.rule_ids)
    )
    counts: Counter[str] = Counter()
    for rule_ids, calls in session.execute(
        _filtered(query, since, until, None, None, use_case_ids)
    ):
        for rule in orjson.loads(rule_ids or "[]") or [""]:
            counts[str(rule)] += int(calls)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class KeyActivity:
    """API keys valid at some time in the period, and the keys and people that made calls."""

    keys_issued: int = 0
    keys_used: int = 0
    holders: int = 0
    """People holding at least one of the keys issued."""
    callers: int = 0
    """People who made at least one call (with a key or from the portal)."""

    @property
    def utilisation(self) -> float:
        return self.keys_used / self.keys_issued if self.keys_issued else 0.0


@dataclass
class _Seen:
    keys: set[int] = field(default_factory=set)
    used: set[int] = field(default_factory=set)
    holders: set[int] = field(default_factory=set)
    callers: set[int] = field(default_factory=set)

    def activity(self) -> KeyActivity:
        return KeyActivity(len(self.keys), len(self.used), len(self.holders), len(self.callers))


@dataclass(frozen=True)
class Licences:
    total: KeyActivity
    departments: dict[int | None, KeyActivity]


def _issued_keys(
    since: datetime, until: datetime, use_case_ids: Collection[int] | None
) -> Select[int, int, int | None]:
    """Keys valid at some time in [since, until): (key id, holder, use case)."""
    keys = select(ApiKey.id, ApiKey.user_id, ApiKey.use_case_id).where(
        ApiKey.created_at < until,
        ApiKey.expires_at >= since,
        or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at >= since),
    )
    return keys if use_case_ids is None else keys.where(ApiKey.use_case_id.in_(use_case_ids))


def key_activity(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    use_case_ids: Collection[int] | None = None,
) -> Licences:
    """The gateway's view of licence utilisation over [since, until), in total and per
    department of the keys' and calls' use cases."""
    departments = use_case_departments(session)
    total, seen = _Seen(), defaultdict[int | None, _Seen](_Seen)

    def tallies(use_case_id: int | None) -> tuple[_Seen, _Seen]:
        return total, seen[_department(departments, use_case_id)]

    for key, holder, use_case_id in session.execute(_issued_keys(since, until, use_case_ids)):
        for tally in tallies(use_case_id):
            tally.keys.add(key)
            tally.holders.add(holder)
    calls = select(RequestLog.use_case_id, RequestLog.api_key_id, RequestLog.user_id).distinct()
    for use_case_id, used, caller in session.execute(
        _filtered(calls, since, until, None, None, use_case_ids)
    ):
        for tally in tallies(use_case_id):
            if used is not None and used in total.keys:
                tally.used.add(used)
            if caller is not None:
                tally.callers.add(caller)
    return Licences(
        total=total.activity(),
        departments={name: tally.activity() for name, tally in seen.items()},
    )
