"""charter roll-out and AI literacy

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gouvernail.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Utc = gouvernail.db.base.UtcDateTime


def upgrade() -> None:
    op.add_column("users", sa.Column("level", sa.String(length=20), nullable=True))
    op.add_column("charter_versions", sa.Column("effective_at", Utc(timezone=True), nullable=True))
    op.add_column(
        "charter_versions",
        sa.Column("grace_days", sa.Integer(), server_default="0", nullable=False),
    )
    # Versions activated before scheduling existed came into force when activated.
    op.execute(
        "UPDATE charter_versions SET status = 'activated', effective_at = activated_at "
        "WHERE status IN ('active', 'superseded')"
    )

    op.create_table(
        "charter_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("told_at", Utc(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_version_id"],
            ["charter_versions.id"],
            name=op.f("fk_charter_notices_charter_version_id_charter_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_charter_notices_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_charter_notices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charter_notices")),
        sa.UniqueConstraint(
            "charter_version_id", "user_id", name="uq_charter_notices_version_user"
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("charter_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_charter_notices_charter_version_id"),
            ["charter_version_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_charter_notices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "training_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_fr", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("audience_roles", sa.Text(), nullable=False),
        sa.Column("audience_teams", sa.Text(), nullable=False),
        sa.Column("audience_levels", sa.Text(), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", Utc(timezone=True), nullable=False),
        sa.Column("updated_at", Utc(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_modules")),
        sa.UniqueConstraint("code", name=op.f("uq_training_modules_code")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "training_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", Utc(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_imports")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "training_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", Utc(timezone=True), nullable=False),
        sa.Column("expires_at", Utc(timezone=True), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", Utc(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["training_imports.id"],
            name=op.f("fk_training_completions_import_id_training_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_modules.id"],
            name=op.f("fk_training_completions_module_id_training_modules"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_training_completions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_completions")),
        sa.UniqueConstraint(
            "user_id", "module_id", "completed_at", name="uq_training_completions_once"
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("training_completions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_completions_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_completions_module_id"), ["module_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_completions_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("training_completions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_completions_user_id"))
        batch_op.drop_index(batch_op.f("ix_training_completions_module_id"))
        batch_op.drop_index(batch_op.f("ix_training_completions_import_id"))
    op.drop_table("training_completions")
    op.drop_table("training_imports")
    op.drop_table("training_modules")
    with op.batch_alter_table("charter_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charter_notices_user_id"))
        batch_op.drop_index(batch_op.f("ix_charter_notices_charter_version_id"))
    op.drop_table("charter_notices")
    op.execute(
        "UPDATE charter_versions SET status = 'active' WHERE status = 'activated' "
        "AND id = (SELECT MAX(id) FROM charter_versions WHERE status = 'activated')"
    )
    op.execute("UPDATE charter_versions SET status = 'superseded' WHERE status = 'activated'")
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of ``users`` would
    # lose its immutability triggers
    op.drop_column("charter_versions", "grace_days")
    op.drop_column("charter_versions", "effective_at")
    op.drop_column("users", "level")
