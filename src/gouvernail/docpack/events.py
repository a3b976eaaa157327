"""Audit events of the documentation packs: who generated which document, in which format,
with which content (its hash), so that any copy handed to an inspector can be traced back."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class DocumentationGenerated(AuditEvent):
    """The documentation pack of a use case (EU AI Act Annex IV outline, risks, approvals,
    audit history) was generated: format, revision, content hash and file hash."""

    action = "documentation.generated"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class ValidationPackGenerated(AuditEvent):
    """The platform's validation pack (requirements traced to tests and their results) was
    generated: format, Gouvernail version, test evidence file and its hash, summary."""

    action = "validation_pack.generated"
    object_type = "platform"
