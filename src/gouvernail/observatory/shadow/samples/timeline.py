"""When the lines of a sample log happen: increasing over the period, weekdays' office hours
(UTC) busiest, each day a little busier or quieter than the next."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Final

_HOURS: Final = (
    0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.12, 0.35, 0.8, 1.0, 1.0, 0.95,
    0.6, 0.8, 1.0, 1.0, 0.9, 0.7, 0.4, 0.22, 0.15, 0.1, 0.07, 0.05,
)  # fmt: skip
_WEEKEND: Final = 0.12
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class Timeline:
    """Maps a position in the file (0 to 1) to a time: the inverse of the cumulative traffic
    over the period's minutes, so positions spread evenly become office-hours-heavy times."""

    def __init__(self, start_ms: int, days: int, rng: random.Random) -> None:
        self.start_ms = start_ms
        self.minutes = days * 1440
        day_factor = [rng.uniform(0.85, 1.15) for _ in range(days)]
        weights: list[float] = []
        for minute in range(self.minutes):
            second = start_ms // 1000 + minute * 60
            weekday = (second // 86400 + 3) % 7  # 1970-01-01 was a Thursday
            weight = _HOURS[second // 3600 % 24] * day_factor[minute // 1440]
            weights.append(weight * _WEEKEND if weekday >= 5 else weight)
        total = sum(weights)
        self.cum = [0.0, *(c / total for c in accumulate(weights))]
        self.cum[-1] = 1.0
        self._minute = 0

    def times(self, f0: float, step: float, n: int) -> list[int]:
        """The times (ms) of ``n`` lines at positions ``f0 + step * i``; non-decreasing across
        calls as long as positions are."""
        cum, last = self.cum, self.minutes - 1
        out: list[int] = []
        minute, i = self._minute, 0
        while i < n:
            f = f0 + step * i
            minute = min(last, max(minute, bisect_right(cum, f, minute) - 1))
            low, high = cum[minute], cum[minute + 1]
            j = n if step <= 0 else min(n, max(i + 1, math.ceil((high - f0) / step)))
            base = self.start_ms + minute * 60000
            top = base + 59999
            scale = 60000 / (high - low)
            offset = base + (f0 - low) * scale
            slope = step * scale
            chunk = [int(offset + slope * k) for k in range(i, j)]
            # rounding may step a value out of its minute: values rise, so fix the ends
            head = 0
            while head < len(chunk) and chunk[head] < base:
                chunk[head] = base
                head += 1
            tail = len(chunk) - 1
            while tail >= 0 and chunk[tail] > top:
                chunk[tail] = top
                tail -= 1
            out.extend(chunk)
            i = j
        self._minute = minute
        return out


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """An aware UTC datetime from milliseconds since the epoch."""
    return datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000)
