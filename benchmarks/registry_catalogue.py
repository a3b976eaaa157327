"""Registry benchmark: how long the catalogue and the intake suggestions take as it grows.

A standalone script, not a test. It fills a fresh SQLite database (temporary file) through the
registry service itself (every use case audited like in production) with ``--use-cases``
ideas built from the paraphrase data set, then measures:

1. intake: seconds per submitted use case (audit write and term analysis included);
2. the duplicate suggestions while an idea is typed: first call (index built) and next calls
   (index kept until the registry changes);
3. the catalogue: listing every use case with its priority score and flags.

    .venv/bin/python benchmarks/registry_catalogue.py --use-cases 1000
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path

from gouvernail.audit import AuditContext
from gouvernail.audit.events import Actor
from gouvernail.db.migrate import upgrade
from gouvernail.registry import catalogue
from gouvernail.registry.schemas import UseCaseIn
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

DATA = Path(__file__).with_name("data") / "use_case_paraphrases.jsonl"


def ideas(count: int) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    base = [(row["original"]["title"], row["original"]["text"]) for row in rows]
    sites = ["Lyon", "Basel", "Cork", "Singapore", "Boston", "Milano", "Tours", "Gdansk"]
    out = []
    for (title, description), n in zip(itertools.cycle(base), range(count), strict=False):
        site = sites[(n // len(base)) % len(sites)]
        out.append((f"{title} ({site} {n})", f"{description} Site: {site}."))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), log_json=False, log_level="WARNING")
        rt = Runtime.build(settings)
        try:
            upgrade(rt.database)
            ctx = AuditContext(Actor(id="bench", name="benchmark"), "bench")
            user = rt.directory.create_user(
                ctx, username="bench", display_name="Bench", roles=[], password=None
            )
            started = time.perf_counter()
            for title, description in ideas(args.use_cases):
                body = UseCaseIn(
                    title=title[:200], description=description, duplicate_justification="bench"
                )
                rt.trail.run(ctx, lambda tx, b=body: rt.use_cases.create(tx, user.id, b, []))
            intake = (time.perf_counter() - started) / args.use_cases

            def timed(call: object) -> float:
                begin = time.perf_counter()
                call()  # type: ignore[operator]
                return (time.perf_counter() - begin) * 1000

            typed = ("Match patients to clinical trials", "Find eligible patients from records")
            first = timed(lambda: rt.use_cases.duplicates.suggest(*typed))
            warm = [timed(lambda: rt.use_cases.duplicates.suggest(*typed)) for _ in range(20)]
            listing = [
                timed(
                    lambda: catalogue.search(
                        rt.use_cases, catalogue.Filters(), catalogue.Sort.PRIORITY
                    )
                )
                for _ in range(3)
            ]
        finally:
            rt.close()
    print(f"use cases: {args.use_cases} (SQLite)")
    print(f"intake: {intake * 1000:.1f} ms per use case (audited)")
    print(
        f"suggestions: first {first:.0f} ms (index built), "
        f"then median {statistics.median(warm):.1f} ms"
    )
    print(f"catalogue of every use case: median {statistics.median(listing):.0f} ms")


if __name__ == "__main__":
    main()
