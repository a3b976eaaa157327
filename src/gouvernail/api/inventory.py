"""The model and vendor inventory: vendors, contractual guarantees and their reviews, models and
their lifecycle, side-by-side comparison.

Everyone reads (``inventory:read``); AI referents and administrators declare
(``inventory:manage``); committee members and AI referents decide a model's status
(``inventory:decide``). Changes send the ``version`` they read: 409 if it moved since.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.charter.rules import Hosting
from gouvernail.identity.principal import Principal
from gouvernail.inventory import (
    Capability,
    CompareRequest,
    Comparison,
    Endpoint,
    Energy,
    GuaranteeSpec,
    GuaranteeView,
    Infrastructure,
    LockIn,
    ModelSpec,
    ModelStatus,
    ModelView,
    ProviderKind,
    ReviewItem,
    ReviewOutcome,
    VendorSpec,
    VendorView,
)
from gouvernail.inventory.values import (
    Certification,
    Contact,
    ExitPlan,
    ModelCard,
    Pricing,
    Sla,
)

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

Reader = Annotated[Principal, Depends(Require("inventory", "read"))]
Manager = Annotated[Principal, Depends(Require("inventory", "manage"))]
Decider = Annotated[Principal, Depends(Require("inventory", "decide"))]


class Change(BaseModel):
    """A change: the version you read, why, and the fields to replace (each field given
    replaces its whole value; ``null`` clears an optional one)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The version you read (409 if it changed since).")
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit).")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version", "reason"})


class VendorIn(VendorSpec):
    guarantees: list[GuaranteeSpec] = Field(default_factory=list, max_length=20)


class VendorPatch(Change):
    name: str | None = None
    country: str | None = None
    contacts: list[Contact] | None = None
    dpa_signed_on: date | None = None
    certifications: list[Certification] | None = None
    exit_plan: ExitPlan | None = None
    lock_in: LockIn | None = None
    notes: str | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The guarantee's version you read.")
    outcome: ReviewOutcome
    reason: str = Field(
        min_length=1, max_length=2000, description="What was checked (terms, page, date)."
    )
    next_review_due: date | None = Field(None, description="Required unless withdrawn.")
    promised: str | None = Field(
        None, max_length=2000, description="The new promise, for a 'changed' outcome."
    )


class ModelPatch(Change):
    vendor: str | None = None
    description: str | None = None
    provider_kind: ProviderKind | None = None
    upstream_model: str | None = None
    endpoint: Endpoint | None = None
    credential_ref: str | None = None
    capabilities: list[Capability] | None = None
    hosting: Hosting | None = None
    region: str | None = None
    retention_days: int | None = None
    no_training: bool | None = None
    max_data_class: str | None = None
    pricing: Pricing | None = None
    infrastructure: Infrastructure | None = None
    energy: Energy | None = None
    context_window: int | None = None
    sla: Sla | None = None
    model_card: ModelCard | None = None
    fallback_models: list[str] | None = None


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ModelStatus
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit).")
    version: int = Field(ge=1, description="The model version you decided on.")


# --- vendors --------------------------------------------------------------------------------------


@router.get("/vendors")
def list_vendors(_: Reader, runtime: Rt) -> list[VendorView]:
    """Every vendor with its certifications, guarantees and exit plan."""
    return runtime.inventory.list_vendors()


@router.post("/vendors", status_code=201)
def create_vendor(body: VendorIn, request: Request, principal: Manager, runtime: Rt) -> VendorView:
    """Declare a vendor, optionally with its contractual guarantees."""
    spec = VendorSpec.model_validate(body.model_dump(exclude={"guarantees"}))
    return runtime.inventory.create_vendor(audit_context(request, principal), spec, body.guarantees)


@router.get("/vendors/{slug}")
def get_vendor(slug: str, _: Reader, runtime: Rt) -> VendorView:
    return runtime.inventory.get_vendor(slug)


