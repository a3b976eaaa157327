"""risk register and GxP assessment

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gouvernail.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in_scale(column: str) -> str:
    return f"{column} IS NULL OR ({column} >= 1 AND {column} <= 5)"


def upgrade() -> None:
    op.create_table(
        "risks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("mitigation", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("residual_likelihood", sa.Integer(), nullable=True),
        sa.Column("residual_severity", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in_scale("likelihood"), name=op.f("ck_risks_likelihood_scale")),
        sa.CheckConstraint(_in_scale("severity"), name=op.f("ck_risks_severity_scale")),
        sa.CheckConstraint(
            _in_scale("residual_likelihood"), name=op.f("ck_risks_residual_likelihood_scale")
        ),
        sa.CheckConstraint(
            _in_scale("residual_severity"), name=op.f("ck_risks_residual_severity_scale")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_risks_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_risks_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risks")),
        sa.UniqueConstraint("use_case_id", "number", name="uq_risks_use_case_number"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risks_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risks_use_case_id"), ["use_case_id"], unique=False)

    op.create_table(
        "gxp_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("gxp_relevant", sa.Boolean(), nullable=False),
        sa.Column("question_of_interest", sa.Text(), nullable=False),
        sa.Column("context_of_use", sa.Text(), nullable=False),
        sa.Column("model_influence", sa.String(length=10), nullable=True),
        sa.Column("decision_consequence", sa.String(length=10), nullable=True),
        sa.Column("model_risk", sa.String(length=10), nullable=True),
        sa.Column("gmp_criticality", sa.String(length=20), nullable=True),
        sa.Column("generative_ai", sa.Boolean(), nullable=False),
        sa.Column("dynamic_model", sa.Boolean(), nullable=False),
        sa.Column("human_in_the_loop", sa.Boolean(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("annex22_allowed", sa.Boolean(), nullable=False),
        sa.Column("annex22_rule", sa.String(length=80), nullable=False),
        sa.Column("annex22_reason", sa.Text(), nullable=False),
        sa.Column("ruleset", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assessed_by", sa.String(length=64), nullable=False),
        sa.Column("assessed_by_name", sa.String(length=200), nullable=False),
        sa.Column("assessed_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_gxp_assessments_use_case_id_use_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gxp_assessments")),
        sa.UniqueConstraint("use_case_id", name=op.f("uq_gxp_assessments_use_case_id")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("gxp_assessments")
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risks_use_case_id"))
        batch_op.drop_index(batch_op.f("ix_risks_owner_id"))
    op.drop_table("risks")
