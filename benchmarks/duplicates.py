"""Duplicate detection benchmark: does the idea typed at intake find the use case it duplicates?

A standalone script, not a test. It indexes the registry originals of
``benchmarks/data/use_case_paraphrases.jsonl`` (one use case per pair, all of them in one
registry so that neighbouring topics compete), queries each paraphrase, and reports:

- recall@1, recall@3 and MRR (rank of the original among the top 10), overall and per language
  (French, English, cross-lingual), on all pairs, on the even-numbered pairs (the tuning split:
  the analyzer and thesaurus were adjusted by looking only at these) and on the odd-numbered ones
  (held out);
- recall@3 counting only suggestions whose similarity reaches the threshold (what a requester
  actually sees);
- the false-suggestion rate: the share of ``unrelated_ideas.jsonl`` (ideas with no duplicate in the
  registry) that get at least one suggestion at or above the threshold;
- a threshold sweep showing the trade-off between those two;
- query latency with 5,000 indexed use cases (the originals padded with synthetic variations):
  with an index kept between queries, and with the index rebuilt from stored terms per query.

    .venv/bin/python benchmarks/duplicates.py
    .venv/bin/python benchmarks/duplicates.py --threshold 0.25 --json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gouvernail.search import DEFAULT_THRESHOLD, Analyzer, DuplicateFinder, Thesaurus
from gouvernail.search.bm25 import BM25Index, Match

DATA = Path(__file__).with_name("data")
PAIRS = DATA / "use_case_paraphrases.jsonl"
UNRELATED = DATA / "unrelated_ideas.jsonl"
TARGET_RECALL_AT_3 = 0.8
TARGET_FALSE_SUGGESTIONS = 0.2
DEPTH = 10  # ranks looked at for MRR
SWEEP = (0.05, 0.10, 0.15, 0.18, 0.20, 0.22, 0.25, 0.30, 0.35, 0.40, 0.50)


@dataclass(frozen=True)
class Result:
    """Where one paraphrase found its original (``rank`` 1..DEPTH or None), with the query's terms
    and its top 3, from which the suggestions at any threshold follow."""

    pair_id: str
    group: str
    split: str
    rank: int | None
    query_terms: list[str]
    top3: list[Match]

    def suggested(self, finder: DuplicateFinder, threshold: float) -> bool:
        """Whether the original is among the suggestions shown at ``threshold``."""
        shown = finder.suggestions(self.top3, self.query_terms, threshold)
        return any(match.doc_id == self.pair_id for match in shown)


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(
    finder: DuplicateFinder, pairs: list[dict[str, Any]], index: BM25Index
) -> list[Result]:
    results = []
    for pair in pairs:
        query = finder.terms(pair["paraphrase"]["title"], pair["paraphrase"]["text"])
        matches = index.search(query, DEPTH)
        ids = [match.doc_id for match in matches]
        rank = ids.index(pair["id"]) + 1 if pair["id"] in ids else None
        group, split = pair["lang"], split_of(pair["id"])
        results.append(Result(pair["id"], group, split, rank, query, matches[:3]))
    return results


def split_of(item_id: str) -> str:
    """The split of an id, from its number: "fr042" is "even", "un-en007" is "odd"."""
    digits = "".join(char for char in item_id if char.isdigit())
    return "even" if int(digits) % 2 == 0 else "odd"


def metrics(
    results: Sequence[Result], finder: DuplicateFinder, threshold: float
) -> dict[str, float]:
    n = len(results) or 1

    def share(predicate: Callable[[Result], bool]) -> float:
        return sum(1 for r in results if predicate(r)) / n

    return {
        "pairs": len(results),
        "recall@1": share(lambda r: r.rank == 1),
        "recall@3": share(lambda r: r.rank is not None and r.rank <= 3),
        "mrr": sum(1 / r.rank for r in results if r.rank) / n,
        "recall@3_above_threshold": share(lambda r: r.suggested(finder, threshold)),
    }


def unrelated_rankings(
    finder: DuplicateFinder, ideas: list[dict[str, Any]], index: BM25Index
) -> list[tuple[list[str], list[Match]]]:
    """For each unrelated idea, its terms and its top 3 in the registry."""
    rankings = []
    for idea in ideas:
        query = finder.terms(idea["title"], idea["text"])
        rankings.append((query, index.search(query, 3)))
    return rankings


def false_suggestion_rate(
    finder: DuplicateFinder, rankings: Sequence[tuple[list[str], list[Match]]], threshold: float
) -> float:
    """The share of unrelated ideas shown at least one suggestion at ``threshold``."""
    shown = sum(1 for query, top3 in rankings if finder.suggestions(top3, query, threshold))
    return shown / len(rankings) if rankings else 0.0


def padded_registry(
    finder: DuplicateFinder, texts: list[tuple[str, str]], size: int, seed: int = 7
) -> list[tuple[str, list[str]]]:
    """``size`` synthetic use cases: a title and a description from two different ideas, with a
    fifth of the words dropped and the rest shuffled, so the vocabulary and lengths are real."""
    rng = random.Random(seed)
    registry = []
    for number in range(size):
        title = rng.choice(texts)[0].split()
        text = rng.choice(texts)[1].split()
        words = [w for w in text if rng.random() > 0.2]
        rng.shuffle(words)
        registry.append((f"pad{number:05d}", finder.terms(" ".join(title), " ".join(words))))
    return registry


def latency(
    finder: DuplicateFinder,
    registry: list[tuple[str, list[str]]],
    queries: list[tuple[str, str]],
    rebuild: bool,
) -> dict[str, float]:
    index = finder.index(registry)
    timings = []
    for title, text in queries:
        started = time.perf_counter()
        finder.rank(title, text, registry if rebuild else index, k=3)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "indexed": len(index),
        "queries": len(timings),
        "median_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, int(0.95 * len(timings)))],
        "max_ms": timings[-1],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    thesaurus = Thesaurus(()) if args.no_thesaurus else None
    finder = DuplicateFinder(
        Analyzer(thesaurus=thesaurus), title_weight=args.title_weight, k1=args.k1, b=args.b
    )
    threshold = args.threshold
    pairs, ideas = load(PAIRS), load(UNRELATED)
    stored = [(p["id"], finder.terms(p["original"]["title"], p["original"]["text"])) for p in pairs]
    index = finder.index(stored)

    results = evaluate(finder, pairs, index)
    report: dict[str, Any] = {
        "threshold": threshold,
        "analyzer_version": finder.version,
        "settings": {"title_weight": args.title_weight, "k1": args.k1, "b": args.b},
        "thesaurus": not args.no_thesaurus,
        "registry_size": len(index),
        "unrelated_ideas": len(ideas),
        "recall": {},
    }
    for split in ("all", "even", "odd"):
        in_split = [r for r in results if split == "all" or r.split == split]
        report["recall"][split] = {
            group: metrics(
                [r for r in in_split if group == "all" or r.group == group], finder, threshold
            )
            for group in ("all", "fr", "en", "cross")
        }
    rankings = unrelated_rankings(finder, ideas, index)
    report["false_suggestion_rate"] = false_suggestion_rate(finder, rankings, threshold)
    report["false_suggestion_rate_by"] = {
        key: false_suggestion_rate(
            finder,
            [
                ranking
                for ranking, idea in zip(rankings, ideas, strict=True)
                if key in (idea["lang"], split_of(idea["id"]))
            ],
            threshold,
        )
        for key in ("fr", "en", "even", "odd")
    }
    report["sweep"] = [
        {
            "threshold": t,
            "recall@3_above_threshold": metrics(results, finder, t)["recall@3_above_threshold"],
            "false_suggestion_rate": false_suggestion_rate(finder, rankings, t),
            "false_suggestion_rate_even": report_rate(finder, rankings, ideas, "even", t),
            "recall@3_above_threshold_even": metrics(
                [r for r in results if r.split == "even"], finder, t
            )["recall@3_above_threshold"],
        }
        for t in SWEEP
    ]
    report["misses"] = [r.pair_id for r in results if r.rank is None or r.rank > 3]
    if not args.skip_latency:
        texts = [(p[side]["title"], p[side]["text"]) for p in pairs for side in ("original",)]
        texts += [(i["title"], i["text"]) for i in ideas]
        padding = padded_registry(finder, texts, max(0, args.latency_docs - len(stored)))
        registry = stored + padding
        queries = [(p["paraphrase"]["title"], p["paraphrase"]["text"]) for p in pairs]
        report["latency"] = {
            "kept_index": latency(finder, registry, queries, rebuild=False),
            "rebuilt_index": latency(finder, registry, queries[:20], rebuild=True),
        }
    return report


def report_rate(
    finder: DuplicateFinder,
    rankings: Sequence[tuple[list[str], list[Match]]],
    ideas: Sequence[dict[str, Any]],
    split: str,
    threshold: float,
) -> float:
    kept = [r for r, idea in zip(rankings, ideas, strict=True) if split_of(idea["id"]) == split]
    return false_suggestion_rate(finder, kept, threshold)


def print_report(report: dict[str, Any]) -> None:
    print(
        f"registry: {report['registry_size']} use cases · unrelated ideas: "
        f"{report['unrelated_ideas']} · threshold {report['threshold']:.2f} · "
        f"analyzer {report['analyzer_version']} · "
        f"thesaurus {'on' if report['thesaurus'] else 'off'}"
    )
    header = f"{'split':<6}{'lang':<7}{'pairs':>6}{'R@1':>8}{'R@3':>8}{'MRR':>8}{'R@3>=thr':>10}"
    print("\n" + header + "\n" + "-" * len(header))
    for split, groups in report["recall"].items():
        for group, m in groups.items():
            print(
                f"{split:<6}{group:<7}{m['pairs']:>6}{m['recall@1']:>8.3f}{m['recall@3']:>8.3f}"
                f"{m['mrr']:>8.3f}{m['recall@3_above_threshold']:>10.3f}"
            )
    overall = report["recall"]["all"]["all"]
    rate = report["false_suggestion_rate"]
    by = report["false_suggestion_rate_by"]
    print(
        f"\nrecall@3 (all pairs): {overall['recall@3']:.3f} "
        f"[{'met' if overall['recall@3'] >= TARGET_RECALL_AT_3 else 'MISSED'}: "
        f">= {TARGET_RECALL_AT_3}]"
    )
    print(
        f"false-suggestion rate at {report['threshold']:.2f}: {rate:.3f} "
        f"(fr {by['fr']:.3f}, en {by['en']:.3f}; even {by['even']:.3f}, odd {by['odd']:.3f}) "
        f"[{'met' if rate <= TARGET_FALSE_SUGGESTIONS else 'MISSED'}: "
        f"<= {TARGET_FALSE_SUGGESTIONS}]"
    )
    print("\n           all pairs and ideas         even (tuning) split")
    print("threshold  R@3>=thr  false-suggestions  R@3>=thr  false-suggestions")
    for row in report["sweep"]:
        print(
            f"{row['threshold']:>9.2f}  {row['recall@3_above_threshold']:>8.3f}  "
            f"{row['false_suggestion_rate']:>17.3f}  "
            f"{row['recall@3_above_threshold_even']:>8.3f}  "
            f"{row['false_suggestion_rate_even']:>17.3f}"
        )
    print(f"\nmissed at 3: {', '.join(report['misses']) or 'none'}")
    if "latency" in report:
        for name, lat in report["latency"].items():
            print(
                f"latency ({name.replace('_', ' ')}, {lat['indexed']} use cases, "
                f"{lat['queries']} queries): median {lat['median_ms']:.1f} ms, "
                f"p95 {lat['p95_ms']:.1f} ms, max {lat['max_ms']:.1f} ms"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--latency-docs", type=int, default=5000)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--no-thesaurus", action="store_true", help="ablation: no concept terms")
    parser.add_argument("--title-weight", type=int, default=2)
    parser.add_argument("--k1", type=float, default=1.2)
    parser.add_argument("--b", type=float, default=0.75)
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
