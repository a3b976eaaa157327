"""Shadow-AI discovery at scale: gigabytes of proxy logs per minute, and exact counts.

A standalone script, not a test. For each format it generates a web-proxy log of realistic shape
with ``gouvernail.observatory.shadow.samples`` (a long tail of ordinary hosts, 4 % of requests to
AI services with Zipf-popular services and people, heavy-tailed sizes, 0.1 % malformed lines),
then imports it into a fresh SQLite installation exactly as ``gouvernail shadow import`` does
(segments, DuckDB, the catalogue of AI services, the sums committed per segment), and reports:

- the import's throughput (GB of log per minute, lines per second), generation excluded;
- whether it found exactly what the generator wrote: lines, malformed lines, and the requests of
  every (service, person) pair;
- the load average, since these machines are shared.

    .venv/bin/python benchmarks/shadow_logs.py                           # 1 GB of each format
    .venv/bin/python benchmarks/shadow_logs.py --gb 2 --formats squid --keep

Target (issue 7): at least 1 GB of logs per minute on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.observatory.shadow.models import ShadowObservation, ShadowService
from gouvernail.observatory.shadow.samples import FORMATS, generate, sample_people, service_samples
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="size of each generated log")
    parser.add_argument("--formats", default="squid,zscaler,jsonl,csv")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--segment-mb", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the database")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="shadow_bench_"))
    print(f"load average at start: {os.getloadavg()}; {os.cpu_count()} CPUs; scratch {scratch}")
    settings = Settings(
        env="test",
        data_dir=scratch,
        log_level="WARNING",
        shadow={"segment_mb": args.segment_mb, "duckdb_threads": args.threads},
    )
    rt = Runtime.build(settings)
    ok = True
    try:
        from gouvernail.db.migrate import upgrade

        upgrade(rt.database)
        people = sample_people(args.people, seed=1, email_domain="helvia.example")
        services = service_samples()
        context = AuditContext(SYSTEM, "benchmark")
        rt.shadow.services()  # load the shipped catalogue once, before any clock starts
        rows = []
        for fmt in args.formats.split(","):
            if fmt not in FORMATS:
                raise SystemExit(f"unknown format {fmt}")
            path = scratch / f"access.{fmt}"
            began = time.perf_counter()
            with path.open("wb") as out:
                expected = generate(
                    out,
                    fmt=fmt,
                    people=people,
                    services=services,
                    start=datetime(2026, 10, 1, tzinfo=UTC),
                    days=args.days,
                    size_bytes=int(args.gb * 2**30),
                    malformed_share=0.001,
                    seed=7,
                )
            generated = time.perf_counter() - began
            size = path.stat().st_size
            load = os.getloadavg()[0]
            began = time.perf_counter()
            view = rt.shadow.import_file(context, path, fmt)
            seconds = time.perf_counter() - began
            found = _found(rt, view.id)
            want = Counter({k: v for k, v in expected.ai_requests.items() if v})
            exact = (
                view.lines == expected.lines
                and view.malformed == expected.malformed
                and found == want
            )
            ok = ok and exact
            rows.append(
                (
                    fmt,
                    size,
                    generated,
                    seconds,
                    view.lines,
                    view.malformed,
                    view.ai_requests,
                    exact,
                    load,
                )
            )
            print(
                f"{fmt}: {size / 2**30:.2f} GB generated in {generated:.0f} s; imported in "
                f"{seconds:.1f} s = {size / 2**30 / seconds * 60:.2f} GB/min, "
                f"{view.lines / seconds:,.0f} lines/s; lines {view.lines:,} (want "
                f"{expected.lines:,}), malformed {view.malformed:,} (want {expected.malformed:,}), "
                f"AI requests {view.ai_requests:,}; per (service, person) exact: {found == want}",
                flush=True,
            )
            if not args.keep:
                path.unlink()
        print(
            "\nformat   size GB  import s  GB/min   lines/s     malformed AI requests  exact  load"
        )
        for fmt, size, _, seconds, lines, malformed, ai, exact, load in rows:
            print(
                f"{fmt:8} {size / 2**30:7.2f} {seconds:9.1f} {size / 2**30 / seconds * 60:7.2f} "
                f"{lines / seconds:11,.0f} {malformed:12,} {ai:12,}  {exact!s:5}  {load:.2f}"
            )
        print(f"load average at end: {os.getloadavg()}")
    finally:
        rt.close()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


def _found(rt: Runtime, import_id: int) -> Counter[tuple[str, str]]:
    with rt.database.read() as session:
        return Counter(
            {
                (slug, identity): int(n)
                for slug, identity, n in session.execute(
                    select(
                        ShadowService.slug,
                        ShadowObservation.identity,
                        func.sum(ShadowObservation.requests),
                    )
                    .join(ShadowService, ShadowService.id == ShadowObservation.service_id)
                    .where(ShadowObservation.import_id == import_id)
                    .group_by(ShadowService.slug, ShadowObservation.identity)
                )
            }
        )


if __name__ == "__main__":
    sys.exit(main())
