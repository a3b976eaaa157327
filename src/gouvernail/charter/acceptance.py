"""Which charter version is in force at a given time, and whether a user complies with it.

Definitions (the gateway and key issuing rely on them):

- the version *in force* at time t is the latest activated version with ``effective_at <= t``
  (activation refuses an effective date earlier than an already activated version's, so
  "latest" by effective date is also the latest activated);
- a user is *compliant* at t if they accepted the version in force (or a later activated one),
  or accepted the version it replaced and t is before the end of the grace period of the
  version in force (``effective_at + grace_days``).

An acceptance is an ``accepted`` signature bound to the version's exact content and signed
at or before t.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.charter.models import CharterStatus, CharterVersion
from gouvernail.db.base import utcnow
from gouvernail.errors import GouvernailError
from gouvernail.signatures.models import Meaning, Signature
from gouvernail.signatures.service import content_hash

OBJECT_TYPE = "charter_version"


def version_content(version: CharterVersion) -> dict[str, Any]:
    """What a signature of a charter version binds: number, title, body and rules."""
    return {
        "number": version.number,
        "title": version.title,
        "body": version.body,
        "rules": orjson.loads(version.rules),
    }


@dataclass(frozen=True)
class Enacted:
    """An activated version's place in time."""

    id: int
    number: str
    revision: int
    content_hash: str
    effective_at: datetime
    grace_days: int

    @property
    def grace_ends_at(self) -> datetime:
        return self.effective_at + timedelta(days=self.grace_days)


class Timeline:
    """The activated (not withdrawn) versions, in order of effective date."""

    def __init__(self, versions: Iterable[Enacted]) -> None:
        self.versions = sorted(versions, key=lambda v: (v.effective_at, v.id))

    @classmethod
    def load(cls, session: Session) -> Timeline:
        rows = session.scalars(
            select(CharterVersion).where(CharterVersion.status == CharterStatus.ACTIVATED.value)
        )
        return cls(
            Enacted(
                id=row.id,
                number=row.number,
                revision=row.revision,
                content_hash=content_hash(version_content(row)),
                effective_at=row.effective_at or row.created_at,
                grace_days=row.grace_days,
            )
            for row in rows
        )

    def get(self, version_id: int) -> Enacted | None:
        return next((v for v in self.versions if v.id == version_id), None)

    def in_force(self, at: datetime) -> Enacted | None:
        current = None
        for version in self.versions:
            if version.effective_at <= at:
                current = version
        return current

    def previous(self, version: Enacted) -> Enacted | None:
        index = self.versions.index(version)
        return self.versions[index - 1] if index else None

    def upcoming(self, at: datetime) -> Enacted | None:
        """The next scheduled version (the last one if several are scheduled)."""
        later = [v for v in self.versions if v.effective_at > at]
        return later[-1] if later else None

    def this_or_later(self, version: Enacted) -> list[Enacted]:
        return self.versions[self.versions.index(version) :]

    def state_of(self, version_id: int, at: datetime) -> str:
        """``scheduled``, ``active`` (in force) or ``superseded`` for an activated version."""
        version = self.get(version_id)
        if version is None:
            raise KeyError(version_id)
        if version.effective_at > at:
            return "scheduled"
        return "active" if self.in_force(at) == version else "superseded"


def acceptances(
    session: Session, timeline: Timeline, at: datetime, user_ids: Iterable[int] | None = None
) -> dict[int, dict[int, datetime]]:
    """user id -> {version id: when accepted} for acceptances binding an activated version's
    exact content, signed at or before ``at``."""
    by_id = {str(v.id): v for v in timeline.versions}
    if not by_id:
        return {}
    query = select(Signature).where(
        Signature.object_type == OBJECT_TYPE,
        Signature.meaning == Meaning.ACCEPTED.value,
        Signature.object_id.in_(by_id),
        Signature.signed_at <= at,
    )
    if user_ids is not None:
        query = query.where(Signature.user_id.in_(list(user_ids)))
    found: dict[int, dict[int, datetime]] = defaultdict(dict)
    for signature in session.scalars(query):
        version = by_id[signature.object_id]
        if (signature.object_version, signature.object_hash) == (
            version.revision,
            version.content_hash,
        ):
            found[signature.user_id].setdefault(version.id, signature.signed_at)
    return found


def moment(at: datetime | None) -> datetime:
    """``at`` (time-zone aware, else a clear error), or now."""
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise GouvernailError("at needs a time zone, e.g. 2026-12-01T00:00:00Z", field="at")
    return at


class AcceptanceState(StrEnum):
    ACCEPTED = "accepted"
    IN_GRACE = "in_grace"
    MISSING = "missing"
    NO_CHARTER = "no_charter"


class AcceptanceStatus(BaseModel):
    """Where a user stands with the charter at one moment; ``compliant`` gates keys."""

    state: AcceptanceState
    at: datetime
    in_force_id: int | None = None
    in_force_number: str | None = None
    accepted_id: int | None = None
    accepted_number: str | None = None
    deadline: datetime | None = None
    upcoming_id: int | None = None
    upcoming_number: str | None = None
    upcoming_effective_at: datetime | None = None
    upcoming_accepted: bool = False
    message: str

    @property
    def compliant(self) -> bool:
        return self.state in (AcceptanceState.ACCEPTED, AcceptanceState.IN_GRACE)


def evaluate(timeline: Timeline, accepted: Iterable[int], at: datetime) -> AcceptanceStatus:
    """The acceptance status at ``at`` of a user who accepted the versions ``accepted``."""
    accepted_ids = set(accepted)
    current = timeline.in_force(at)
    upcoming = timeline.upcoming(at)
    extra: dict[str, Any] = {"at": at}
    if upcoming is not None:
        extra.update(
            upcoming_id=upcoming.id,
            upcoming_number=upcoming.number,
            upcoming_effective_at=upcoming.effective_at,
            upcoming_accepted=upcoming.id in accepted_ids,
        )
    if current is None:
        return AcceptanceStatus(
            state=AcceptanceState.NO_CHARTER,
            message="no charter is in force: the company must adopt one before AI access",
            **extra,
        )
    extra.update(in_force_id=current.id, in_force_number=current.number)
    newer = [v for v in timeline.this_or_later(current) if v.id in accepted_ids]
    if newer:
        return AcceptanceStatus(
            state=AcceptanceState.ACCEPTED,
            accepted_id=newer[0].id,
            accepted_number=newer[0].number,
            message=f"charter {newer[0].number} accepted",
            **extra,
        )
    previous = timeline.previous(current)
    if previous is not None and previous.id in accepted_ids and at < current.grace_ends_at:
        return AcceptanceStatus(
            state=AcceptanceState.IN_GRACE,
            accepted_id=previous.id,
            accepted_number=previous.number,
            deadline=current.grace_ends_at,
            message=(
                f"charter {current.number} is in force; you accepted {previous.number} and "
                f"must accept {current.number} before {current.grace_ends_at:%Y-%m-%d %H:%M} UTC"
            ),
            **extra,
        )
    return AcceptanceStatus(
        state=AcceptanceState.MISSING,
        message=(
            f"charter {current.number} (id {current.id}) is in force and not accepted: "
            "read it (GET /api/v1/charter) and accept it (POST /api/v1/charter/accept)"
        ),
        **extra,
    )


def status_in(session: Session, user_id: int, at: datetime) -> AcceptanceStatus:
    """``Charters.acceptance_status`` inside an open session (key issuing, the gateway)."""
    timeline = Timeline.load(session)
    accepted = acceptances(session, timeline, at, [user_id]).get(user_id, {})
    return evaluate(timeline, accepted, at)
