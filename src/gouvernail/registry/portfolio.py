"""The prioritisation score of the portfolio: value, feasibility and risk, weighted.

    score = 100 * (w_value * V + w_feasibility * F + w_risk * (1 - R))
                / (w_value + w_feasibility + w_risk)

* V, value: the qualification's expected value (1-5) mapped to 0-1.
* F, feasibility: the mean of data readiness (mean data score of all sources, 1-5) and skills
  available (1-5), mapped to 0-1.
* R, risk: the larger of the EU AI Act tier (minimal 0, limited 0.25, high 0.75, prohibited 1,
  not yet classified 0.5) and the worst risk of the register still not closed (its residual
  score, or its inherent score when no residual is recorded, divided by 25).

The weights are settings (``portfolio_weights``), documented in the README. A use case whose
qualification is not answered has no score yet (``None``), rather than a made-up one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from gouvernail.registry.lifecycle import Facts

TIER_RISK = {"minimal": 0.0, "limited": 0.25, "high": 0.75, "prohibited": 1.0}
UNCLASSIFIED_RISK = 0.5


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(default=0.4, ge=0)
    feasibility: float = Field(default=0.35, ge=0)
    risk: float = Field(default=0.25, ge=0)

    @model_validator(mode="after")
    def _some(self) -> Weights:
        if self.value + self.feasibility + self.risk <= 0:
            raise ValueError("at least one portfolio weight must be positive")
        return self


def _unit(score: float) -> float:
    return (score - 1) / 4


def priority_score(facts: Facts, weights: Weights) -> float | None:
    q = facts.qualification
    if q.value is None or q.skills is None:
        return None
    readiness = q.data_readiness if q.data_readiness is not None else 1.0
    value = _unit(q.value)
    feasibility = (_unit(readiness) + _unit(q.skills)) / 2
    risk = TIER_RISK.get(facts.tier or "", UNCLASSIFIED_RISK)
    if facts.worst_risk_score is not None:
        risk = max(risk, facts.worst_risk_score / 25)
    total = weights.value + weights.feasibility + weights.risk
    raw = weights.value * value + weights.feasibility * feasibility + weights.risk * (1 - risk)
    return round(100 * raw / total, 1)
