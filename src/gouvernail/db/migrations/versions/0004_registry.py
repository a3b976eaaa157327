"""use cases and their governance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gouvernail.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the history of one record (a use case, a risk...) is read by object
    op.create_index("ix_audit_records_object", "audit_records", ["object_type", "object_id"])
    op.create_table(
        "use_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("business_problem", sa.Text(), nullable=False),
        sa.Column("current_process", sa.Text(), nullable=False),
        sa.Column("target_process", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("intended_users", sa.Text(), nullable=False),
        sa.Column("affected_people", sa.Text(), nullable=False),
        sa.Column("expected_benefit", sa.Text(), nullable=False),
        sa.Column("sourcing", sa.String(length=20), nullable=False),
        sa.Column("preferred_hosting", sa.String(length=20), nullable=True),
        sa.Column("sandbox_of", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous_status", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("qualification", sa.Text(), nullable=False),
        sa.Column("automation", sa.Text(), nullable=False),
        sa.Column("deployment", sa.Text(), nullable=False),
        sa.Column("classification", sa.Text(), nullable=True),
        sa.Column("ai_act_tier", sa.String(length=20), nullable=True),
        sa.Column("pilot_started_on", sa.Date(), nullable=True),
        sa.Column("pilot_end_date", sa.Date(), nullable=True),
        sa.Column("duplicate_justification", sa.Text(), nullable=False),
        sa.Column("search_terms", sa.Text(), nullable=False),
        sa.Column("created_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["teams.id"], name=op.f("fk_use_cases_department_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_use_cases_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sandbox_of"], ["users.id"], name=op.f("fk_use_cases_sandbox_of_users")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"], ["users.id"], name=op.f("fk_use_cases_sponsor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_use_cases")),
        sa.UniqueConstraint("sandbox_of", name=op.f("uq_use_cases_sandbox_of")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("use_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_use_cases_ai_act_tier"), ["ai_act_tier"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_use_cases_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_use_cases_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_use_cases_status"), ["status"], unique=False)

    op.create_table(
        "approval_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(length=60), nullable=False),
        sa.Column("stage", sa.String(length=60), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_approval_decisions_signature_id_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_approval_decisions_use_case_id_use_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_approval_decisions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_decisions")),
        sa.UniqueConstraint("signature_id", name=op.f("uq_approval_decisions_signature_id")),
    )
    with op.batch_alter_table("approval_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_approval_decisions_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "data_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("data_class", sa.String(length=40), nullable=False),
        sa.Column("available", sa.Integer(), nullable=True),
        sa.Column("relevance", sa.Integer(), nullable=True),
        sa.Column("completeness", sa.Integer(), nullable=True),
        sa.Column("recency", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_data_sources_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_data_sources_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
    )
    with op.batch_alter_table("data_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_sources_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_sources_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "key_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("measured_value", sa.Float(), nullable=True),
        sa.Column("measured_on", sa.Date(), nullable=True),
        sa.Column("measurement_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_key_results_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_results")),
    )
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_results_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "use_case_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_use_case_links_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["use_cases.id"], name=op.f("fk_use_case_links_source_id_use_cases")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["use_cases.id"], name=op.f("fk_use_case_links_target_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_use_case_links")),
        sa.UniqueConstraint("source_id", "target_id", "kind", name="uq_use_case_links"),
    )
    with op.batch_alter_table("use_case_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_use_case_links_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_use_case_links_target_id"), ["target_id"], unique=False
        )

    op.create_table(
        "use_case_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("added_at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_use_case_members_use_case_id_use_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_use_case_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_use_case_members")),
        sa.UniqueConstraint("use_case_id", "user_id", name="uq_use_case_members"),
    )
    with op.batch_alter_table("use_case_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_use_case_members_use_case_id"), ["use_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_use_case_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "use_case_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("at", gouvernail.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_use_case_transitions_use_case_id_use_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_use_case_transitions")),
    )
    with op.batch_alter_table("use_case_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_use_case_transitions_use_case_id"), ["use_case_id"], unique=False
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index("ix_audit_records_object", table_name="audit_records")
    with op.batch_alter_table("use_case_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_use_case_transitions_use_case_id"))

    op.drop_table("use_case_transitions")
    with op.batch_alter_table("use_case_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_use_case_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_use_case_members_use_case_id"))

    op.drop_table("use_case_members")
    with op.batch_alter_table("use_case_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_use_case_links_target_id"))
        batch_op.drop_index(batch_op.f("ix_use_case_links_source_id"))

    op.drop_table("use_case_links")
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_results_use_case_id"))

    op.drop_table("key_results")
    with op.batch_alter_table("data_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_sources_use_case_id"))
        batch_op.drop_index(batch_op.f("ix_data_sources_owner_id"))

    op.drop_table("data_sources")
    with op.batch_alter_table("approval_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_decisions_use_case_id"))

    op.drop_table("approval_decisions")
    with op.batch_alter_table("use_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_use_cases_status"))
        batch_op.drop_index(batch_op.f("ix_use_cases_requester_id"))
        batch_op.drop_index(batch_op.f("ix_use_cases_department_id"))
        batch_op.drop_index(batch_op.f("ix_use_cases_ai_act_tier"))

    op.drop_table("use_cases")
    # ### end Alembic commands ###
