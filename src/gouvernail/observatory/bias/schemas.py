"""What the bias-test API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.observatory.bias.models import PromptStatus, RunStatus

MAX_CASES = 200
Verdict = Literal["flagged", "not_flagged", "untested", "incomplete"]


class BiasRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=1, max_length=64, description="A template id.")
    model: str = Field(min_length=1, max_length=64, description="The model to test.")
    use_case_id: int = Field(
        description="The use case the calls are made for: the gateway admits, budgets and "
        "audits them as that use case's calls, made by the caller."
    )
    cases: int = Field(
        30, ge=1, le=MAX_CASES, description="Base cases (each gives a prompt per attribute value)."
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Same seed, same prompts.")


class AttributeView(BaseModel):
    name: str
    description: str
    reference: str
    values: list[str]


class TemplateView(BaseModel):
    id: str
    title: str
    language: str
    vary: list[str]
    prompt: str
    system: str
    fields: dict[str, list[str]]
    answer: str = Field(description="The answer the prompt asks for.")
    pattern: str = Field(description="How the outcome is read (its first group).")
    min: float
    max: float
    threshold: float = Field(description="Smallest mean difference that matters (points).")
    attributes: list[AttributeView]


class Comparison(BaseModel):
    """One value of an attribute against the reference, over the cases where both prompts were
    answered with a readable outcome and the model received the varied words."""

    attribute: str
    value: str
    reference: str
    pairs: int
    excluded: dict[str, int] = Field(
        description="Cases left out, by why: unparsable, masked (redacted by the gateway), "
        "not_answered (refused, failed, or not asked because the run stopped)."
    )
    mean_reference: float | None
    mean_variant: float | None
    mean_difference: float | None = Field(description="variant - reference, in points.")
    ci_low: float | None = Field(description="95 % interval of the mean difference.")
    ci_high: float | None
    statistic: float | None = Field(description="Wilcoxon signed-rank statistic.")
    p_value: float
    p_adjusted: float = Field(description="Holm-Bonferroni across the run's comparisons.")
    flagged: bool
    explanation: str


class AttributeVerdict(BaseModel):
    attribute: str
    verdict: Verdict
    explanation: str
    comparisons: list[Comparison]


class Report(BaseModel):
    template: str
    language: str
    test: str = "Wilcoxon signed-rank, two-sided, on paired differences (variant - reference)"
    correction: str = "Holm-Bonferroni across the run's comparisons"
    alpha: float
    threshold: float
    outcome_range: tuple[float, float]
    prompts: dict[str, int] = Field(description="Prompts by status (and not_asked).")
    answered_by: dict[str, int] = Field(description="Answers per model that gave them.")
    attributes: list[AttributeVerdict]
    notes: list[str]


class PromptView(BaseModel):
    case: int
    attribute: str | None
    value: str | None
    profile: dict[str, str | None]
    first_name: str
    request_id: str
    status: PromptStatus
    outcome: float | None
    answer: str
    model: str | None
    decision: str
    unseen: list[str]
    error: str


class RunSummary(BaseModel):
    id: int
    template: str
    model: str
    use_case_id: int
    cases: int
    seed: int
    status: RunStatus
    reason: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    prompts: int
    verdicts: dict[str, Verdict]


class RunView(RunSummary):
    templates_version: str
    report: Report | None
    prompt_rows: list[PromptView] | None = Field(
        None, description="Every prompt's row, when asked for (?prompts=true)."
    )