@router.patch("/vendors/{slug}")
def update_vendor(
    slug: str, body: VendorPatch, request: Request, principal: Manager, runtime: Rt
) -> VendorView:
    """Change a vendor's declared facts (the slug never changes)."""
    return runtime.inventory.update_vendor(
        audit_context(request, principal),
        slug,
        version=body.version,
        reason=body.reason,
        changes=body.changes(),
    )


# --- guarantees -----------------------------------------------------------------------------------


@router.post("/vendors/{slug}/guarantees", status_code=201)
def add_guarantee(
    slug: str, body: GuaranteeSpec, request: Request, principal: Manager, runtime: Rt
) -> GuaranteeView:
    """Record a contractual guarantee (one per kind) with the date it must be reviewed."""
    return runtime.inventory.add_guarantee(audit_context(request, principal), slug, body)


@router.post("/guarantees/{guarantee_id}/review")
def review_guarantee(
    guarantee_id: int, body: ReviewIn, request: Request, principal: Manager, runtime: Rt
) -> GuaranteeView:
    """Record a review against the vendor's current terms; clears an overdue flag. A
    withdrawn guarantee is reported to the committee members and AI referents."""
    return runtime.inventory.review_guarantee(
        audit_context(request, principal),
        guarantee_id,
        version=body.version,
        outcome=body.outcome,
        reason=body.reason,
        next_review_due=body.next_review_due,
        promised=body.promised,
    )


@router.get("/reviews")
def reviews(
    _: Reader,
    runtime: Rt,
    within_days: Annotated[int, Query(ge=0, le=366)] = 30,
) -> list[ReviewItem]:
    """Guarantees overdue or due within ``within_days``, with days overdue (negative: days
    left) and the models relying on them."""
    return runtime.inventory.reviews(within_days)


# --- models ---------------------------------------------------------------------------------------


@router.get("/models")
def list_models(
    _: Reader,
    runtime: Rt,
    status: ModelStatus | None = None,
    hosting: Hosting | None = None,
    vendor: str | None = None,
    max_data_class: str | None = None,
    accepting: Annotated[
        str | None, Query(description="Only models whose ceiling admits this data class.")
    ] = None,
) -> list[ModelView]:
    return runtime.inventory.list_models(
        status=status,
        hosting=hosting,
        vendor=vendor,
        max_data_class=max_data_class,
        accepting=accepting,
    )


@router.post("/models", status_code=201)
def create_model(body: ModelSpec, request: Request, principal: Manager, runtime: Rt) -> ModelView:
    """Register a model as a candidate; the gateway serves it only once approved."""
    return runtime.inventory.create_model(audit_context(request, principal), body)


@router.get("/models/{name}")
def get_model(name: str, _: Reader, runtime: Rt) -> ModelView:
    return runtime.inventory.get_model(name)


@router.patch("/models/{name}")
def update_model(
    name: str, body: ModelPatch, request: Request, principal: Manager, runtime: Rt
) -> ModelView:
    """Change a model's declaration (the name never changes). On an approved model, changing
    where data goes or on which terms needs a new decision: 409 ``decision_required``."""
    return runtime.inventory.update_model(
        audit_context(request, principal),
        name,
        version=body.version,
        reason=body.reason,
        changes=body.changes(),
    )


@router.post("/models/{name}/status")
def set_status(
    name: str, body: StatusIn, request: Request, principal: Decider, runtime: Rt
) -> ModelView:
    """Approve, suspend or retire a model, with the reason. Approval is refused (409
    ``approval_blocked``) while something blocks it; the reasons are listed."""
    return runtime.inventory.set_status(
        audit_context(request, principal),
        name,
        body.status,
        reason=body.reason,
        version=body.version,
    )


@router.post("/compare")
def compare(body: CompareRequest, _: Reader, runtime: Rt) -> Comparison:
    """Models side by side for an expected monthly volume: guarantees, hosting, data class,
    promised service, monthly and yearly cost, energy and CO2, lock-in and exit plan."""
    return runtime.inventory.compare(body)
