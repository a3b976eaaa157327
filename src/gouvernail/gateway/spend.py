"""Month-to-date spend per quota scope, from the request log: what a replica's quota store
starts from, so that monthly budgets survive a restart.

Every call's settled cost is in ``request_log``; it counts, as at call time, against its user,
key, use case and teams (the user's team and the use case's department, with their parents, as
the hierarchy stands at start-up).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.gateway.accounting import Scope
from gouvernail.gateway.accounting._quota import ScopeKind
from gouvernail.gateway.admission import team_chain
from gouvernail.gateway.models import RequestLog
from gouvernail.registry.models import UseCase


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_to_date(session: Session, now: datetime) -> dict[Scope, Decimal]:
    """The spend of the month containing ``now`` (UTC), per scope; scopes without spend are
    absent."""
    rows = session.execute(
        select(
            RequestLog.user_id,
            RequestLog.team_id,
            RequestLog.use_case_id,
            RequestLog.api_key_id,
            func.sum(RequestLog.cost_eur),
        )
        .where(RequestLog.at >= month_start(now), RequestLog.cost_eur > 0)
        .group_by(
            RequestLog.user_id, RequestLog.team_id, RequestLog.use_case_id, RequestLog.api_key_id
        )
    ).all()
    use_cases = {row[2] for row in rows if row[2] is not None}
    departments = dict(
        session.execute(
            select(UseCase.id, UseCase.department_id).where(UseCase.id.in_(use_cases))
        ).all()
    )
    totals: dict[Scope, Decimal] = defaultdict(Decimal)
    for user_id, team_id, use_case_id, key_id, cost in rows:
        owners: list[tuple[ScopeKind, int | None]] = [
            ("user", user_id),
            ("use_case", use_case_id),
            ("key", key_id),
        ]
        department = departments.get(use_case_id) if use_case_id is not None else None
        owners += [("team", team) for team in team_chain(session, team_id, department)]
        scopes = [Scope(kind, str(target)) for kind, target in owners if target is not None]
        for scope in scopes:
            totals[scope] += Decimal(cost)
    return dict(totals)
