"""Quotas and budgets: one contract for the in-process and the Redis store, and races that
prove concurrent calls never overshoot a limit (asyncio tasks, threads, two replicas)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from gouvernail.gateway.accounting import (
    Claim,
    Limits,
    MemoryQuotaStore,
    QuotaExceeded,
    QuotaStore,
    RedisQuotaStore,
    Reservation,
    Scope,
)

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 15, 12, 0, 0, tzinfo=UTC).timestamp()
APRIL = datetime(2026, 4, 1, tzinfo=UTC).timestamp()
USER = Scope("user", "alice")
TEAM = Scope("team", "finance")
KEY = Scope("key", "gv key:1/é")  # characters that must not break the Redis key scheme

MakeStore = Callable[..., QuotaStore]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[MakeStore]:
    """A factory of stores of one kind; Redis stores built by it share one database (replicas)."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    stores: list[QuotaStore] = []

    def make(**options: Any) -> QuotaStore:
        store: QuotaStore = RedisQuotaStore(url, **options) if url else MemoryQuotaStore(**options)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.aclose()


def claim(scope: Scope = USER, **limits: Any) -> Claim:
    if "monthly_budget_eur" in limits:
        limits["monthly_budget_eur"] = Decimal(limits["monthly_budget_eur"])
    return Claim(scope, Limits(**limits))


async def reserve(
    store: QuotaStore,
    claims: list[Claim],
    request_id: str,
    *,
    tokens: int = 0,
    cost: str = "0",
    now: float = T0,
) -> Reservation:
    return await store.reserve(
        claims, request_id=request_id, tokens=tokens, cost_eur=Decimal(cost), now=now
    )


# --- the contract -----------------------------------------------------------------------------


async def test_requests_per_minute_slide_and_say_when_to_retry(make_store: MakeStore) -> None:
    store = make_store()
    claims = [claim(requests_per_minute=3)]
    for i, offset in enumerate((0, 10, 20)):
        await reserve(store, claims, f"r{i}", now=T0 + offset)

    with pytest.raises(QuotaExceeded) as refused:
        await reserve(store, claims, "r3", now=T0 + 30)
    assert (refused.value.scope, refused.value.limit) == (USER, "requests_per_minute")
    assert refused.value.retry_after == 30  # the request of T0 leaves the window at T0 + 60
    assert (refused.value.status, refused.value.code) == (429, "rate_limit_exceeded")
    assert "3 requests per minute" in refused.value.message

    await reserve(store, claims, "r4", now=T0 + 60)
    assert (await store.usage(USER, now=T0 + 60)).requests_this_minute == 3


async def test_tokens_per_minute_count_the_estimate_then_the_real_usage(
    make_store: MakeStore,
) -> None:
    store = make_store()
    claims = [claim(tokens_per_minute=1000)]
    first = await reserve(store, claims, "a", tokens=600)

    with pytest.raises(QuotaExceeded) as refused:
        await reserve(store, claims, "b", tokens=500, now=T0 + 15)
    assert refused.value.limit == "tokens_per_minute"
    assert refused.value.retry_after == 45
    await reserve(store, claims, "c", tokens=400, now=T0 + 15)

    await store.settle(first, tokens=100, cost_eur=Decimal(0), now=T0 + 20)
    assert (await store.usage(USER, now=T0 + 20)).tokens_this_minute == 500
    await reserve(store, claims, "d", tokens=500, now=T0 + 20)
    with pytest.raises(QuotaExceeded):
        await reserve(store, claims, "e", tokens=1, now=T0 + 20)


async def test_budget_reserves_the_estimate_and_settles_the_real_cost(
    make_store: MakeStore,
) -> None:
    store = make_store()
    claims = [claim(monthly_budget_eur="1.00")]
    first = await reserve(store, claims, "a", cost="0.60")

    with pytest.raises(QuotaExceeded) as refused:
        await reserve(store, claims, "b", cost="0.50", now=T0 + 1)
    assert refused.value.limit == "monthly_budget"
    assert refused.value.retry_after == int(APRIL - (T0 + 1))
    assert refused.value.code == "insufficient_quota"

    await store.settle(first, tokens=10, cost_eur=Decimal("0.30"), now=T0 + 2)
    usage = await store.usage(USER, now=T0 + 2)
    assert (usage.spent_eur, usage.reserved_eur) == (Decimal("0.3"), Decimal(0))

    await reserve(store, claims, "c", cost="0.70", now=T0 + 3)  # exactly the budget
    usage = await store.usage(USER, "2026-03", now=T0 + 3)
    assert (usage.spent_eur, usage.reserved_eur) == (Decimal("0.3"), Decimal("0.7"))
    with pytest.raises(QuotaExceeded):
        await reserve(store, claims, "d", cost="0.000001", now=T0 + 4)


