"""licences and AI tools used outside the gateway: tools, imports, seats, outside messages

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "licence_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("models", sa.Text(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=True),
        sa.Column("hosting", sa.String(length=20), nullable=True),
        sa.Column("max_data_class", sa.String(length=40), nullable=True),
        sa.Column("seat_price", sa.Numeric(precision=16, scale=6), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("billing_period", sa.String(length=10), nullable=False),
        sa.Column("seats_bought", sa.Integer(), nullable=False),
        sa.Column("seats_as_of", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_licence_tools_use_case_id_use_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["inventory_vendors.id"],
            name=op.f("fk_licence_tools_vendor_id_inventory_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_tools")),
        sa.UniqueConstraint("slug", name=op.f("uq_licence_tools_slug")),
    )
    with op.batch_alter_table("licence_tools", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_licence_tools_use_case_id"), ["use_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_licence_tools_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "licence_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("format", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("malformed", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Text(), nullable=False),
        sa.Column("unknown", sa.Text(), nullable=False),
        sa.Column("unknown_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["licence_tools.id"], name=op.f("fk_licence_imports_tool_id_licence_tools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_imports")),
        sa.UniqueConstraint("tool_id", "kind", "sha256", name=op.f("uq_licence_imports_tool_id")),
    )
    with op.batch_alter_table("licence_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_imports_tool_id"), ["tool_id"], unique=False)

    op.create_table(
        "licence_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("assigned", sa.Boolean(), nullable=False),
        sa.Column("assigned_since", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("vendor_last_active", sa.Date(), nullable=True),
        sa.Column("apps", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["licence_imports.id"],
            name=op.f("fk_licence_seats_import_id_licence_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["licence_tools.id"], name=op.f("fk_licence_seats_tool_id_licence_tools")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_licence_seats_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_seats")),
        sa.UniqueConstraint("tool_id", "identity", name=op.f("uq_licence_seats_tool_id")),
    )
    with op.batch_alter_table("licence_seats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_seats_import_id"), ["import_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_seats_tool_id"), ["tool_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_seats_user_id"), ["user_id"], unique=False)

    op.create_table(
        "licence_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("characters", sa.Integer(), nullable=False),
        sa.Column("inspected", sa.Boolean(), nullable=False),
        sa.Column("data_class", sa.String(length=40), nullable=True),
        sa.Column("over_ceiling", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["licence_imports.id"],
            name=op.f("fk_licence_messages_import_id_licence_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["licence_tools.id"],
            name=op.f("fk_licence_messages_tool_id_licence_tools"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_licence_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_messages")),
        sa.UniqueConstraint("tool_id", "external_id", name=op.f("uq_licence_messages_tool_id")),
    )
    with op.batch_alter_table("licence_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_licence_messages_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_licence_messages_over_ceiling"), ["over_ceiling"], unique=False
        )
        batch_op.create_index("ix_licence_messages_tool_at", ["tool_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_messages_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("licence_messages")
    op.drop_table("licence_seats")
    op.drop_table("licence_imports")
    op.drop_table("licence_tools")
