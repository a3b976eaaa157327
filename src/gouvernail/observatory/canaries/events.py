"""Audit events of the canaries (documented in ``docs/audit-events.md``).

Each canary call is an ordinary gateway call, audited as such; the trail adds the configuration,
the start and end of each run, the drifts found and the decisions taken on them."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class CanaryConfigured(AuditEvent):
    """A model's canary was configured or changed (object: the model name): enabled, prompt
    set, samples, use case, the person the calls are made for, the schedule hint; old and new
    values, and whether the baseline was dropped (another prompt set)."""

    action = "canary.configured"
    object_type = "canary"


@dataclass(frozen=True, kw_only=True)
class CanaryRunStarted(AuditEvent):
    """A canary run started (object: the run id): model, prompt set and its version, samples,
    calls to make, use case, the person the calls are made for, the idempotency key."""

    action = "canary.run_started"
    object_type = "canary_run"


@dataclass(frozen=True, kw_only=True)
class CanaryRunFinished(AuditEvent):
    """A canary run ended: ``complete`` (compared with the baseline, or made the baseline) or
    ``incomplete`` with why in ``reason`` (a failed, refused or rerouted call, an interruption);
    calls by status, and the metrics that changed."""

    action = "canary.run_finished"
    object_type = "canary_run"


@dataclass(frozen=True, kw_only=True)
class CanaryDriftDetected(AuditEvent):
    """A run differs significantly from its model's baseline (object: the drift id): the runs
    compared and, per changed metric, its effect size and p-values (or the values that changed,
    for the system fingerprint and the model name)."""

    action = "canary.drift_detected"
    object_type = "canary_drift"


@dataclass(frozen=True, kw_only=True)
class CanaryDriftAcknowledged(AuditEvent):
    """Someone who manages canaries acknowledged a drift, with the reason (status open to
    acknowledged)."""

    action = "canary.drift_acknowledged"
    object_type = "canary_drift"


@dataclass(frozen=True, kw_only=True)
class CanaryBaselinePinned(AuditEvent):
    """A model's baseline changed (object: the model name): the old and new baseline run, the
    reason, and the drift it settles if any (that drift becomes ``rebaselined``)."""

    action = "canary.baseline_pinned"
    object_type = "canary"
