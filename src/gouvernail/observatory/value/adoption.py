"""Adoption of a use case from the request log: the people who had at least one answered call
in a window, by department and by hierarchy level.

A person's department is the nearest team of kind ``department`` at or above their team
(``gateway.usage.department_of``, the rule the observatory uses for calls); their hierarchy
level is the ``level`` attribute of their account (executive, manager, staff), the one AI
literacy coverage reports by. People without either are counted under "(no department)" or
"(no level)"."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.usage import department_of
from gouvernail.identity.models import Team, User
from gouvernail.observatory.value.schemas import Adoption, Count

NO_DEPARTMENT, NO_LEVEL = "(no department)", "(no level)"
ANSWERED = ("chat", "responses")
"""Operations whose calls are someone using the use case (embeddings are plumbing)."""


def active_users(
    session: Session, use_case_id: int, since: datetime, until: datetime
) -> tuple[int, ...]:
    """Ids of the people with at least one answered call of the use case in [since, until)."""
    rows = session.scalars(
        select(RequestLog.user_id)
        .where(
            RequestLog.use_case_id == use_case_id,
            RequestLog.at >= since,
            RequestLog.at < until,
            RequestLog.status == 200,
            RequestLog.operation.in_(ANSWERED),
            RequestLog.user_id.is_not(None),
        )
        .distinct()
    )
    return tuple(sorted(user for user in rows if user is not None))


def _counts(counter: Counter[str]) -> list[Count]:
    return [
        Count(name=name, active_users=n)
        for name, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    ]


def adoption(
    session: Session,
    use_case_id: int,
    since: datetime,
    until: datetime,
    days: int,
    target_users: int | None,
) -> Adoption:
    people = active_users(session, use_case_id, since, until)
    teams = {
        team_id: (kind, parent, name)
        for team_id, kind, parent, name in session.execute(
            select(Team.id, Team.kind, Team.parent_id, Team.name)
        )
    }
    tree = {team_id: (kind, parent) for team_id, (kind, parent, _) in teams.items()}
    departments: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    for team_id, level in session.execute(
        select(User.team_id, User.level).where(User.id.in_(people))
    ):
        department = department_of(tree, team_id)
        known = department is not None and department in teams
        departments[teams[department][2] if known and department else NO_DEPARTMENT] += 1
        levels[level or NO_LEVEL] += 1
    return Adoption(
        days=days,
        active_users=len(people),
        target_users=target_users,
        rate=len(people) / target_users if target_users else None,
        by_department=_counts(departments),
        by_level=_counts(levels),
    )
