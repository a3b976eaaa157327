"""Audit events of insight (documented in ``docs/audit-events.md``).

Questions and answers are not copied into the trail: the gateway's request log keeps them as the
use case's content retention says. The trail records who asked which sources, what was cited,
what was withheld and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class SourceCreated(AuditEvent):
    """An insight source was registered: kind, location, data owner, data class, use case,
    readers and models (``new``); never a secret, only the name of the variable holding it."""

    action = "insight.source_created"
    object_type = "insight_source"


@dataclass(frozen=True, kw_only=True)
class SourceSynced(AuditEvent):
    """A sync of a source ended: documents indexed, unchanged, relabelled (readers changed),
    removed, failed, unresolved (permissions) and withheld passages (``new``); ``reason`` holds
    the error when it stopped early."""

    action = "insight.source_synced"
    object_type = "insight_source"


@dataclass(frozen=True, kw_only=True)
class SourceDeleted(AuditEvent):
    """An insight source and its index were deleted (documents and passages counted in ``old``)."""

    action = "insight.source_deleted"
    object_type = "insight_source"


@dataclass(frozen=True, kw_only=True)
class QuestionAnswered(AuditEvent):
    """Someone asked insight: the sources, the documents and passages cited, those withheld,
    whether it abstained or answered without AI (and why), the gateway's request ids."""

    action = "insight.question_answered"
    object_type = "insight_question"
