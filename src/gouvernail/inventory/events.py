"""Audit events of the model and vendor inventory (documented in ``docs/audit-events.md``).

Values carry the fields that changed (old and new), never a secret: a model records the *name*
of the environment variable holding its provider key (``credential_ref``), never the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class VendorCreated(AuditEvent):
    """A vendor entered the inventory (identity, DPA, certifications, exit plan, lock-in)."""

    action = "vendor.created"
    object_type = "vendor"


@dataclass(frozen=True, kw_only=True)
class VendorUpdated(AuditEvent):
    """A vendor's declared facts changed; old and new values of each changed field."""

    action = "vendor.updated"
    object_type = "vendor"


@dataclass(frozen=True, kw_only=True)
class GuaranteeAdded(AuditEvent):
    """A contractual guarantee of a vendor was recorded, with its first review date."""

    action = "guarantee.added"
    object_type = "guarantee"


@dataclass(frozen=True, kw_only=True)
class GuaranteeUpdated(AuditEvent):
    """A guarantee's promise, document or review date was changed by an inventory import."""

    action = "guarantee.updated"
    object_type = "guarantee"


@dataclass(frozen=True, kw_only=True)
class GuaranteeReviewed(AuditEvent):
    """Someone checked a guarantee against the vendor's current terms: confirmed, changed
    (new promise) or withdrawn, with the next review date. Clears an overdue flag."""

    action = "guarantee.reviewed"
    object_type = "guarantee"


@dataclass(frozen=True, kw_only=True)
class GuaranteeOverdue(AuditEvent):
    """A guarantee passed its review date without a review (flagged once per due date by
    ``gouvernail inventory check-reviews``); the committee and AI referents are notified."""

    action = "guarantee.overdue"
    object_type = "guarantee"


@dataclass(frozen=True, kw_only=True)
class ModelCreated(AuditEvent):
    """A model entered the inventory as a candidate."""

    action = "model.created"
    object_type = "model"


@dataclass(frozen=True, kw_only=True)
class ModelUpdated(AuditEvent):
    """A model's declaration changed (routing, pricing, guarantees...); old and new values."""

    action = "model.updated"
    object_type = "model"


@dataclass(frozen=True, kw_only=True)
class ModelStatusChanged(AuditEvent):
    """A model moved in its lifecycle (candidate, approved, suspended, retired), with the
    reason; only approved models are served by the gateway."""

    action = "model.status_changed"
    object_type = "model"


@dataclass(frozen=True, kw_only=True)
class InventoryImported(AuditEvent):
    """An inventory file was loaded: what it created, changed and left alone, and which
    entries were refused (with ``--partial``)."""

    action = "inventory.imported"
    object_type = "inventory"
