"""The inventory's changes, one function each, run inside an audited unit of work.

Each function takes the unit's ``Tx`` (session and events) and an ``Env`` (today's date and
the charter in force), checks its rules, changes rows and emits its events, so that a single
change from the API and a whole inventory file follow exactly the same rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import Tx
from gouvernail.charter.service import CharterView
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.inventory import events as ev
from gouvernail.inventory.models import Guarantee, InventoryModel, Vendor
from gouvernail.inventory.notices import notify_deciders
from gouvernail.inventory.records import (
    changes,
    guarantee_spec,
    model_spec,
    vendor_facts,
    vendor_spec,
    write_model,
    write_vendor,
)
from gouvernail.inventory.rules import (
    GOVERNED_FIELDS,
    Problem,
    concerns,
    data_class_problems,
    model_problems,
    refuse,
    transition_problem,
    validation_problems,
)
from gouvernail.inventory.values import (
    GuaranteeSpec,
    ModelSpec,
    ModelStatus,
    ReviewOutcome,
    VendorSpec,
)

SpecT = TypeVar("SpecT", bound=BaseModel)


@dataclass(frozen=True)
class Env:
    """What the rules need besides the rows: the day, and the charter in force (if any)."""

    today: date
    charter: CharterView | None


def require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise GouvernailError("a reason is required for this change", field="reason")
    return reason


def check_version(what: str, current: int, sent: int | None) -> None:
    """Optimistic concurrency: refuse a change based on a version that is no longer current."""
    if sent is not None and sent != current:
        raise ConflictError(
            f"{what} was changed by someone else since you read it (you sent version {sent}, "
            f"it is now version {current}): reload it and apply your change again",
            field="version",
            code="version_conflict",
        )


def merge(current: SpecT, updates: Mapping[str, Any], *, fixed: Collection[str]) -> SpecT:
    """``current`` with ``updates`` applied, validated again as a whole."""
    for name in updates:
        if name in fixed:
            raise GouvernailError(
                f"{name} is an identifier and never changes: create a new entry instead",
                field=name,
            )
        if name not in type(current).model_fields:
            raise GouvernailError(f"unknown field {name!r}", field=name)
    try:
        return type(current).model_validate({**current.model_dump(), **updates})
    except ValidationError as error:
        refuse(validation_problems(error))
        raise  # pragma: no cover - refuse always raises for a non-empty list


def get_vendor(session: Session, slug: str) -> Vendor:
    vendor = session.scalar(select(Vendor).where(Vendor.slug == slug))
    if vendor is None:
        raise NotFoundError(f"no vendor {slug!r} in the inventory")
    return vendor


def get_model(session: Session, name: str) -> InventoryModel:
    model = session.scalar(select(InventoryModel).where(InventoryModel.name == name))
    if model is None:
        raise NotFoundError(f"no model {name!r} in the inventory")
    return model


def statuses(session: Session) -> dict[str, str]:
    rows = session.execute(select(InventoryModel.name, InventoryModel.status)).all()
    return dict(rows)


# --- vendors and guarantees ---------------------------------------------------------------------


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


# --- models -------------------------------------------------------------------------------------


def _vendor_ref(session: Session, slug: str) -> Vendor:
    vendor = session.scalar(select(Vendor).where(Vendor.slug == slug))
    if vendor is None:
        raise GouvernailError(f"no vendor {slug!r} in the inventory: add it first", field="vendor")
    return vendor


def _check_fallbacks(session: Session, spec: ModelSpec, pending: Collection[str]) -> None:
    known = statuses(session)
    problems = []
    for index, name in enumerate(spec.fallback_models):
        status = known.get(name)
        if status is None and name not in pending:
            problems.append(Problem(f"fallback_models.{index}", f"no model {name!r}"))
        elif status == ModelStatus.RETIRED:
            problems.append(Problem(f"fallback_models.{index}", f"model {name!r} is retired"))
    refuse(problems)


def create_model(
    tx: Tx, env: Env, spec: ModelSpec, *, pending: Collection[str] = ()
) -> InventoryModel:
    """A new candidate. ``pending``: names an import is about to create (valid fallbacks)."""
    refuse(model_problems(spec) + data_class_problems(spec, env.charter))
    if tx.session.scalar(select(InventoryModel.id).where(InventoryModel.name == spec.name)):
        raise ConflictError(f"model {spec.name!r} exists (names are never reused)", field="name")
    vendor = _vendor_ref(tx.session, spec.vendor)
    _check_fallbacks(tx.session, spec, pending)
    now = utcnow()
    model = InventoryModel(
        status=ModelStatus.CANDIDATE.value,
        status_reason="registered",
        status_changed_at=now,
        version=1,
        created_at=now,
        updated_at=now,
    )
    write_model(model, spec, vendor)
    tx.session.add(model)
    tx.session.flush()
    tx.emit(
        ev.ModelCreated(
            object_id=spec.name,
            object_version=1,
            new={**spec.model_dump(mode="json"), "status": model.status},
        )
    )
    return model


def revise_model(
    tx: Tx,
    env: Env,
    model: InventoryModel,
    spec: ModelSpec,
    reason: str,
    *,
    pending: Collection[str] = (),
) -> bool:
    """Apply a new declaration; False if nothing differs. On an approved model, a change of
    what data goes where (``GOVERNED_FIELDS``) needs a new decision first."""
    old, new = changes(model_spec(model), spec)
    if not new:
        return False
    governed = [name for name in GOVERNED_FIELDS if name in new]
    if governed and model.status == ModelStatus.APPROVED.value:
        raise ConflictError(
            f"model {model.name} is approved: changing {', '.join(governed)} needs a new "
            "decision; suspend it (with the reason), change it, and have it approved again",
            field=governed[0],
            code="decision_required",
        )
    problems = model_problems(spec)
    if {"max_data_class", "hosting"} & new.keys():
        problems += data_class_problems(spec, env.charter)
    refuse(problems)
    vendor = _vendor_ref(tx.session, spec.vendor)
    if "fallback_models" in new:
        _check_fallbacks(tx.session, spec, pending)
    write_model(model, spec, vendor)
    model.version += 1
    model.updated_at = utcnow()
    tx.emit(
        ev.ModelUpdated(
            object_id=model.name, object_version=model.version, old=old, new=new, reason=reason
        )
    )
    return True


def change_status(
    tx: Tx, env: Env, model: InventoryModel, target: ModelStatus, reason: str
) -> None:
    """Move the model in its lifecycle. Approval is refused while anything blocks it: the
    charter's data classes, an overdue review, a missing DPA, an unbacked no-training claim,
    a missing model card or exit plan."""
    current = ModelStatus(model.status)
    problem = transition_problem(current, target)
    if problem:
        raise ConflictError(f"model {model.name}: {problem}", field="status", code="transition")
    if target is ModelStatus.APPROVED:
        spec = model_spec(model)
        blockers = [str(p) for p in data_class_problems(spec, env.charter)]
        found = concerns(spec, vendor_facts(model.vendor, env.today), statuses(tx.session))
        blockers += [c.message for c in found if c.blocks_approval]
        if blockers:
            raise ConflictError(
                f"model {model.name} cannot be approved: {'; '.join(blockers)}",
                field="status",
                code="approval_blocked",
            )
    model.status = target.value
    model.status_reason = reason
    model.status_changed_at = utcnow()
    model.version += 1
    tx.emit(
        ev.ModelStatusChanged(
            object_id=model.name,
            object_version=model.version,
            old={"status": current.value},
            new={"status": target.value},
            reason=reason,
        )
    )
