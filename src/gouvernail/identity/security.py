"""Reports to the security referents: every failed or unauthorised attempt becomes a
notification for each active security referent (and a warning in the logs)."""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from gouvernail.identity.models import Role
from gouvernail.identity.notices import notify_roles

log = structlog.get_logger(__name__)


def report(session: Session, kind: str, message: str) -> int:
    """Queue ``message`` for every active security referent; return how many were told."""
    told = notify_roles(session, [Role.SECURITY_REFERENT.value], kind, message)
    log.warning("security." + kind, detail=message, referents=told)
    return told
