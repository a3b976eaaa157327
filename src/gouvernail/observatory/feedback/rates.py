"""Proportions with their uncertainty: the Wilson score interval, which stays inside [0, 1]
and behaves for small counts and rates near 0 (unlike the normal approximation)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The 95 % (by default) Wilson interval of ``successes`` out of ``trials``; (0, 1) when
    there are no trials (nothing is known)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # at p = 0 (or 1) the bound is exactly 0 (or 1); the float sum leaves ~1e-17 that would
    # make "no error at all this week" look worse than "no error in 90 days"
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high
