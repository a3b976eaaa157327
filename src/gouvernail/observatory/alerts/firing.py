"""What fires now: each rule's figures in, ``Firing`` values out (pure functions; the service
stores, deduplicates and delivers them).

A firing's ``key`` is ``kind:subject:level:period``. Without a period (an error rate, an SLA
breach, a drift, a direct API call) it fires once until it clears; with one (a budget's month,
a spike's day) once per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gouvernail.gateway.sla import SlaReport
from gouvernail.observatory.alerts.models import RuleKind, Severity
from gouvernail.observatory.alerts.rules import (
    BudgetThresholds,
    ErrorRateThresholds,
    SlaThresholds,
)
from gouvernail.observatory.alerts.sources import BudgetUse
from gouvernail.observatory.canaries.schemas import DriftView
from gouvernail.observatory.feedback.schemas import ErrorRates, GroupRates


@dataclass(frozen=True)
class Firing:
    kind: RuleKind
    subject: str
    level: str
    period: str
    severity: Severity
    title: str
    text: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.subject}:{self.level}:{self.period}"


FULL = ": the gateway refuses its calls until next month."


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _group_subject(by: str, group: GroupRates) -> tuple[str, str]:
    """The subject key and a readable name of an error-rate group."""
    if by == "model":
        return f"model:{group.model}", f"model {group.model}"
    if by == "prompt_version":
        if group.prompt_version_id is None:
            return "prompt_version:none", "calls without a prompt version"
        return (
            f"prompt_version:{group.prompt_version_id}",
            f"prompt {group.prompt_name} v{group.prompt_version} (use case {group.use_case_id})",
        )
    if group.use_case_id is None:
        return "use_case:none", "calls without a use case"
    return f"use_case:{group.use_case_id}", f"use case {group.use_case_id} ({group.use_case})"


def error_rates(rates: ErrorRates, t: ErrorRateThresholds) -> list[Firing]:
    """A group worsening (its 7-day rate's interval above the 90-day rate), or its 7-day rate
    above ``max_rate`` with at least ``min_rated`` judged answers."""
    firings = []
    for group in rates.groups:
        subject, name = _group_subject(rates.by, group)
        short, long = group.short, group.long
        facts = {
            "by": rates.by,
            "use_case_id": group.use_case_id,
            "model": group.model,
            "prompt_version_id": group.prompt_version_id,
            "short_error_rate": short.error_rate.value,
            "short_low": short.error_rate.low,
            "short_rated": short.rated,
            "short_flagged": short.flagged,
            "long_error_rate": long.error_rate.value,
            "long_rated": long.rated,
        }
        if t.worsening and group.worsening:
            firings.append(
                Firing(
                    RuleKind.ERROR_RATE,
                    subject,
                    "worsening",
                    "",
                    Severity.WARNING,
                    f"Error rate worsening: {name}",
                    f"The 7-day error rate of {name} is {_pct(short.error_rate.value)} "
                    f"({short.flagged} of {short.rated} judged answers flagged; 95 % interval "
                    f"from {_pct(short.error_rate.low)}), above the 90-day rate of "
                    f"{_pct(long.error_rate.value)}.",
                    facts,
                )
            )
        value = short.error_rate.value
        if (
            t.max_rate is not None
            and value is not None
            and short.rated >= t.min_rated
            and value > t.max_rate
        ):
            firings.append(
                Firing(
                    RuleKind.ERROR_RATE,
                    subject,
                    "above",
                    "",
                    Severity.WARNING,
                    f"Error rate above {_pct(t.max_rate)}: {name}",
                    f"The 7-day error rate of {name} is {_pct(value)} ({short.flagged} of "
                    f"{short.rated} judged answers flagged), above the threshold of "
                    f"{_pct(t.max_rate)}.",
                    facts | {"max_rate": t.max_rate},
                )
            )
    return firings


def budgets(uses: list[BudgetUse], t: BudgetThresholds) -> list[Firing]:
    """Every level crossed by a scope's month-to-date spend, once per month and level."""
    firings = []
    for use in uses:
        if use.budget_eur <= 0:
            continue  # a zero budget forbids spending; there is nothing to consume
        for level in t.levels:
            if use.spent_eur * 100 < use.budget_eur * level:
                continue
            label = use.scope.replace("_", " ")
            firings.append(
                Firing(
                    RuleKind.BUDGET,
                    f"{use.scope}:{use.target_id}",
                    str(level),
                    use.month,
                    Severity.CRITICAL if level >= 100 else Severity.WARNING,
                    f"Budget {level} % reached: {label} {use.name}",
                    f"The {label} {use.name} spent {use.spent_eur:.2f} EUR of its monthly "
                    f"budget of {use.budget_eur:.2f} EUR in {use.month} ({use.percent:.1f} %)"
                    + (FULL if level >= 100 else "."),
                    {
                        "scope": use.scope,
                        "target_id": use.target_id,
                        "name": use.name,
                        "budget_eur": str(use.budget_eur),
                        "spent_eur": str(use.spent_eur),
                        "percent": round(use.percent, 2),
                        "month": use.month,
                    },
                )
            )
    return firings


def sla(report: SlaReport, t: SlaThresholds) -> list[Firing]:
    """Models whose measured SLA breaches the inventory's, over enough calls."""
    return [
        Firing(
            RuleKind.SLA,
            f"model:{row.model}",
            "breach",
            "",
            Severity.WARNING,
            f"SLA breach: {row.model} ({row.provider})",
            f"Over the last {t.days} day(s), {row.model} from {row.provider}: "
            + "; ".join(row.breaches)
            + f" ({row.failures} failures in {row.calls} calls).",
            {
                "model": row.model,
                "provider": row.provider,
                "calls": row.calls,
                "failures": row.failures,
                "availability_pct": row.availability_pct,
                "latency_p95_ms": row.latency_p95_ms,
                "contracted_availability_pct": row.contracted_availability_pct,
                "contracted_latency_p95_ms": row.contracted_latency_p95_ms,
                "breaches": row.breaches,
                "since": report.since.isoformat(),
            },
        )
        for row in report.models
        if row.breaches and row.calls >= t.min_calls
    ]


def drifts(found: list[DriftView]) -> list[Firing]:
    """Each open drift, once."""
    return [
        Firing(
            RuleKind.CANARY_DRIFT,
            f"drift:{d.id}",
            "drift",
            "",
            Severity.WARNING,
            f"Canary drift: {d.model} changed ({', '.join(d.metrics)})",
            f"The canary of {d.model} (run {d.run_id} against baseline run "
            f"{d.baseline_run_id}) detected a change in {', '.join(d.metrics)} at "
            f"{_at(d.detected_at)}: the model behind the same name may have been swapped.",
            {
                "drift_id": d.id,
                "model": d.model,
                "run_id": d.run_id,
                "baseline_run_id": d.baseline_run_id,
                "metrics": list(d.metrics),
                "detected_at": d.detected_at.isoformat(),
            },
        )
        for d in found
        if d.status.value == "open"
    ]


def _at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
