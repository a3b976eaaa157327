"""Random draws as table look-ups: a weighted choice or a size distribution laid out in a table
of 2**bits entries, so that one ``getrandbits(bits)`` is one draw."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from itertools import accumulate, repeat
from statistics import NormalDist
from typing import Final

SIZE_BITS: Final = 12
"""The size tables hold 2**12 quantiles."""


def bits_for(count: int, minimum: int) -> int:
    """The bits of a table of ``count`` weighted indices: 16 entries an index on average or
    more, and at least ``minimum``."""
    return max(minimum, math.ceil(math.log2(max(1, count) * 16)))


def table(weights: Sequence[float], bits: int) -> list[int]:
    """2**bits indices, each index repeated in proportion to its weight: a uniform draw from
    the table is a weighted draw (an index whose weight is below 2**-bits may be absent)."""
    size = 1 << bits
    total = sum(weights)
    entries: list[int] = []
    previous = 0
    for index, cumulative in enumerate(accumulate(weights)):
        edge = round(cumulative / total * size)
        entries.extend(repeat(index, edge - previous))
        previous = edge
    entries.extend(repeat(len(weights) - 1, size - len(entries)))
    return entries[:size]


@functools.cache
def _normal_quantiles() -> tuple[float, ...]:
    normal = NormalDist()
    size = 1 << SIZE_BITS
    return tuple(normal.inv_cdf((i + 0.5) / size) for i in range(size))


def sizes(median: float, sigma: float, low: int, high: int) -> list[int]:
    """A log-normal size distribution as a table of its quantiles (a uniform draw from the
    table is a draw from the distribution, clipped to low..high)."""
    mu = math.log(median)
    return [min(high, max(low, int(math.exp(mu + sigma * z)))) for z in _normal_quantiles()]
