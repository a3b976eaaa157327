"""portal: forms already submitted (a double submit creates one record)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_form_submissions",
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("form_id", name=op.f("pk_portal_form_submissions")),
    )
    with op.batch_alter_table("portal_form_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_form_submissions_claimed_at"), ["claimed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_form_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_form_submissions_claimed_at"))
    op.drop_table("portal_form_submissions")
