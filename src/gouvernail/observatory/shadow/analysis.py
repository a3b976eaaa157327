"""One segment of a proxy log through DuckDB: parse every line, find the distinct hosts, match
them against the catalogue, and sum the requests to AI services per day, person and host.

Matching runs over distinct hosts (thousands), not lines (millions), and the sums join only the
matched hosts, so the cost is one columnar pass over the segment. Each segment gets its own
in-memory DuckDB connection, with extension downloads off: nothing leaves the machine.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from gouvernail.observatory.shadow.catalogue import Entry, Matcher
from gouvernail.observatory.shadow.formats import query
from gouvernail.observatory.shadow.segments import Segment

EXAMPLES = 10
EXAMPLE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Sum:
    """Requests of one identity to one AI host on one day."""

    service: Entry
    host: str
    day: date
    identity: str
    department: str | None
    requests: int
    bytes_up: int | None
    bytes_down: int
    first: float
    last: float


@dataclass(slots=True)
class Outcome:
    """What one segment held."""

    lines: int = 0
    malformed: int = 0
    requests: int = 0
    first: float | None = None
    last: float | None = None
    sums: list[Sum] = field(default_factory=list)
    examples: list[dict[str, str]] = field(default_factory=list)

    @property
    def ai_requests(self) -> int:
        return sum(s.requests for s in self.sums)


def _example(line: bytes | str, why: str) -> dict[str, str]:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    return {"line": text[:EXAMPLE_CHARS], "why": why}


class Analyzer:
    """Runs segments of one file (its format and, for CSV, its header line)."""

    def __init__(
        self,
        kind: str,
        header: str | None,
        matcher: Matcher,
        *,
        memory_mb: int,
        threads: int,
        scratch: Path | None = None,
    ) -> None:
        self.sql = query(kind, header)
        self.header = header
        self.matcher = matcher
        self.config = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "memory_limit": f"{memory_mb}MB",
            "threads": threads,
        }
        shm = Path("/dev/shm")  # noqa: S108 - memory-backed when there is one
        self.scratch = scratch or (shm if shm.is_dir() and os.access(shm, os.W_OK) else None)

    def run(self, segment: Segment) -> Outcome:
        outcome = Outcome()
        for line in segment.oversized:
            outcome.lines += 1
            outcome.malformed += 1
            if len(outcome.examples) < EXAMPLES:
                outcome.examples.append(_example(line, "longer than the longest line allowed"))
        if not segment.data or segment.data.isspace():
            return outcome
        with tempfile.NamedTemporaryFile(dir=self.scratch, prefix="gouvernail-shadow-") as file:
            if self.header is not None and segment.start > 0:
                file.write(self.header.encode() + b"\n")
            file.write(segment.data)
            file.flush()
            self._analyse(Path(file.name), outcome)
        return outcome

    def _analyse(self, path: Path, outcome: Outcome) -> None:
        import duckdb  # ~40 MB: loaded by the first import, not by every server at start-up

        with duckdb.connect(config=self.config) as db:  # type: ignore[arg-type]
            db.execute("SET TimeZone = 'UTC'")
            db.execute(f"CREATE TEMP TABLE parsed AS {self.sql}", [str(path)])
            hosts = [
                h for (h,) in db.execute("SELECT DISTINCT host FROM parsed WHERE ok").fetchall()
            ]
            services = {h: e for h in hosts if (e := self.matcher.match(h)) is not None}
            db.execute(
                "CREATE TEMP TABLE ai AS SELECT unnest(?::VARCHAR[]) AS host", [list(services)]
            )
            for host, day, identity, department, n, up, down, first, last in db.execute(
                "SELECT host, CAST(to_timestamp(ts) AS DATE), identity, department, count(*),"
                " sum(bytes_up), sum(bytes_down), min(ts), max(ts)"
                " FROM parsed JOIN ai USING (host) WHERE ok GROUP BY ALL"
            ).fetchall():
                outcome.sums.append(
                    Sum(
                        services[host],
                        host,
                        day,
                        identity,
                        department,
                        n,
                        None if up is None else int(up),
                        int(down or 0),
                        first,
                        last,
                    )
                )
            total, ok, first, last = db.execute(
                "SELECT count(*), count(*) FILTER (WHERE ok), min(ts) FILTER (WHERE ok),"
                " max(ts) FILTER (WHERE ok) FROM parsed"
            ).fetchone() or (0, 0, None, None)
            rejected = db.execute(
                "SELECT line, any_value(error_type), any_value(csv_line) FROM reject_errors"
                " GROUP BY line ORDER BY line"
            ).fetchall()
            outcome.lines += total + len(rejected)
            outcome.requests += ok
            outcome.malformed += total - ok + len(rejected)
            outcome.first, outcome.last = first, last
            room = EXAMPLES - len(outcome.examples)
            for _, kind, text in rejected[:room]:
                outcome.examples.append(_example(text or "", str(kind).lower()))
            room = EXAMPLES - len(outcome.examples)
            if room > 0:
                for bad, why in db.execute(
                    "SELECT bad, why FROM parsed WHERE NOT ok LIMIT ?", [room]
                ).fetchall():
                    outcome.examples.append(_example(bad, why))
