"""Monthly partitions of the request log on PostgreSQL.

The migration makes ``request_log`` a table partitioned by range of ``at`` with a default
partition. The server creates the partition of the current month and of the next ones at start-up
(and the purge job each time it runs), so rows land in their month's partition and old months can
be detached or dropped whole. SQLite has no partitions: nothing to do there.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import text

from gouvernail.db.engine import Database

PARTITION = re.compile(r"^request_log_(default|\d{4}_\d{2})$")


def is_partition(table_name: str) -> bool:
    return bool(PARTITION.match(table_name))


def _month_start(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


def ensure_partitions(
    database: Database, *, ahead: int = 2, now: datetime | None = None
) -> list[str]:
    """Create the partitions of this month and the ``ahead`` next ones if missing; returns the
    names created. Rows already in the default partition for such a month are moved into it."""
    if database.dialect != "postgresql":
        return []
    today = (now or datetime.now(UTC)).date()
    created: list[str] = []
    with database.write() as session:
        for offset in range(ahead + 1):
            start = _month_start(today.year, today.month + offset)
            end = _month_start(start.year, start.month + 1)
            name = f"request_log_{start:%Y_%m}"
            exists = session.scalar(text("SELECT to_regclass(:name)"), {"name": name})
            if exists:
                continue
            bounds = {"start": start.isoformat(), "end": end.isoformat()}
            session.execute(text("LOCK TABLE request_log IN ACCESS EXCLUSIVE MODE"))
            session.execute(text(f"CREATE TABLE {name} (LIKE request_log INCLUDING DEFAULTS)"))
            session.execute(
                text(
                    f"WITH moved AS (DELETE FROM request_log_default "  # noqa: S608
                    "WHERE at >= CAST(:start AS timestamptz) AND at < CAST(:end AS timestamptz) "
                    f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
                ),
                bounds,
            )
            session.execute(
                text(
                    f"ALTER TABLE request_log ATTACH PARTITION {name} "
                    f"FOR VALUES FROM ('{bounds['start']}') TO ('{bounds['end']}')"
                )
            )
            created.append(name)
    return created
