"""How long to wait before retrying: exponential back-off with jitter, or what the provider
asked for in ``Retry-After`` / ``retry-after-ms``, never more than ``maximum``."""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from time import time

import httpx


class Backoff:
    def __init__(
        self, *, base: float, maximum: float, jitter: Callable[[], float] = random.random
    ) -> None:
        self._base = base
        self._maximum = maximum
        self._jitter = jitter

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(float(retry_after), 0.0), self._maximum)
        ceiling = min(self._base * 2.0 ** (attempt - 1), self._maximum)
        return ceiling * (0.5 + self._jitter() / 2)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the provider asks us to wait, from ``retry-after-ms`` (OpenAI) or
    ``Retry-After`` (seconds or an HTTP date); None if absent or unreadable."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(float(value) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time(), 0.0)
    except (TypeError, ValueError):
        return None
