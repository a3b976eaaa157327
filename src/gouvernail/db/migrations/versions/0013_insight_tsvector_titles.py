"""insight: PostgreSQL's full-text index reads the document's title and the chunk's heading

SQLite's FTS5 entries always held title, heading and text; PostgreSQL's ``tsvector`` held the
text only. Recompute it for the chunks indexed before, in their source's language (new chunks
get it in their INSERT). Nothing to do on SQLite.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIGS = {"fr": "french", "en": "english"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for language, config in CONFIGS.items():
        op.execute(
            "UPDATE insight_chunks c SET tsv = to_tsvector("  # noqa: S608
            f"'{config}', concat_ws(E'\\n', NULLIF(d.title, ''), c.heading, c.text))"
            " FROM insight_documents d, insight_sources s"
            " WHERE d.id = c.document_id AND s.id = c.source_id"
            f" AND s.language = '{language}'"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for language, config in CONFIGS.items():
        op.execute(
            f"UPDATE insight_chunks c SET tsv = to_tsvector('{config}', c.text)"  # noqa: S608
            f" FROM insight_sources s WHERE s.id = c.source_id AND s.language = '{language}'"
        )
