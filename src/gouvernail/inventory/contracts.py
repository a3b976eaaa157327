"""The inventory's changes to vendors and their contractual guarantees, one function each,
run inside an audited unit of work (see ``operations.py``): declaring a vendor, restating it,
adding, restating and reviewing a guarantee, and flagging the reviews that are overdue.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import Tx
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.inventory import events as ev
from gouvernail.inventory.models import Guarantee, InventoryModel, Vendor
from gouvernail.inventory.notices import notify_deciders
from gouvernail.inventory.operations import Env
from gouvernail.inventory.records import changes, guarantee_spec, vendor_spec, write_vendor
from gouvernail.inventory.values import GuaranteeSpec, ModelStatus, ReviewOutcome, VendorSpec


def create_vendor(tx: Tx, spec: VendorSpec, guarantees: list[GuaranteeSpec]) -> Vendor:
    kinds = [g.kind for g in guarantees]
    if len(kinds) != len(set(kinds)):
        raise GouvernailError("one guarantee of each kind per vendor", field="guarantees")
    if tx.session.scalar(select(Vendor.id).where(Vendor.slug == spec.slug)) is not None:
        raise ConflictError(f"vendor {spec.slug!r} exists", field="slug")
    vendor = Vendor(version=1, created_at=utcnow(), updated_at=utcnow())
    write_vendor(vendor, spec)
    tx.session.add(vendor)
    tx.session.flush()
    tx.emit(
        ev.VendorCreated(object_id=spec.slug, object_version=1, new=spec.model_dump(mode="json"))
    )
    for guarantee in guarantees:
        add_guarantee(tx, vendor, guarantee)
    return vendor


def revise_vendor(tx: Tx, vendor: Vendor, spec: VendorSpec, reason: str) -> bool:
    """Apply a new declaration; False if nothing differs."""
    old, new = changes(vendor_spec(vendor), spec)
    if not new:
        return False
    write_vendor(vendor, spec)
    vendor.version += 1
    vendor.updated_at = utcnow()
    tx.emit(
        ev.VendorUpdated(
            object_id=vendor.slug, object_version=vendor.version, old=old, new=new, reason=reason
        )
    )
    return True


def add_guarantee(tx: Tx, vendor: Vendor, spec: GuaranteeSpec) -> Guarantee:
    existing = next((g for g in vendor.guarantees if g.kind == spec.kind), None)
    if existing is not None and not existing.active:
        return _reinstate(tx, existing, spec)
    if existing is not None:
        raise ConflictError(
            f"vendor {vendor.slug} already has a {spec.kind} guarantee (id {existing.id}): "
            "review it instead",
            field="kind",
        )
    guarantee = Guarantee(
        vendor=vendor,
        kind=spec.kind.value,
        promised=spec.promised,
        document_ref=spec.document_ref,
        review_due=spec.review_due,
        active=True,
        version=1,
        created_at=utcnow(),
    )
    tx.session.add(guarantee)
    tx.session.flush()
    tx.emit(
        ev.GuaranteeAdded(
            object_id=str(guarantee.id),
            object_version=1,
            new={"vendor": vendor.slug, **spec.model_dump(mode="json")},
        )
    )
    return guarantee


def _reinstate(tx: Tx, guarantee: Guarantee, spec: GuaranteeSpec) -> Guarantee:
    """The vendor promises again what it had withdrawn: the same record becomes active."""
    old = {"active": False, **guarantee_spec(guarantee).model_dump(mode="json")}
    guarantee.promised = spec.promised
    guarantee.document_ref = spec.document_ref
    guarantee.review_due = spec.review_due
    guarantee.active = True
    guarantee.version += 1
    tx.emit(
        ev.GuaranteeAdded(
            object_id=str(guarantee.id),
            object_version=guarantee.version,
            old=old,
            new={"vendor": guarantee.vendor.slug, "active": True, **spec.model_dump(mode="json")},
        )
    )
    return guarantee


def revise_guarantee(tx: Tx, guarantee: Guarantee, spec: GuaranteeSpec, reason: str) -> bool:
    """An import restating a guarantee; False if nothing differs."""
    old, new = changes(guarantee_spec(guarantee), spec)
    if not new:
        return False
    guarantee.promised = spec.promised
    guarantee.document_ref = spec.document_ref
    guarantee.review_due = spec.review_due
    guarantee.version += 1
    tx.emit(
        ev.GuaranteeUpdated(
            object_id=str(guarantee.id),
            object_version=guarantee.version,
            old=old,
            new={"vendor": guarantee.vendor.slug, **new},
            reason=reason,
        )
    )
    return True


def _affected(session: Session, vendor: Vendor) -> list[str]:
    return [
        f"{name} ({status})"
        for name, status in session.execute(
            select(InventoryModel.name, InventoryModel.status)
            .where(
                InventoryModel.vendor_id == vendor.id,
                InventoryModel.status != ModelStatus.RETIRED.value,
            )
            .order_by(InventoryModel.name)
        )
    ]


def review_guarantee(
    tx: Tx,
    env: Env,
    guarantee: Guarantee,
    *,
    outcome: ReviewOutcome,
    next_review_due: date | None,
    reason: str,
    promised: str | None = None,
) -> Guarantee:
    """Record that someone checked the guarantee against the vendor's current terms."""
    if not guarantee.active:
        raise ConflictError(
            f"the {guarantee.kind} guarantee of {guarantee.vendor.slug} was withdrawn: "
            "add a new guarantee if the vendor promises it again"
        )
    withdrawn = outcome is ReviewOutcome.WITHDRAWN
    if not withdrawn and (next_review_due is None or next_review_due <= env.today):
        raise GouvernailError("give the next review date, after today", field="next_review_due")
    if outcome is ReviewOutcome.CHANGED and (not promised or promised == guarantee.promised):
        raise GouvernailError("a changed guarantee needs its new promise", field="promised")
    if outcome is not ReviewOutcome.CHANGED and promised is not None:
        raise GouvernailError("only a 'changed' outcome restates the promise", field="promised")
    old = {"promised": guarantee.promised, "review_due": guarantee.review_due.isoformat()}
    if promised is not None:
        guarantee.promised = promised
    if withdrawn:
        guarantee.active = False
    else:
        assert next_review_due is not None
        guarantee.review_due = next_review_due
    guarantee.last_reviewed_at = utcnow()
    guarantee.last_reviewed_by = tx.context.actor.name
    guarantee.last_review_outcome = outcome.value
    guarantee.last_review_notes = reason
    guarantee.version += 1
    tx.emit(
        ev.GuaranteeReviewed(
            object_id=str(guarantee.id),
            object_version=guarantee.version,
            old=old,
            new={
                "vendor": guarantee.vendor.slug,
                "kind": guarantee.kind,
                "outcome": outcome.value,
                "promised": guarantee.promised,
                "review_due": guarantee.review_due.isoformat(),
                "active": guarantee.active,
            },
            reason=reason,
        )
    )
    if withdrawn:
        affected = _affected(tx.session, guarantee.vendor)
        notify_deciders(
            tx.session,
            "inventory_guarantee_withdrawn",
            f"{guarantee.vendor.name} withdrew its {guarantee.kind} guarantee ({reason}). "
            f"Models concerned: {', '.join(affected) or 'none'}. "
            "The committee decides whether to suspend them.",
        )
    return guarantee


