"""Inventory files: load vendors and models from a YAML document, export the inventory as one.

The document (``examples/inventory.yaml``)::

    vendors:            # the fields of a vendor, plus its guarantees
      - slug: mistral
        ...
        guarantees: [{kind: no_training, promised: ..., document_ref: ..., review_due: ...}]
    models:             # the fields of a model, plus an optional status
      - name: mistral-large-eu
        ...
        status: approved

Loading creates what is new, changes what differs (audited with old and new values) and leaves
the rest. It is all or nothing: every bad entry is reported (path and message) and nothing is
written, unless ``partial`` asks to apply the good entries anyway. A status in the file is
applied only with ``apply_status`` (recorded with the reason given), through the same
transitions and approval rules as a committee decision; otherwise new models are candidates.
Exporting writes every vendor, active guarantee and model; loading an export changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.errors import GouvernailError
from gouvernail.inventory import contracts
from gouvernail.inventory import events as ev
from gouvernail.inventory import operations as ops
from gouvernail.inventory.models import InventoryModel, Vendor
from gouvernail.inventory.records import guarantee_spec, model_spec, vendor_spec
from gouvernail.inventory.rules import (
    Problem,
    data_class_problems,
    model_problems,
    validation_problems,
)
from gouvernail.inventory.values import GuaranteeSpec, ModelSpec, ModelStatus, VendorSpec

SECTIONS = ("vendors", "models")


class VendorEntry(VendorSpec):
    guarantees: list[GuaranteeSpec] = Field(default_factory=list)


class ModelEntry(ModelSpec):
    status: ModelStatus | None = None


class EntryError(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    message: str


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    applied: bool
    created: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    errors: list[EntryError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ImportRejectedError(GouvernailError):
    """Some entries are bad and ``partial`` was not asked: nothing was written."""

    code = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        details = "; ".join(f"{e.path}: {e.message}" for e in report.errors)
        super().__init__(
            f"{len(report.errors)} problem(s), nothing imported: {details}",
            field=report.errors[0].path,
        )
        self.report = report


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise GouvernailError(f"cannot read {path}: {error}", field="file") from None


def _label(section: str, index: int, raw: Any, key: str) -> str:
    name = raw.get(key) if isinstance(raw, dict) else None
    return f"{section}[{index}]" + (f" ({name})" if isinstance(name, str) else "")


def _parse(
    document: Any, env: ops.Env, errors: list[EntryError]
) -> tuple[list[tuple[str, VendorEntry]], list[tuple[str, ModelEntry]]]:
    """Validate each entry on its own; bad ones go to ``errors``."""
    if not isinstance(document, dict):
        errors.append(EntryError(path="file", message="expected a mapping: vendors, models"))
        return [], []
    for key in sorted(set(document) - set(SECTIONS)):
        errors.append(EntryError(path=str(key), message="unknown section (vendors, models)"))
    vendors: list[tuple[str, VendorEntry]] = []
    models: list[tuple[str, ModelEntry]] = []
    for section, key in (("vendors", "slug"), ("models", "name")):
        raws = document.get(section) or []
        if not isinstance(raws, list):
            errors.append(EntryError(path=section, message="expected a list"))
            continue
        seen: set[str] = set()
        for index, raw in enumerate(raws):
            label = _label(section, index, raw, key)
            problems: list[Problem] = []
            try:
                if section == "vendors":
                    vendor = VendorEntry.model_validate(raw)
                    ident = vendor.slug
                else:
                    model = ModelEntry.model_validate(raw)
                    problems = model_problems(model) + data_class_problems(model, env.charter)
                    ident = model.name
            except ValidationError as error:
                problems = validation_problems(error)
                ident = ""
            if ident and ident in seen:
                errors.append(EntryError(path=f"{label}.{key}", message="appears twice"))
                continue
            seen.add(ident)
            if problems:
                errors.extend(
                    EntryError(path=f"{label}.{p.field}", message=p.message) for p in problems
                )
            elif section == "vendors":
                vendors.append((label, vendor))
            else:
                models.append((label, model))
    return vendors, models


def _apply_vendor(tx: Tx, entry: VendorEntry, why: str) -> str:
    spec = VendorSpec.model_validate(entry.model_dump(exclude={"guarantees"}))
    vendor = tx.session.scalar(select(Vendor).where(Vendor.slug == spec.slug))
    if vendor is None:
        contracts.create_vendor(tx, spec, entry.guarantees)
        return "created"
    changed = contracts.revise_vendor(tx, vendor, spec, why)
    for guarantee in entry.guarantees:
        existing = next((g for g in vendor.guarantees if g.kind == guarantee.kind), None)
        if existing is None or not existing.active:
            contracts.add_guarantee(tx, vendor, guarantee)
            changed = True
        else:
            changed = contracts.revise_guarantee(tx, existing, guarantee, why) or changed
    return "updated" if changed else "unchanged"


def _apply_model(
    tx: Tx,
    env: ops.Env,
    entry: ModelEntry,
    why: str,
    *,
    apply_status: bool,
    pending: Collection[str],
) -> str:
    spec = ModelSpec.model_validate(entry.model_dump(exclude={"status"}))
    target = entry.status if apply_status else None
    model = tx.session.scalar(select(InventoryModel).where(InventoryModel.name == spec.name))
    outcome = "unchanged"
    if model is None:
        model = ops.create_model(tx, env, spec, pending=pending)
        outcome = "created"
    else:
        leaving = model.status == ModelStatus.APPROVED.value and target not in (None, "approved")
        if leaving and target is not None:  # suspend or retire before changing it
            ops.change_status(tx, env, model, target, why)
            outcome = "updated"
        if ops.revise_model(tx, env, model, spec, why, pending=pending):
            outcome = "updated"
    if target is not None and target.value != model.status:
        ops.change_status(tx, env, model, target, why)
        outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


def load(
    trail: AuditTrail,
    ctx: AuditContext,
    env: ops.Env,
    document: Any,
    *,
    source: str,
    partial: bool,
    apply_status: bool,
    reason: str,
) -> ImportReport:
    errors: list[EntryError] = []
    vendors, models = _parse(document, env, errors)
    why = reason.strip() or f"loaded from {source}"

    def work(tx: Tx) -> ImportReport:
        done: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
        warnings: list[str] = []

        def attempt(label: str, apply: Callable[[Tx], str]) -> None:
            scratch = Tx(tx.session, tx.context)
            try:
                with tx.session.begin_nested():
                    outcome = apply(scratch)
            except GouvernailError as error:
                where = f"{label}.{error.field}" if error.field else label
                errors.append(EntryError(path=where, message=error.message))
                return
            tx.emit(*scratch.events)
            done[outcome].append(label)

        for label, vendor in vendors:
            attempt(label, functools.partial(_apply_vendor, entry=vendor, why=why))
        pending = {model.name for _, model in models}
        for label, model in models:
            pending.discard(model.name)
            attempt(
                label,
                functools.partial(
                    _apply_model,
                    env=env,
                    entry=model,
                    why=why,
                    apply_status=apply_status,
                    pending=frozenset(pending),
                ),
            )
        known = ops.statuses(tx.session)
        for label, model in models:
            held = known.get(model.name)
            if held is None:
                continue
            if not apply_status and model.status is not None and model.status != held:
                warnings.append(
                    f"{label}: status {model.status} not applied (it is {held}; --apply-status)"
                )
            missing = [name for name in model.fallback_models if name not in known]
            if missing:
                warnings.append(f"{label}: fallback {', '.join(missing)} was not imported")
        report = ImportReport(source=source, applied=True, errors=errors, warnings=warnings, **done)
        if errors and not partial:
            raise ImportRejectedError(report.model_copy(update={"applied": False}))
        tx.emit(
            ev.InventoryImported(
                object_id=source[:64],
                new={
                    "created": done["created"],
                    "updated": done["updated"],
                    "unchanged": len(done["unchanged"]),
                    "refused": [f"{e.path}: {e.message}" for e in errors],
                    "statuses_applied": apply_status,
                },
                reason=why,
            )
        )
        return report

    return trail.run(ctx, work)


def export(session: Session) -> dict[str, Any]:
    vendors = [
        {
            **vendor_spec(vendor).model_dump(mode="json", exclude_none=True),
            "guarantees": [
                guarantee_spec(g).model_dump(mode="json") for g in vendor.guarantees if g.active
            ],
        }
        for vendor in session.scalars(select(Vendor).order_by(Vendor.slug))
    ]
    models = [
        {**model_spec(model).model_dump(mode="json", exclude_none=True), "status": model.status}
        for model in session.scalars(select(InventoryModel).order_by(InventoryModel.name)).unique()
    ]
    return {"vendors": vendors, "models": models}
