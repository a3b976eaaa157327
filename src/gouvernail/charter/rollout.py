"""Roll-out of a charter version: telling every active user once, and tracking who accepted.

A user is *told* by one notification (``kind = charter_rollout``) recorded in
``charter_notices``; the unique (version, user) pair makes telling idempotent. For the report,
a user *accepted* the version if they accepted it or a later activated version; a user who did
not is *pending* until the end of the version's grace period and *overdue* after it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gouvernail.charter.acceptance import Enacted, Timeline, acceptances
from gouvernail.charter.models import CharterNotice
from gouvernail.db.base import utcnow
from gouvernail.identity.models import Notification, User

NOTICE_KIND = "charter_rollout"
WITHDRAWN_KIND = "charter_withdrawn"


class RolloutState(StrEnum):
    ACCEPTED = "accepted"
    PENDING = "pending"
    OVERDUE = "overdue"


class RolloutUser(BaseModel):
    user_id: int
    username: str
    display_name: str
    team_slug: str | None
    level: str | None
    told_at: datetime | None
    accepted_at: datetime | None
    state: RolloutState


class RolloutCounts(BaseModel):
    users: int
    told: int
    not_told: int
    accepted: int
    pending: int
    overdue: int


class RolloutReport(BaseModel):
    """Who was told, who accepted, who is pending or overdue, among active users."""

    version_id: int
    number: str
    status: str
    effective_at: datetime
    grace_days: int
    grace_ends_at: datetime
    at: datetime
    team: str | None
    counts: RolloutCounts
    users: list[RolloutUser]


def notice_text(version: Enacted, title: str, previous: Enacted | None) -> str:
    text = (
        f"Charter {version.number} '{title}' comes into force on "
        f"{version.effective_at:%Y-%m-%d %H:%M} UTC. Read it (GET /api/v1/charter/versions/"
        f"{version.id}) and accept it (POST /api/v1/charter/accept) to keep your AI access."
    )
    if previous is not None and version.grace_days:
        text += (
            f" If you accepted {previous.number}, you keep access until "
            f"{version.grace_ends_at:%Y-%m-%d %H:%M} UTC."
        )
    return text


def tell(session: Session, version: Enacted, message: str) -> list[int]:
    """Notify every active user not yet told about ``version``; return their ids."""
    already = set(
        session.scalars(
            select(CharterNotice.user_id).where(CharterNotice.charter_version_id == version.id)
        )
    )
    users = [
        user_id
        for user_id in session.scalars(
            select(User.id).where(User.is_active.is_(True)).order_by(User.id)
        )
        if user_id not in already
    ]
    if not users:
        return []
    now = utcnow()
    notification_ids = session.scalars(
        insert(Notification).returning(Notification.id, sort_by_parameter_order=True),
        [{"user_id": u, "kind": NOTICE_KIND, "message": message, "created_at": now} for u in users],
    ).all()
    session.execute(
        insert(CharterNotice),
        [
            {
                "charter_version_id": version.id,
                "user_id": user_id,
                "notification_id": notification_id,
                "told_at": now,
            }
            for user_id, notification_id in zip(users, notification_ids, strict=True)
        ],
    )
    return users


def tell_withdrawn(session: Session, version_id: int, number: str, reason: str) -> int:
    """Tell the users who were told about a version that it was withdrawn; return how many."""
    users = list(
        session.scalars(
            select(CharterNotice.user_id).where(CharterNotice.charter_version_id == version_id)
        )
    )
    if users:
        message = f"Charter {number} was withdrawn before coming into force: {reason}"
        session.execute(
            insert(Notification),
            [{"user_id": u, "kind": WITHDRAWN_KIND, "message": message} for u in users],
        )
    return len(users)


def report(
    session: Session,
    timeline: Timeline,
    version: Enacted,
    *,
    at: datetime,
    team_ids: set[int] | None,
    team: str | None,
    state: RolloutState | None,
) -> RolloutReport:
    query = select(User).where(User.is_active.is_(True)).order_by(User.id)
    if team_ids is not None:
        query = query.where(User.team_id.in_(team_ids))
    users = list(session.scalars(query).unique())
    ids = [u.id for u in users]
    told = dict(
        session.execute(
            select(CharterNotice.user_id, CharterNotice.told_at).where(
                CharterNotice.charter_version_id == version.id
            )
        ).all()
    )
    counted = {v.id for v in timeline.this_or_later(version)}
    signed = acceptances(session, timeline, at, ids if len(ids) <= 1000 else None)
    rows: list[RolloutUser] = []
    for user in users:
        times = [when for vid, when in signed.get(user.id, {}).items() if vid in counted]
        accepted_at = min(times) if times else None
        if accepted_at is not None:
            user_state = RolloutState.ACCEPTED
        elif at < version.grace_ends_at:
            user_state = RolloutState.PENDING
        else:
            user_state = RolloutState.OVERDUE
        rows.append(
            RolloutUser(
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                team_slug=user.team.slug if user.team else None,
                level=user.level,
                told_at=told.get(user.id),
                accepted_at=accepted_at,
                state=user_state,
            )
        )
    counts = RolloutCounts(
        users=len(rows),
        told=sum(r.told_at is not None for r in rows),
        not_told=sum(r.told_at is None for r in rows),
        accepted=sum(r.state is RolloutState.ACCEPTED for r in rows),
        pending=sum(r.state is RolloutState.PENDING for r in rows),
        overdue=sum(r.state is RolloutState.OVERDUE for r in rows),
    )
    return RolloutReport(
        version_id=version.id,
        number=version.number,
        status=timeline.state_of(version.id, at),
        effective_at=version.effective_at,
        grace_days=version.grace_days,
        grace_ends_at=version.grace_ends_at,
        at=at,
        team=team,
        counts=counts,
        users=[r for r in rows if state is None or r.state is state],
    )
