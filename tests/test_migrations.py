"""The migrations create exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gouvernail.db import Database
from gouvernail.db.models import metadata
from gouvernail.gateway.partitions import is_partition
from gouvernail.insight.vectors import is_vector_table


def _modelled(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
    """Left out: the request log's monthly partitions (made by the server), insight's
    full-text and vector tables (FTS5 and sqlite-vec, made per source) and PostgreSQL's
    ``tsvector`` column (not portable)."""
    table = parent.get("table_name") or ""
    if kind == "table":
        return not (is_partition(name or "") or is_vector_table(name or ""))
    if kind == "index":
        return not (is_partition(table) or name == "ix_insight_chunks_tsv")
    return not (kind == "column" and table == "insight_chunks" and name == "tsv")


def test_migrations_match_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": _modelled,
                },
            )
            differences = compare_metadata(context, metadata)
    finally:
        database.dispose()
    assert differences == [], f"write a migration for: {differences}"