async def test_a_refusal_on_one_scope_counts_nothing_on_the_others(make_store: MakeStore) -> None:
    store = make_store()
    claims = [
        claim(USER, requests_per_minute=10, monthly_budget_eur="5"),
        claim(KEY),
        claim(TEAM, monthly_budget_eur="0.10"),
    ]
    with pytest.raises(QuotaExceeded) as refused:
        await reserve(store, claims, "a", tokens=50, cost="0.20")
    assert refused.value.scope == TEAM

    for scope in (USER, KEY, TEAM):
        usage = await store.usage(scope, now=T0)
        assert usage.requests_this_minute == usage.tokens_this_minute == 0, scope
        assert usage.reserved_eur == 0, scope

    await reserve(store, claims, "b", tokens=50, cost="0.10")
    for scope in (USER, KEY, TEAM):
        usage = await store.usage(scope, now=T0)
        assert (usage.requests_this_minute, usage.tokens_this_minute) == (1, 50), scope
        assert usage.reserved_eur == Decimal("0.1"), scope


async def test_release_returns_the_money_but_keeps_the_request(make_store: MakeStore) -> None:
    store = make_store()
    claims = [claim(monthly_budget_eur="1")]
    reservation = await reserve(store, claims, "a", tokens=300, cost="0.90")

    await store.release(reservation, now=T0 + 1)
    await store.release(reservation, now=T0 + 2)  # idempotent
    await store.settle(reservation, tokens=300, cost_eur=Decimal("0.9"), now=T0 + 3)  # too late

    usage = await store.usage(USER, now=T0 + 3)
    assert (usage.spent_eur, usage.reserved_eur) == (0, 0)
    assert (usage.requests_this_minute, usage.tokens_this_minute) == (1, 0)


async def test_settling_twice_counts_once(make_store: MakeStore) -> None:
    store = make_store()
    reservation = await reserve(store, [claim(), claim(TEAM)], "a", tokens=100, cost="0.5")
    for _ in range(2):
        await store.settle(reservation, tokens=80, cost_eur=Decimal("0.25"), now=T0 + 1)
    for scope in (USER, TEAM):
        usage = await store.usage(scope, now=T0 + 1)
        assert (usage.spent_eur, usage.reserved_eur) == (Decimal("0.25"), 0)
        assert usage.tokens_this_minute == 80


async def test_unsettled_reservations_expire_but_late_usage_is_still_spent(
    make_store: MakeStore,
) -> None:
    store = make_store(reservation_ttl=600)
    claims = [claim(monthly_budget_eur="1")]
    crashed = await reserve(store, claims, "crashed", cost="0.90")
    with pytest.raises(QuotaExceeded):
        await reserve(store, claims, "b", cost="0.20", now=T0 + 599)

    assert (await store.usage(USER, now=T0 + 600)).reserved_eur == 0
    await reserve(store, claims, "c", cost="0.90", now=T0 + 601)

    await store.settle(crashed, tokens=5, cost_eur=Decimal("0.05"), now=T0 + 700)
    usage = await store.usage(USER, now=T0 + 700)
    assert (usage.spent_eur, usage.reserved_eur) == (Decimal("0.05"), Decimal("0.9"))


async def test_seeded_spend_counts_against_its_month_only(make_store: MakeStore) -> None:
    store = make_store()
    await store.seed(USER, "2026-03", Decimal("0.99"))
    claims = [claim(monthly_budget_eur="1")]
    with pytest.raises(QuotaExceeded):
        await reserve(store, claims, "a", cost="0.02")
    await reserve(store, claims, "b", cost="0.01")
    await reserve(store, claims, "c", cost="0.99", now=APRIL + 5)  # a new month

    # a replica starting later seeds the request log's figure: what is counted stays
    await store.seed(USER, "2026-03", Decimal("0.5"))
    assert (await store.usage(USER, "2026-03", now=T0)).spent_eur == Decimal("0.99")
    await store.seed(USER, "2026-02", Decimal("0.5"))
    assert (await store.usage(USER, "2026-02", now=T0)).spent_eur == Decimal("0.5")
    assert (await store.usage(USER, "2026-04", now=APRIL + 5)).reserved_eur == Decimal("0.99")


async def test_money_is_exact_and_rounded_up_to_the_micro_euro(make_store: MakeStore) -> None:
    store = make_store()
    claims = [claim(monthly_budget_eur="0.3")]
    await reserve(store, claims, "a", cost="0.1")
    await reserve(store, claims, "b", cost="0.2")  # 0.1 + 0.2 == 0.3, exactly
    with pytest.raises(QuotaExceeded):
        await reserve(store, claims, "c", cost="0.0000001")
    assert (await store.usage(USER, now=T0)).reserved_eur == Decimal("0.3")

    other = await reserve(store, [claim(TEAM)], "d", cost="0.0000001")
    assert other.cost_eur == Decimal("0.000001")


