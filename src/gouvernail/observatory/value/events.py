"""Audit events of value models (documented in ``docs/audit-events.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class ValueModelSet(AuditEvent):
    """A use case's value model was set or replaced (object: the use case id; version: the
    value model's): the old and new inputs — baseline or key result, tasks, hourly cost, time
    saved with its method (declared, key result or study) and who declared it, redeployed
    share, target users, licence, hosting, support and build costs — and why."""

    action = "value.model_set"
    object_type = "use_case_value"