def flag_overdue(tx: Tx, env: Env) -> list[Guarantee]:
    """Flag each guarantee whose review date passed, once per due date, and tell the
    committee members and AI referents."""
    late = tx.session.scalars(
        select(Guarantee)
        .where(Guarantee.active.is_(True), Guarantee.review_due < env.today)
        .order_by(Guarantee.review_due, Guarantee.id)
    ).all()
    flagged = []
    for guarantee in late:
        if guarantee.overdue_flagged_for == guarantee.review_due:
            continue
        guarantee.overdue_flagged_for = guarantee.review_due
        days = (env.today - guarantee.review_due).days
        affected = _affected(tx.session, guarantee.vendor)
        tx.emit(
            ev.GuaranteeOverdue(
                object_id=str(guarantee.id),
                object_version=guarantee.version,
                new={
                    "vendor": guarantee.vendor.slug,
                    "kind": guarantee.kind,
                    "review_due": guarantee.review_due.isoformat(),
                    "days_overdue": days,
                    "affected_models": affected,
                },
                reason="the review date passed without a review",
            )
        )
        notify_deciders(
            tx.session,
            "inventory_review_overdue",
            f"The {guarantee.kind} guarantee of {guarantee.vendor.name} was due for review on "
            f"{guarantee.review_due.isoformat()} ({days} days ago). Models concerned: "
            f"{', '.join(affected) or 'none'}. Record the review, or the committee decides "
            "whether to suspend them.",
        )
        flagged.append(guarantee)
    return flagged
