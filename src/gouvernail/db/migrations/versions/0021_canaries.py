"""canaries for silent vendor changes: configuration per model, runs, samples, drifts

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canary_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("prompt_set", sa.String(length=64), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("acting_for", sa.Integer(), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=False),
        sa.Column("baseline_run_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acting_for"], ["users.id"], name=op.f("fk_canary_configs_acting_for_users")
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_canary_configs_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_configs")),
        sa.UniqueConstraint("model", name=op.f("uq_canary_configs_model")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("canary_configs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_canary_configs_acting_for"), ["acting_for"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_canary_configs_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "canary_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("prompt_set", sa.String(length=64), nullable=False),
        sa.Column("prompts_version", sa.String(length=120), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("acting_for", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("baseline_run_id", sa.Integer(), nullable=True),
        sa.Column("comparison", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acting_for"], ["users.id"], name=op.f("fk_canary_runs_acting_for_users")
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_canary_runs_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_runs")),
        sa.UniqueConstraint("key", name=op.f("uq_canary_runs_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("canary_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_canary_runs_acting_for"), ["acting_for"], unique=False)
        batch_op.create_index(batch_op.f("ix_canary_runs_model"), ["model"], unique=False)
        batch_op.create_index(batch_op.f("ix_canary_runs_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_canary_runs_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_canary_runs_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "canary_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.String(length=64), nullable=False),
        sa.Column("prompt_key", sa.String(length=80), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("refusal", sa.Boolean(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("fingerprint", sa.String(length=120), nullable=True),
        sa.Column("provider_model", sa.String(length=120), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("finish_reason", sa.String(length=40), nullable=True),
        sa.Column("decision", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["canary_runs.id"], name=op.f("fk_canary_samples_run_id_canary_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_samples")),
    )
    with op.batch_alter_table("canary_samples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_canary_samples_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_canary_samples_run_id"), ["run_id"], unique=False)

    op.create_table(
        "canary_drifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("baseline_run_id", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.String(length=200), nullable=False),
        sa.Column("detected_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_run_id"],
            ["canary_runs.id"],
            name=op.f("fk_canary_drifts_baseline_run_id_canary_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["canary_runs.id"], name=op.f("fk_canary_drifts_run_id_canary_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_drifts")),
        sa.UniqueConstraint("run_id", name=op.f("uq_canary_drifts_run_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("canary_drifts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_canary_drifts_baseline_run_id"), ["baseline_run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_canary_drifts_detected_at"), ["detected_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_canary_drifts_model"), ["model"], unique=False)
        batch_op.create_index(batch_op.f("ix_canary_drifts_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("canary_drifts")
    op.drop_table("canary_samples")
    op.drop_table("canary_runs")
    op.drop_table("canary_configs")
