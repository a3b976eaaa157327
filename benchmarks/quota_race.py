"""Reserve-and-settle throughput and budget races on the quota stores, plus the per-call cost
of pricing and of the EcoLogits estimate.

    .venv/bin/python benchmarks/quota_race.py [--redis redis://127.0.0.1:6379/9] [--calls 5000]

Each call claims four scopes (user, team, use case, key), as the gateway does. The race part
checks that 2 x N concurrent reserves of 0.01 EUR against an N/100 EUR budget grant exactly N.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from decimal import Decimal

from gouvernail.gateway.accounting import (
    Claim,
    Impacts,
    Limits,
    MemoryQuotaStore,
    Prices,
    QuotaExceeded,
    QuotaStore,
    RedisQuotaStore,
    Scope,
)
from gouvernail.inventory.routing import RoutableModel


def claims(user: int) -> list[Claim]:
    limits = Limits(requests_per_minute=10**9, tokens_per_minute=10**12)
    return [
        Claim(Scope("user", f"u{user}"), Limits(monthly_budget_eur=Decimal(10**6))),
        Claim(Scope("team", "t"), limits),
        Claim(Scope("use_case", "uc"), Limits(monthly_budget_eur=Decimal(10**6))),
        Claim(Scope("key", f"k{user}"), limits),
    ]


async def throughput(store: QuotaStore, calls: int, concurrency: int) -> float:
    queue = iter(range(calls))

    async def worker() -> None:
        for i in queue:
            reservation = await store.reserve(
                claims(i % 50), request_id=f"bench-{i}", tokens=1500, cost_eur=Decimal("0.003")
            )
            await store.settle(reservation, tokens=900, cost_eur=Decimal("0.0021"))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return calls / (time.perf_counter() - start)


async def race(stores: list[QuotaStore], granted_target: int) -> int:
    budget = [
        Claim(Scope("user", "racer"), Limits(monthly_budget_eur=Decimal(granted_target) / 100))
    ]

    async def one(i: int) -> bool:
        try:
            await stores[i % len(stores)].reserve(
                budget, request_id=f"race-{i}", tokens=1, cost_eur=Decimal("0.01")
            )
        except QuotaExceeded:
            return False
        return True

    return sum(await asyncio.gather(*(one(i) for i in range(2 * granted_target))))


def per_call_costs(rounds: int) -> None:
    model = RoutableModel.model_validate(
        {
            "name": "gpt-4o-us",
            "vendor": "openai",
            "provider_kind": "openai_compatible",
            "upstream_model": "gpt-4o",
            "endpoint": {"base_url": "https://api.openai.com/v1"},
            "credential_ref": None,
            "capabilities": ["chat"],
            "hosting": "external_saas",
            "region": "eastus",
            "retention_days": 0,
            "no_training": True,
            "max_data_class": "internal",
            "pricing": None,
            "infrastructure": None,
            "energy": None,
            "context_window": None,
            "fallback_models": [],
            "review_overdue": False,
            "version": 1,
        }
    )
    prices, impacts = Prices({"USD": Decimal("0.92")}), Impacts()
    start = time.perf_counter()
    prices.price_sheet(model)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        prices.price_sheet(model).cost(1000, 500)
    cached = (time.perf_counter() - start) / rounds
    print(f"price sheet: first {first * 1e3:.2f} ms (genai-prices), then {cached * 1e6:.1f} µs")
    start = time.perf_counter()
    impacts.for_call(model, input_tokens=1000, output_tokens=500, latency_s=2.0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(rounds):
        impacts.for_call(model, input_tokens=1000, output_tokens=500 + i, latency_s=2.0)
    each = (time.perf_counter() - start) / rounds
    print(f"ecologits impact: first {first * 1e3:.1f} ms (import), then {each * 1e6:.0f} µs")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="")
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()

    per_call_costs(1000)
    memory = MemoryQuotaStore()
    rate = await throughput(memory, options.calls, options.concurrency)
    print(f"memory store: {rate:,.0f} reserve+settle per second (4 scopes each)")
    print(f"memory race: {await race([MemoryQuotaStore()], 500)} of 1000 granted (want 500)")
    if options.redis:
        import redis

        redis.Redis.from_url(options.redis).flushdb()
        replicas: list[QuotaStore] = [
            RedisQuotaStore(options.redis),
            RedisQuotaStore(options.redis),
        ]
        rate = await throughput(replicas[0], options.calls, options.concurrency)
        print(f"redis store: {rate:,.0f} reserve+settle per second (4 scopes each)")
        print(f"redis race, 2 replicas: {await race(replicas, 500)} of 1000 granted (want 500)")
        for replica in replicas:
            await replica.aclose()
        redis.Redis.from_url(options.redis).flushdb()


if __name__ == "__main__":
    asyncio.run(main())
