"""Who must hold which training, and where each person stands, at a given time.

A module is *required* for a person when the person is in its audience and either the module
is flagged ``required`` or the charter in force names it in ``required_trainings`` (a code the
charter names but no module defines yet is required of everyone and cannot be held). A
person's standing on a module comes from their latest completion at or before the time asked:
``valid``, ``expiring`` (valid, but ending within the warning window), ``expired`` or
``missing``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.charter.rules import CharterRules
from gouvernail.identity.models import Role, Team, User
from gouvernail.literacy.models import TrainingCompletion, TrainingModule


class Standing(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    team_id: int | None
    team_slug: str | None
    roles: frozenset[str]
    level: str | None

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(
            id=user.id,
            username=user.username,
            team_id=user.team_id,
            team_slug=user.team.slug if user.team else None,
            roles=frozenset({Role.EMPLOYEE.value, *user.roles}),
            level=user.level,
        )


@dataclass(frozen=True)
class Audience:
    """Empty dimensions match everyone; listed ones must all match."""

    roles: frozenset[str] = frozenset()
    teams: frozenset[int] = frozenset()
    levels: frozenset[str] = frozenset()

    def includes(self, person: Person) -> bool:
        return (
            (not self.roles or bool(self.roles & person.roles))
            and (not self.teams or person.team_id in self.teams)
            and (not self.levels or person.level in self.levels)
        )


@dataclass(frozen=True)
class Module:
    id: int | None  # None: named by the charter but not defined
    code: str
    title_en: str
    title_fr: str
    required: bool
    validity_days: int | None
    audience: Audience


@dataclass(frozen=True)
class Held:
    """A person's latest completion of a module."""

    completion_id: int
    completed_at: datetime
    expires_at: datetime | None
    score: float | None
    source: str


def _subtrees(session: Session) -> dict[int, set[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for team_id, parent_id in session.execute(select(Team.id, Team.parent_id)):
        children[parent_id].append(team_id)

    def below(team_id: int) -> set[int]:
        found, frontier = {team_id}, [team_id]
        while frontier:
            frontier = [c for t in frontier for c in children.get(t, []) if c not in found]
            found.update(frontier)
        return found

    return {team_id: below(team_id) for ids in list(children.values()) for team_id in ids}


class Catalogue:
    """The modules and the charter's required codes, ready to answer per person."""

    def __init__(self, modules: Iterable[Module], charter_codes: Iterable[str]) -> None:
        self.modules = {m.code: m for m in modules}
        self.charter_codes = tuple(charter_codes)
        for code in self.charter_codes:
            if code not in self.modules:
                self.modules[code] = Module(None, code, code, code, True, None, Audience())

    @classmethod
    def load(cls, session: Session, rules: CharterRules | None) -> Catalogue:
        subtrees = _subtrees(session)
        modules = []
        for row in session.scalars(select(TrainingModule).order_by(TrainingModule.code)):
            teams: set[int] = set()
            for team_id in orjson.loads(row.audience_teams):
                teams |= subtrees.get(team_id, {team_id})
            modules.append(
                Module(
                    id=row.id,
                    code=row.code,
                    title_en=row.title_en,
                    title_fr=row.title_fr,
                    required=row.required,
                    validity_days=row.validity_days,
                    audience=Audience(
                        roles=frozenset(orjson.loads(row.audience_roles)),
                        teams=frozenset(teams),
                        levels=frozenset(orjson.loads(row.audience_levels)),
                    ),
                )
            )
        return cls(modules, rules.required_trainings if rules else ())

    def applicable(self, person: Person) -> list[Module]:
        return [m for m in self.modules.values() if m.audience.includes(person)]

    def required_for(self, person: Person) -> list[Module]:
        return [m for m in self.applicable(person) if m.required or m.code in self.charter_codes]


def held_by(
    session: Session, at: datetime, user_ids: Iterable[int] | None = None
) -> dict[int, dict[int, Held]]:
    """user id -> module id -> latest completion at or before ``at``."""
    query = select(
        TrainingCompletion.id,
        TrainingCompletion.user_id,
        TrainingCompletion.module_id,
        TrainingCompletion.completed_at,
        TrainingCompletion.expires_at,
        TrainingCompletion.score,
        TrainingCompletion.source,
    ).where(TrainingCompletion.completed_at <= at)
    if user_ids is not None:
        query = query.where(TrainingCompletion.user_id.in_(list(user_ids)))
    found: dict[int, dict[int, Held]] = defaultdict(dict)
    for row in session.execute(query):
        completion_id, user_id, module_id, completed_at, expires_at, score, source = row
        current = found[user_id].get(module_id)
        if current is None or completed_at > current.completed_at:
            found[user_id][module_id] = Held(completion_id, completed_at, expires_at, score, source)
    return found


def standing(held: Held | None, at: datetime, warn_days: int) -> Standing:
    if held is None:
        return Standing.MISSING
    if held.expires_at is None:
        return Standing.VALID
    if held.expires_at <= at:
        return Standing.EXPIRED
    if held.expires_at <= at + timedelta(days=warn_days):
        return Standing.EXPIRING
    return Standing.VALID
