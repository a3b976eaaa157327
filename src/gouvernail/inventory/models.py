"""Tables of the inventory: vendors, their contractual guarantees, and models.

Structured declarations (contacts, certifications, exit plan, pricing, energy...) are stored as
JSON text validated by the value types of ``values.py``; the columns the inventory is searched
by (status, hosting, data class, vendor) are plain columns. Every record carries a ``version``
that each change raises: writers send the version they read (optimistic concurrency).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gouvernail.db.base import Base, UtcDateTime, utcnow


class Vendor(Base):
    __tablename__ = "inventory_vendors"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    contacts: Mapped[str] = mapped_column(Text)
    dpa_signed_on: Mapped[date | None] = mapped_column(Date)
    certifications: Mapped[str] = mapped_column(Text)
    exit_plan: Mapped[str | None] = mapped_column(Text)
    lock_in: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    guarantees: Mapped[list[Guarantee]] = relationship(
        lazy="selectin", order_by="Guarantee.id", back_populates="vendor"
    )


class Guarantee(Base):
    """One contractual promise of a vendor, checked again at each ``review_due`` date.

    ``overdue_flagged_for`` is the due date for which the overdue notice was sent, so that the
    daily check flags each missed review exactly once."""

    __tablename__ = "inventory_guarantees"
    __table_args__ = (
        UniqueConstraint("vendor_id", "kind", name="uq_inventory_guarantees_vendor_kind"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("inventory_vendors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    promised: Mapped[str] = mapped_column(Text)
    document_ref: Mapped[str] = mapped_column(String(300))
    review_due: Mapped[date] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_reviewed_by: Mapped[str | None] = mapped_column(String(200))
    last_review_outcome: Mapped[str | None] = mapped_column(String(20))
    last_review_notes: Mapped[str | None] = mapped_column(Text)
    overdue_flagged_for: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship(lazy="joined", back_populates="guarantees")


class InventoryModel(Base):
    """A model the gateway may route to once approved; ``name`` is what clients send."""

    __tablename__ = "inventory_models"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("inventory_vendors.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    provider_kind: Mapped[str] = mapped_column(String(30))
    upstream_model: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(Text)
    credential_ref: Mapped[str | None] = mapped_column(String(128))
    capabilities: Mapped[str] = mapped_column(Text)
    hosting: Mapped[str] = mapped_column(String(20), index=True)
    region: Mapped[str] = mapped_column(String(64))
    retention_days: Mapped[int] = mapped_column(Integer)
    no_training: Mapped[bool] = mapped_column(Boolean)
    max_data_class: Mapped[str] = mapped_column(String(40), index=True)
    pricing: Mapped[str | None] = mapped_column(Text)
    infrastructure: Mapped[str | None] = mapped_column(Text)
    energy: Mapped[str | None] = mapped_column(Text)
    context_window: Mapped[int | None] = mapped_column(Integer)
    sla: Mapped[str | None] = mapped_column(Text)
    model_card: Mapped[str | None] = mapped_column(Text)
    fallback_models: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str] = mapped_column(Text)
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship(lazy="joined")
