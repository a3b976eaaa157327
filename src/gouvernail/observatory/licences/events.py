"""Audit events of licences and outside tools (documented in ``docs/audit-events.md``).

The trail records each tool declared or changed and each import with its figures. Who holds a
seat, and what a person sent to an outside tool, stay in the tables (never any message text).
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class ToolAdded(AuditEvent):
    """A licensed AI tool was declared (``new``: its fields, inventory links, seat price and
    seats bought)."""

    action = "licence.tool_added"
    object_type = "licence_tool"


@dataclass(frozen=True, kw_only=True)
class ToolChanged(AuditEvent):
    """A licensed tool changed (seats bought, price, links, hosting…): the fields before
    (``old``) and after (``new``), and why."""

    action = "licence.tool_changed"
    object_type = "licence_tool"


@dataclass(frozen=True, kw_only=True)
class SeatsImported(AuditEvent):
    """A vendor's seat export was imported for a tool (``new``: file name, format, SHA-256,
    the export's date, rows, malformed rows, unknown people, seats added, updated and
    released)."""

    action = "licence.seats_imported"
    object_type = "licence_import"


@dataclass(frozen=True, kw_only=True)
class ActivityImported(AuditEvent):
    """An outside tool's activity export was imported and inspected (``new``: file name,
    format, SHA-256, lines, malformed lines, messages kept, duplicates skipped, messages with
    findings and messages above what the charter lets the tool receive)."""

    action = "licence.activity_imported"
    object_type = "licence_import"
