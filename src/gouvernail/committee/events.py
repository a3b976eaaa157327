"""Audit events of the governance committee and of the team referents."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent

# --- membership ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CommitteeMemberAdded(AuditEvent):
    """A user joined the committee (role, voting right, first day), with the reason."""

    action = "committee.member_added"
    object_type = "committee_member"


@dataclass(frozen=True, kw_only=True)
class CommitteeMemberEnded(AuditEvent):
    """A committee membership ended: from ``until`` on, the person is no longer a member."""

    action = "committee.member_ended"
    object_type = "committee_member"


# --- meetings -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MeetingScheduled(AuditEvent):
    """A committee meeting was planned (title, date and time, place or link)."""

    action = "committee.meeting_scheduled"
    object_type = "committee_meeting"


@dataclass(frozen=True, kw_only=True)
class MeetingRescheduled(AuditEvent):
    """A planned meeting's title, date or place changed, with the reason."""

    action = "committee.meeting_rescheduled"
    object_type = "committee_meeting"


@dataclass(frozen=True, kw_only=True)
class AttendanceRecorded(AuditEvent):
    """The attendance list (present, excused, absent) of a meeting was set; the quorum it gives
    is recorded with it."""

    action = "committee.attendance_recorded"
    object_type = "committee_meeting"


@dataclass(frozen=True, kw_only=True)
class MeetingHeld(AuditEvent):
    """A meeting was declared held, its quorum of voting members present being reached."""

    action = "committee.meeting_held"
    object_type = "committee_meeting"


@dataclass(frozen=True, kw_only=True)
class MeetingCancelled(AuditEvent):
    """A planned meeting was cancelled, with the reason."""

    action = "committee.meeting_cancelled"
    object_type = "committee_meeting"


# --- agenda -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgendaItemAdded(AuditEvent):
    """A use case (with its key facts at that moment) or a free topic was put on the agenda."""

    action = "committee.agenda_item_added"
    object_type = "committee_agenda_item"


@dataclass(frozen=True, kw_only=True)
class AgendaProposed(AuditEvent):
    """The agenda was filled with every use case awaiting a decision and not yet on a planned
    meeting's agenda."""

    action = "committee.agenda_proposed"
    object_type = "committee_meeting"


@dataclass(frozen=True, kw_only=True)
class AgendaReordered(AuditEvent):
    """The order of the agenda items changed."""

    action = "committee.agenda_reordered"
    object_type = "committee_meeting"


@dataclass(frozen=True, kw_only=True)
class AgendaItemWithdrawn(AuditEvent):
    """An item was taken off a planned meeting's agenda, with the reason."""

    action = "committee.agenda_item_withdrawn"
    object_type = "committee_agenda_item"


@dataclass(frozen=True, kw_only=True)
class AgendaItemRecorded(AuditEvent):
    """The discussion notes or the outcome (the committee's decision) of an item were recorded,
    with the links to the approval decision or transition that implemented it."""

    action = "committee.agenda_item_recorded"
    object_type = "committee_agenda_item"


# --- minutes ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MinutesRevised(AuditEvent):
    """The minutes of a meeting got a new revision (text, attendance or agenda outcomes changed);
    approval signatures of earlier revisions no longer bind it."""

    action = "committee.minutes_revised"
    object_type = "committee_minutes"


@dataclass(frozen=True, kw_only=True)
class MinutesApproved(AuditEvent):
    """A voting member's ``approved`` signature on the current minutes revision closed the
    meeting (status minutes_approved)."""

    action = "committee.minutes_approved"
    object_type = "committee_minutes"


# --- referents ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReferentAssigned(AuditEvent):
    """A user became the AI referent, a security referent or the data owner of a team."""

    action = "referent.assigned"
    object_type = "team_referent"


@dataclass(frozen=True, kw_only=True)
class ReferentEnded(AuditEvent):
    """A referent assignment ended (replaced or withdrawn), with the reason."""

    action = "referent.ended"
    object_type = "team_referent"
