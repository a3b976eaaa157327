"""Paired comparisons of outcomes: the mean difference with its 95 % interval, the Wilcoxon
signed-rank test, and the Holm-Bonferroni correction across a run's comparisons.

Each pair is one case asked twice, identical but for one attribute, so the differences
``variant - reference`` are what is tested, not two independent samples.

- **Interval**: mean difference ± t(0.975, n-1) · s / √n (Student's t on the paired
  differences; none with fewer than two pairs). Outcomes are small integers, so with few pairs
  read the interval as indicative.
- **Test**: the Wilcoxon signed-rank test, two-sided, from SciPy (``scipy.stats.wilcoxon``):
  it asks whether the differences are symmetric around zero, without assuming they are
  normal. Zero differences are dropped (Wilcoxon's own treatment, ``zero_method="wilcox"``);
  SciPy uses the exact distribution for small samples and the normal approximation with a tie
  correction for larger ones. When every difference is zero there is nothing to test: p = 1.
  With n non-zero differences the smallest p it can give is 2 / 2^n (all of one sign): 5 pairs
  can never reach 0.05, which is why runs default to 30 cases.
- **Correction**: a run makes several comparisons (one per value of each attribute, seven for
  the CV templates), so the chance that one of them is "significant" by luck grows with their
  number. Holm's step-down procedure controls that family-wise error rate at ``alpha``: sort
  the m p-values, multiply the k-th smallest by (m - k + 1), keep them non-decreasing, cap at 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gouvernail.observatory.scientific import numpy, scipy_stats


@dataclass(frozen=True, slots=True)
class Paired:
    pairs: int
    mean_reference: float | None
    mean_variant: float | None
    mean_difference: float | None
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    """The signed-rank statistic (the smaller of the positive and negative rank sums)."""
    p_value: float
    nonzero: int
    """Pairs whose outcomes differ (the only ones the signed-rank test counts)."""


def paired(reference: Sequence[float], variant: Sequence[float]) -> Paired:
    """Compare matched outcomes (``reference[i]`` and ``variant[i]`` come from one case)."""
    np, stats = numpy(), scipy_stats()
    if len(reference) != len(variant):
        raise ValueError("paired outcomes must have the same length")
    n = len(reference)
    if n == 0:
        return Paired(0, None, None, None, None, None, None, 1.0, 0)
    ref = np.asarray(reference, dtype=float)
    var = np.asarray(variant, dtype=float)
    differences = var - ref
    mean = float(differences.mean())
    low = high = None
    if n >= 2:
        half = float(stats.t.ppf(0.975, n - 1)) * float(differences.std(ddof=1)) / math.sqrt(n)
        low, high = mean - half, mean + half
    nonzero = int(np.count_nonzero(differences))
    statistic, p_value = None, 1.0
    if nonzero > 0:
        result = stats.wilcoxon(differences, zero_method="wilcox", alternative="two-sided")
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return Paired(
        pairs=n,
        mean_reference=float(ref.mean()),
        mean_variant=float(var.mean()),
        mean_difference=mean,
        ci_low=low,
        ci_high=high,
        statistic=statistic,
        p_value=min(1.0, p_value),
        nonzero=nonzero,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
