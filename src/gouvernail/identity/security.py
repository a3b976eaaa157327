"""Reports to the security referents: every failed or unauthorised attempt becomes a
notification for each active security referent (and a warning in the logs)."""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.identity.models import Notification, Role, User, UserRole

log = structlog.get_logger(__name__)


def report(session: Session, kind: str, message: str) -> int:
    """Queue ``message`` for every active security referent; return how many were told."""
    referents = session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SECURITY_REFERENT.value, User.is_active.is_(True))
    ).all()
    for user_id in referents:
        session.add(Notification(user_id=user_id, kind=kind, message=message))
    log.warning("security." + kind, detail=message, referents=len(referents))
    return len(referents)
