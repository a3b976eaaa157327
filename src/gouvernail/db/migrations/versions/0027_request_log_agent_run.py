"""the request log found by agent run (the trace view), a partial index: calls of no agent
never touch it

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("agent_run_id IS NOT NULL")


def upgrade() -> None:
    # on PostgreSQL, every monthly partition of the request log gets it
    op.create_index(
        "ix_request_log_agent_run",
        "request_log",
        ["agent_run_id"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_request_log_agent_run", table_name="request_log")
