"""Audit events of answer feedback (documented in ``docs/audit-events.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class FeedbackGiven(AuditEvent):
    """Someone flagged a gateway call's answer (object: the request id): the verdict (useful,
    wrong, harmful, leaked data), the use case and model of the call, how it was given (``new``;
    the comment is in the feedback table, not the trail); ``old`` holds the verdict it replaced."""

    action = "feedback.given"
    object_type = "gateway_request"
