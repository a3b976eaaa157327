"""The migrations create exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gouvernail.db import Database
from gouvernail.db.models import metadata
from gouvernail.gateway.partitions import is_partition


def test_migrations_match_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    # monthly partitions of the request log are made by the server, not modelled
                    "include_name": lambda name, kind, parent: (
                        not (
                            (kind == "table" and is_partition(name or ""))
                            or (kind == "index" and is_partition(parent.get("table_name") or ""))
                        )
                    ),
                },
            )
            differences = compare_metadata(context, metadata)
    finally:
        database.dispose()
    assert differences == [], f"write a migration for: {differences}"
