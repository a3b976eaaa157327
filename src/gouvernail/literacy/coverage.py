"""AI-literacy coverage of active people, by team, role or hierarchy level, and per module.

Per person, over the trainings required of them: *compliant* when none is missing or expired
(people with no required training are compliant), *expiring* when compliant but one ends
within the window, *expired* when one has expired, *missing* when one was never completed (a
person can be both expired and missing).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.charter.acceptance import Timeline
from gouvernail.errors import GouvernailError
from gouvernail.identity.directory import find_team, team_subtree
from gouvernail.identity.models import Role, User
from gouvernail.literacy.eligibility import rules_of
from gouvernail.literacy.requirements import Catalogue, Person, Standing, held_by, standing

GROUPINGS = ("team", "role", "level")
NO_TEAM, NO_LEVEL = "(no team)", "(no level)"


class CoverageCounts(BaseModel):
    people: int = 0
    compliant: int = 0
    expiring: int = 0
    expired: int = 0
    missing: int = 0


class CoverageGroup(CoverageCounts):
    key: str


class ModuleCoverage(BaseModel):
    """Among the people the module is required of."""

    code: str
    title_en: str
    defined: bool
    required_of: int = 0
    valid: int = 0
    expiring: int = 0
    expired: int = 0
    missing: int = 0


class CoverageReport(BaseModel):
    by: str
    at: datetime
    within_days: int
    team: str | None
    charter_number: str | None
    total: CoverageCounts
    groups: list[CoverageGroup]
    modules: list[ModuleCoverage]


def _keys(person: Person, by: str) -> list[str]:
    if by == "team":
        return [person.team_slug or NO_TEAM]
    if by == "level":
        return [person.level or NO_LEVEL]
    roles = sorted(person.roles - {Role.EMPLOYEE.value})
    return roles or [Role.EMPLOYEE.value]


def _count(counts: CoverageCounts, states: list[Standing]) -> None:
    counts.people += 1
    missing = Standing.MISSING in states
    expired = Standing.EXPIRED in states
    counts.missing += missing
    counts.expired += expired
    if not missing and not expired:
        counts.compliant += 1
        counts.expiring += Standing.EXPIRING in states


def coverage_in(
    session: Session, *, by: str, at: datetime, team: str | None, within_days: int
) -> CoverageReport:
    if by not in GROUPINGS:
        raise GouvernailError(f"by must be one of {list(GROUPINGS)}", field="by")
    if not 0 <= within_days <= 365:
        raise GouvernailError("within_days must be 0-365", field="within_days")
    query = select(User).where(User.is_active.is_(True)).order_by(User.id)
    if team:
        query = query.where(User.team_id.in_(team_subtree(session, find_team(session, team).id)))
    people = [Person.of(u) for u in session.scalars(query).unique()]
    in_force = Timeline.load(session).in_force(at)
    catalogue = Catalogue.load(session, rules_of(session, in_force.id if in_force else None))
    held = held_by(session, at)
    total = CoverageCounts()
    groups: dict[str, CoverageGroup] = {}
    modules = {
        code: ModuleCoverage(code=code, title_en=m.title_en, defined=m.id is not None)
        for code, m in catalogue.modules.items()
    }
    for person in people:
        mine = held.get(person.id, {})
        states = []
        for module in catalogue.required_for(person):
            state = standing(mine.get(module.id) if module.id else None, at, within_days)
            states.append(state)
            row = modules[module.code]
            row.required_of += 1
            if state is Standing.VALID:
                row.valid += 1
            elif state is Standing.EXPIRING:
                row.valid += 1
                row.expiring += 1
            elif state is Standing.EXPIRED:
                row.expired += 1
            else:
                row.missing += 1
        _count(total, states)
        for key in _keys(person, by):
            _count(groups.setdefault(key, CoverageGroup(key=key)), states)
    return CoverageReport(
        by=by,
        at=at,
        within_days=within_days,
        team=team,
        charter_number=in_force.number if in_force else None,
        total=total,
        groups=[groups[k] for k in sorted(groups)],
        modules=list(modules.values()),
    )
