"""A circuit breaker per provider endpoint: after ``failures`` consecutive failures calls stop
for ``cooldown`` seconds (open), then one trial call goes through (half-open): its success
closes the circuit, its failure opens it again. Time comes from an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from gouvernail.gateway.providers.errors import CircuitOpen

BreakerState = Literal["closed", "open", "half_open"]


class Breaker:
    def __init__(
        self, provider: str, *, failures: int, cooldown: float, clock: Callable[[], float]
    ) -> None:
        self._provider = provider
        self._threshold = failures
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._trial or self._clock() - self._opened_at >= self._cooldown:
            return "half_open"
        return "open"

    def enter(self) -> bool:
        """Before a call: raise ``CircuitOpen`` unless it may go; True if it is the trial."""
        if self._opened_at is None:
            return False
        waited = self._clock() - self._opened_at
        if self._trial or waited < self._cooldown:
            raise CircuitOpen(self._provider, max(self._cooldown - waited, 1.0))
        self._trial = True
        return True

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial = False

    def failure(self) -> None:
        self._failures += 1
        if self._trial or self._failures >= self._threshold:
            self._opened_at = self._clock()
        self._trial = False

    def abandon(self, trial: bool) -> None:
        """The call ended with no verdict (cancelled): free the trial slot."""
        if trial:
            self._trial = False
