"""Who may read what: the store's readers mapped to our users and teams, and the principals a
caller holds.

A principal is ``*`` (everyone), ``u:<user id>`` or ``t:<team id>``. A document is readable by
a caller when its access list and the caller's principals meet; a team's grant covers the teams
under it (the caller holds their team and every team above it). A reader the directory does not
know is dropped, which can only narrow access, and reported; a document none of whose readers
is known is *unresolved*: excluded from the index, never shown to everyone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gouvernail.gateway.admission import team_chain
from gouvernail.identity.models import Team, User
from gouvernail.insight.connectors import Grant
from gouvernail.insight.models import InsightAcl, InsightAclEntry

EVERYONE = "*"


@dataclass(frozen=True, slots=True)
class Resolution:
    """Readers mapped to principals, and the readers that could not be."""

    principals: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def resolved(self) -> bool:
        return bool(self.principals)


def principals_of(session: Session, user: User) -> tuple[str, ...]:
    """What ``user`` holds: themselves, their team and the teams above it, everyone."""
    return (EVERYONE, f"u:{user.id}", *(f"t:{team}" for team in team_chain(session, user.team_id)))


def resolve(session: Session, grants: Iterable[Grant]) -> Resolution:
    """Map a store's readers (e-mail addresses, group names) to principals."""
    principals: set[str] = set()
    unknown: list[str] = []
    for grant in grants:
        if grant.kind == "everyone":
            principals.add(EVERYONE)
        elif grant.kind == "user":
            user_id = session.scalar(
                select(User.id).where(
                    func.lower(User.email) == grant.name.lower(), User.is_active.is_(True)
                )
            )
            _keep(principals, unknown, user_id, "u", f"user {grant.name}")
        else:
            team_id = session.scalar(
                select(Team.id).where(
                    (func.lower(Team.name) == grant.name.lower())
                    | (func.lower(Team.slug) == grant.name.lower())
                )
            )
            _keep(principals, unknown, team_id, "t", f"group {grant.name}")
    return Resolution(tuple(sorted(principals)), tuple(unknown))


def _keep(
    principals: set[str], unknown: list[str], found: int | None, kind: str, name: str
) -> None:
    if found is None:
        unknown.append(name)
    else:
        principals.add(f"{kind}:{found}")


def parse_readers(readers: Sequence[str]) -> tuple[Grant, ...]:
    """A folder source's readers as written by an administrator: ``everyone``,
    ``user:<e-mail>`` or ``team:<name or slug>``; ``ValueError`` names a bad one."""
    grants: list[Grant] = []
    for reader in readers:
        kind, _, name = reader.strip().partition(":")
        if kind == "everyone" and not name:
            grants.append(Grant("everyone"))
        elif kind == "user" and "@" in name:
            grants.append(Grant("user", name.strip()))
        elif kind == "team" and name.strip():
            grants.append(Grant("group", name.strip()))
        else:
            raise ValueError(
                f"reader {reader!r}: write everyone, user:<e-mail> or team:<name or slug>"
            )
    return tuple(grants)


def acl_id(session: Session, principals: Sequence[str]) -> int:
    """The access list for exactly ``principals`` (created once, shared by every document
    with the same readers)."""
    members = sorted(set(principals))
    digest = hashlib.sha256("\n".join(members).encode()).hexdigest()
    found = session.scalar(select(InsightAcl.id).where(InsightAcl.digest == digest))
    if found is not None:
        return found
    try:
        with session.begin_nested():  # another source's sync may create the same list now
            acl = InsightAcl(digest=digest, principals=orjson.dumps(members).decode())
            session.add(acl)
            session.flush()
            session.add_all(InsightAclEntry(acl_id=acl.id, principal=p) for p in members)
            session.flush()
    except IntegrityError:
        created = session.scalar(select(InsightAcl.id).where(InsightAcl.digest == digest))
        assert created is not None
        return created
    return acl.id
