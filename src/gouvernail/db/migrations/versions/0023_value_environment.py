"""value and ROI: the value model of each use case (the environment reads the request log only)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "use_case_values",
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=True),
        sa.Column("baseline_minutes", sa.Float(), nullable=True),
        sa.Column("tasks_per_month", sa.Float(), nullable=True),
        sa.Column("calls_per_task", sa.Float(), nullable=True),
        sa.Column("hourly_cost_eur", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("time_saved_method", sa.String(length=20), nullable=False),
        sa.Column("declared_minutes_saved", sa.Float(), nullable=True),
        sa.Column("study_before_minutes", sa.Float(), nullable=True),
        sa.Column("study_after_minutes", sa.Float(), nullable=True),
        sa.Column("study_tasks", sa.Integer(), nullable=True),
        sa.Column("study_note", sa.Text(), nullable=False),
        sa.Column("time_saved_by", sa.Integer(), nullable=False),
        sa.Column("time_saved_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("redeployed_share", sa.Float(), nullable=False),
        sa.Column("redeployment_note", sa.Text(), nullable=False),
        sa.Column("target_users", sa.Integer(), nullable=True),
        sa.Column("licence_eur_per_month", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("hosting_eur_per_month", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("support_eur_per_month", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("build_cost_eur", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_use_case_values_key_result_id_key_results"),
        ),
        sa.ForeignKeyConstraint(
            ["time_saved_by"], ["users.id"], name=op.f("fk_use_case_values_time_saved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_use_case_values_updated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_use_case_values_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("use_case_id", name=op.f("pk_use_case_values")),
    )


def downgrade() -> None:
    op.drop_table("use_case_values")
