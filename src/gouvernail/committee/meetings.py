"""Committee meetings: planning, attendance and quorum, holding or cancelling.

planned → held (only with the quorum of voting members present) → minutes_approved (see
``minutes.py``); planned → cancelled, with a reason. Every change names the version it was made
from and is refused with 409 when the meeting changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.committee import events as ev
from gouvernail.committee import views
from gouvernail.committee._common import (
    check_version,
    get_meeting,
    require_reason,
    touch,
    user_named,
)
from gouvernail.committee.minutes import Minutes, revise
from gouvernail.committee.models import Attendance, Meeting, MeetingStatus, Presence
from gouvernail.committee.quorum import QuorumRule
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError

OPEN = {MeetingStatus.PLANNED.value, MeetingStatus.HELD.value, MeetingStatus.MINUTES_APPROVED.value}


def check_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > 200:
        raise GouvernailError("the meeting needs a title of 1-200 characters", field="title")
    return title


def check_when(scheduled_at: datetime) -> datetime:
    if scheduled_at.tzinfo is None:
        raise GouvernailError(
            "give the date and time with its UTC offset (e.g. 2027-01-14T14:00:00+01:00)",
            field="scheduled_at",
        )
    return scheduled_at


def require_status(meeting: Meeting, allowed: set[str], doing: str) -> None:
    if meeting.status not in allowed:
        raise ConflictError(
            f"meeting {meeting.id} is {meeting.status}: cannot {doing} "
            f"(possible when {' or '.join(sorted(allowed))})",
            code="wrong_status",
        )


class Meetings:
    def __init__(
        self, database: Database, trail: AuditTrail, minutes: Minutes, quorum_rule: QuorumRule
    ) -> None:
        self.database = database
        self.trail = trail
        self.minutes = minutes
        self.quorum_rule = quorum_rule

    # --- reading --------------------------------------------------------------------------------

    def list(self, *, status: str | None = None) -> list[views.MeetingSummary]:
        if status is not None and status not in {s.value for s in MeetingStatus}:
            raise GouvernailError(
                f"status must be one of {[s.value for s in MeetingStatus]}", field="status"
            )
        with self.database.read() as session:
            query = select(Meeting).order_by(Meeting.scheduled_at.desc(), Meeting.id.desc())
            if status is not None:
                query = query.where(Meeting.status == status)
            counts = views.item_counts(session)
            return [views.MeetingSummary.of(m, counts.get(m.id, 0)) for m in session.scalars(query)]

    def get(self, meeting_id: int) -> views.MeetingView:
        with self.database.read() as session:
            meeting = get_meeting(session, meeting_id)
            items = views.agenda(session, meeting.id)
            summary = views.MeetingSummary.of(meeting, len(items))
            view = views.MeetingView(
                **summary.model_dump(),
                cancel_reason=meeting.cancel_reason,
                held_at=meeting.held_at,
                created_at=meeting.created_at,
                updated_at=meeting.updated_at,
                quorum=views.quorum(session, meeting, self.quorum_rule),
                attendees=views.attendees(session, meeting),
                agenda=items,
                minutes=None,
            )
        return view.model_copy(update={"minutes": self.minutes.get(meeting_id)})

    # --- changing -------------------------------------------------------------------------------

    def schedule(
        self, ctx: AuditContext, *, title: str, scheduled_at: datetime, location: str = ""
    ) -> views.MeetingView:
        title, when = check_title(title), check_when(scheduled_at)

        def work(tx: Tx) -> int:
            now = utcnow()
            meeting = Meeting(
                title=title,
                scheduled_at=when,
                location=location.strip(),
                status=MeetingStatus.PLANNED.value,
                version=1,
                minutes_revision=0,
                created_at=now,
                updated_at=now,
            )
            tx.session.add(meeting)
            tx.session.flush()
            tx.emit(
                ev.MeetingScheduled(
                    object_id=str(meeting.id),
                    object_version=1,
                    new={
                        "title": title,
                        "scheduled_at": when.isoformat(),
                        "location": meeting.location,
                    },
                )
            )
            return meeting.id

        return self.get(self.trail.run(ctx, work))

    def reschedule(
        self,
        ctx: AuditContext,
        meeting_id: int,
        *,
        version: int,
        reason: str,
        title: str | None = None,
        scheduled_at: datetime | None = None,
        location: str | None = None,
    ) -> views.MeetingView:
        reason = require_reason(reason, "changing a meeting")
        new_title = check_title(title) if title is not None else None
        new_when = check_when(scheduled_at) if scheduled_at is not None else None

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(
                meeting, {MeetingStatus.PLANNED.value}, "change its title, date or place"
            )
            old = {
                "title": meeting.title,
                "scheduled_at": meeting.scheduled_at.isoformat(),
                "location": meeting.location,
            }
            if new_title is not None:
                meeting.title = new_title
            if new_when is not None:
                meeting.scheduled_at = new_when
            if location is not None:
                meeting.location = location.strip()
            new = {
                "title": meeting.title,
                "scheduled_at": meeting.scheduled_at.isoformat(),
                "location": meeting.location,
            }
            changed = [key for key in new if new[key] != old[key]]
            if not changed:
                raise GouvernailError("nothing to change")
            touch(meeting)
            tx.emit(
                ev.MeetingRescheduled(
                    object_id=str(meeting.id),
                    object_version=meeting.version,
                    old={k: old[k] for k in changed},
                    new={k: new[k] for k in changed},
                    reason=reason,
                )
            )

        self.trail.run(ctx, work)
        return self.get(meeting_id)

    def set_attendance(
        self,
        ctx: AuditContext,
        meeting_id: int,
        *,
        version: int,
        attendees: Sequence[tuple[str, str]],
        reason: str = "",
    ) -> views.MeetingView:
        """Replace the attendance list with ``(username, presence)`` pairs. A held meeting keeps
        its quorum: a list without it is refused."""
        presences = {p.value for p in Presence}
        for index, (_, presence) in enumerate(attendees):
            if presence not in presences:
                raise GouvernailError(
                    f"presence must be one of {sorted(presences)}",
                    field=f"attendees.{index}.presence",
                )
        reason = reason.strip() or "attendance recorded"

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, OPEN, "record attendance")
            rows: dict[int, tuple[str, str]] = {}
            for index, (username, presence) in enumerate(attendees):
                user = user_named(tx.session, username, field=f"attendees.{index}.username")
                if user.id in rows:
                    raise GouvernailError(
                        f"{user.username} is listed twice", field=f"attendees.{index}.username"
                    )
                rows[user.id] = (user.username, presence)
            old = {
                row.user_id: row.presence
                for row in tx.session.scalars(
                    select(Attendance).where(Attendance.meeting_id == meeting.id)
                )
            }
            if old == {user_id: presence for user_id, (_, presence) in rows.items()}:
                raise GouvernailError("nothing to change", field="attendees")
            tx.session.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
            tx.session.add_all(
                Attendance(meeting_id=meeting.id, user_id=user_id, presence=presence)
                for user_id, (_, presence) in rows.items()
            )
            tx.session.flush()
            quorum = views.quorum(tx.session, meeting, self.quorum_rule)
            if meeting.status != MeetingStatus.PLANNED.value and not quorum.reached:
                raise ConflictError(
                    f"meeting {meeting.id} was held with its quorum; this list would leave "
                    f"{quorum.describe()}",
                    field="attendees",
                    code="no_quorum",
                )
            touch(meeting)
            tx.emit(
                ev.AttendanceRecorded(
                    object_id=str(meeting.id),
                    object_version=meeting.version,
                    new={
                        "attendees": dict(rows.values()),
                        "quorum": quorum.model_dump(),
                    },
                    reason=reason,
                )
            )
            revise(tx, meeting, reason=reason)

        self.trail.run(ctx, work)
        return self.get(meeting_id)

    def hold(
        self, ctx: AuditContext, meeting_id: int, *, version: int, reason: str
    ) -> views.MeetingView:
        """Declare the meeting held: refused unless the quorum of voting members is present."""
        reason = require_reason(reason, "declaring a meeting held")

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, {MeetingStatus.PLANNED.value}, "declare it held")
            quorum = views.quorum(tx.session, meeting, self.quorum_rule)
            if not quorum.reached:
                raise ConflictError(
                    f"no quorum: {quorum.describe()}; record the attendance, or cancel the meeting",
                    code="no_quorum",
                )
            meeting.status = MeetingStatus.HELD.value
            meeting.held_at = utcnow()
            touch(meeting)
            tx.emit(
                ev.MeetingHeld(
                    object_id=str(meeting.id),
                    object_version=meeting.version,
                    old={"status": MeetingStatus.PLANNED.value},
                    new={"status": meeting.status, "quorum": quorum.model_dump()},
                    reason=reason,
                )
            )

        self.trail.run(ctx, work)
        return self.get(meeting_id)

    def cancel(
        self, ctx: AuditContext, meeting_id: int, *, version: int, reason: str
    ) -> views.MeetingView:
        reason = require_reason(reason, "cancelling a meeting")

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, {MeetingStatus.PLANNED.value}, "cancel it")
            meeting.status = MeetingStatus.CANCELLED.value
            meeting.cancel_reason = reason
            touch(meeting)
            tx.emit(
                ev.MeetingCancelled(
                    object_id=str(meeting.id),
                    object_version=meeting.version,
                    old={"status": MeetingStatus.PLANNED.value},
                    new={"status": meeting.status},
                    reason=reason,
                )
            )

        self.trail.run(ctx, work)
        return self.get(meeting_id)
