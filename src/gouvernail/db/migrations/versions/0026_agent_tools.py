"""agent tools: MCP servers and their tools in the inventory, agents' tool calls, human
approvals of consequential calls, agent-to-agent messages, and what a run inherited (its parent
run, the message it answers, the data class its tools gave it, untrusted input)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret_env", sa.Text(), nullable=False),
        sa.Column("hosting", sa.String(length=20), nullable=False),
        sa.Column("max_data_class", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("synced_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_mcp_servers_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_mcp_servers_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mcp_servers")),
        sa.UniqueConstraint("slug", name=op.f("uq_mcp_servers_slug")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "agent_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tool", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("input_schema", sa.Text(), nullable=False),
        sa.Column("result_class", sa.String(length=40), nullable=True),
        sa.Column("consequential", sa.Boolean(), nullable=False),
        sa.Column("gxp", sa.Boolean(), nullable=False),
        sa.Column("on_injection", sa.String(length=20), nullable=False),
        sa.Column("max_calls_per_minute", sa.Integer(), nullable=True),
        sa.Column("monthly_budget_eur", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("cost_per_call_eur", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"], ["mcp_servers.id"], name=op.f("fk_agent_tools_server_id_mcp_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tools")),
        sa.UniqueConstraint("name", name=op.f("uq_agent_tools_name")),
        sa.UniqueConstraint("server_id", "tool", name="uq_agent_tools_server_tool"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("agent_tools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_tools_server_id"), ["server_id"], unique=False)

    op.create_table(
        "agent_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("arguments_hash", sa.String(length=64), nullable=False),
        sa.Column("approver", sa.String(length=30), nullable=False),
        sa.Column("gxp", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requested_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("used_at", UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_approvals_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_agent_approvals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["agent_runs.id"], name=op.f("fk_agent_approvals_run_id_agent_runs")
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_agent_approvals_signature_id_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["agent_tools.id"], name=op.f("fk_agent_approvals_tool_id_agent_tools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_approvals")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("agent_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_approvals_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_approvals_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_approvals_trace_id"), ["trace_id"], unique=False)

    op.create_table(
        "agent_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("sender_run_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=64), nullable=False),
        sa.Column("reply_to", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("data_class", sa.String(length=40), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("injection", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("read_at", UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["agents.id"], name=op.f("fk_agent_messages_recipient_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["reply_to"],
            ["agent_messages.id"],
            name=op.f("fk_agent_messages_reply_to_agent_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["agents.id"], name=op.f("fk_agent_messages_sender_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["sender_run_id"],
            ["agent_runs.id"],
            name=op.f("fk_agent_messages_sender_run_id_agent_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_agent_messages_message_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("agent_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_messages_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agent_messages_sender_id"), ["sender_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agent_messages_trace_id"), ["trace_id"], unique=False)

    op.create_table(
        "agent_tool_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=True),
        sa.Column("tool_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("arguments_hash", sa.String(length=64), nullable=False),
        sa.Column("arguments_class", sa.String(length=40), nullable=True),
        sa.Column("result_class", sa.String(length=40), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.Column("cost_eur", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_tool_calls_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["agent_approvals.id"],
            name=op.f("fk_agent_tool_calls_approval_id_agent_approvals"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["agent_runs.id"], name=op.f("fk_agent_tool_calls_run_id_agent_runs")
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["agent_tools.id"], name=op.f("fk_agent_tool_calls_tool_id_agent_tools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tool_calls")),
        sa.UniqueConstraint("call_id", name=op.f("uq_agent_tool_calls_call_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("agent_tool_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_tool_calls_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agent_tool_calls_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agent_tool_calls_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agent_tool_calls_trace_id"), ["trace_id"], unique=False
        )

    with op.batch_alter_table("agent_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("data_class_seen", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("untrusted_input", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_agent_runs_trace_id"), ["trace_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_agent_runs_parent_id_agent_runs"), "agent_runs", ["parent_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_runs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_agent_runs_parent_id_agent_runs"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_agent_runs_trace_id"))
        batch_op.drop_column("untrusted_input")
        batch_op.drop_column("data_class_seen")
        batch_op.drop_column("message_id")
        batch_op.drop_column("parent_id")

    with op.batch_alter_table("agent_tool_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_tool_calls_trace_id"))
        batch_op.drop_index(batch_op.f("ix_agent_tool_calls_run_id"))
        batch_op.drop_index(batch_op.f("ix_agent_tool_calls_created_at"))
        batch_op.drop_index(batch_op.f("ix_agent_tool_calls_agent_id"))

    op.drop_table("agent_tool_calls")
    with op.batch_alter_table("agent_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_messages_trace_id"))
        batch_op.drop_index(batch_op.f("ix_agent_messages_sender_id"))
        batch_op.drop_index(batch_op.f("ix_agent_messages_recipient_id"))

    op.drop_table("agent_messages")
    with op.batch_alter_table("agent_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_approvals_trace_id"))
        batch_op.drop_index(batch_op.f("ix_agent_approvals_run_id"))
        batch_op.drop_index(batch_op.f("ix_agent_approvals_agent_id"))

    op.drop_table("agent_approvals")
    with op.batch_alter_table("agent_tools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_tools_server_id"))

    op.drop_table("agent_tools")
    op.drop_table("mcp_servers")
