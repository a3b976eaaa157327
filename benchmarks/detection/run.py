"""Detection benchmark: our inspector and stock Presidio on the same labelled set, in one run.

    .venv/bin/python benchmarks/detection/run.py                       # dev + heldout, fr/en/de
    .venv/bin/python benchmarks/detection/run.py --split dev --languages fr --size 200
    .venv/bin/python benchmarks/detection/run.py --mode fast --skip-presidio --out fast.json

For each system: precision, recall and F1 per language and entity type with overlap matching
(what redaction needs; the targets are judged on it) and F1 with strict matching, then
throughput (texts/s, KB/s, ms per KB of UTF-8 text) and the ratio ours / stock. ``n/s``: the
system does not support that type in that language. ``--show-errors`` prints missed and
spurious spans, on the dev split only (the heldout texts are not for the detector engineer).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.detection.generate import ENTITY_TYPES, LANGUAGES, Sample, generate
from benchmarks.detection.render import Entity
from benchmarks.detection.score import ALL, OVERLAP, STRICT, Scoreboard
from benchmarks.detection.systems import Ours, Prediction, StockPresidio, System, go_offline

TARGET_F1 = 0.95
TARGET_SPEEDUP = 5.0


@dataclass
class Throughput:
    texts: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def add(self, text: str, seconds: float) -> None:
        self.texts += 1
        self.bytes += len(text.encode())
        self.seconds += seconds

    def as_json(self) -> dict[str, float]:
        kb = self.bytes / 1024
        return {
            "texts": self.texts,
            "kb": round(kb, 1),
            "seconds": round(self.seconds, 3),
            "texts_per_s": round(self.texts / self.seconds, 1) if self.seconds else 0.0,
            "kb_per_s": round(kb / self.seconds, 1) if self.seconds else 0.0,
            "ms_per_kb": round(1000 * self.seconds / kb, 2) if kb else 0.0,
        }


@dataclass
class Result:
    system: str
    split: str
    scores: Scoreboard
    supported: dict[str, list[str]]
    throughput: dict[str, Throughput] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)


def evaluate(system: System, split: str, samples: Sequence[Sample], keep_errors: int) -> Result:
    result = Result(
        system=system.name,
        split=split,
        scores=Scoreboard(ENTITY_TYPES),
        supported={lang: sorted(system.supports(lang)) for lang in {s.language for s in samples}},
    )
    for sample in samples:
        supported = system.supports(sample.language)
        started = time.perf_counter()
        predicted = system.analyze(sample.text, sample.language)
        elapsed = time.perf_counter() - started
        for key in (sample.language, ALL):
            result.throughput.setdefault(key, Throughput()).add(sample.text, elapsed)
        gold = [e for e in sample.entities if e.type in supported]
        kept = [p for p in predicted if p.type in supported]
        result.scores.add(sample.language, gold, kept)
        if len(result.errors) < keep_errors:
            _note_errors(result, sample, gold, kept)
    return result


def _note_errors(
    result: Result, sample: Sample, gold: Sequence[Entity], kept: Sequence[Prediction]
) -> None:
    gold_keys = {(e.type, e.start, e.end) for e in gold}
    found = {(p.type, p.start, p.end) for p in kept}
    missed = sorted(gold_keys - found)
    spurious = sorted(found - gold_keys)
    if missed or spurious:
        text = sample.text
        result.errors.append(
            {
                "id": sample.id,
                "template": sample.template,
                "missed": [f"{t} {text[s:e]!r}" for t, s, e in missed],
                "spurious": [f"{t} {text[s:e]!r}" for t, s, e in spurious],
            }
        )


def _cell(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def print_scores(result: Result, languages: Sequence[str]) -> None:
    print(f"\n== {result.system} — {result.split} ==")
    print(
        f"{'lang':5} {'type':14} {'P':>6} {'R':>6} {'F1':>6} {'F1 str':>6} {'support':>8}  target"
    )
    for language in [*languages, ALL]:
        for entity_type in ENTITY_TYPES:
            supported = any(
                entity_type in result.supported[lang]
                for lang in (languages if language == ALL else [language])
            )
            if not supported:
                print(f"{language:5} {entity_type:14} {'n/s':>6}")
                continue
            overlap = result.scores.get(OVERLAP, language, entity_type)
            strict = result.scores.get(STRICT, language, entity_type)
            verdict = ""
            if language in {"fr", "en"} and overlap.f1 is not None:
                verdict = "ok" if overlap.f1 >= TARGET_F1 else "MISSED"
            print(
                f"{language:5} {entity_type:14} {_cell(overlap.precision):>6} "
                f"{_cell(overlap.recall):>6} {_cell(overlap.f1):>6} {_cell(strict.f1):>6} "
                f"{overlap.support:>8}  {verdict}"
            )
    print(f"{'lang':5} {'texts':>6} {'KB':>8} {'s':>8} {'texts/s':>9} {'KB/s':>8} {'ms/KB':>7}")
    for language in [*languages, ALL]:
        t = result.throughput[language].as_json()
        print(
            f"{language:5} {t['texts']:>6} {t['kb']:>8} {t['seconds']:>8} "
            f"{t['texts_per_s']:>9} {t['kb_per_s']:>8} {t['ms_per_kb']:>7}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated")
    parser.add_argument("--size", type=int, default=600, help="texts per language and split")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=("full", "fast"), default="full", help="our inspector")
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--show-errors", type=int, default=0, metavar="N", help="dev split only")
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)
    languages = args.languages.split(",")
    splits = ("dev", "heldout") if args.split == "both" else (args.split,)
    go_offline()

    systems: list[System] = []
    if not args.skip_ours:
        try:
            systems.append(Ours(ENTITY_TYPES, args.mode))
        except ImportError as error:
            print(f"our inspector is not available ({error}); running without it")
    if not args.skip_presidio:
        systems.append(StockPresidio(ENTITY_TYPES, languages))
    if not systems:
        parser.error("nothing to run")
    for system in systems:  # warm up outside the timings
        for language in languages:
            system.analyze("Bonjour Marie Dupont, appelez le 01 42 68 53 00.", language)

    report: dict[str, object] = {"seed": args.seed, "size": args.size, "languages": languages}
    for split in splits:
        samples = generate(split, languages, args.size, args.seed)
        keep = args.show_errors if split == "dev" else 0
        results = [evaluate(system, split, samples, keep) for system in systems]
        for result in results:
            print_scores(result, languages)
            for noted in result.errors:
                print(json.dumps(noted, ensure_ascii=False))
        split_report: dict[str, object] = {
            r.system: {
                "scores": r.scores.as_json(),
                "supported": r.supported,
                "throughput": {k: v.as_json() for k, v in r.throughput.items()},
            }
            for r in results
        }
        if len(results) == 2:
            ours, stock = (r.throughput[ALL].as_json()["kb_per_s"] for r in results)
            ratio = ours / stock if stock else 0.0
            verdict = "ok" if ratio >= TARGET_SPEEDUP else "MISSED"
            print(f"\nthroughput ours / stock ({split}): {ratio:.1f}x  (target >= 5x: {verdict})")
            split_report["speedup"] = round(ratio, 2)
        report[split] = split_report
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
