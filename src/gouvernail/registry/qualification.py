"""Qualification of an idea (responsible-AI method) and the AI-versus-automation check.

Qualification asks whether the idea is tied to a priority objective, whether its data is there
(available, relevant, complete, recent: scored 1-5 per data source), whether each source has a
named data owner, and whether the benefit is measurable and validated by stakeholders.

The AI-versus-automation check asks what the task really needs. When fixed rules would do and
nothing calls for learning, adaptation, autonomy or unstructured input, it recommends plain
automation: AI on a task that rules solve costs more, errs more and is harder to audit.
The question texts (French and English) live in ``data/questions.yaml``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from statistics import mean
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

QUESTIONS = Path(__file__).with_name("data") / "questions.yaml"
DATA_SCORES = ("available", "relevance", "completeness", "recency")
MIN_DATA_SCORE = 3  # below "fair" on any data score, the data is not ready


class QualificationAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tied_to_priority_objective: bool
    priority_objective: str = Field(default="", max_length=500)
    benefit_measurable: bool
    benefit_validated_by_stakeholders: bool
    stakeholders: str = Field(default="", max_length=1000)
    expected_value: int = Field(ge=1, le=5, description="Business value if it works, 1-5.")
    skills_available: int = Field(ge=1, le=5, description="Skills to build and run it, 1-5.")

    @model_validator(mode="after")
    def _named(self) -> QualificationAnswers:
        if self.tied_to_priority_objective and not self.priority_objective.strip():
            raise ValueError("priority_objective: name the priority objective it serves")
        if self.benefit_validated_by_stakeholders and not self.stakeholders.strip():
            raise ValueError("stakeholders: name the stakeholders who validated the benefit")
        return self


class AutomationAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules_expressible: bool = Field(description="Could a fixed set of rules do the job?")
    learns_from_data: bool = Field(description="Must it learn patterns from examples?")
    needs_adaptation: bool = Field(description="Must it adapt to inputs that keep changing?")
    needs_autonomy: bool = Field(description="Must it act or decide without a script?")
    unstructured_inputs: bool = Field(
        description="Does it read free text, speech or images that rules cannot parse?"
    )
    ai_justification: str = Field(
        default="",
        max_length=2000,
        description="Why AI anyway, when the check recommends plain automation.",
    )


class Verdict(StrEnum):
    AI = "ai"
    HYBRID = "hybrid"
    AUTOMATION = "automation"


class AutomationVerdict(BaseModel):
    verdict: Verdict
    explanation: list[str]
    overridden: bool = False


AI_TRAITS = {
    "learns_from_data": "it must learn patterns from examples",
    "needs_adaptation": "it must adapt to inputs that keep changing",
    "needs_autonomy": "it must act without a fixed script",
    "unstructured_inputs": "it reads free text, speech or images",
}


def automation_verdict(answers: AutomationAnswers) -> AutomationVerdict:
    """AI, hybrid (rules plus AI where rules fail) or plain automation, with the reasons."""
    traits = [text for name, text in AI_TRAITS.items() if getattr(answers, name)]
    if not traits:
        if answers.rules_expressible:
            explanation = [
                "fixed rules can do the job and nothing calls for learning, adaptation, "
                "autonomy or unstructured input: use plain automation (workflow, RPA, rules)"
            ]
        else:
            explanation = [
                "no rule set is known, but nothing calls for AI either: "
                "redesign the process first, then revisit"
            ]
        overridden = bool(answers.ai_justification.strip())
        if overridden:
            explanation.append(f"AI kept anyway: {answers.ai_justification.strip()}")
        return AutomationVerdict(
            verdict=Verdict.AUTOMATION, explanation=explanation, overridden=overridden
        )
    if answers.rules_expressible:
        return AutomationVerdict(
            verdict=Verdict.HYBRID,
            explanation=[
                "part of the task follows fixed rules: automate that part plainly",
                "use AI only where " + "; ".join(traits),
            ],
        )
    return AutomationVerdict(
        verdict=Verdict.AI, explanation=["AI is warranted: " + "; ".join(traits)]
    )


class SourceQuality(BaseModel):
    name: str
    owner_named: bool
    scores: dict[str, int | None]


class QualificationResult(BaseModel):
    """Where the idea stands: the gaps that block qualification, and the readiness scores."""

    answered: bool
    gaps: list[str]
    data_readiness: float | None = Field(description="Mean data score of all sources, 1-5.")
    value: int | None
    skills: int | None


def assess(
    answers: QualificationAnswers | None,
    sources: list[SourceQuality],
    key_results: int,
) -> QualificationResult:
    gaps: list[str] = []
    if answers is None:
        gaps.append("the qualification questions are not answered")
    else:
        if not answers.tied_to_priority_objective:
            gaps.append("the idea is not tied to a priority objective")
        if not answers.benefit_measurable:
            gaps.append("the benefit is not measurable")
        if not answers.benefit_validated_by_stakeholders:
            gaps.append("the benefit is not validated by stakeholders")
    if key_results == 0:
        gaps.append("the objective has no key result (baseline, target, unit, date)")
    if not sources:
        gaps.append("no data source is declared")
    values: list[int] = []
    for source in sources:
        if not source.owner_named:
            gaps.append(f"data source {source.name!r} has no named data owner")
        for name in DATA_SCORES:
            score = source.scores.get(name)
            if score is None:
                gaps.append(f"data source {source.name!r}: {name} is not scored")
            else:
                values.append(score)
                if score < MIN_DATA_SCORE:
                    gaps.append(
                        f"data source {source.name!r}: {name} scores {score}/5 "
                        f"(at least {MIN_DATA_SCORE} needed)"
                    )
    return QualificationResult(
        answered=answers is not None,
        gaps=gaps,
        data_readiness=round(mean(values), 2) if values else None,
        value=answers.expected_value if answers else None,
        skills=answers.skills_available if answers else None,
    )


@cache
def questions() -> dict[str, Any]:
    """The question texts in French and English, for the portal and API clients."""
    loaded: dict[str, Any] = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return loaded
