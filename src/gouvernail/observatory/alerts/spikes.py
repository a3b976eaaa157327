"""Shadow-AI spikes, from the shadow report (``Shadow.report``), and new direct API calls.

The logs cover the days that have observations of any service in the window
``[today - window_days, today]``; the *latest day* is the last of them. A service *spikes* on
its latest day when its requests there are at least ``min_requests`` and more than ``factor``
times the median of its daily requests over the earlier covered days of the window (a covered
day without its requests counts 0), or likewise for the distinct people using it (at least
``min_people``). At least ``min_days`` earlier covered days are needed; a first import judges
nothing. A spike fires once per service, metric and day.

Each critical ``direct_api`` finding of the window (someone calling a model provider's API
directly, bypassing the gateway) fires once per person and service, until it leaves the window.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable
from datetime import date, timedelta

from gouvernail.observatory.alerts.firing import Firing
from gouvernail.observatory.alerts.models import RuleKind, Severity
from gouvernail.observatory.alerts.rules import ShadowThresholds
from gouvernail.observatory.shadow.schemas import Report, ServiceUsage


def shadow(
    report: Callable[[date, date], Report], today: date, t: ShadowThresholds
) -> list[Firing]:
    window = report(today - timedelta(days=t.window_days), today)
    firings = _direct_calls(window) if t.direct_api else []
    covered = sorted(d.day for d in window.days if d.requests > 0)
    if len(covered) < t.min_days + 1:
        return firings
    latest, earlier = covered[-1], covered[:-1]
    people = {day: _people(report(day, day)) for day in covered}
    for service in window.services:
        requests = {d.day: d.requests for d in service.trend}
        for metric, daily, floor in (
            ("requests", requests, t.min_requests),
            ("people", {day: people[day].get(service.slug, 0) for day in covered}, t.min_people),
        ):
            now = daily.get(latest, 0)
            median = statistics.median(daily.get(day, 0) for day in earlier)
            if now >= floor and now > t.factor * median:
                firings.append(_spike(service, metric, latest, now, median, len(earlier), t))
    return firings


def _people(day: Report) -> dict[str, int]:
    return {s.slug: s.people for s in day.services}


def _spike(
    service: ServiceUsage,
    metric: str,
    latest: date,
    now: int,
    median: float,
    days: int,
    t: ShadowThresholds,
) -> Firing:
    what = "requests" if metric == "requests" else "distinct people"
    sanctioned = "sanctioned" if service.sanctioned else "not sanctioned"
    return Firing(
        RuleKind.SHADOW_SPIKE,
        f"service:{service.slug}",
        metric,
        latest.isoformat(),
        Severity.WARNING,
        f"Shadow-AI spike: {service.name} ({what})",
        f"{service.name} ({service.vendor}, {sanctioned}) had {now} {what} on {latest}, more "
        f"than {t.factor:g} times its median of {median:g} over the {days} earlier days of "
        "proxy logs.",
        {
            "service": service.slug,
            "name": service.name,
            "metric": metric,
            "day": latest.isoformat(),
            "value": now,
            "median": median,
            "factor": t.factor,
            "days": days,
            "sanctioned": service.sanctioned,
        },
    )


def _direct_calls(window: Report) -> list[Firing]:
    """Who calls is personal data (the shadow report's readers only): the alert names the
    department and a pseudonym of the identity (a hash), never the identity itself."""
    return [
        Firing(
            RuleKind.SHADOW_SPIKE,
            f"direct_api:{_pseudonym(f.identity)}@{f.service}",
            "direct_api",
            "",
            Severity.CRITICAL,
            f"Direct model API calls bypassing the gateway: {f.service}",
            f"Someone in {f.department or 'an unknown department'} called {f.service} directly "
            f"{f.requests} times between {f.first_seen:%Y-%m-%d} and {f.last_seen:%Y-%m-%d}: "
            "these calls bypass the gateway (no charter, inspection, budget or audit). Who it "
            "is shows in the shadow-AI report.",
            {
                "person": _pseudonym(f.identity),
                "department": f.department,
                "service": f.service,
                "requests": f.requests,
                "first_seen": f.first_seen.isoformat(),
                "last_seen": f.last_seen.isoformat(),
            },
        )
        for f in window.findings
        if f.kind == "direct_api" and f.severity == "critical"
    ]


def _pseudonym(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:12] if identity else "unidentified"
