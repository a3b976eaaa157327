"""The GxP view of a use case: FDA model risk and the draft EU GMP Annex 22 rule.

Deciding only: given the facts of an assessment, the rule set (``gxp_rules.yaml``, versioned
data) says what the model risk is, which credibility activities it calls for and whether
Annex 22 allows the use. The assessment service stores the verdicts with the rule-set version.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

RULES_FILE = Path(__file__).with_name("gxp_rules.yaml")


class Grade(StrEnum):
    """Low, medium or high: model influence, decision consequence and model risk."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class GmpCriticality(StrEnum):
    """Critical: direct impact on patient safety, product quality or data integrity.
    ``not_gmp``: GxP-relevant outside manufacturing (e.g. pharmacovigilance), or not GxP."""

    CRITICAL = "critical"
    NON_CRITICAL = "non_critical"
    NOT_GMP = "not_gmp"


class Facts(BaseModel):
    """What the Annex 22 rules look at."""

    model_config = ConfigDict(frozen=True)

    gmp: GmpCriticality
    generative: bool
    dynamic: bool
    human_in_the_loop: bool


class Condition(BaseModel):
    """A rule matches when every fact it names has one of the values given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gmp: list[GmpCriticality] | None = None
    generative: bool | None = None
    dynamic: bool | None = None
    human_in_the_loop: bool | None = None

    def matches(self, facts: Facts) -> bool:
        return (
            (self.gmp is None or facts.gmp in self.gmp)
            and (self.generative is None or facts.generative == self.generative)
            and (self.dynamic is None or facts.dynamic == self.dynamic)
            and (
                self.human_in_the_loop is None or facts.human_in_the_loop == self.human_in_the_loop
            )
        )


class Annex22Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(max_length=80)
    when: Condition
    allowed: bool
    reason: str


class Annex22Verdict(BaseModel):
    """Whether draft Annex 22 allows the use, the rule that decided and why."""

    allowed: bool
    rule: str
    reason: str


class GxpRules(BaseModel):
    """The rule set, validated when loaded: all nine matrix cells, activities for every model
    risk level, and Annex 22 rules that end with a rule for every GMP criticality."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(max_length=80)
    sources: dict[str, str]
    model_risk: dict[Grade, dict[Grade, Grade]]
    credibility_activities: dict[Grade, list[str]]
    annex22: list[Annex22Rule]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for consequence in Grade:
            row = self.model_risk.get(consequence, {})
            missing = [influence.value for influence in Grade if influence not in row]
            if missing:
                raise ValueError(f"model_risk.{consequence.value} lacks influence {missing}")
            if consequence not in self.credibility_activities:
                raise ValueError(f"credibility_activities lacks {consequence.value}")
        for gmp in GmpCriticality:
            for generative in (False, True):
                for dynamic in (False, True):
                    for human in (False, True):
                        facts = Facts(
                            gmp=gmp, generative=generative, dynamic=dynamic, human_in_the_loop=human
                        )
                        if not any(rule.when.matches(facts) for rule in self.annex22):
                            raise ValueError(f"no annex22 rule decides {facts.model_dump()}")
        return self

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> GxpRules:
        try:
            return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise ValueError(f"invalid GxP rule set {path}: {error}") from None

    @classmethod
    def builtin(cls) -> GxpRules:
        """The shipped rule set, parsed once per process (it is immutable data)."""
        return _builtin()

    def model_risk_of(self, influence: Grade, consequence: Grade) -> Grade:
        """FDA step 3: the model risk of a context of use."""
        return self.model_risk[consequence][influence]

    def activities_for(self, risk: Grade) -> list[str]:
        """FDA step 4: the credibility activities expected at this model risk (cumulative)."""
        levels = list(Grade)[: list(Grade).index(risk) + 1]
        return [item for level in levels for item in self.credibility_activities[level]]

    def annex22_verdict(self, facts: Facts) -> Annex22Verdict:
        rule = next(rule for rule in self.annex22 if rule.when.matches(facts))
        return Annex22Verdict(allowed=rule.allowed, rule=rule.id, reason=rule.reason)


@cache
def _builtin() -> GxpRules:
    return GxpRules.load()
