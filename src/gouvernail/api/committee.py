"""The governance committee (members, meetings, agenda, minutes) and the referents of each team.

Every employee reads; ``committee, manage`` plans meetings, builds agendas and writes minutes;
``committee, manage_members`` appoints members; only a voting member's signature approves
minutes; ``referents, manage`` names the referents of a team.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from gouvernail.api.deps import Require, Rt, audit_context, request_id
from gouvernail.api.schemas import Reason
from gouvernail.committee.awaiting import AwaitingView
from gouvernail.committee.members import MemberView
from gouvernail.committee.referents import TeamReferentsView
from gouvernail.committee.schemas import (
    AgendaItemIn,
    AgendaItemPatch,
    AgendaOrderIn,
    AttendanceIn,
    MeetingIn,
    MeetingPatch,
    MemberEndIn,
    MemberIn,
    MinutesApproveIn,
    MinutesIn,
    ReferentIn,
    VersionIn,
    VersionReason,
)
from gouvernail.committee.views import MeetingSummary, MeetingView, MinutesContentView, MinutesView
from gouvernail.errors import NotFoundError
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["committee"])

Reader = Annotated[Principal, Depends(Require("committee", "read"))]
Manager = Annotated[Principal, Depends(Require("committee", "manage"))]
Appointer = Annotated[Principal, Depends(Require("committee", "manage_members"))]
Approver = Annotated[Principal, Depends(Require("committee", "approve_minutes"))]
ReferentManager = Annotated[Principal, Depends(Require("referents", "manage"))]

# --- members ------------------------------------------------------------------------------------


@router.get("/committee/members")
def list_members(_: Reader, runtime: Rt, include_past: bool = False) -> list[MemberView]:
    """Current (and future) members; ``include_past`` adds the ended memberships."""
    return runtime.committee.members.list(include_past=include_past)


@router.post("/committee/members", status_code=201)
def add_member(body: MemberIn, request: Request, principal: Appointer, runtime: Rt) -> MemberView:
    """Appoint a member; a voting member must hold the directory role committee_member."""
    return runtime.committee.members.add(
        audit_context(request, principal),
        username=body.username,
        role=body.role,
        voting=body.voting,
        since=body.since,
        reason=body.reason,
    )


@router.post("/committee/members/{member_id}/end")
def end_member(
    member_id: int, body: MemberEndIn, request: Request, principal: Appointer, runtime: Rt
) -> MemberView:
    """End a membership, with the reason."""
    return runtime.committee.members.end(
        audit_context(request, principal), member_id, reason=body.reason, until=body.until
    )


# --- meetings -----------------------------------------------------------------------------------


@router.get("/committee/awaiting")
def awaiting(_: Reader, runtime: Rt) -> list[AwaitingView]:
    """Use cases awaiting a committee decision, why, and their key facts now."""
    return runtime.committee.agenda.awaiting()


@router.get("/committee/meetings")
def list_meetings(_: Reader, runtime: Rt, status: str | None = None) -> list[MeetingSummary]:
    """Meetings, newest first; filter by ``status``."""
    return runtime.committee.meetings.list(status=status)


@router.post("/committee/meetings", status_code=201)
def schedule(body: MeetingIn, request: Request, principal: Manager, runtime: Rt) -> MeetingView:
    """Plan a meeting (status planned, version 1)."""
    return runtime.committee.meetings.schedule(
        audit_context(request, principal),
        title=body.title,
        scheduled_at=body.scheduled_at,
        location=body.location,
    )


@router.get("/committee/meetings/{meeting_id}")
def get_meeting(meeting_id: int, _: Reader, runtime: Rt) -> MeetingView:
    """The meeting on one screen: attendance and quorum, agenda with key facts, minutes."""
    return runtime.committee.meetings.get(meeting_id)


@router.patch("/committee/meetings/{meeting_id}")
def reschedule(
    meeting_id: int, body: MeetingPatch, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Change a planned meeting's title, date or place."""
    return runtime.committee.meetings.reschedule(
        audit_context(request, principal),
        meeting_id,
        version=body.version,
        reason=body.reason,
        title=body.title,
        scheduled_at=body.scheduled_at,
        location=body.location,
    )


