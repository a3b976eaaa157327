"""The named referents of each team: its AI referent, its security referents and its data owner.

A team has at most one AI referent and one data owner at a time (assigning a new one ends the
previous assignment, with the reason) and any number of security referents. The person must hold
the directory role of the same name. Assignments are ended, never deleted, so the history stays.

``find_referents`` is the lookup other parts use (the registry for a use case's data owner, the
gateway for a department's AI referent): when a team has none of a kind, it walks up to the
parent team, then its parent, and so on.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.committee import events as ev
from gouvernail.committee._common import require_reason, user_named
from gouvernail.committee.models import ReferentKind, TeamReferent
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.directory import find_team
from gouvernail.identity.models import Team, User

SINGLE = frozenset({ReferentKind.AI_REFERENT, ReferentKind.DATA_OWNER})


def parse_kind(kind: str) -> ReferentKind:
    try:
        return ReferentKind(kind)
    except ValueError:
        raise GouvernailError(
            f"kind must be one of {[k.value for k in ReferentKind]}", field="kind"
        ) from None


class ReferentView(BaseModel):
    """One assignment. ``inherited``: found on a parent team by a lookup. ``user_active`` and
    ``holds_role`` say whether the person can still act (lookups only return those who can)."""

    id: int
    team_id: int
    team_slug: str
    kind: str
    user_id: int
    username: str
    display_name: str
    email: str | None
    since: datetime
    until: datetime | None
    reason: str
    end_reason: str | None
    user_active: bool
    holds_role: bool
    inherited: bool = False

    @classmethod
    def of(
        cls, row: TeamReferent, team: Team, user: User, *, inherited: bool = False
    ) -> ReferentView:
        return cls(
            id=row.id,
            team_id=team.id,
            team_slug=team.slug,
            kind=row.kind,
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            since=row.since,
            until=row.until,
            reason=row.reason,
            end_reason=row.end_reason,
            user_active=user.is_active,
            holds_role=row.kind in user.roles,
            inherited=inherited,
        )


class TeamReferentsView(BaseModel):
    """A team's referents: its own current ones, the effective ones per kind (inherited from a
    parent team when it has none) and, when asked, the ended assignments."""

    team_id: int
    team_slug: str
    team_name: str
    current: list[ReferentView]
    effective: dict[str, list[ReferentView]]
    history: list[ReferentView]


def _current(session: Session, team_id: int, kind: ReferentKind) -> list[tuple[TeamReferent, User]]:
    rows = session.execute(
        select(TeamReferent, User)
        .join(User, User.id == TeamReferent.user_id)
        .where(
            TeamReferent.team_id == team_id,
            TeamReferent.kind == kind.value,
            TeamReferent.until.is_(None),
        )
        .order_by(TeamReferent.since, TeamReferent.id)
    ).all()
    return [(row, user) for row, user in rows]


def find_referents(
    session: Session, team_id: int, kind: ReferentKind | str, *, inherit: bool = True
) -> list[ReferentView]:
    """The current referents of ``kind`` for a team who can act (active, holding the role);
    with ``inherit``, those of the nearest parent team that has some. Empty if none."""
    wanted = parse_kind(kind) if isinstance(kind, str) else kind
    start: int | None = team_id
    seen: set[int] = set()
    while start is not None and start not in seen:
        seen.add(start)
        team = session.get(Team, start)
        if team is None:
            raise NotFoundError(f"no team with id {start}", field="team_id")
        found = [
            ReferentView.of(row, team, user, inherited=team.id != team_id)
            for row, user in _current(session, team.id, wanted)
        ]
        usable = [view for view in found if view.user_active and view.holds_role]
        if usable or not inherit:
            return usable
        start = team.parent_id
    return []


class Referents:
    def __init__(self, database: Database, trail: AuditTrail) -> None:
        self.database = database
        self.trail = trail

    def referents_for(
        self, team_id: int, kind: ReferentKind | str, *, inherit: bool = True
    ) -> list[ReferentView]:
        with self.database.read() as session:
            return find_referents(session, team_id, kind, inherit=inherit)

    def of_team(self, slug: str, *, history: bool = False) -> TeamReferentsView:
        with self.database.read() as session:
            team = find_team(session, slug)
            return self._view(session, team, history=history)

    def assign(
        self, ctx: AuditContext, slug: str, kind: str, *, username: str, reason: str
    ) -> TeamReferentsView:
        """Name a referent. For the AI referent and the data owner, the one in office (if any)
        is replaced; security referents are added beside the others."""
        wanted = parse_kind(kind)
        reason = require_reason(reason, f"naming a {wanted.value}")

        def work(tx: Tx) -> TeamReferentsView:
            team = find_team(tx.session, slug)
            user = user_named(tx.session, username)
            if wanted.value not in user.roles:
                raise GouvernailError(
                    f"{user.username} does not hold the directory role {wanted.value!r}: an "
                    f"administrator grants it before {user.username} can be named "
                    f"{wanted.value.replace('_', ' ')} of {team.slug}",
                    field="username",
                    code="role_missing",
                )
            current = _current(tx.session, team.id, wanted)
            if any(row.user_id == user.id for row, _ in current):
                raise ConflictError(
                    f"{user.username} is already {wanted.value.replace('_', ' ')} of {team.slug}",
                    field="username",
                )
            now = utcnow()
            replaced = current if wanted in SINGLE else []
            for row, previous in replaced:
                self._end(tx, row, previous, team, f"replaced by {user.username}: {reason}", now)
            row = TeamReferent(
                team_id=team.id, user_id=user.id, kind=wanted.value, since=now, reason=reason
            )
            tx.session.add(row)
            tx.session.flush()
            tx.emit(
                ev.ReferentAssigned(
                    object_id=str(row.id),
                    object_version=1,
                    old={"replaced": [previous.username for _, previous in replaced]},
                    new={"team": team.slug, "kind": wanted.value, "username": user.username},
                    reason=reason,
                )
            )
            return self._view(tx.session, team, history=False)

        return self.trail.run(ctx, work)

    def end(
        self, ctx: AuditContext, slug: str, kind: str, *, username: str, reason: str
    ) -> TeamReferentsView:
        """End an assignment without naming a successor (lookups then inherit from the parent
        team)."""
        wanted = parse_kind(kind)
        reason = require_reason(reason, f"ending a {wanted.value}")

        def work(tx: Tx) -> TeamReferentsView:
            team = find_team(tx.session, slug)
            for row, user in _current(tx.session, team.id, wanted):
                if user.username == username.strip().lower():
                    self._end(tx, row, user, team, reason, utcnow())
                    return self._view(tx.session, team, history=False)
            raise NotFoundError(
                f"{username!r} is not {wanted.value.replace('_', ' ')} of {team.slug}",
                field="username",
            )

        return self.trail.run(ctx, work)

    @staticmethod
    def _end(
        tx: Tx, row: TeamReferent, user: User, team: Team, reason: str, when: datetime
    ) -> None:
        row.until = when
        row.end_reason = reason
        tx.emit(
            ev.ReferentEnded(
                object_id=str(row.id),
                object_version=2,
                old={"until": None},
                new={"team": team.slug, "kind": row.kind, "username": user.username},
                reason=reason,
            )
        )

    @staticmethod
    def _view(session: Session, team: Team, *, history: bool) -> TeamReferentsView:
        session.flush()
        rows = session.execute(
            select(TeamReferent, User)
            .join(User, User.id == TeamReferent.user_id)
            .where(TeamReferent.team_id == team.id)
            .order_by(TeamReferent.kind, TeamReferent.since, TeamReferent.id)
        ).all()
        views = [ReferentView.of(row, team, user) for row, user in rows]
        return TeamReferentsView(
            team_id=team.id,
            team_slug=team.slug,
            team_name=team.name,
            current=[v for v in views if v.until is None],
            effective={kind.value: find_referents(session, team.id, kind) for kind in ReferentKind},
            history=[v for v in views if v.until is not None] if history else [],
        )
