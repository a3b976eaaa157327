"""Audit events of the AI incident register (documented in ``docs/audit-events.md``).

Each names the incident by its id (``object_id``) and version, and carries whether the
serious-incident rules flagged it at that moment (``possibly_serious``, ``report_by``, and the
rules' version), so the trail shows what the register said when each decision was taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class IncidentReported(AuditEvent):
    """An AI incident was reported: its fields (title, kind, severity, use case, dates, harms,
    widespread, death, description) and the serious-incident assessment."""

    action = "incident.reported"
    object_type = "incident"


@dataclass(frozen=True, kw_only=True)
class IncidentChanged(AuditEvent):
    """An incident's fields changed (status, severity, harms, use case, dates…): old and new
    values of those that changed, the assessment before and after, and why."""

    action = "incident.changed"
    object_type = "incident"


@dataclass(frozen=True, kw_only=True)
class IncidentNoteAdded(AuditEvent):
    """A note was added to an incident's timeline (its text and timeline entry id)."""

    action = "incident.note_added"
    object_type = "incident"


@dataclass(frozen=True, kw_only=True)
class IncidentRequestsLinked(AuditEvent):
    """Gateway calls were linked to an incident: the request ids newly linked."""

    action = "incident.requests_linked"
    object_type = "incident"


@dataclass(frozen=True, kw_only=True)
class IncidentActionAdded(AuditEvent):
    """A corrective action was added to an incident: its id, description, owner and due date."""

    action = "incident.action_added"
    object_type = "incident"


@dataclass(frozen=True, kw_only=True)
class IncidentActionDone(AuditEvent):
    """A corrective action was marked done (its id, whether it was overdue, the note)."""

    action = "incident.action_done"
    object_type = "incident"
