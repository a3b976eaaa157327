"""Audit events of the bias tests (documented in ``docs/audit-events.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class BiasRunStarted(AuditEvent):
    """A bias test started (object: the run id): template and its version, model, use case,
    cases, seed, the number of prompts it will send and the comparisons it will make."""

    action = "bias.run_started"
    object_type = "bias_run"


@dataclass(frozen=True, kw_only=True)
class BiasRunFinished(AuditEvent):
    """A bias test ended: status (``complete``, or ``incomplete`` with the first refusal or
    failure in ``reason``), prompts by status, the verdict per attribute and the flagged
    comparisons with their mean difference and adjusted p-value."""

    action = "bias.run_finished"
    object_type = "bias_run"
