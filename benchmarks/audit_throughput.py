"""Audit trail benchmark: durable records per second, and full-chain verification time.

A standalone script, not a test. It measures, on SQLite and/or PostgreSQL:

1. how many audit records per second the trail makes durable when 1, 8 and 64 writer threads
   each call ``trail.record(ctx, event)`` in a loop (every call blocks until its record is
   committed: this is the group commit at work);
2. how long ``verify_database`` takes to check a chain of ``--verify-records`` records
   (1,000,000 by default), filled by the trail itself from concurrent submits.

Each measurement runs on a fresh database: a temporary SQLite file, or a PostgreSQL database
``gouvernail_bench_<random>`` created on ``--pg-url``'s server and dropped at the end.

    .venv/bin/python benchmarks/audit_throughput.py                      # everything
    .venv/bin/python benchmarks/audit_throughput.py --backend sqlite --skip-verify
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from gouvernail.audit import Actor, AuditContext, AuditTrail
from gouvernail.audit.events import TeamCreated
from gouvernail.audit.signing import CheckpointSigner
from gouvernail.audit.verify import verify_database
from gouvernail.db import Database
from gouvernail.db.migrate import upgrade

BACKENDS = ("sqlite", "postgresql")
WRITER_COUNTS = (1, 8, 64)
TARGET_RATE = {"sqlite": 5_000, "postgresql": 3_000}  # records/s at 64 writers
TARGET_VERIFY_SECONDS = 20.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Throughput:
    backend: str
    writers: int
    records: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Verification:
    backend: str
    records: int
    fill_seconds: float
    verify_seconds: float
    ok: bool
    description: str


# --- databases ------------------------------------------------------------------------------------


def _pg_admin_connect(admin_url: str) -> Any:
    import psycopg

    url = make_url(admin_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


def postgresql_available(admin_url: str) -> str | None:
    """None if the server answers, else why not."""
    try:
        with _pg_admin_connect(admin_url) as connection:
            connection.execute("SELECT 1")
    except Exception as error:
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
    return None


@contextlib.contextmanager
def fresh_database(backend: str, admin_url: str) -> Iterator[tuple[Database, Path]]:
    """A migrated, empty database and a scratch directory (for the signing key)."""
    scratch = Path(tempfile.mkdtemp(prefix="gouvernail-bench-"))
    name = ""
    database: Database | None = None
    try:
        if backend == "sqlite":
            url = f"sqlite:///{scratch / 'bench.db'}"
        else:
            name = f"gouvernail_bench_{secrets.token_hex(4)}"
            with _pg_admin_connect(admin_url) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        database = Database(url, pool_size=4)
        upgrade(database)
        yield database, scratch
    finally:
        if database is not None:
            database.dispose()
        if name:
            with _pg_admin_connect(admin_url) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


def _event(i: int) -> TeamCreated:
    return TeamCreated(
        object_id=str(i),
        object_version=1,
        new={"name": f"Team {i}", "parent_id": str(i // 100), "active": True},
        reason="benchmark",
    )


# --- 1. throughput --------------------------------------------------------------------------------


def measure_throughput(backend: str, writers: int, seconds: float, admin_url: str) -> Throughput:
    with fresh_database(backend, admin_url) as (database, scratch):
        signer = CheckpointSigner.from_file(scratch / "key.pem", create=True)
        trail = AuditTrail(database, signer, checkpoint_interval=1000, batch_max=512)
        try:
            trail.record(AuditContext(Actor(id="0", name="Warm-up"), "warm-up"), _event(0))
            counts = [0] * writers
            start_line = threading.Barrier(writers + 1)
            deadline = 0.0

            def writer(index: int) -> None:
                ctx = AuditContext(Actor(id=str(index + 1), name=f"Writer {index}"), f"w{index}")
                start_line.wait()
                done = 0
                while time.perf_counter() < deadline:
                    trail.record(ctx, _event(index * 10_000_000 + done))
                    done += 1
                counts[index] = done

            threads = [
                threading.Thread(target=writer, args=(i,), name=f"bench-writer-{i}")
                for i in range(writers)
            ]
            for thread in threads:
                thread.start()
            started = time.perf_counter()
            deadline = started + seconds
            start_line.wait()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            trail.close()
        # Every acknowledged record must be stored, in one unbroken chain (plus the warm-up).
        records = sum(counts)
        check = verify_database(database, signer.public_key)
        if not check.ok or check.records != records + 1:
            raise RuntimeError(f"{records + 1} records acknowledged, chain: {check.describe()}")
        return Throughput(backend, writers, records, elapsed)


# --- 2. verification ------------------------------------------------------------------------------


def fill_chain(trail: AuditTrail, records: int, window: int = 20_000) -> None:
    """Append ``records`` real chained records through the trail: one unit per record,
    submitted from this thread with at most ``window`` outstanding, so the writer thread
    always finds a full batch (``batch_max`` units per transaction) waiting."""
    ctx = AuditContext(Actor(id="1", name="Bench"), "fill")
    pending: collections.deque[Future[Any]] = collections.deque()
    step = max(records // 10, 1)
    for i in range(1, records + 1):
        pending.append(trail.submit(ctx, None, [_event(i)]))
        if len(pending) >= window:
            pending.popleft().result()
        if i % step == 0:
            print(f"    ... {i:,} submitted", flush=True)
    while pending:
        pending.popleft().result()


def measure_verification(backend: str, records: int, admin_url: str) -> Verification:
    with fresh_database(backend, admin_url) as (database, scratch):
        signer = CheckpointSigner.from_file(scratch / "key.pem", create=True)
        trail = AuditTrail(database, signer, checkpoint_interval=1000, batch_max=512)
        started = time.perf_counter()
        try:
            fill_chain(trail, records)
        finally:
            trail.close()
        fill_seconds = time.perf_counter() - started
        started = time.perf_counter()
        result = verify_database(database, signer.public_key)
        verify_seconds = time.perf_counter() - started
        ok = result.ok and result.records == records
        return Verification(backend, records, fill_seconds, verify_seconds, ok, result.describe())


# --- main -----------------------------------------------------------------------------------------


def _print_throughput(results: list[Throughput]) -> None:
    header = f"{'backend':<11} {'writers':>7} {'records':>9} {'seconds':>8} {'records/s':>10}"
    print()
    print(header + "   target (64 writers)")
    print("-" * (len(header) + 22))
    for r in results:
        line = f"{r.backend:<11} {r.writers:>7} {r.records:>9,} {r.seconds:>8.2f} {r.rate:>10,.0f}"
        if r.writers == 64:
            target = TARGET_RATE[r.backend]
            verdict = "met" if r.rate >= target else "MISSED"
            line += f"   >= {target:,}/s: {verdict}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="duration of each throughput measurement"
    )
    parser.add_argument("--verify-records", type=int, default=1_000_000)
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--verify-backend",
        choices=(*BACKENDS, "both"),
        default=None,
        help="where to verify (default: sqlite, or postgresql if --backend postgresql)",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL admin database URL")
    args = parser.parse_args(argv)

    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    if args.verify_backend is None:
        verify_backends = ["sqlite"] if "sqlite" in backends else backends
    elif args.verify_backend == "both":
        verify_backends = list(BACKENDS)
    else:
        verify_backends = [args.verify_backend]

    if "postgresql" in (*backends, *verify_backends):
        why = postgresql_available(args.pg_url)
        if why is not None:
            print(f"PostgreSQL at {args.pg_url} is unreachable ({why}): skipping PostgreSQL.")
            backends = [b for b in backends if b != "postgresql"]
            verify_backends = [b for b in verify_backends if b != "postgresql"]

    failed = False
    if not args.skip_throughput:
        print(f"Throughput: each writer calls trail.record() in a loop for {args.seconds:g} s")
        results = []
        for backend in backends:
            for writers in WRITER_COUNTS:
                result = measure_throughput(backend, writers, args.seconds, args.pg_url)
                print(f"  {backend} x{writers}: {result.rate:,.0f} records/s", flush=True)
                results.append(result)
        _print_throughput(results)

    if not args.skip_verify:
        for backend in verify_backends:
            print(f"\nVerification: filling a {backend} chain of {args.verify_records:,} records")
            v = measure_verification(backend, args.verify_records, args.pg_url)
            verdict = "met" if v.verify_seconds < TARGET_VERIFY_SECONDS else "MISSED"
            print(f"  fill: {v.fill_seconds:.1f} s ({v.records / v.fill_seconds:,.0f} records/s)")
            print(
                f"  verify_database: {v.verify_seconds:.2f} s "
                f"({v.records / v.verify_seconds:,.0f} records/s), "
                f"target < {TARGET_VERIFY_SECONDS:g} s: {verdict}"
            )
            print(f"  result: {v.description}")
            if not v.ok:
                print("  ERROR: the chain did not verify")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
