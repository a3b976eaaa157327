"""Accounting of model calls: quotas and budgets (reserve, then settle), prices, energy and CO2.

A call reserves its estimated cost and tokens on every scope it belongs to (user, team, use
case, key) before it is forwarded, and settles the real usage afterwards; a store does both
atomically, in process (``MemoryQuotaStore``) or shared by replicas (``RedisQuotaStore``).
"""

from gouvernail.gateway.accounting._impacts import Impact, Impacts
from gouvernail.gateway.accounting._memory import MemoryQuotaStore
from gouvernail.gateway.accounting._prices import (
    Prices,
    PriceSheet,
    UnknownPrice,
    estimate_input_tokens,
    reservation_cost,
)
from gouvernail.gateway.accounting._quota import (
    Claim,
    Limits,
    QuotaExceeded,
    QuotaStore,
    Reservation,
    Scope,
    Usage,
)
from gouvernail.gateway.accounting._redis import RedisQuotaStore
from gouvernail.gateway.accounting._runs import (
    MemoryRunCounters,
    RedisRunCounters,
    RunCaps,
    RunCharge,
    RunCounters,
    RunLimitReached,
    RunUsage,
)

__all__ = [
    "Claim",
    "Impact",
    "Impacts",
    "Limits",
    "MemoryQuotaStore",
    "MemoryRunCounters",
    "PriceSheet",
    "Prices",
    "QuotaExceeded",
    "QuotaStore",
    "RedisQuotaStore",
    "RedisRunCounters",
    "Reservation",
    "RunCaps",
    "RunCharge",
    "RunCounters",
    "RunLimitReached",
    "RunUsage",
    "Scope",
    "UnknownPrice",
    "Usage",
    "estimate_input_tokens",
    "reservation_cost",
]
