"""The shared quota store: every replica checks and counts in the same Redis, atomically.

Each operation is one Lua script (see ``_redis_lua``), so the checks and the increments over
all the claims of a call happen in one step: two replicas can never both take the last euro.
Redis holds no durable state here: month-to-date spend is ``seed``-ed at start-up from the
request log, the durable source of truth.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import Any, cast
from urllib.parse import quote

import redis.asyncio as aioredis

from gouvernail.gateway.accounting import _redis_lua
from gouvernail.gateway.accounting._quota import (
    DEFAULT_RESERVATION_TTL,
    Claim,
    LimitName,
    Reservation,
    Scope,
    Usage,
    check_claims,
    exceeded,
    from_micro,
    month_of,
    seconds_to_next_month,
    to_micro,
)

_LIMITS: dict[int, LimitName] = {
    1: "requests_per_minute",
    2: "tokens_per_minute",
    3: "monthly_budget",
}
_MONTH_TTL = 62 * 86_400
"""Month counters outlive their month a little; start-up seeding restores them anyway."""


class RedisQuotaStore:
    def __init__(
        self,
        url: str,
        prefix: str = "gv:q:",
        *,
        reservation_ttl: float = DEFAULT_RESERVATION_TTL,
        client: aioredis.Redis | None = None,
    ) -> None:
        self._client = client or aioredis.Redis.from_url(url)
        self._prefix = prefix
        self._ttl = reservation_ttl
        self._reserve = self._client.register_script(_redis_lua.RESERVE)
        self._finish = self._client.register_script(_redis_lua.FINISH)
        self._usage = self._client.register_script(_redis_lua.USAGE)
        self._seed = self._client.register_script(_redis_lua.SEED)

    def _key(self, scope: Scope, suffix: str) -> str:
        return f"{self._prefix}{scope.kind}:{quote(scope.id, safe='')}:{suffix}"

    def _keys(self, scope: Scope, month: str) -> list[str]:
        return [
            self._key(scope, "rpm"),
            self._key(scope, "tpm"),
            self._key(scope, f"m:{month}"),
            self._key(scope, f"m:{month}:exp"),
        ]

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
        cost, month = to_micro(cost_eur), month_of(now)
        keys: list[str] = []
        args: list[Any] = [repr(now), request_id, tokens, cost, repr(now + self._ttl), _MONTH_TTL]
        for claim in claims:
            limits = claim.limits
            budget = limits.monthly_budget_eur
            keys += self._keys(claim.scope, month)
            args += [
                _or_none(limits.requests_per_minute),
                _or_none(limits.tokens_per_minute),
                -1 if budget is None else to_micro(budget),
            ]
        result = cast(list[int], await self._reserve(keys=keys, args=args))
        if result[0] != 0:
            claim, limit = claims[int(result[1]) - 1], _LIMITS[int(result[2])]
            retry = seconds_to_next_month(now) if limit == "monthly_budget" else int(result[3])
            raise exceeded(claim.scope, limit, retry, claim)
        return Reservation(
            scopes=tuple(c.scope for c in claims),
            request_id=request_id,
            tokens=tokens,
            cost_eur=from_micro(cost),
            month=month,
            second=int(now),
            expires_at=now + self._ttl,
        )

    async def settle(
        self,
        reservation: Reservation,
        *,
        tokens: int,
        cost_eur: Decimal,
        now: float | None = None,
    ) -> None:
        await self._apply(reservation, tokens, to_micro(cost_eur), now)

    async def release(self, reservation: Reservation, *, now: float | None = None) -> None:
        await self._apply(reservation, 0, 0, now)

    async def _apply(
        self, reservation: Reservation, tokens: int, cost: int, now: float | None
    ) -> None:
        now = time.time() if now is None else now
        keys = [f"{self._prefix}done:{quote(reservation.request_id, safe='')}"]
        for scope in reservation.scopes:
            keys += self._keys(scope, reservation.month)[1:]
        args: list[str | int] = [
            reservation.request_id,
            reservation.second,
            repr(now),
            tokens - reservation.tokens,
            cost,
            max(1, math.ceil(self._ttl)),  # a settled id is remembered as long as a reservation
            _MONTH_TTL,
        ]
        await self._finish(keys=keys, args=args)

    async def usage(
        self, scope: Scope, month: str | None = None, *, now: float | None = None
    ) -> Usage:
        now = time.time() if now is None else now
        keys = self._keys(scope, month or month_of(now))
        spent, reserved, requests, tokens = cast(
            list[int], await self._usage(keys=keys, args=[repr(now)])
        )
        return Usage(
            spent_eur=from_micro(int(spent)),
            reserved_eur=from_micro(int(reserved)),
            requests_this_minute=int(requests),
            tokens_this_minute=int(tokens),
        )

    async def seed(self, scope: Scope, month: str, spent_eur: Decimal) -> None:
        key = self._key(scope, f"m:{month}")
        await self._seed(keys=[key], args=[to_micro(spent_eur), _MONTH_TTL])

    async def aclose(self) -> None:
        await self._client.aclose()


def _or_none(limit: int | None) -> int:
    return -1 if limit is None else limit
