"""Between rows and values: read a declaration out of its row, write one into it, and tell
which fields a change touched (for the audit's old and new values)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from pydantic import BaseModel

from gouvernail.inventory.models import Guarantee, InventoryModel, Vendor
from gouvernail.inventory.rules import VendorFacts
from gouvernail.inventory.values import (
    GuaranteeKind,
    GuaranteeSpec,
    LockIn,
    ModelSpec,
    VendorSpec,
)


def _dump(value: BaseModel | None) -> str | None:
    return None if value is None else value.model_dump_json()


def _load(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _dump_list(values: list[Any]) -> str:
    return orjson.dumps(
        [v.model_dump(mode="json") if isinstance(v, BaseModel) else str(v) for v in values]
    ).decode()


def vendor_spec(row: Vendor) -> VendorSpec:
    return VendorSpec(
        slug=row.slug,
        name=row.name,
        country=row.country,
        contacts=_load(row.contacts),
        dpa_signed_on=row.dpa_signed_on,
        certifications=_load(row.certifications),
        exit_plan=_load(row.exit_plan),
        lock_in=LockIn(row.lock_in),
        notes=row.notes,
    )


def write_vendor(row: Vendor, spec: VendorSpec) -> None:
    row.slug = spec.slug
    row.name = spec.name
    row.country = spec.country
    row.contacts = _dump_list(spec.contacts)
    row.dpa_signed_on = spec.dpa_signed_on
    row.certifications = _dump_list(spec.certifications)
    row.exit_plan = _dump(spec.exit_plan)
    row.lock_in = spec.lock_in.value
    row.notes = spec.notes


def model_spec(row: InventoryModel) -> ModelSpec:
    return ModelSpec.model_validate(
        {
            "name": row.name,
            "vendor": row.vendor.slug,
            "description": row.description,
            "provider_kind": row.provider_kind,
            "upstream_model": row.upstream_model,
            "endpoint": _load(row.endpoint),
            "credential_ref": row.credential_ref,
            "capabilities": _load(row.capabilities),
            "hosting": row.hosting,
            "region": row.region,
            "retention_days": row.retention_days,
            "no_training": row.no_training,
            "max_data_class": row.max_data_class,
            "pricing": _load(row.pricing),
            "infrastructure": _load(row.infrastructure),
            "energy": _load(row.energy),
            "context_window": row.context_window,
            "sla": _load(row.sla),
            "model_card": _load(row.model_card),
            "fallback_models": _load(row.fallback_models),
        }
    )


def write_model(row: InventoryModel, spec: ModelSpec, vendor: Vendor) -> None:
    row.name = spec.name
    row.vendor = vendor
    row.description = spec.description
    row.provider_kind = spec.provider_kind.value
    row.upstream_model = spec.upstream_model
    row.endpoint = spec.endpoint.model_dump_json()
    row.credential_ref = spec.credential_ref
    row.capabilities = _dump_list(spec.capabilities)
    row.hosting = spec.hosting.value
    row.region = spec.region
    row.retention_days = spec.retention_days
    row.no_training = spec.no_training
    row.max_data_class = spec.max_data_class
    row.pricing = _dump(spec.pricing)
    row.infrastructure = _dump(spec.infrastructure)
    row.energy = _dump(spec.energy)
    row.context_window = spec.context_window
    row.sla = _dump(spec.sla)
    row.model_card = _dump(spec.model_card)
    row.fallback_models = _dump_list(spec.fallback_models)


def guarantee_spec(row: Guarantee) -> GuaranteeSpec:
    return GuaranteeSpec(
        kind=GuaranteeKind(row.kind),
        promised=row.promised,
        document_ref=row.document_ref,
        review_due=row.review_due,
    )


def describe(guarantee: Guarantee, today: date) -> str:
    late = (today - guarantee.review_due).days
    return (
        f"{guarantee.kind} guarantee of {guarantee.vendor.slug} was due "
        f"{guarantee.review_due.isoformat()} ({late} day{'s' if late != 1 else ''} ago)"
    )


def vendor_facts(vendor: Vendor, today: date) -> VendorFacts:
    active = [g for g in vendor.guarantees if g.active]
    return VendorFacts(
        slug=vendor.slug,
        dpa_signed_on=vendor.dpa_signed_on,
        has_exit_plan=vendor.exit_plan is not None,
        active_guarantees=frozenset(GuaranteeKind(g.kind) for g in active),
        overdue=tuple(describe(g, today) for g in active if g.review_due < today),
    )


def changes(old: BaseModel, new: BaseModel) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as JSON values: (old values, new values)."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
