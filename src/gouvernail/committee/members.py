"""Committee membership: who sits on the committee, in which role, with or without a vote.

Membership grants no right by itself: what a person may do still comes from the policy roles
of the directory. A voting membership requires the directory role ``committee_member``; an
invited expert without a vote needs no particular role. Memberships are ended, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.committee import events as ev
from gouvernail.committee._common import require_reason, user_named
from gouvernail.committee.models import CommitteeMember, CommitteeRole
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import Role, User

DEFAULT_VOTING = {
    CommitteeRole.CHAIR: True,
    CommitteeRole.MEMBER: True,
    CommitteeRole.SECRETARY: False,
    CommitteeRole.EXPERT: False,
}


def today() -> date:
    return utcnow().date()


class MemberView(BaseModel):
    id: int
    user_id: int
    username: str
    display_name: str
    role: str
    voting: bool
    since: date
    until: date | None
    reason: str
    end_reason: str | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, member: CommitteeMember, user: User, day: date) -> MemberView:
        return cls(
            id=member.id,
            user_id=member.user_id,
            username=user.username,
            display_name=user.display_name,
            role=member.role,
            voting=member.voting,
            since=member.since,
            until=member.until,
            reason=member.reason,
            end_reason=member.end_reason,
            active=is_active_on(member, day),
            created_at=member.created_at,
        )


def is_active_on(member: CommitteeMember, day: date) -> bool:
    return member.since <= day and (member.until is None or day < member.until)


def members_on(session: Session, day: date) -> list[tuple[CommitteeMember, User]]:
    """The memberships in force on ``day``, with their users."""
    rows = session.execute(
        select(CommitteeMember, User)
        .join(User, User.id == CommitteeMember.user_id)
        .where(
            CommitteeMember.since <= day,
            or_(CommitteeMember.until.is_(None), CommitteeMember.until > day),
        )
        .order_by(CommitteeMember.id)
    ).all()
    return [(member, user) for member, user in rows]


def voting_member_ids(session: Session, day: date) -> set[int]:
    return {member.user_id for member, _ in members_on(session, day) if member.voting}


class Members:
    def __init__(self, database: Database, trail: AuditTrail) -> None:
        self.database = database
        self.trail = trail

    def list(self, *, include_past: bool = False) -> list[MemberView]:
        day = today()
        with self.database.read() as session:
            rows = session.execute(
                select(CommitteeMember, User)
                .join(User, User.id == CommitteeMember.user_id)
                .order_by(CommitteeMember.since, CommitteeMember.id)
            ).all()
            views = [MemberView.of(member, user, day) for member, user in rows]
        if include_past:
            return views
        return [v for v in views if v.until is None or v.until > day]

    def add(
        self,
        ctx: AuditContext,
        *,
        username: str,
        role: str,
        reason: str,
        voting: bool | None = None,
        since: date | None = None,
    ) -> MemberView:
        reason = require_reason(reason, "a committee appointment")
        try:
            committee_role = CommitteeRole(role)
        except ValueError:
            raise GouvernailError(
                f"role must be one of {[r.value for r in CommitteeRole]}", field="role"
            ) from None
        votes = DEFAULT_VOTING[committee_role] if voting is None else voting
        first_day = since or today()

        def work(tx: Tx) -> MemberView:
            user = user_named(tx.session, username)
            if votes and Role.COMMITTEE_MEMBER.value not in user.roles:
                raise GouvernailError(
                    f"{user.username} does not hold the directory role 'committee_member', "
                    "which a voting membership requires: an administrator grants it first",
                    field="username",
                )
            current = tx.session.scalar(
                select(CommitteeMember).where(
                    CommitteeMember.user_id == user.id,
                    or_(CommitteeMember.until.is_(None), CommitteeMember.until > first_day),
                )
            )
            if current is not None:
                raise ConflictError(
                    f"{user.username} is already a member ({current.role}) since "
                    f"{current.since}: end that membership first",
                    field="username",
                )
            if committee_role is CommitteeRole.CHAIR:
                chair = tx.session.scalar(
                    select(CommitteeMember).where(
                        CommitteeMember.role == CommitteeRole.CHAIR.value,
                        or_(CommitteeMember.until.is_(None), CommitteeMember.until > first_day),
                    )
                )
                if chair is not None:
                    raise ConflictError(
                        "the committee already has a chair: end that membership first",
                        field="role",
                    )
            member = CommitteeMember(
                user_id=user.id,
                role=committee_role.value,
                voting=votes,
                since=first_day,
                reason=reason,
                created_at=utcnow(),
            )
            tx.session.add(member)
            tx.session.flush()
            tx.emit(
                ev.CommitteeMemberAdded(
                    object_id=str(member.id),
                    object_version=1,
                    new={
                        "username": user.username,
                        "role": member.role,
                        "voting": votes,
                        "since": first_day.isoformat(),
                    },
                    reason=reason,
                )
            )
            return MemberView.of(member, user, today())

        return self.trail.run(ctx, work)

    def end(
        self, ctx: AuditContext, member_id: int, *, reason: str, until: date | None = None
    ) -> MemberView:
        """End a membership: from ``until`` (default today) the person is no longer a member."""
        reason = require_reason(reason, "ending a membership")
        last = until or today()

        def work(tx: Tx) -> MemberView:
            member = tx.session.get(CommitteeMember, member_id)
            if member is None:
                raise NotFoundError(f"no committee membership with id {member_id}")
            if member.until is not None:
                raise ConflictError(f"this membership already ended on {member.until}")
            if last < member.since:
                raise GouvernailError(
                    f"the membership began on {member.since}: it cannot end before",
                    field="until",
                )
            member.until = last
            member.end_reason = reason
            user = tx.session.get_one(User, member.user_id)
            tx.emit(
                ev.CommitteeMemberEnded(
                    object_id=str(member.id),
                    object_version=2,
                    old={"until": None},
                    new={"username": user.username, "until": last.isoformat()},
                    reason=reason,
                )
            )
            return MemberView.of(member, user, today())

        return self.trail.run(ctx, work)
