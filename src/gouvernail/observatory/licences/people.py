"""Exported identities matched to our users (e-mail or user name, case-insensitively), and the
department of each user (the first team of kind department at or above theirs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gouvernail.identity.models import Team, User

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    username: str
    display_name: str
    team_id: int | None


def match_users(session: Session, identities: Iterable[str]) -> dict[str, Person]:
    """Lower-case identity → the user whose e-mail or user name it is."""
    wanted = sorted({i.lower() for i in identities if i})
    found: dict[str, Person] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = session.execute(
            select(User.id, User.username, User.display_name, User.email, User.team_id).where(
                or_(func.lower(User.email).in_(chunk), func.lower(User.username).in_(chunk))
            )
        )
        for user_id, username, name, email, team_id in rows:
            person = Person(user_id, username, name, team_id)
            for key in ((email or "").lower(), username.lower()):
                if key in chunk:
                    found.setdefault(key, person)
    return found


def people_by_id(session: Session, user_ids: Iterable[int]) -> dict[int, Person]:
    wanted = sorted(set(user_ids))
    found: dict[int, Person] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(User.id, User.username, User.display_name, User.team_id).where(
                User.id.in_(wanted[start : start + CHUNK])
            )
        )
        for user_id, username, name, team_id in rows:
            found[user_id] = Person(user_id, username, name, team_id)
    return found


class Departments:
    """Team id → department name, read once per report."""

    def __init__(self, session: Session) -> None:
        self._teams: dict[int, tuple[str, str, int | None]] = {
            i: (name, kind, parent)
            for i, name, kind, parent in session.execute(
                select(Team.id, Team.name, Team.kind, Team.parent_id)
            )
        }

    def of(self, team_id: int | None) -> str:
        current, own, seen = team_id, "", set()
        while current is not None and current in self._teams and current not in seen:
            seen.add(current)
            name, kind, parent = self._teams[current]
            own = own or name
            if kind == "department":
                return name
            current = parent
        return own
