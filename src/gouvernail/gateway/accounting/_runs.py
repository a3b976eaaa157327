"""Counters of agent runs: steps, tokens and cost per run, checked and counted in one atomic
step like the quotas (``_quota``), in process (``MemoryRunCounters``) or in Redis shared by the
replicas (``RedisRunCounters``, one Lua script per operation).

A call *charges* its run one step, its estimated tokens and cost before it is forwarded; the
charge is refused when any would go over the run's limit, so concurrent calls of a runaway loop
can never overshoot. Settling replaces the estimate by the real usage; releasing (the call never
reached a model) gives the whole charge back. Money is counted in integer micro-euros.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, cast
from urllib.parse import quote

import redis.asyncio as aioredis

from gouvernail.gateway.accounting._quota import from_micro, to_micro

RunLimit = Literal["steps", "tokens", "cost"]
_KEPT = 100_000
"""Runs an in-process store remembers (the oldest are dropped: reseeded from the log)."""
_TTL = 8 * 86_400
"""Seconds a Redis counter outlives its last charge (runs last at most a week)."""


@dataclass(frozen=True, slots=True)
class RunCaps:
    max_steps: int
    max_tokens: int
    max_cost_eur: Decimal


@dataclass(frozen=True, slots=True)
class RunCharge:
    """What ``charge`` counted; hand it back to ``settle`` or ``release``."""

    run: str
    tokens: int
    cost_micro: int


@dataclass(frozen=True, slots=True)
class RunUsage:
    steps: int
    tokens: int
    cost_eur: Decimal


class RunLimitReached(Exception):  # noqa: N818 (a refusal, not a failure)
    def __init__(self, limit: RunLimit, used: int | Decimal, maximum: int | Decimal) -> None:
        super().__init__(f"{limit}: {used} of {maximum}")
        self.limit: RunLimit = limit
        self.used = used
        self.maximum = maximum


class RunCounters(Protocol):
    async def charge(
        self, run: str, caps: RunCaps, *, tokens: int, cost_eur: Decimal
    ) -> RunCharge: ...

    async def settle(self, charge: RunCharge, *, tokens: int, cost_eur: Decimal) -> None: ...

    async def release(self, charge: RunCharge) -> None: ...

    async def seed(self, run: str, usage: RunUsage) -> None:
        """Start ``run``'s counters at ``usage`` (the request log's), unless already counted."""
        ...

    async def usage(self, run: str) -> RunUsage: ...

    async def aclose(self) -> None: ...


def _refusal(caps: RunCaps, steps: int, tokens: int, cost: int) -> RunLimitReached:
    if steps + 1 > caps.max_steps:
        return RunLimitReached("steps", steps, caps.max_steps)
    if tokens > caps.max_tokens:
        return RunLimitReached("tokens", tokens, caps.max_tokens)
    return RunLimitReached("cost", from_micro(cost), caps.max_cost_eur)


class MemoryRunCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, list[int]] = OrderedDict()

    async def charge(self, run: str, caps: RunCaps, *, tokens: int, cost_eur: Decimal) -> RunCharge:
        cost = to_micro(cost_eur)
        with self._lock:
            counted = self._runs.setdefault(run, [0, 0, 0])
            self._runs.move_to_end(run)
            steps, used, spent = counted
            if (
                steps + 1 > caps.max_steps
                or used + tokens > caps.max_tokens
                or spent + cost > to_micro(caps.max_cost_eur)
            ):
                raise _refusal(caps, steps, used + tokens, spent + cost)
            counted[0], counted[1], counted[2] = steps + 1, used + tokens, spent + cost
            while len(self._runs) > _KEPT:
                self._runs.popitem(last=False)
        return RunCharge(run, tokens, cost)

    def _adjust(self, run: str, steps: int, tokens: int, cost: int) -> None:
        with self._lock:
            counted = self._runs.get(run)
            if counted is not None:
                counted[0] += steps
                counted[1] += tokens
                counted[2] += cost

    async def settle(self, charge: RunCharge, *, tokens: int, cost_eur: Decimal) -> None:
        self._adjust(charge.run, 0, tokens - charge.tokens, to_micro(cost_eur) - charge.cost_micro)

    async def release(self, charge: RunCharge) -> None:
        self._adjust(charge.run, -1, -charge.tokens, -charge.cost_micro)

    async def seed(self, run: str, usage: RunUsage) -> None:
        with self._lock:
            if run not in self._runs:
                self._runs[run] = [usage.steps, usage.tokens, to_micro(usage.cost_eur)]

    async def usage(self, run: str) -> RunUsage:
        with self._lock:
            steps, tokens, cost = self._runs.get(run, [0, 0, 0])
        return RunUsage(steps, tokens, from_micro(cost))

    async def aclose(self) -> None:
        return None


_CHARGE = """
local k = KEYS[1]
local steps = tonumber(redis.call('HGET', k, 's') or '0')
local tokens = tonumber(redis.call('HGET', k, 't') or '0') + tonumber(ARGV[4])
local cost = tonumber(redis.call('HGET', k, 'c') or '0') + tonumber(ARGV[5])
if steps + 1 > tonumber(ARGV[1]) or tokens > tonumber(ARGV[2]) or cost > tonumber(ARGV[3]) then
  return {1, steps, tokens, cost}
