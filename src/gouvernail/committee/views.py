"""What the committee services return: plain values built from the tables (never ORM objects).

A meeting view is what the portal's Committee page shows on one screen: the meeting, who
attends and whether the quorum is reached, the agenda with each use case's key facts, and the
minutes with their signatures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.committee.members import members_on
from gouvernail.committee.models import AgendaItem, Attendance, Meeting, Presence
from gouvernail.committee.quorum import QuorumRule, QuorumView
from gouvernail.identity.models import User
from gouvernail.registry.models import UseCase
from gouvernail.signatures.service import SignatureView


class MeetingSummary(BaseModel):
    id: int
    title: str
    scheduled_at: datetime
    location: str
    status: str
    version: int
    minutes_revision: int
    items: int

    @classmethod
    def of(cls, meeting: Meeting, items: int) -> MeetingSummary:
        return cls(
            id=meeting.id,
            title=meeting.title,
            scheduled_at=meeting.scheduled_at,
            location=meeting.location,
            status=meeting.status,
            version=meeting.version,
            minutes_revision=meeting.minutes_revision,
            items=items,
        )


class AttendeeView(BaseModel):
    user_id: int
    username: str
    display_name: str
    presence: str
    committee_role: str | None
    voting: bool


class AgendaItemView(BaseModel):
    """One agenda item. ``facts`` are the use case's key facts when it was put on the agenda;
    ``current_status`` is its status now."""

    id: int
    position: int
    kind: str
    use_case_id: int | None
    topic: str
    why: str
    facts: dict[str, Any]
    current_status: str | None
    notes: str
    outcome: str | None
    approval_decision_id: int | None
    transition_id: int | None


class MinutesSignatureView(SignatureView):
    """A signature on the minutes, and whether its signer was a voting member that day."""

    voting_member: bool


class MinutesRevisionView(BaseModel):
    revision: int
    content_hash: str
    edited_by: str
    reason: str
    created_at: datetime


class MinutesView(BaseModel):
    """The current minutes. ``approved``: a voting member approved this very revision through
    the committee (meeting status minutes_approved). Every signature stays listed: those of
    earlier revisions with ``current: false``, and ``voting_member`` says whether the signer
    was one that day (signatures applied by others count for nothing)."""

    meeting_id: int
    revision: int
    body: str
    content_hash: str
    edited_by: str
    edited_at: datetime
    reason: str
    approved: bool
    signatures: list[MinutesSignatureView]
    history: list[MinutesRevisionView]


class MinutesContentView(MinutesRevisionView):
    """One revision exactly as it was (what a signature of that revision binds)."""

    meeting_id: int
    content: dict[str, Any]


class MeetingView(MeetingSummary):
    cancel_reason: str | None
    held_at: datetime | None
    created_at: datetime
    updated_at: datetime
    quorum: QuorumView
    attendees: list[AttendeeView]
    agenda: list[AgendaItemView]
    minutes: MinutesView | None


def meeting_day(meeting: Meeting) -> date:
    return meeting.scheduled_at.date()


def attendees(session: Session, meeting: Meeting) -> list[AttendeeView]:
    memberships = {
        member.user_id: member for member, _ in members_on(session, meeting_day(meeting))
    }
    rows = session.execute(
        select(Attendance, User)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(User.username)
    ).all()
    views = []
    for attendance, user in rows:
        member = memberships.get(user.id)
        views.append(
            AttendeeView(
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                presence=attendance.presence,
                committee_role=member.role if member else None,
                voting=bool(member and member.voting),
            )
        )
    return views


def quorum(session: Session, meeting: Meeting, rule: QuorumRule) -> QuorumView:
    """Voting members present at the meeting against the voting members on its date (a
    deactivated account no longer counts)."""
    voting = {
        member.user_id
        for member, user in members_on(session, meeting_day(meeting))
        if member.voting and user.is_active
    }
    present = set(
        session.scalars(
            select(Attendance.user_id).where(
                Attendance.meeting_id == meeting.id,
                Attendance.presence == Presence.PRESENT.value,
            )
        )
    )
    return rule.assess(len(voting), len(voting & present))


def agenda(session: Session, meeting_id: int) -> list[AgendaItemView]:
    rows = session.execute(
        select(AgendaItem, UseCase.status)
        .outerjoin(UseCase, UseCase.id == AgendaItem.use_case_id)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(AgendaItem.position)
    ).all()
    return [
        AgendaItemView(
            id=item.id,
            position=item.position,
            kind=item.kind,
            use_case_id=item.use_case_id,
            topic=item.topic,
            why=item.why,
            facts=orjson.loads(item.facts),
            current_status=status,
            notes=item.notes,
            outcome=item.outcome,
            approval_decision_id=item.approval_decision_id,
            transition_id=item.transition_id,
        )
        for item, status in rows
    ]


def item_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(AgendaItem.meeting_id, func.count(AgendaItem.id)).group_by(AgendaItem.meeting_id)
    ).all()
    return {meeting_id: int(count) for meeting_id, count in rows}
