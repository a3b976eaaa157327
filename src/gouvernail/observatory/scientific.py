"""SciPy's statistics and NumPy, loaded on first use.

Together about 100 MB of memory and 500 modules: a server imports the observatory's services
at start-up, but only computes a test statistic when a canary, an evaluation or a bias test has
data to compare, so it pays for them then (the alerts check that runs every few minutes on an
installation without such data never does).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


def scipy_stats() -> Any:
    from scipy import stats  # type: ignore[import-untyped]

    return stats


def numpy() -> ModuleType:
    import numpy

    return numpy
