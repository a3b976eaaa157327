"""Teams and users: creation, changes, deactivation. Users are never deleted or renamed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import (
    ApiKey,
    AuthSession,
    Level,
    Role,
    Team,
    TeamKind,
    User,
    UserRole,
)
from gouvernail.identity.passwords import Passwords
from gouvernail.identity.views import TeamView, UserView

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise GouvernailError("a reason is required for this change", field="reason")
    return reason


def check_roles(roles: Sequence[str]) -> list[str]:
    known = {role.value for role in Role}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise GouvernailError(
            f"unknown role(s) {unknown}; known roles: {sorted(known)}", field="roles"
        )
    return sorted(set(roles) - {Role.EMPLOYEE.value})


def check_level(level: str | None) -> str | None:
    """A hierarchy level, or None; "" clears it."""
    if not level:
        return None
    known = [item.value for item in Level]
    if level not in known:
        raise GouvernailError(f"level must be one of {known} (or empty)", field="level")
    return level


def find_team(session: Session, slug: str, field: str = "team") -> Team:
    team = session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise NotFoundError(f"no team with slug {slug!r}", field=field)
    return team


def team_subtree(session: Session, team_id: int) -> set[int]:
    """The team and every team under it (departments contain teams)."""
    found, frontier = {team_id}, [team_id]
    while frontier:
        children = session.scalars(select(Team.id).where(Team.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return found


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def user_snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "team_id": user.team_id,
        "level": user.level,
        "roles": user.roles,
        "is_active": user.is_active,
    }


class Directory:
    """Creates and changes teams and users; every change is one audited unit of work."""

    def __init__(self, database: Database, trail: AuditTrail, passwords: Passwords) -> None:
        self.database = database
        self.trail = trail
        self.passwords = passwords

    # --- teams ----------------------------------------------------------------------------------

    def create_team(
        self, ctx: AuditContext, *, slug: str, name: str, kind: str, parent: str | None = None
    ) -> TeamView:
        if not SLUG.match(slug):
            raise GouvernailError(
                "slug: 2-64 lowercase letters, digits, '.', '_' or '-'", field="slug"
            )
        if not name.strip():
            raise GouvernailError("the team needs a name", field="name")
        if kind not in {k.value for k in TeamKind}:
            raise GouvernailError(
                f"kind must be one of {[k.value for k in TeamKind]}", field="kind"
            )

        def work(tx: Tx) -> TeamView:
            session = tx.session
            if session.scalar(select(Team.id).where(Team.slug == slug)) is not None:
                raise ConflictError(f"a team with slug {slug!r} exists", field="slug")
            parent_team = find_team(session, parent, "parent") if parent else None
            team = Team(slug=slug, name=name.strip(), kind=kind, parent=parent_team)
            session.add(team)
            session.flush()
            tx.emit(
                ev.TeamCreated(
                    object_id=str(team.id),
                    object_version=1,
                    new={"slug": slug, "name": team.name, "kind": kind, "parent": parent},
                )
            )
            return TeamView.of(team)

        return self.trail.run(ctx, work)

    def list_teams(self) -> list[TeamView]:
        with self.database.read() as session:
            return [TeamView.of(t) for t in session.scalars(select(Team).order_by(Team.slug))]

    def team_subtree(self, session: Session, team_id: int) -> set[int]:
        """The team and every team under it (departments contain teams)."""
        return team_subtree(session, team_id)

    # --- users ----------------------------------------------------------------------------------

    def create_user(
        self,
        ctx: AuditContext,
        *,
        username: str,
        display_name: str,
        email: str | None = None,
        team: str | None = None,
        level: str | None = None,
        roles: Sequence[str] = (),
        password: str | None = None,
        must_change_password: bool = False,
        oidc: tuple[str, str] | None = None,
    ) -> UserView:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise GouvernailError(
                "username: 2-64 lowercase letters, digits, '.', '_', '@' or '-'",
                field="username",
            )
        if not display_name.strip():
            raise GouvernailError("the printed name is required", field="display_name")
        if email is not None and "@" not in email:
            raise GouvernailError("not an e-mail address", field="email")
        role_list = check_roles(roles)
        level = check_level(level)
        if password is not None:
            self.passwords.check_policy(password, username=username)
        password_hash = self.passwords.hash(password) if password is not None else None

        def work(tx: Tx) -> UserView:
            session = tx.session
            taken = session.scalar(select(func.count()).where(User.username == username))
            if taken:
                raise ConflictError(
                    f"the username {username!r} is taken (usernames are never reused)",
                    field="username",
                )
            if email and session.scalar(select(func.count()).where(User.email == email)):
                raise ConflictError(f"the e-mail {email!r} is in use", field="email")
            now = utcnow()
            user = User(
                username=username,
                display_name=display_name.strip(),
                email=email,
                team=find_team(session, team) if team else None,
                level=level,
                password_hash=password_hash,
                password_changed_at=now if password_hash else None,
                must_change_password=must_change_password,
                oidc_issuer=oidc[0] if oidc else None,
                oidc_subject=oidc[1] if oidc else None,
                role_rows=[UserRole(role=r) for r in role_list],
            )
            session.add(user)
            session.flush()
            tx.emit(
                ev.UserCreated(
                    object_id=str(user.id),
                    object_version=1,
                    new={**user_snapshot(user), "sso": oidc is not None},
                )
            )
            return UserView.of(user)

        return self.trail.run(ctx, work)

    def list_users(self, *, include_inactive: bool = True) -> list[UserView]:
        with self.database.read() as session:
            query = select(User).order_by(User.id)
            if not include_inactive:
                query = query.where(User.is_active.is_(True))
            return [UserView.of(u) for u in session.scalars(query).unique()]

    def get(self, user_id: int) -> UserView:
        with self.database.read() as session:
            return UserView.of(get_user(session, user_id))

    def by_username(self, username: str, *, field: str = "username") -> UserView:
        """The user with this login name, or an error naming ``field``."""
        with self.database.read() as session:
            user = session.scalars(select(User).where(User.username == username)).unique().first()
            if user is None:
                raise GouvernailError(f"no user {username!r}", field=field)
            return UserView.of(user)

    def update_user(
        self,
        ctx: AuditContext,
        user_id: int,
        *,
        reason: str,
        display_name: str | None = None,
        email: str | None = None,
        team: str | None = None,
        level: str | None = None,
        roles: Sequence[str] | None = None,
    ) -> UserView:
        """Change fields given (not None); ``email``, ``team`` or ``level`` "" clears it."""
        reason = _require_reason(reason)
        role_list = check_roles(roles) if roles is not None else None
        new_level = check_level(level) if level is not None else None
        if display_name is not None and not display_name.strip():
            raise GouvernailError("the printed name cannot be empty", field="display_name")
        if email and "@" not in email:
            raise GouvernailError("not an e-mail address", field="email")

        def work(tx: Tx) -> UserView:
            user = get_user(tx.session, user_id)
            old = user_snapshot(user)
            if email and email != user.email:
                taken = tx.session.scalar(
                    select(func.count()).where(User.email == email, User.id != user.id)
                )
                if taken:
                    raise ConflictError(f"the e-mail {email!r} is in use", field="email")
            if (
                role_list is not None
                and Role.ADMIN.value in user.roles
                and Role.ADMIN.value not in role_list
                and _other_active_admins(tx.session, user.id) == 0
            ):
                raise ConflictError(
                    "this is the last active administrator: name another one first",
                    field="roles",
                )
            if display_name is not None:
                user.display_name = display_name.strip()
            if email is not None:
                user.email = email or None
            if team is not None:
                user.team = find_team(tx.session, team) if team else None
            if level is not None:
                user.level = new_level
            if role_list is not None:
                user.role_rows = [UserRole(role=r) for r in role_list]
            tx.session.flush()
            new = user_snapshot(user)
            if new == old:
                raise GouvernailError("nothing to change")
            user.version += 1
            changed = [key for key in new if new[key] != old[key]]
            tx.emit(
                ev.UserUpdated(
                    object_id=str(user.id),
                    object_version=user.version,
                    old={k: old[k] for k in changed},
                    new={k: new[k] for k in changed},
                    reason=reason,
                )
            )
            return UserView.of(user)

        return self.trail.run(ctx, work)

    def set_active(self, ctx: AuditContext, user_id: int, *, active: bool, reason: str) -> UserView:
        reason = _require_reason(reason)

        def work(tx: Tx) -> UserView:
            user = get_user(tx.session, user_id)
            if user.is_active == active:
                raise ConflictError(
                    f"user {user.username} is already {'active' if active else 'deactivated'}"
                )
            if not active and str(user.id) == ctx.actor.id:
                raise ConflictError("you cannot deactivate your own account")
            if (
                not active
                and Role.ADMIN.value in user.roles
                and _other_active_admins(tx.session, user.id) == 0
            ):
                raise ConflictError("this is the last active administrator: name another one first")
            user.is_active = active
            user.deactivated_at = None if active else utcnow()
            user.version += 1
            event = ev.UserReactivated if active else ev.UserDeactivated
            tx.emit(
                event(
                    object_id=str(user.id),
                    object_version=user.version,
                    old={"is_active": not active},
                    new={"is_active": active},
                    reason=reason,
                )
            )
            if not active:
                _end_access(tx.session, user.id, reason)
            return UserView.of(user)

        return self.trail.run(ctx, work)

    def unlock(self, ctx: AuditContext, user_id: int, *, reason: str) -> UserView:
        reason = _require_reason(reason)

        def work(tx: Tx) -> UserView:
            user = get_user(tx.session, user_id)
            if user.locked_until is None and user.failed_logins == 0:
                raise ConflictError(f"user {user.username} is not locked")
            old = {"locked_until": user.locked_until, "failed_logins": user.failed_logins}
            user.locked_until = None
            user.failed_logins = 0
            tx.emit(
                ev.AccountUnlocked(
                    object_id=str(user.id),
                    object_version=user.version,
                    old=old,
                    new={"locked_until": None, "failed_logins": 0},
                    reason=reason,
                )
            )
            return UserView.of(user)

        return self.trail.run(ctx, work)

    def set_password(
        self,
        ctx: AuditContext,
        user_id: int,
        *,
        password: str,
        reason: str,
        must_change: bool = True,
    ) -> UserView:
        """An administrator sets a password (the user must change it at next sign-in)."""
        reason = _require_reason(reason)
        with self.database.read() as session:
            username = get_user(session, user_id).username
        self.passwords.check_policy(password, username=username)
        password_hash = self.passwords.hash(password)

        def work(tx: Tx) -> UserView:
            user = get_user(tx.session, user_id)
            if user.oidc_subject is not None and user.password_hash is None:
                raise ConflictError("this user signs in through single sign-on only")
            apply_password(user, password_hash, must_change=must_change, now=utcnow())
            tx.emit(
                ev.PasswordChanged(
                    object_id=str(user.id),
                    object_version=user.version,
                    new={"by_administrator": True, "must_change_password": must_change},
                    reason=reason,
                )
            )
            return UserView.of(user)

        return self.trail.run(ctx, work)


def apply_password(user: User, password_hash: str, *, must_change: bool, now: datetime) -> None:
    user.password_hash = password_hash
    user.password_changed_at = now
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None


def _end_access(session: Session, user_id: int, reason: str) -> None:
    """A deactivated user loses every session and key at once."""
    now = utcnow()
    for auth_session in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    ):
        auth_session.revoked_at = now
    for key in session.scalars(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
    ):
        key.revoked_at = now
        key.revoked_reason = f"user deactivated: {reason}"


def _other_active_admins(session: Session, user_id: int) -> int:
    """How many active users other than ``user_id`` hold the admin role."""
    return int(
        session.scalar(
            select(func.count(func.distinct(User.id)))
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN.value, User.is_active, User.id != user_id)
        )
        or 0
    )
