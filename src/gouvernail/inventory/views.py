"""What the inventory returns: frozen values built from rows (never ORM objects), with what is
computed at read time — validity of certifications, overdue reviews, concerns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from gouvernail.inventory.models import Guarantee, InventoryModel, Vendor
from gouvernail.inventory.records import model_spec, vendor_facts, vendor_spec
from gouvernail.inventory.rules import concerns
from gouvernail.inventory.values import (
    Certification,
    Contact,
    ExitPlan,
    GuaranteeKind,
    LockIn,
    ModelSpec,
    ModelStatus,
    ReviewOutcome,
)


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CertificationView(Certification):
    valid: bool


class GuaranteeView(View):
    id: int
    vendor: str
    kind: GuaranteeKind
    promised: str
    document_ref: str
    review_due: date
    active: bool
    overdue: bool
    days_overdue: int
    """Days past ``review_due``; negative: days left before it."""
    last_reviewed_at: datetime | None
    last_reviewed_by: str | None
    last_review_outcome: ReviewOutcome | None
    last_review_notes: str | None
    version: int

    @classmethod
    def of(cls, row: Guarantee, today: date) -> GuaranteeView:
        late = (today - row.review_due).days
        return cls(
            id=row.id,
            vendor=row.vendor.slug,
            kind=GuaranteeKind(row.kind),
            promised=row.promised,
            document_ref=row.document_ref,
            review_due=row.review_due,
            active=row.active,
            overdue=row.active and late > 0,
            days_overdue=late,
            last_reviewed_at=row.last_reviewed_at,
            last_reviewed_by=row.last_reviewed_by,
            last_review_outcome=(
                ReviewOutcome(row.last_review_outcome) if row.last_review_outcome else None
            ),
            last_review_notes=row.last_review_notes,
            version=row.version,
        )


class VendorView(View):
    id: int
    slug: str
    name: str
    country: str
    contacts: list[Contact]
    dpa_signed_on: date | None
    certifications: list[CertificationView]
    exit_plan: ExitPlan | None
    lock_in: LockIn
    notes: str
    guarantees: list[GuaranteeView]
    review_overdue: bool
    models: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Vendor, today: date, models: list[str]) -> VendorView:
        spec = vendor_spec(row)
        guarantees = [GuaranteeView.of(g, today) for g in row.guarantees]
        return cls(
            id=row.id,
            **spec.model_dump(exclude={"certifications"}),
            certifications=[
                CertificationView(**c.model_dump(), valid=c.valid_until >= today)
                for c in spec.certifications
            ],
            guarantees=guarantees,
            review_overdue=any(g.overdue for g in guarantees),
            models=models,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class ModelView(ModelSpec):
    """A model's declaration plus its lifecycle and what the inventory knows about it."""

    id: int
    vendor_name: str
    status: ModelStatus
    status_reason: str
    status_changed_at: datetime
    review_overdue: bool
    issues: list[str]
    """Concerns in plain words: overdue reviews, unbacked claims, missing DPA, model card or
    exit plan, fallbacks the gateway will skip."""
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: InventoryModel, today: date, statuses: Mapping[str, str]) -> ModelView:
        spec = model_spec(row)
        facts = vendor_facts(row.vendor, today)
        return cls(
            **dict(spec),
            id=row.id,
            vendor_name=row.vendor.name,
            status=ModelStatus(row.status),
            status_reason=row.status_reason,
            status_changed_at=row.status_changed_at,
            review_overdue=bool(facts.overdue),
            issues=[c.message for c in concerns(spec, facts, statuses)],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class AffectedModel(View):
    name: str
    status: ModelStatus


class ReviewItem(View):
    """A guarantee whose review is due soon or overdue, with the models that rely on it."""

    guarantee: GuaranteeView
    vendor_name: str
    affected_models: list[AffectedModel]
