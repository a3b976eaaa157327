"""Quotas: who is limited (``Scope``), how much (``Limits``), and the store contract.

A call *claims* several scopes at once (its user, team, use case and key). A store checks every
claim and records the call on all of them in one atomic step, so that concurrent calls can
never overshoot a limit, and a refusal on one scope leaves the others untouched.

Windows are fixed one-second buckets over a sliding minute: a request or token counted at
second ``s`` stops counting at second ``s + 60``. Money is counted in integer micro-euros
(exact; estimates and real costs are rounded *up* to the micro-euro) and months are UTC.
A cost reservation that is neither settled nor released (the replica died) stops counting
after the reservation TTL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Literal, Protocol, runtime_checkable

from gouvernail.errors import RateLimitedError

ScopeKind = Literal["user", "team", "use_case", "key", "tool"]
"""``tool``: an agent tool of the tool gateway, by its name (``agents/tools/gateway.py``)."""
LimitName = Literal["requests_per_minute", "tokens_per_minute", "monthly_budget"]

WINDOW_SECONDS = 60
DEFAULT_RESERVATION_TTL = 600.0
"""Seconds after which an unsettled reservation stops counting (a crashed replica)."""

_MICRO = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


@dataclass(frozen=True, slots=True)
class Limits:
    """``None``: no limit of that kind."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    monthly_budget_eur: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    scope: Scope
    limits: Limits


@dataclass(frozen=True, slots=True)
class Reservation:
    """What ``reserve`` recorded; hand it back to ``settle`` or ``release``."""

    scopes: tuple[Scope, ...]
    request_id: str
    tokens: int
    cost_eur: Decimal
    month: str
    second: int
    """The window bucket where the request and its tokens were counted."""
    expires_at: float


@dataclass(frozen=True, slots=True)
class Usage:
    spent_eur: Decimal
    reserved_eur: Decimal
    requests_this_minute: int
    tokens_this_minute: int


class QuotaExceeded(RateLimitedError):  # noqa: N818 (the gateway's contract names it)
    """A claim would go over a limit: HTTP 429 with ``Retry-After: retry_after``."""

    def __init__(self, scope: Scope, limit: LimitName, retry_after: int, message: str) -> None:
        code = "insufficient_quota" if limit == "monthly_budget" else "rate_limit_exceeded"
        super().__init__(message, code=code)
        self.scope = scope
        self.limit: LimitName = limit
        self.retry_after = retry_after


@runtime_checkable
class QuotaStore(Protocol):
    async def reserve(
        self,
        claims: list[Claim] | tuple[Claim, ...],
        *,
        request_id: str,
        tokens: int,
        cost_eur: Decimal,
        now: float | None = None,
    ) -> Reservation: ...

    async def settle(
        self,
        reservation: Reservation,
        *,
        tokens: int,
        cost_eur: Decimal,
        now: float | None = None,
    ) -> None: ...

    async def release(self, reservation: Reservation, *, now: float | None = None) -> None: ...

    async def usage(
        self, scope: Scope, month: str | None = None, *, now: float | None = None
    ) -> Usage: ...

    async def seed(self, scope: Scope, month: str, spent_eur: Decimal) -> None:
        """Start ``scope``'s spend for ``month`` at ``spent_eur`` (the request log's figure at
        start-up), unless the store already counts one: another replica is counting then."""
        ...

    async def aclose(self) -> None: ...


# --- helpers shared by the stores -------------------------------------------------------------


def to_micro(amount: Decimal) -> int:
    if amount < 0:
        raise ValueError("an amount of money cannot be negative")
    return int((amount * _MICRO).to_integral_value(rounding=ROUND_CEILING))


def from_micro(micro: int) -> Decimal:
    return Decimal(micro) / _MICRO


def month_of(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m")


def seconds_to_next_month(now: float) -> int:
    moment = datetime.fromtimestamp(now, UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    start = datetime(year, month, 1, tzinfo=UTC).timestamp()
    return max(1, math.ceil(start - now))


def retry_after(buckets: list[tuple[int, int]], excess: int, now: float) -> int:
    """Seconds until the oldest ``buckets`` (second, amount) free at least ``excess``."""
    freed = 0
    for second, amount in sorted(buckets):
        freed += amount
        if freed >= excess:
            return max(1, math.ceil(second + WINDOW_SECONDS - now))
    return WINDOW_SECONDS


def check_claims(claims: list[Claim] | tuple[Claim, ...], tokens: int, cost_eur: Decimal) -> None:
    if not claims:
        raise ValueError("a reservation needs at least one claim")
    scopes = [c.scope for c in claims]
    if len(set(scopes)) != len(scopes):
        raise ValueError("each scope may be claimed once per reservation")
    if tokens < 0:
        raise ValueError("tokens cannot be negative")
    to_micro(cost_eur)


def exceeded(scope: Scope, limit: LimitName, retry: int, claim: Claim) -> QuotaExceeded:
    limits = claim.limits
    what = {
        "requests_per_minute": f"{limits.requests_per_minute} requests per minute",
        "tokens_per_minute": f"{limits.tokens_per_minute} tokens per minute",
        "monthly_budget": f"its monthly budget of {limits.monthly_budget_eur} EUR",
    }[limit]
    return QuotaExceeded(
        scope,
        limit,
        retry,
        f"The {scope.kind.replace('_', ' ')} '{scope.id}' has reached {what}; "
        f"retry in {retry} seconds.",
    )
