"""api keys: unique secret digest, so that imported keys are found by it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21

Keys issued by another gateway (``gouvernail key import``) have no public prefix inside the
secret; the gateway finds them by the SHA-256 of the secret, which this constraint indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_api_keys_secret_hash"), ["secret_hash"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_keys_secret_hash"), type_="unique")