@pytest.mark.parametrize(
    ("claims", "tokens", "cost"),
    [
        ([], 0, "0"),
        ([Claim(USER, Limits()), Claim(USER, Limits(requests_per_minute=1))], 0, "0"),
        ([Claim(USER, Limits())], -1, "0"),
        ([Claim(USER, Limits())], 0, "-0.01"),
    ],
    ids=["no claim", "scope twice", "negative tokens", "negative cost"],
)
async def test_malformed_reservations_are_programming_errors(
    make_store: MakeStore, claims: list[Claim], tokens: int, cost: str
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        await reserve(make_store(), claims, "a", tokens=tokens, cost=cost)


# --- races ------------------------------------------------------------------------------------


async def _race(stores: list[QuotaStore], claims: list[Claim], calls: int, **amount: Any) -> int:
    async def one(i: int) -> bool:
        try:
            await reserve(stores[i % len(stores)], claims, f"race-{i}", **amount)
        except QuotaExceeded:
            return False
        return True

    return sum(await asyncio.gather(*(one(i) for i in range(calls))))


async def test_concurrent_reserves_never_overshoot_a_budget(make_store: MakeStore) -> None:
    store = make_store()
    claims = [claim(monthly_budget_eur="1.00")]
    assert await _race([store], claims, 200, cost="0.01") == 100
    assert (await store.usage(USER, now=T0)).reserved_eur == Decimal("1")


async def test_concurrent_reserves_never_overshoot_tokens_per_minute(
    make_store: MakeStore,
) -> None:
    store = make_store()
    claims = [claim(tokens_per_minute=1000)]
    assert await _race([store], claims, 200, tokens=10) == 100
    assert (await store.usage(USER, now=T0)).tokens_this_minute == 1000


async def test_concurrent_reserves_over_shared_and_own_budgets(make_store: MakeStore) -> None:
    """Four users of one team race, 60 calls each: 0.50 EUR each, 1.00 EUR for the team."""
    store = make_store()
    users = [Scope("user", f"u{n}") for n in range(4)]

    async def one(user: Scope, i: int) -> bool:
        claims = [claim(user, monthly_budget_eur="0.50"), claim(TEAM, monthly_budget_eur="1")]
        try:
            await reserve(store, claims, f"{user.id}-{i}", cost="0.01")
        except QuotaExceeded:
            return False
        return True

    granted = await asyncio.gather(*(one(user, i) for i in range(60) for user in users))
    assert sum(granted) == 100
    assert (await store.usage(TEAM, now=T0)).reserved_eur == Decimal("1")
    by_user = [(await store.usage(user, now=T0)).reserved_eur for user in users]
    assert sum(by_user) == Decimal("1")  # no scope was charged for a refused call
    assert all(amount <= Decimal("0.5") for amount in by_user)


@pytest.mark.redis
async def test_two_replicas_sharing_redis_never_overshoot(redis_url: str) -> None:
    replicas = [RedisQuotaStore(redis_url), RedisQuotaStore(redis_url)]
    try:
        budget = [claim(monthly_budget_eur="1.00")]
        assert await _race(replicas, budget, 200, cost="0.01") == 100
        tokens = [claim(TEAM, tokens_per_minute=1000)]
        assert await _race(replicas, tokens, 200, tokens=10) == 100
        for replica in replicas:
            assert (await replica.usage(USER, now=T0)).reserved_eur == Decimal("1")
            assert (await replica.usage(TEAM, now=T0)).tokens_this_minute == 1000
    finally:
        for replica in replicas:
            await replica.aclose()


def test_threads_never_overshoot_the_memory_store() -> None:
    store = MemoryQuotaStore()
    claims = [claim(monthly_budget_eur="1.00"), claim(TEAM, tokens_per_minute=1500)]

    def one(i: int) -> bool:
        try:
            asyncio.run(reserve(store, claims, f"t{i}", tokens=10, cost="0.01"))
        except QuotaExceeded:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = sum(pool.map(one, range(200)))
    assert granted == 100
    usage = asyncio.run(store.usage(USER, now=T0))
    assert (usage.reserved_eur, usage.requests_this_minute) == (Decimal("1"), 100)
    assert asyncio.run(store.usage(TEAM, now=T0)).tokens_this_minute == 1000


async def test_the_memory_store_remembers_a_bounded_number_of_settled_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settled ids guard against a second settle; they must not grow with the traffic."""
    from gouvernail.gateway.accounting import _memory

    monkeypatch.setattr(_memory, "_DONE_KEPT", 100)
    store = MemoryQuotaStore()
    claims = [claim(monthly_budget_eur="100")]
    for index in range(300):
        done = await reserve(store, claims, f"call-{index}", cost="0.01")
        await store.settle(done, tokens=1, cost_eur=Decimal("0.01"), now=T0 + 1)
        if index == 299:
            await store.settle(done, tokens=1, cost_eur=Decimal("0.01"), now=T0 + 2)
    assert len(store._done) <= 100
    assert (await store.usage(USER, now=T0 + 2)).spent_eur == Decimal("3")  # not 3.01
