"""The measures and tests of a canary comparison.

- **Similarity of two answers**: ``difflib.SequenceMatcher`` over their words (case-folded,
  punctuation kept as words, ``autojunk`` off), ``2·M / (|a| + |b|)`` where M is the number of
  words in matching blocks. It is in the standard library, deterministic, order-aware (a
  reordered list or an inverted yes/no costs something) and easy to explain: 1 for the same
  words in the same order, about 0.5 when half the words are shared in order, 0 for nothing in
  common. Words rather than characters, because shared letters say little (two different French
  answers share most of their letters) and a character matcher is quadratic on long answers.
  Embeddings would judge meaning better but need a model, which would itself drift.
- **Similarity test**: per prompt, the mean similarity of this run's answers to the baseline's
  (s) against the mean similarity of the baseline's answers among themselves (r, 1 with one
  sample): an unchanged model is as close to its baseline as the baseline is to itself. The
  differences r - s, paired by prompt, go to the **Wilcoxon signed-rank test**, one-sided
  (similarity dropped), zero differences dropped; p = 1 when all are zero.
- **Refusal rate**: refusals over answers in each run, **Fisher's exact test**, two-sided, on
  the 2x2 table.
- **Length and latency**: the **Mann-Whitney U test**, two-sided (SciPy picks the exact
  distribution for small samples without ties, the normal approximation with a tie correction
  otherwise; p = 1 when every value is the same). A length is divided by the median length of
  the baseline's answers to the same prompt, so that long-form and one-word prompts are on one
  scale; latencies are compared as they are (they depend on the provider more than the prompt).
- **Correction**: Holm-Bonferroni across the tested metrics (``bias.stats.holm``).
"""

from __future__ import annotations

import difflib
import re
import statistics as pystats
from collections.abc import Sequence
from itertools import combinations, product

from gouvernail.observatory.bias.stats import holm
from gouvernail.observatory.scientific import scipy_stats

_WORDS = re.compile(r"\w+|[^\w\s]")

__all__ = [
    "fisher",
    "holm",
    "mann_whitney",
    "mean_pairwise",
    "mean_similarity",
    "median",
    "similarity",
    "similarity_drop",
    "words",
]


def words(text: str) -> list[str]:
    return _WORDS.findall(text.casefold())


def similarity(a: str, b: str) -> float:
    """How alike two answers are, 0 to 1 (see the module's docstring)."""
    left, right = words(a), words(b)
    if not left and not right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def mean_similarity(current: Sequence[str], baseline: Sequence[str]) -> float:
    """Mean similarity of each current answer to each baseline answer."""
    pairs = [similarity(c, b) for c, b in product(current, baseline)]
    return sum(pairs) / len(pairs) if pairs else 0.0


def mean_pairwise(answers: Sequence[str]) -> float:
    """Mean similarity of the answers among themselves (1 for a single answer)."""
    pairs = [similarity(a, b) for a, b in combinations(answers, 2)]
    return sum(pairs) / len(pairs) if pairs else 1.0


def similarity_drop(drops: Sequence[float]) -> float:
    """One-sided Wilcoxon signed-rank p-value that the paired drops are above zero."""
    nonzero = [d for d in drops if d != 0]
    if not nonzero:
        return 1.0
    result = scipy_stats().wilcoxon(nonzero, zero_method="wilcox", alternative="greater")
    return min(1.0, float(result.pvalue))


def fisher(baseline: tuple[int, int], current: tuple[int, int]) -> float:
    """Two-sided Fisher exact p-value; each argument is (events, trials)."""
    (b_events, b_trials), (c_events, c_trials) = baseline, current
    if b_trials == 0 or c_trials == 0:
        return 1.0
    table = [[b_events, b_trials - b_events], [c_events, c_trials - c_events]]
    return min(1.0, float(scipy_stats().fisher_exact(table, alternative="two-sided").pvalue))


def mann_whitney(baseline: Sequence[float], current: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value (1 when there is nothing to tell apart)."""
    if not baseline or not current or len({*baseline, *current}) == 1:
        return 1.0
    result = scipy_stats().mannwhitneyu(baseline, current, alternative="two-sided")
    return min(1.0, float(result.pvalue))


def median(values: Sequence[float]) -> float | None:
    return float(pystats.median(values)) if values else None
