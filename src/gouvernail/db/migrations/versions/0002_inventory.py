"""models and vendors inventory

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("dpa_signed_on", sa.Date(), nullable=True),
        sa.Column("certifications", sa.Text(), nullable=False),
        sa.Column("exit_plan", sa.Text(), nullable=True),
        sa.Column("lock_in", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_vendors")),
        sa.UniqueConstraint("slug", name=op.f("uq_inventory_vendors_slug")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "inventory_guarantees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("promised", sa.Text(), nullable=False),
        sa.Column("document_ref", sa.String(length=300), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_reviewed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("last_review_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_review_notes", sa.Text(), nullable=True),
        sa.Column("overdue_flagged_for", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["inventory_vendors.id"],
            name=op.f("fk_inventory_guarantees_vendor_id_inventory_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_guarantees")),
        sa.UniqueConstraint("vendor_id", "kind", name="uq_inventory_guarantees_vendor_kind"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("inventory_guarantees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_guarantees_review_due"), ["review_due"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inventory_guarantees_vendor_id"), ["vendor_id"], unique=False
        )

    op.create_table(
        "inventory_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("provider_kind", sa.String(length=30), nullable=False),
        sa.Column("upstream_model", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("credential_ref", sa.String(length=128), nullable=True),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("hosting", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("no_training", sa.Boolean(), nullable=False),
        sa.Column("max_data_class", sa.String(length=40), nullable=False),
        sa.Column("pricing", sa.Text(), nullable=True),
        sa.Column("infrastructure", sa.Text(), nullable=True),
        sa.Column("energy", sa.Text(), nullable=True),
        sa.Column("context_window", sa.Integer(), nullable=True),
        sa.Column("sla", sa.Text(), nullable=True),
        sa.Column("model_card", sa.Text(), nullable=True),
        sa.Column("fallback_models", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_changed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["inventory_vendors.id"],
            name=op.f("fk_inventory_models_vendor_id_inventory_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_models")),
        sa.UniqueConstraint("name", name=op.f("uq_inventory_models_name")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("inventory_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_models_hosting"), ["hosting"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inventory_models_max_data_class"), ["max_data_class"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inventory_models_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inventory_models_vendor_id"), ["vendor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inventory_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_models_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_inventory_models_status"))
        batch_op.drop_index(batch_op.f("ix_inventory_models_max_data_class"))
        batch_op.drop_index(batch_op.f("ix_inventory_models_hosting"))
    op.drop_table("inventory_models")
    with op.batch_alter_table("inventory_guarantees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_guarantees_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_inventory_guarantees_review_due"))
    op.drop_table("inventory_guarantees")
    op.drop_table("inventory_vendors")
