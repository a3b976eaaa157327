"""Provider SLA as measured: availability and latency per provider and model, from the request
log, next to what the inventory records as contracted; breaches named.

A *call* of a model is one the gateway sent to it (``attempts > 0``), including the tries a
failover moved away from (``request_log.failover`` names them). A *failure* is the provider
not serving: timeouts, unreachable, 5xx, garbage, a broken stream, an open circuit breaker, or
a failover away from it. Refusals of the request itself (4xx) and the provider's rate limiting
are not failures of availability; rate limiting is counted apart. Latency percentiles are over
the provider's time (``upstream_ms``) of served calls; time to first byte over served streams.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.gateway.models import RequestLog
from gouvernail.inventory.values import Sla
from gouvernail.inventory.views import ModelView

FAILURES = frozenset(
    {
        "upstream_timeout",
        "upstream_unreachable",
        "upstream_unavailable",
        "upstream_bad_response",
        "upstream_stream_error",
        "circuit_open",
    }
)
RATE_LIMITED = "upstream_rate_limited"
MAX_DAYS = 90


class ModelSla(BaseModel):
    provider: str
    model: str
    calls: int
    failures: int
    rate_limited: int
    availability_pct: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    ttfb_p50_ms: float | None
    contracted_availability_pct: float | None
    contracted_latency_p95_ms: int | None
    breaches: list[str]


class SlaReport(BaseModel):
    since: datetime
    until: datetime
    models: list[ModelSla]


def report(
    database: Database, models: Sequence[ModelView], days: int, *, now: datetime | None = None
) -> SlaReport:
    """The last ``days`` days (at most ``MAX_DAYS``), against the inventory's ``models``."""
    until = now or utcnow()
    with database.read() as session:
        return measure(
            session,
            until - timedelta(days=days),
            until,
            providers={m.name: m.vendor for m in models},
            contracts={m.name: m.sla for m in models},
        )


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted ``values`` (None when there are none)."""
    if not values:
        return None
    rank = max(1, math.ceil(q / 100 * len(values)))
    return round(values[rank - 1], 1)


STREAM_ROWS = 5_000
"""Rows read from the request log at a time: the alerts check reads the SLA window every few
minutes, and a window holds days of calls (read at once, 200,000 calls took 99 MB; 8 MB so)."""


class _Tally:
    def __init__(self) -> None:
        self.calls = 0
        self.failures = 0
        self.rate_limited = 0
        self.latencies: list[float] = []
        self.ttfb: list[float] = []


def measure(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    providers: Mapping[str, str],
    contracts: Mapping[str, Sla | None],
) -> SlaReport:
    """The report for calls in ``[since, until)``; ``providers`` and ``contracts``: each
    model's vendor and contracted SLA from the inventory."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    vendors: dict[str, Counter[str]] = defaultdict(Counter)
    rows = session.execute(
        select(
            RequestLog.model,
            RequestLog.provider,
            RequestLog.status,
            RequestLog.error_code,
            RequestLog.upstream_ms,
            RequestLog.ttfb_ms,
            RequestLog.stream,
            RequestLog.failover,
        )
        .where(RequestLog.at >= since, RequestLog.at < until, RequestLog.attempts > 0)
        .execution_options(yield_per=STREAM_ROWS)  # days of calls, never all in memory at once
    )
    for model, provider, status, code, upstream_ms, ttfb_ms, stream, failover in rows:
        for moved_from in orjson.loads(failover or "[]"):
            tally = tallies[moved_from]
            tally.calls += 1
            tally.failures += 1
        if model is None:
            continue
        tally = tallies[model]
        tally.calls += 1
        if provider:
            vendors[model][provider] += 1
        if code in FAILURES:
            tally.failures += 1
        elif code == RATE_LIMITED:
            tally.rate_limited += 1
        elif status < 400:
            if upstream_ms is not None:
                tally.latencies.append(upstream_ms)
            if stream and ttfb_ms is not None:
                tally.ttfb.append(ttfb_ms)
    report = [
        _row(model, tally, vendors[model], providers, contracts.get(model))
        for model, tally in sorted(tallies.items())
    ]
    return SlaReport(since=since, until=until, models=report)


def _row(
    model: str,
    tally: _Tally,
    seen: Counter[str],
    providers: Mapping[str, str],
    contract: Sla | None,
) -> ModelSla:
    tally.latencies.sort()
    tally.ttfb.sort()
    availability = (
        round(100 * (tally.calls - tally.failures) / tally.calls, 3) if tally.calls else None
    )
    p95 = percentile(tally.latencies, 95)
    breaches: list[str] = []
    if contract is not None:
        if availability is not None and availability < contract.availability_pct:
            breaches.append(
                f"availability {availability} % below the contracted {contract.availability_pct} %"
            )
        if (
            contract.latency_p95_ms is not None
            and p95 is not None
            and p95 > contract.latency_p95_ms
        ):
            breaches.append(
                f"p95 latency {p95} ms above the contracted {contract.latency_p95_ms} ms"
            )
    provider = seen.most_common(1)[0][0] if seen else providers.get(model, "unknown")
    return ModelSla(
        provider=provider,
        model=model,
        calls=tally.calls,
        failures=tally.failures,
        rate_limited=tally.rate_limited,
        availability_pct=availability,
        latency_p50_ms=percentile(tally.latencies, 50),
        latency_p95_ms=p95,
        latency_p99_ms=percentile(tally.latencies, 99),
        ttfb_p50_ms=percentile(tally.ttfb, 50),
        contracted_availability_pct=contract.availability_pct if contract else None,
        contracted_latency_p95_ms=contract.latency_p95_ms if contract else None,
        breaches=breaches,
    )
