"""shadow AI discovery: the catalogue of AI services, proxy-log imports and what they observed

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shadow_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("head_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("catalogue_digest", sa.String(length=64), nullable=False),
        sa.Column("header", sa.Text(), nullable=True),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("segments_done", sa.Integer(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("malformed", sa.BigInteger(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("ai_requests", sa.BigInteger(), nullable=False),
        sa.Column("examples", sa.Text(), nullable=False),
        sa.Column("log_from", UtcDateTime(timezone=True), nullable=True),
        sa.Column("log_to", UtcDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("lease_until", UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=64), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_imports")),
        sa.UniqueConstraint("head_digest", "format", name=op.f("uq_shadow_imports_head_digest")),
    )
    with op.batch_alter_table("shadow_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shadow_imports_digest"), ["digest"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shadow_imports_head_digest"), ["head_digest"], unique=False
        )

    op.create_table(
        "shadow_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("patterns", sa.Text(), nullable=False),
        sa.Column("api", sa.Boolean(), nullable=False),
        sa.Column("sanctioned", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_services")),
        sa.UniqueConstraint("slug", name=op.f("uq_shadow_services_slug")),
    )
    op.create_table(
        "shadow_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("bytes_up", sa.BigInteger(), nullable=True),
        sa.Column("bytes_down", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["shadow_imports.id"],
            name=op.f("fk_shadow_observations_import_id_shadow_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["shadow_services.id"],
            name=op.f("fk_shadow_observations_service_id_shadow_services"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shadow_observations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_observations")),
    )
    with op.batch_alter_table("shadow_observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shadow_observations_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shadow_observations_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shadow_observations_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shadow_observations_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("shadow_observations")
    op.drop_table("shadow_services")
    op.drop_table("shadow_imports")
