"""gateway: kill switches, use-case gateway settings, limits, request log and content

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

On PostgreSQL the request log is partitioned by month (primary key (id, at)); a default
partition catches rows of months whose partition is not created yet, and the server creates the
current and next month's partitions at start-up (``gateway/partitions.py``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _request_log_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("use_case_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("operation", sa.String(length=20), nullable=False),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("model_requested", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("rule_ids", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("data_class", sa.String(length=40), nullable=True),
        sa.Column("injection", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_eur", sa.Numeric(precision=16, scale=8), nullable=False),
        sa.Column("price_source", sa.String(length=20), nullable=True),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("gco2e", sa.Float(), nullable=True),
        sa.Column("impact_source", sa.String(length=40), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("upstream_ms", sa.Float(), nullable=True),
        sa.Column("ttfb_ms", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failover", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "kill_switches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("engaged", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["users.id"], name=op.f("fk_kill_switches_changed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kill_switches")),
        sa.UniqueConstraint("scope", "target_id", name="uq_kill_switches_target"),
    )
    op.create_table(
        "use_case_gateway",
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("data_class_ceiling", sa.String(length=40), nullable=True),
        sa.Column("allowed_models", sa.Text(), nullable=False),
        sa.Column("content_retention", sa.String(length=20), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_use_case_gateway_use_case_id_use_cases"),
        ),
        sa.PrimaryKeyConstraint("use_case_id", name=op.f("pk_use_case_gateway")),
    )
    op.create_table(
        "gateway_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("tokens_per_minute", sa.Integer(), nullable=True),
        sa.Column("monthly_budget_eur", sa.Numeric(precision=16, scale=6), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_limits")),
        sa.UniqueConstraint("scope", "target_id", name="uq_gateway_limits_target"),
    )
    if op.get_bind().dialect.name == "postgresql":
        columns = ",\n".join(
            f"{c.name} {c.type.compile(op.get_bind().dialect)}{'' if c.nullable else ' NOT NULL'}"
            for c in _request_log_columns()
        )
        op.execute(
            "CREATE TABLE request_log (\n"
            "id BIGINT GENERATED BY DEFAULT AS IDENTITY NOT NULL,\n"
            "at TIMESTAMP WITH TIME ZONE NOT NULL,\n"
            f"{columns},\n"
            "CONSTRAINT pk_request_log PRIMARY KEY (id, at)\n"
            ") PARTITION BY RANGE (at)"
        )
        op.execute("CREATE TABLE request_log_default PARTITION OF request_log DEFAULT")
    else:
        op.create_table(
            "request_log",
            sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
            sa.Column("at", UtcDateTime(timezone=True), nullable=False),
            *_request_log_columns(),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_request_log")),
        )
    op.create_index(op.f("ix_request_log_at"), "request_log", ["at"], unique=False)
    op.create_index("ix_request_log_use_case_at", "request_log", ["use_case_id", "at"])
    op.create_index("ix_request_log_user_at", "request_log", ["user_id", "at"])

    op.create_table(
        "request_content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("purge_after", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_content")),
        sa.UniqueConstraint("request_id", name=op.f("uq_request_content_request_id")),
    )
    op.create_index(
        op.f("ix_request_content_use_case_id"), "request_content", ["use_case_id"], unique=False
    )
    op.create_index(
        op.f("ix_request_content_purge_after"), "request_content", ["purge_after"], unique=False
    )

    # API keys name their use case by id: a foreign key now that the registry exists.
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "use_case_id",
            existing_type=sa.String(length=64),
            type_=sa.Integer(),
            existing_nullable=True,
            postgresql_using="use_case_id::integer",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_use_case_id_use_cases"), "use_cases", ["use_case_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_keys_use_case_id_use_cases"), type_="foreignkey"
        )
        batch_op.alter_column(
            "use_case_id",
            existing_type=sa.Integer(),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
    op.drop_table("request_content")
    op.drop_table("request_log")
    op.drop_table("gateway_limits")
    op.drop_table("use_case_gateway")
    op.drop_table("kill_switches")
