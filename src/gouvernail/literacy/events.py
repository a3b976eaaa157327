"""Audit events of AI literacy (documented in docs/audit-events.md)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class TrainingModuleCreated(AuditEvent):
    """An AI-literacy training module was created (audience, validity, required flag)."""

    action = "training.module_created"
    object_type = "training_module"


@dataclass(frozen=True, kw_only=True)
class TrainingModuleUpdated(AuditEvent):
    """A training module changed; a new validity recomputes the expiry of its completions
    (their count is recorded)."""

    action = "training.module_updated"
    object_type = "training_module"


@dataclass(frozen=True, kw_only=True)
class TrainingCompleted(AuditEvent):
    """A person's completion of a module was recorded by a referent, or declared by the person
    where the settings allow it (``source``)."""

    action = "training.completed"
    object_type = "training_completion"


@dataclass(frozen=True, kw_only=True)
class TrainingImported(AuditEvent):
    """Completions were imported from a learning platform's export: file digest, rows,
    imported, duplicates skipped, rows rejected, whether a partial import was asked for."""

    action = "training.imported"
    object_type = "training_import"
