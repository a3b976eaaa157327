"""Telling the people who decide about models: committee members and AI referents.

Uses the one notification mechanism of Gouvernail (``Notification`` rows, read at
``GET /api/v1/notifications``), in the same transaction as the audited change that causes them,
so a notice exists exactly when its audit record does.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from gouvernail.identity.models import Role
from gouvernail.identity.notices import notify_roles

log = structlog.get_logger(__name__)

DECIDERS = (Role.COMMITTEE_MEMBER.value, Role.AI_REFERENT.value)


def notify_deciders(session: Session, kind: str, message: str) -> int:
    """Queue ``message`` for every active committee member and AI referent (once per person,
    whatever roles they hold); return how many were told."""
    told = notify_roles(session, DECIDERS, kind, message)
    log.warning("inventory." + kind, detail=message, notified=told)
    return told
