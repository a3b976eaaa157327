"""What the charter service returns: a version with its status at the time of reading."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.orm import Session

from gouvernail.charter.acceptance import Timeline, version_content
from gouvernail.charter.models import CharterStatus, CharterVersion
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.errors import NotFoundError
from gouvernail.signatures.service import SignatureView, content_hash


class CharterView(BaseModel):
    id: int
    number: str
    title: str
    body: str
    rules: CharterRules
    status: str
    revision: int
    content_hash: str
    created_at: datetime
    activated_at: datetime | None
    effective_at: datetime | None
    grace_days: int
    grace_ends_at: datetime | None
    signatures: list[SignatureView] = []


def status_of(version: CharterVersion, timeline: Timeline, at: datetime) -> str:
    """draft, scheduled, active (in force), superseded or withdrawn."""
    if version.status == CharterStatus.ACTIVATED.value:
        return timeline.state_of(version.id, at)
    return version.status


def view_of(
    version: CharterVersion, timeline: Timeline, signatures: list[SignatureView] | None = None
) -> CharterView:
    effective = version.effective_at
    return CharterView(
        id=version.id,
        number=version.number,
        title=version.title,
        body=version.body,
        rules=CharterRules.model_validate_json(version.rules),
        status=status_of(version, timeline, utcnow()),
        revision=version.revision,
        content_hash=content_hash(version_content(version)),
        created_at=version.created_at,
        activated_at=version.activated_at,
        effective_at=effective,
        grace_days=version.grace_days,
        grace_ends_at=effective + timedelta(days=version.grace_days) if effective else None,
        signatures=signatures or [],
    )


def get_version(session: Session, charter_id: int | str) -> CharterVersion:
    try:
        key = int(charter_id)
    except ValueError:
        raise NotFoundError(f"no charter version with id {charter_id!r}") from None
    version = session.get(CharterVersion, key)
    if version is None:
        raise NotFoundError(f"no charter version with id {charter_id}")
    return version
