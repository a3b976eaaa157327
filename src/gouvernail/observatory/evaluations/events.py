"""Audit events of the evaluation suites (documented in ``docs/audit-events.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class EvaluationSuiteImported(AuditEvent):
    """A dataset was imported as a new version of a suite (object: the suite id; version: the
    dataset version): use case, name, format, source file, SHA-256 of the cases, number of
    cases, scorers used. Importing the same cases again records nothing."""

    action = "evaluation.suite_imported"
    object_type = "evaluation_suite"


@dataclass(frozen=True, kw_only=True)
class EvaluationRunCreated(AuditEvent):
    """A run was created, queued (object: the run id): use case, suite, dataset version and
    its SHA-256, model, prompt version, judge and embedding models, cases."""

    action = "evaluation.run_created"
    object_type = "evaluation_run"


@dataclass(frozen=True, kw_only=True)
class EvaluationRunStarted(AuditEvent):
    """A run started or resumed (``execution`` counts them): the cases still to score, those
    already scored, and for whom the calls are made."""

    action = "evaluation.run_started"
    object_type = "evaluation_run"


@dataclass(frozen=True, kw_only=True)
class EvaluationRunFinished(AuditEvent):
    """A run ended: ``complete`` (every case scored) or ``incomplete`` (``incomplete: true``,
    why in ``reason``: a call refused or failed, a case that could not be scored, an
    interruption), with cases by status and the pass rate."""

    action = "evaluation.run_finished"
    object_type = "evaluation_run"


@dataclass(frozen=True, kw_only=True)
class EvaluationGateRefused(AuditEvent):
    """The evaluation gate refused a prompt version or a model (object: the use case id): the
    candidate, the baseline, the runs compared and the reason."""

    action = "evaluation.gate_refused"
    object_type = "use_case"
