"""Small helpers shared by the committee services: input checks and lookups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.committee.models import Meeting
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import User


def require_reason(reason: str, what: str = "this change") -> str:
    reason = reason.strip()
    if not reason:
        raise GouvernailError(f"a reason is required for {what}", field="reason")
    return reason


def user_named(session: Session, username: str, field: str = "username") -> User:
    """An active user by username, or a 4xx naming ``field``."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user named {username!r}", field=field)
    if not user.is_active:
        raise GouvernailError(f"{user.username} is deactivated", field=field)
    return user


def get_meeting(session: Session, meeting_id: int | str) -> Meeting:
    try:
        key = int(meeting_id)
    except ValueError:
        raise NotFoundError(f"no committee meeting with id {meeting_id!r}") from None
    meeting = session.get(Meeting, key)
    if meeting is None:
        raise NotFoundError(f"no committee meeting with id {meeting_id}")
    return meeting


def check_version(meeting: Meeting, version: int) -> None:
    """Optimistic concurrency: refuse a change made from a stale copy of the meeting."""
    if version != meeting.version:
        raise ConflictError(
            f"meeting {meeting.id} is at version {meeting.version}, you edited version "
            f"{version}: reload it and apply your change again",
            field="version",
            code="version_conflict",
        )


def touch(meeting: Meeting) -> None:
    """Every write to a meeting moves its version."""
    meeting.version += 1
    meeting.updated_at = utcnow()
