"""The embedded quota store: one process, every replica on its own (the default without Redis).

One ``threading.Lock`` guards all state and no operation awaits while holding it, so the store
is safe from several threads and several event loops at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from gouvernail.gateway.accounting._quota import (
    DEFAULT_RESERVATION_TTL,
    WINDOW_SECONDS,
    Claim,
    LimitName,
    Reservation,
    Scope,
    Usage,
    check_claims,
    exceeded,
    from_micro,
    month_of,
    retry_after,
    seconds_to_next_month,
    to_micro,
)

_DONE_KEPT = 50_000
"""Settled request ids remembered (so that a second settle counts nothing), besides the TTL:
the pipeline settles once; this guards against a caller's mistake, not a normal path, and must
not grow with the traffic (it held every id for a day: gigabytes at a few hundred calls/s)."""


@dataclass(slots=True)
class _Window:
    buckets: dict[int, int] = field(default_factory=dict)

    def total(self, now: float) -> int:
        floor = int(now) - WINDOW_SECONDS
        for second in [s for s in self.buckets if s <= floor]:
            del self.buckets[second]
        return sum(self.buckets.values())

    def add(self, second: int, amount: int) -> None:
        value = self.buckets.get(second, 0) + amount
        if value > 0:
            self.buckets[second] = value
        else:
            self.buckets.pop(second, None)


@dataclass(slots=True)
class _Month:
    spent: int = 0
    reservations: dict[str, tuple[int, float]] = field(default_factory=dict)
    """request id → (micro-euros, expiry)."""

    def reserved(self, now: float) -> int:
        for request_id in [r for r, (_, exp) in self.reservations.items() if exp <= now]:
            del self.reservations[request_id]
        return sum(amount for amount, _ in self.reservations.values())


class MemoryQuotaStore:
    def __init__(self, *, reservation_ttl: float = DEFAULT_RESERVATION_TTL) -> None:
        self._ttl = reservation_ttl
        self._lock = threading.Lock()
        self._requests: dict[Scope, _Window] = {}
        self._tokens: dict[Scope, _Window] = {}
        self._months: dict[tuple[Scope, str], _Month] = {}
        self._done: OrderedDict[str, float] = OrderedDict()

    async def reserve(
        self,
        claims: list[Claim] | tuple[Claim, ...],
        *,
        request_id: str,
        tokens: int,
        cost_eur: Decimal,
        now: float | None = None,
    ) -> Reservation:
        check_claims(claims, tokens, cost_eur)
        now = time.time() if now is None else now
        cost, month, second = to_micro(cost_eur), month_of(now), int(now)
        with self._lock:
            for claim in claims:
                self._check(claim, tokens, cost, month, now)
            for claim in claims:
                scope = claim.scope
                self._requests.setdefault(scope, _Window()).add(second, 1)
                self._tokens.setdefault(scope, _Window()).add(second, tokens)
                spend = self._months.setdefault((scope, month), _Month())
                spend.reservations[request_id] = (cost, now + self._ttl)
        return Reservation(
            scopes=tuple(c.scope for c in claims),
            request_id=request_id,
            tokens=tokens,
            cost_eur=from_micro(cost),
            month=month,
            second=second,
            expires_at=now + self._ttl,
        )

    def _check(self, claim: Claim, tokens: int, cost: int, month: str, now: float) -> None:
        scope, limits = claim.scope, claim.limits
        failure: tuple[LimitName, int] | None = None
        if limits.requests_per_minute is not None:
            window = self._requests.get(scope, _Window())
            count = window.total(now)
            if count >= limits.requests_per_minute:
                excess = count - limits.requests_per_minute + 1
                failure = ("requests_per_minute", retry_after(_items(window), excess, now))
        if failure is None and limits.tokens_per_minute is not None:
            window = self._tokens.get(scope, _Window())
            used = window.total(now)
            if used + tokens > limits.tokens_per_minute:
                excess = used + tokens - limits.tokens_per_minute
                failure = ("tokens_per_minute", retry_after(_items(window), excess, now))
        if failure is None and limits.monthly_budget_eur is not None:
            spend = self._months.get((scope, month), _Month())
            if spend.spent + spend.reserved(now) + cost > to_micro(limits.monthly_budget_eur):
                failure = ("monthly_budget", seconds_to_next_month(now))
        if failure is not None:
            raise exceeded(scope, failure[0], failure[1], claim)

    async def settle(
        self,
        reservation: Reservation,
        *,
        tokens: int,
        cost_eur: Decimal,
        now: float | None = None,
    ) -> None:
        self._finish(reservation, tokens, to_micro(cost_eur), now)

    async def release(self, reservation: Reservation, *, now: float | None = None) -> None:
        self._finish(reservation, 0, 0, now)

    def _finish(self, reservation: Reservation, tokens: int, cost: int, now: float | None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            while self._done and (
                len(self._done) >= _DONE_KEPT or next(iter(self._done.values())) <= now
            ):
                self._done.popitem(last=False)
            if reservation.request_id in self._done:
                return
            self._done[reservation.request_id] = now + self._ttl
            in_window = reservation.second > int(now) - WINDOW_SECONDS
            for scope in reservation.scopes:
                spend = self._months.setdefault((scope, reservation.month), _Month())
                spend.reservations.pop(reservation.request_id, None)
                spend.spent += cost
                if in_window and scope in self._tokens:
                    self._tokens[scope].add(reservation.second, tokens - reservation.tokens)

    async def usage(
        self, scope: Scope, month: str | None = None, *, now: float | None = None
    ) -> Usage:
        now = time.time() if now is None else now
        with self._lock:
            spend = self._months.get((scope, month or month_of(now)), _Month())
            return Usage(
                spent_eur=from_micro(spend.spent),
                reserved_eur=from_micro(spend.reserved(now)),
                requests_this_minute=self._requests.get(scope, _Window()).total(now),
                tokens_this_minute=self._tokens.get(scope, _Window()).total(now),
            )

    async def seed(self, scope: Scope, month: str, spent_eur: Decimal) -> None:
        with self._lock:
            if (scope, month) not in self._months:
                self._months[(scope, month)] = _Month(spent=to_micro(spent_eur))

    async def aclose(self) -> None:
        return None


def _items(window: _Window) -> list[tuple[int, int]]:
    return list(window.buckets.items())
