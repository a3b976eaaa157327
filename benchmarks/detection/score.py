"""Precision, recall and F1 per language and entity type, with two matchings.

- **strict**: a prediction is right when it has the gold span's type and exact offsets;
- **overlap**: same type and the spans share at least one character. Gold spans and predictions
  are paired one-to-one (a maximum bipartite matching per type), so one long prediction covering
  two gold names counts once, and two predictions on one name count one true positive and one
  false positive. This is what redaction needs, and the targets are judged on it.

Predictions of types that are not evaluated (``LOCATION``, ``HEALTH``...) are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

STRICT, OVERLAP = "strict", "overlap"
ALL = "all"


class Span(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _pairs_overlap(gold: Sequence[Span], predicted: Sequence[Span]) -> int:
    """Size of a maximum one-to-one matching of overlapping spans (Kuhn's augmenting paths)."""
    edges = [[j for j, p in enumerate(predicted) if _overlaps(g, p)] for g in gold]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    return sum(augment(i, set()) for i in range(len(gold)))


def _pairs_strict(gold: Sequence[Span], predicted: Sequence[Span]) -> int:
    remaining = [(p.start, p.end) for p in predicted]
    matched = 0
    for g in gold:
        if (g.start, g.end) in remaining:
            remaining.remove((g.start, g.end))
            matched += 1
    return matched


def true_positives(gold: Sequence[Span], predicted: Sequence[Span], matching: str) -> int:
    """True positives between spans of one type in one text."""
    pair = _pairs_strict if matching == STRICT else _pairs_overlap
    return pair(gold, predicted)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.support,
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
        }  # fmt: skip


def count(gold: Sequence[Span], predicted: Sequence[Span], matching: str) -> Counts:
    tp = true_positives(gold, predicted, matching)
    return Counts(tp=tp, fp=len(predicted) - tp, fn=len(gold) - tp)


@dataclass
class Scoreboard:
    """Counts per (matching, language, type), accumulated one text at a time; ``ALL`` rows sum
    the languages."""

    types: tuple[str, ...]
    counts: dict[tuple[str, str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))

    def add(self, language: str, gold: Iterable[Span], predicted: Iterable[Span]) -> None:
        by_type_gold: dict[str, list[Span]] = defaultdict(list)
        by_type_predicted: dict[str, list[Span]] = defaultdict(list)
        for span in gold:
            by_type_gold[span.type].append(span)
        for span in predicted:
            by_type_predicted[span.type].append(span)
        for entity_type in self.types:
            g, p = by_type_gold[entity_type], by_type_predicted[entity_type]
            for matching in (STRICT, OVERLAP):
                counted = count(g, p, matching)
                self.counts[(matching, language, entity_type)].add(counted)
                self.counts[(matching, ALL, entity_type)].add(counted)

    def get(self, matching: str, language: str, entity_type: str) -> Counts:
        return self.counts.get((matching, language, entity_type), Counts())

    def as_json(self) -> dict[str, dict[str, dict[str, dict[str, float | int | None]]]]:
        out: dict[str, dict[str, dict[str, dict[str, float | int | None]]]] = {}
        for (matching, language, entity_type), counts in sorted(self.counts.items()):
            out.setdefault(matching, {}).setdefault(language, {})[entity_type] = counts.as_json()
        return out
