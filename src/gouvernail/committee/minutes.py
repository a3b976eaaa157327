"""Minutes of a committee meeting: Markdown text plus what the meeting recorded (attendance,
agenda outcomes and notes), kept as numbered revisions and approved by electronic signature.

Each revision stores the canonical content it stands for; the ``committee_minutes`` signable
hashes the live content, so a signature applied to revision N is shown as a signature of an
earlier version as soon as anything it covered changes. Editing approved minutes brings the
meeting back to ``held`` until a voting member approves the new revision.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as audit_events
from gouvernail.committee import events as ev
from gouvernail.committee._common import get_meeting, require_reason, touch
from gouvernail.committee.members import members_on, today, voting_member_ids
from gouvernail.committee.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    MinutesRevision,
)
from gouvernail.committee.views import (
    MinutesContentView,
    MinutesRevisionView,
    MinutesSignatureView,
    MinutesView,
)
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.identity import security
from gouvernail.identity.models import User
from gouvernail.identity.principal import Principal
from gouvernail.signatures.models import Meaning, Signature
from gouvernail.signatures.service import SignableVersion, Signatures, content_hash

OBJECT_TYPE = "committee_minutes"
SIGNABLE_STATUSES = {MeetingStatus.HELD.value, MeetingStatus.MINUTES_APPROVED.value}


def latest_revision(session: Session, meeting_id: int) -> MinutesRevision | None:
    return session.scalar(
        select(MinutesRevision)
        .where(MinutesRevision.meeting_id == meeting_id)
        .order_by(MinutesRevision.revision.desc())
        .limit(1)
    )


def content(session: Session, meeting: Meeting, body: str) -> dict[str, Any]:
    """Everything an approval of the minutes vouches for, in canonical form."""
    session.flush()
    attendance = session.execute(
        select(Attendance.user_id, User.display_name, Attendance.presence)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Attendance.user_id)
    ).all()
    items = session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
    )
    return {
        "meeting_id": meeting.id,
        "title": meeting.title,
        "scheduled_at": meeting.scheduled_at.isoformat(),
        "body": body,
        "attendance": [
            {"user_id": user_id, "printed_name": name, "presence": presence}
            for user_id, name, presence in attendance
        ],
        "items": [
            {
                "position": item.position,
                "kind": item.kind,
                "use_case_id": item.use_case_id,
                "topic": item.topic,
                "outcome": item.outcome,
                "notes": item.notes,
                "approval_decision_id": item.approval_decision_id,
                "transition_id": item.transition_id,
            }
            for item in items
        ],
    }


def revise(tx: Tx, meeting: Meeting, *, reason: str, body: str | None = None) -> bool:
    """Write a new minutes revision if the minutes' content changed; return whether it did.

    Called after every change to a meeting: before any text is written (``body`` None and no
    revision yet) there are no minutes to revise."""
    latest = latest_revision(tx.session, meeting.id)
    if latest is None and body is None:
        return False
    text = body if body is not None else latest.body if latest else ""
    data = content(tx.session, meeting, text)
    digest = content_hash(data)
    if latest is not None and latest.content_hash == digest:
        return False
    revision = meeting.minutes_revision + 1
    tx.session.add(
        MinutesRevision(
            meeting_id=meeting.id,
            revision=revision,
            body=text,
            content=orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(),
            content_hash=digest,
            edited_by=tx.context.actor.name,
            reason=reason,
            created_at=utcnow(),
        )
    )
    meeting.minutes_revision = revision
    old_status = meeting.status
    if meeting.status == MeetingStatus.MINUTES_APPROVED.value:
        meeting.status = MeetingStatus.HELD.value
    tx.emit(
        ev.MinutesRevised(
            object_id=str(meeting.id),
            object_version=revision,
            old={
                "revision": revision - 1,
                "content_hash": latest.content_hash if latest else None,
                "status": old_status,
            },
            new={"revision": revision, "content_hash": digest, "status": meeting.status},
            reason=reason,
        )
    )
    return True


class MinutesSignable:
    """Minutes can be signed ``approved`` once the meeting is held."""

    object_type = OBJECT_TYPE
    signed_through: str | None = "POST /api/v1/committee/meetings/{id}/minutes/approve"
    decided_by: tuple[str, str] | None = None  # decided through signed_through

    def current(self, session: Session, object_id: str) -> SignableVersion:
        meeting = get_meeting(session, object_id)
        latest = latest_revision(session, meeting.id)
        if latest is None:
            raise NotFoundError(f"meeting {meeting.id} has no minutes yet")
        return SignableVersion(
            version=meeting.minutes_revision,
            content_hash=content_hash(content(session, meeting, latest.body)),
            meanings=frozenset({Meaning.APPROVED} if meeting.status in SIGNABLE_STATUSES else ()),
            label=f"the minutes of meeting {meeting.id} ({meeting.title})",
        )


class Minutes:
    def __init__(self, database: Database, trail: AuditTrail, signatures: Signatures) -> None:
        self.database = database
        self.trail = trail
        self.signatures = signatures
        signatures.register(MinutesSignable())

    def write(
        self, ctx: AuditContext, meeting_id: int, *, version: int, body: str, reason: str
    ) -> MinutesView:
        """Replace the text of the minutes. ``version`` is the minutes revision you edited
        (0 for the first text)."""
        reason = require_reason(reason, "editing the minutes")
        if not body.strip():
            raise GouvernailError("the minutes need their text", field="body")

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            if meeting.status not in SIGNABLE_STATUSES:
                raise ConflictError(
                    f"meeting {meeting.id} is {meeting.status}: minutes are written once it is held"
                )
            if version != meeting.minutes_revision:
                raise ConflictError(
                    f"the minutes are at revision {meeting.minutes_revision}, you edited "
                    f"revision {version}: reload them and apply your change again",
                    field="version",
                    code="version_conflict",
                )
            if not revise(tx, meeting, reason=reason, body=body):
                raise GouvernailError("nothing to change", field="body")
            touch(meeting)

        self.trail.run(ctx, work)
        return self._require(meeting_id)

    def approve(
        self,
        principal: Principal,
        meeting_id: int,
        *,
        version: int,
        password: str | None,
        reason: str = "",
        request_id: str = "",
    ) -> MinutesView:
        """Sign the minutes ``approved`` (re-authentication required). Only a voting member of
        the committee may; the approval closes the meeting (status minutes_approved) in the
        same transaction as the signature."""
        with self.database.read() as session:
            meeting = get_meeting(session, meeting_id)
            voting = principal.user_id in voting_member_ids(session, today())
            title, status = meeting.title, meeting.status
        if not voting:
            self._refuse(principal, meeting_id, request_id)
        if status not in SIGNABLE_STATUSES:
            raise ConflictError(
                f"meeting {meeting_id} is {status}: its minutes can be approved once it is held"
            )

        def close(tx: Tx, signature: Signature) -> None:
            if signature.user_id not in voting_member_ids(tx.session, today()):
                raise ForbiddenError("only voting members of the committee approve minutes")
            meeting = get_meeting(tx.session, meeting_id)
            if meeting.status != MeetingStatus.HELD.value:
                return  # a further approval of minutes already approved
            meeting.status = MeetingStatus.MINUTES_APPROVED.value
            touch(meeting)
            tx.emit(
                ev.MinutesApproved(
                    object_id=str(meeting_id),
                    object_version=meeting.minutes_revision,
                    old={"status": MeetingStatus.HELD.value},
                    new={
                        "status": meeting.status,
                        "signature_id": signature.id,
                        "printed_name": signature.printed_name,
                    },
                    reason=signature.reason,
                )
            )

        self.signatures.sign(
            principal,
            object_type=OBJECT_TYPE,
            object_id=str(meeting_id),
            meaning=Meaning.APPROVED.value,
            reason=reason.strip() or f"approval of the minutes of {title}",
            password=password,
            expected_version=version,
            request_id=request_id,
            after_sign=close,
        )
        return self._require(meeting_id)

    def _refuse(self, principal: Principal, meeting_id: int, request_id: str) -> None:
        """A refused approval is audited and reported like any refused action."""
        why = f"{principal.username} is not a voting member of the committee"

        def work(tx: Tx) -> None:
            tx.emit(
                audit_events.AccessDenied(
                    object_id=f"{OBJECT_TYPE} {meeting_id}",
                    new={"resource": OBJECT_TYPE, "action": "approve", "reason": why},
                )
            )
            security.report(
                tx.session,
                "access_denied",
                f"{principal.username} was refused approving the minutes of meeting "
                f"{meeting_id}: {why}",
            )

        self.trail.run(AuditContext(principal.actor, request_id), work)
        raise ForbiddenError(f"only voting members of the committee approve minutes: {why}")

    def get(self, meeting_id: int) -> MinutesView | None:
        with self.database.read() as session:
            meeting = get_meeting(session, meeting_id)
            latest = latest_revision(session, meeting.id)
            if latest is None:
                return None
            history = [
                MinutesRevisionView(
                    revision=row.revision,
                    content_hash=row.content_hash,
                    edited_by=row.edited_by,
                    reason=row.reason,
                    created_at=row.created_at,
                )
                for row in session.scalars(
                    select(MinutesRevision)
                    .where(MinutesRevision.meeting_id == meeting.id)
                    .order_by(MinutesRevision.revision)
                )
            ]
            signatures = [
                MinutesSignatureView(
                    **signature.model_dump(),
                    voting_member=signature.user_id
                    in {
                        m.user_id
                        for m, _ in members_on(session, signature.signed_at.date())
                        if m.voting
                    },
                )
                for signature in self.signatures.list_for(OBJECT_TYPE, str(meeting.id))
            ]
        return MinutesView(
            meeting_id=meeting.id,
            revision=latest.revision,
            body=latest.body,
            content_hash=latest.content_hash,
            edited_by=latest.edited_by,
            edited_at=latest.created_at,
            reason=latest.reason,
            approved=meeting.status == MeetingStatus.MINUTES_APPROVED.value,
            signatures=signatures,
            history=history,
        )

    def _require(self, meeting_id: int) -> MinutesView:
        view = self.get(meeting_id)
        if view is None:
            raise NotFoundError(f"meeting {meeting_id} has no minutes yet")
        return view

    def revision(self, meeting_id: int, revision: int) -> MinutesContentView:
        """One revision exactly as it was written and signed."""
        with self.database.read() as session:
            row = session.scalar(
                select(MinutesRevision).where(
                    MinutesRevision.meeting_id == meeting_id,
                    MinutesRevision.revision == revision,
                )
            )
            if row is None:
                raise NotFoundError(f"meeting {meeting_id} has no minutes revision {revision}")
            return MinutesContentView(
                meeting_id=meeting_id,
                revision=row.revision,
                content_hash=row.content_hash,
                edited_by=row.edited_by,
                reason=row.reason,
                created_at=row.created_at,
                content=orjson.loads(row.content),
            )
