"""Notifications to everyone holding some roles: the one mechanism (``Notification`` rows, read
at ``GET /api/v1/notifications``), written in the same transaction as the audited change that
causes them, so a notice exists exactly when its audit record does."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.identity.models import Notification, User, UserRole


def notify_roles(session: Session, roles: Iterable[str], kind: str, message: str) -> int:
    """Queue ``message`` for every active holder of one of ``roles`` (once per person,
    whatever roles they hold); return how many were told."""
    people = session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(list(roles)), User.is_active.is_(True))
        .distinct()
    ).all()
    for user_id in people:
        session.add(Notification(user_id=user_id, kind=kind, message=message))
    return len(people)


def notify_users(session: Session, user_ids: Iterable[int], kind: str, message: str) -> int:
    """Queue ``message`` for each of these people (once each, active ones only); return how
    many were told."""
    wanted = set(user_ids)
    if not wanted:
        return 0
    people = session.scalars(
        select(User.id).where(User.id.in_(wanted), User.is_active.is_(True))
    ).all()
    for user_id in people:
        session.add(Notification(user_id=user_id, kind=kind, message=message))
    return len(people)
