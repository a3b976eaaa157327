"""The ROI arithmetic, pure: figures of a period in, hours freed, savings, ROI and payback out.

Monthly inputs (declared tasks, licences, hosting, support) count for ``days / MONTH_DAYS`` of a
month over a period of ``days`` days. Freed hours are time, not money: only the declared share
of them that is redeployed or cut becomes savings realised, and only savings enter the ROI.
The one-off build cost is repaid by the monthly net (the payback), it does not enter the ROI
of a period."""

from __future__ import annotations

from dataclasses import dataclass

MONTH_DAYS = 30
"""A month of the value report: 30 days (the observatory's default window)."""


@dataclass(frozen=True)
class Inputs:
    days: int
    tasks: float
    """Tasks done in the period."""
    minutes_saved_per_task: float
    hourly_cost_eur: float
    redeployed_share: float
    tokens_eur: float
    """Measured over the period."""
    licence_eur_per_month: float
    hosting_eur_per_month: float
    support_eur_per_month: float
    build_cost_eur: float


@dataclass(frozen=True)
class Outcome:
    hours_freed: float
    hours_freed_value_eur: float
    savings_realised_eur: float
    licences_eur: float
    hosting_eur: float
    support_eur: float
    costs_eur: float
    net_eur: float
    roi: float | None
    payback_months: float | None


def months(days: int) -> float:
    return days / MONTH_DAYS


def compute(inputs: Inputs) -> Outcome:
    share = months(inputs.days)
    hours = inputs.tasks * inputs.minutes_saved_per_task / 60
    value = hours * inputs.hourly_cost_eur
    savings = value * inputs.redeployed_share
    licences = inputs.licence_eur_per_month * share
    hosting = inputs.hosting_eur_per_month * share
    support = inputs.support_eur_per_month * share
    costs = inputs.tokens_eur + licences + hosting + support
    net = savings - costs
    monthly_net = net / share if share else 0.0
    return Outcome(
        hours_freed=hours,
        hours_freed_value_eur=value,
        savings_realised_eur=savings,
        licences_eur=licences,
        hosting_eur=hosting,
        support_eur=support,
        costs_eur=costs,
        net_eur=net,
        roi=net / costs if costs > 0 else None,
        payback_months=inputs.build_cost_eur / monthly_net if monthly_net > 0 else None,
    )
