"""prompt registry: labels of prompt versions and their moves, the production prompt a use case
asks the gateway to apply, the prompt version of every gateway call and of its feedback

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("prompt_version_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("moved_by", sa.Integer(), nullable=False),
        sa.Column("moved_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moved_by"], ["users.id"], name=op.f("fk_prompt_labels_moved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["prompt_version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_prompt_labels_prompt_version_id_prompt_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_prompt_labels_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_labels")),
        sa.UniqueConstraint("use_case_id", "name", "label", name="uq_prompt_labels"),
    )
    with op.batch_alter_table("prompt_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prompt_labels_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "prompt_label_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("prompt_version_id", sa.Integer(), nullable=False),
        sa.Column("previous_version_id", sa.Integer(), nullable=True),
        sa.Column("moved_by", sa.Integer(), nullable=False),
        sa.Column("moved_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("gate", sa.String(length=20), nullable=False),
        sa.Column("gate_refusal", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moved_by"], ["users.id"], name=op.f("fk_prompt_label_moves_moved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["previous_version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_prompt_label_moves_previous_version_id_prompt_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_prompt_label_moves_prompt_version_id_prompt_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_prompt_label_moves_use_case_id_use_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_label_moves")),
    )
    with op.batch_alter_table("prompt_label_moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prompt_label_moves_use_case_id"), ["use_case_id"], unique=False
        )

    # versions saved before labels existed: the newest of each prompt is its draft
    newest = (
        "FROM prompt_versions v WHERE v.version = (SELECT MAX(w.version) FROM prompt_versions w "
        "WHERE w.use_case_id = v.use_case_id AND w.name = v.name)"
    )
    op.execute(
        "INSERT INTO prompt_labels (use_case_id, name, label, prompt_version_id, version, "
        "moved_by, moved_at) "
        f"SELECT v.use_case_id, v.name, 'draft', v.id, 1, v.created_by, v.created_at {newest}"
    )
    op.execute(
        "INSERT INTO prompt_label_moves (use_case_id, name, label, prompt_version_id, "
        "previous_version_id, moved_by, moved_at, reason, gate, gate_refusal) "
        "SELECT v.use_case_id, v.name, 'draft', v.id, NULL, v.created_by, v.created_at, "
        f"'labels introduced: the newest version is the draft', 'not_required', '' {newest}"
    )

    with op.batch_alter_table("use_case_gateway", schema=None) as batch_op:
        batch_op.add_column(sa.Column("system_prompt", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "system_prompt_mode", sa.String(length=20), server_default="replace", nullable=False
            )
        )
    # a nullable column without a default: on PostgreSQL a catalogue change only, which every
    # monthly partition of the request log inherits
    op.add_column("request_log", sa.Column("prompt_version_id", sa.Integer(), nullable=True))
    op.add_column("feedback", sa.Column("prompt_version_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("feedback", "prompt_version_id")
    op.drop_column("request_log", "prompt_version_id")
    with op.batch_alter_table("use_case_gateway", schema=None) as batch_op:
        batch_op.drop_column("system_prompt_mode")
        batch_op.drop_column("system_prompt")
    with op.batch_alter_table("prompt_label_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_label_moves_use_case_id"))
    op.drop_table("prompt_label_moves")
    with op.batch_alter_table("prompt_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_labels_use_case_id"))
    op.drop_table("prompt_labels")