end
redis.call('HSET', k, 's', steps + 1, 't', tokens, 'c', cost)
redis.call('EXPIRE', k, tonumber(ARGV[6]))
return {0, steps + 1, tokens, cost}
"""

_ADJUST = """
local k = KEYS[1]
if redis.call('EXISTS', k) == 1 then
  redis.call('HINCRBY', k, 's', tonumber(ARGV[1]))
  redis.call('HINCRBY', k, 't', tonumber(ARGV[2]))
  redis.call('HINCRBY', k, 'c', tonumber(ARGV[3]))
end
return 0
"""

_SEED = """
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then
  redis.call('HSET', k, 's', ARGV[1], 't', ARGV[2], 'c', ARGV[3])
  redis.call('EXPIRE', k, tonumber(ARGV[4]))
end
return 0
"""


class RedisRunCounters:
    def __init__(
        self, url: str, prefix: str = "gv:run:", *, client: aioredis.Redis | None = None
    ) -> None:
        self._client = client or aioredis.Redis.from_url(url)
        self._prefix = prefix
        self._charge = self._client.register_script(_CHARGE)
        self._adjust = self._client.register_script(_ADJUST)
        self._seed = self._client.register_script(_SEED)

    def _key(self, run: str) -> str:
        return self._prefix + quote(run, safe="")

    async def charge(self, run: str, caps: RunCaps, *, tokens: int, cost_eur: Decimal) -> RunCharge:
        cost = to_micro(cost_eur)
        args = [caps.max_steps, caps.max_tokens, to_micro(caps.max_cost_eur), tokens, cost, _TTL]
        refused, steps, used, spent = (
            int(v) for v in cast(list[int], await self._charge(keys=[self._key(run)], args=args))
        )
        if refused:
            raise _refusal(caps, steps, used, spent)
        return RunCharge(run, tokens, cost)

    async def settle(self, charge: RunCharge, *, tokens: int, cost_eur: Decimal) -> None:
        args = [0, tokens - charge.tokens, to_micro(cost_eur) - charge.cost_micro]
        await self._adjust(keys=[self._key(charge.run)], args=args)

    async def release(self, charge: RunCharge) -> None:
        args = [-1, -charge.tokens, -charge.cost_micro]
        await self._adjust(keys=[self._key(charge.run)], args=args)

    async def seed(self, run: str, usage: RunUsage) -> None:
        args = [usage.steps, usage.tokens, to_micro(usage.cost_eur), _TTL]
        await self._seed(keys=[self._key(run)], args=args)

    async def usage(self, run: str) -> RunUsage:
        values = await self._client.hmget(self._key(run), ["s", "t", "c"])  # type: ignore[misc]
        steps, tokens, cost = (int(v or 0) for v in values)
        return RunUsage(steps, tokens, from_micro(cost))

    async def aclose(self) -> None:
        await self._client.aclose()
