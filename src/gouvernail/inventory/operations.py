"""The inventory's changes to models, one function each, run inside an audited unit of work,
and what every change shares (``Env``, versions, reasons, lookups).

Each function takes the unit's ``Tx`` (session and events) and an ``Env`` (today's date and
the charter in force), checks its rules, changes rows and emits its events, so that a single
change from the API and a whole inventory file follow exactly the same rules. Vendors and their
guarantees change in ``contracts.py``.
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
from gouvernail.inventory.models import InventoryModel, Vendor
from gouvernail.inventory.records import changes, model_spec, vendor_facts, write_model
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
from gouvernail.inventory.values import ModelSpec, ModelStatus

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
