"""bias tests by counterfactual pairs: runs and the prompts they sent through the gateway

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bias_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("templates_version", sa.String(length=80), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("prompts", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_bias_runs_started_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_bias_runs_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bias_runs")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("bias_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bias_runs_model"), ["model"], unique=False)
        batch_op.create_index(batch_op.f("ix_bias_runs_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bias_runs_started_by"), ["started_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_bias_runs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_bias_runs_use_case_id"), ["use_case_id"], unique=False)

    op.create_table(
        "bias_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_index", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=20), nullable=True),
        sa.Column("value", sa.String(length=40), nullable=True),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.Float(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=200), nullable=False),
        sa.Column("unseen", sa.String(length=100), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["bias_runs.id"], name=op.f("fk_bias_prompts_run_id_bias_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bias_prompts")),
    )
    with op.batch_alter_table("bias_prompts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bias_prompts_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bias_prompts_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("bias_prompts")
    op.drop_table("bias_runs")