@router.put("/committee/meetings/{meeting_id}/attendance")
def set_attendance(
    meeting_id: int, body: AttendanceIn, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Replace the attendance list; the quorum is recomputed."""
    return runtime.committee.meetings.set_attendance(
        audit_context(request, principal),
        meeting_id,
        version=body.version,
        attendees=[(a.username, a.presence) for a in body.attendees],
        reason=body.reason,
    )


@router.post("/committee/meetings/{meeting_id}/held")
def hold(
    meeting_id: int, body: VersionReason, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Declare the meeting held; refused (409 no_quorum) without the quorum."""
    return runtime.committee.meetings.hold(
        audit_context(request, principal), meeting_id, version=body.version, reason=body.reason
    )


@router.post("/committee/meetings/{meeting_id}/cancel")
def cancel(
    meeting_id: int, body: VersionReason, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Cancel a planned meeting, with the reason."""
    return runtime.committee.meetings.cancel(
        audit_context(request, principal), meeting_id, version=body.version, reason=body.reason
    )


# --- agenda -------------------------------------------------------------------------------------


@router.post("/committee/meetings/{meeting_id}/agenda", status_code=201)
def add_item(
    meeting_id: int, body: AgendaItemIn, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Put a use case (its key facts are kept as they are now) or a free topic on the agenda."""
    return runtime.committee.agenda.add(
        audit_context(request, principal),
        meeting_id,
        version=body.version,
        use_case_id=body.use_case_id,
        topic=body.topic,
        why=body.why,
    )


@router.post("/committee/meetings/{meeting_id}/agenda/propose")
def propose(
    meeting_id: int, body: VersionIn, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Add every use case awaiting a decision that no planned meeting's agenda holds yet."""
    return runtime.committee.agenda.propose(
        audit_context(request, principal), meeting_id, version=body.version
    )


@router.put("/committee/meetings/{meeting_id}/agenda/order")
def reorder(
    meeting_id: int, body: AgendaOrderIn, request: Request, principal: Manager, runtime: Rt
) -> MeetingView:
    """Order the agenda: list every item id once, first to last."""
    return runtime.committee.agenda.reorder(
        audit_context(request, principal), meeting_id, version=body.version, item_ids=body.item_ids
    )


@router.patch("/committee/meetings/{meeting_id}/agenda/{item_id}")
def record_item(
    meeting_id: int,
    item_id: int,
    body: AgendaItemPatch,
    request: Request,
    principal: Manager,
    runtime: Rt,
) -> MeetingView:
    """Record discussion notes, and the outcome with the record that implemented it."""
    return runtime.committee.agenda.record(
        audit_context(request, principal),
        meeting_id,
        item_id,
        version=body.version,
        reason=body.reason,
        notes=body.notes,
        outcome=body.outcome,
        approval_decision_id=body.approval_decision_id,
        transition_id=body.transition_id,
    )


@router.post("/committee/meetings/{meeting_id}/agenda/{item_id}/withdraw")
def withdraw_item(
    meeting_id: int,
    item_id: int,
    body: VersionReason,
    request: Request,
    principal: Manager,
    runtime: Rt,
) -> MeetingView:
    """Take an item off a planned meeting's agenda."""
    return runtime.committee.agenda.withdraw(
        audit_context(request, principal),
        meeting_id,
        item_id,
        version=body.version,
        reason=body.reason,
    )


# --- minutes ------------------------------------------------------------------------------------


@router.get("/committee/meetings/{meeting_id}/minutes")
def get_minutes(meeting_id: int, _: Reader, runtime: Rt) -> MinutesView:
    """The current minutes, their signatures (earlier revisions marked) and history."""
    minutes = runtime.committee.minutes.get(meeting_id)
    if minutes is None:
        raise NotFoundError(f"meeting {meeting_id} has no minutes yet")
    return minutes


@router.get("/committee/meetings/{meeting_id}/minutes/{revision}")
def get_minutes_revision(
    meeting_id: int, revision: int, _: Reader, runtime: Rt
) -> MinutesContentView:
    """One revision exactly as written (what a signature of that revision binds)."""
    return runtime.committee.minutes.revision(meeting_id, revision)


@router.put("/committee/meetings/{meeting_id}/minutes")
def write_minutes(
    meeting_id: int, body: MinutesIn, request: Request, principal: Manager, runtime: Rt
) -> MinutesView:
    """Write the minutes text: a new revision; an approval of an earlier one stops binding."""
    return runtime.committee.minutes.write(
        audit_context(request, principal),
        meeting_id,
        version=body.version,
        body=body.body,
        reason=body.reason,
    )


@router.post("/committee/meetings/{meeting_id}/minutes/approve")
def approve_minutes(
    meeting_id: int, body: MinutesApproveIn, request: Request, principal: Approver, runtime: Rt
) -> MinutesView:
    """Approve the minutes: an electronic signature by a voting member (password again)."""
    return runtime.committee.minutes.approve(
        principal,
        meeting_id,
        version=body.version,
        password=body.password,
        reason=body.reason,
        request_id=request_id(request),
    )


# --- referents ----------------------------------------------------------------------------------


@router.get("/teams/{slug}/referents", tags=["referents"])
def team_referents(slug: str, _: Reader, runtime: Rt, history: bool = False) -> TeamReferentsView:
    """The team's referents, the effective ones per kind (inherited from parent teams when it
    has none) and, with ``history``, the ended assignments."""
    return runtime.committee.referents.of_team(slug, history=history)


@router.put("/teams/{slug}/referents/{kind}", tags=["referents"])
def assign_referent(
    slug: str,
    kind: str,
    body: ReferentIn,
    request: Request,
    principal: ReferentManager,
    runtime: Rt,
) -> TeamReferentsView:
    """Name the AI referent or data owner (replacing the one in office) or add a security
    referent; the person must hold the directory role of that name."""
    return runtime.committee.referents.assign(
        audit_context(request, principal), slug, kind, username=body.username, reason=body.reason
    )


@router.post("/teams/{slug}/referents/{kind}/{username}/end", tags=["referents"])
def end_referent(
    slug: str,
    kind: str,
    username: str,
    body: Reason,
    request: Request,
    principal: ReferentManager,
    runtime: Rt,
) -> TeamReferentsView:
    """End an assignment without a successor (lookups then use the parent team's)."""
    return runtime.committee.referents.end(
        audit_context(request, principal), slug, kind, username=username, reason=body.reason
    )
