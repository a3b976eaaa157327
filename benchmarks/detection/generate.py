"""Generate the labelled detection set as JSONL, deterministically from a seed.

    .venv/bin/python benchmarks/detection/generate.py --split dev --size 600 > dev.jsonl
    .venv/bin/python benchmarks/detection/generate.py --split heldout --languages fr --out h.jsonl

Each row: ``{"id", "language", "split", "template", "text", "entities": [{"type", "start",
"end"}]}``. The two splits come from different template families and disjoint name locales.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.detection import heldout_templates, templates_dev
from benchmarks.detection.render import Entity, Template, check_templates, render

SPLITS = ("dev", "heldout")
LANGUAGES = ("fr", "en", "de")
ENTITY_TYPES = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD",
    "FR_NIR", "FR_SIREN", "FR_SIRET",
)  # fmt: skip


@dataclass(frozen=True)
class Sample:
    id: str
    language: str
    split: str
    template: str
    text: str
    entities: tuple[Entity, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "language": self.language,
            "split": self.split,
            "template": self.template,
            "text": self.text,
            "entities": [e.as_json() for e in self.entities],
        }


def templates_for(split: str) -> dict[str, tuple[Template, ...]]:
    family = templates_dev.TEMPLATES if split == "dev" else heldout_templates.TEMPLATES
    check_templates(family)
    return family


def _samples(split: str, language: str, size: int, seed: int) -> Iterator[Sample]:
    rng = random.Random(f"{seed}:{split}:{language}")
    templates = templates_for(split)[language]
    order: list[Template] = []
    for i in range(size):
        if not order:  # every template once per round, in a seeded order
            order = list(templates)
            rng.shuffle(order)
        template = order.pop()
        text, entities = render(template, rng, split, language)
        yield Sample(
            id=f"{split}-{language}-{i:05d}",
            language=language,
            split=split,
            template=f"{split}.{language}.{template.name}",
            text=text,
            entities=tuple(entities),
        )


def generate(
    split: str, languages: Sequence[str] = LANGUAGES, size: int = 600, seed: int = 0
) -> list[Sample]:
    """``size`` samples per language of ``split`` (``dev`` or ``heldout``)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    unknown = set(languages) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"unknown languages {sorted(unknown)}; expected {LANGUAGES}")
    return [s for language in languages for s in _samples(split, language, size, seed)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated")
    parser.add_argument("--size", type=int, default=600, help="texts per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="JSONL file (default: standard output)")
    args = parser.parse_args(argv)
    samples = generate(args.split, args.languages.split(","), args.size, args.seed)
    lines = "".join(json.dumps(s.as_json(), ensure_ascii=False) + "\n" for s in samples)
    if args.out:
        args.out.write_text(lines, encoding="utf-8")
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
