"""What the canary API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.observatory.canaries.models import DriftStatus, RunStatus, SampleStatus

MAX_SAMPLES = 10
MetricName = Literal[
    "similarity", "refusal_rate", "length", "latency", "system_fingerprint", "provider_model"
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CanaryConfigIn(_In):
    enabled: bool = Field(True, description="Scheduled runs (run_due) and runs on demand.")
    prompt_set: str = Field(
        "standard", min_length=1, max_length=64, description="A prompt set id (GET prompt-sets)."
    )
    samples: int = Field(
        1, ge=1, le=MAX_SAMPLES, description="How many times each prompt is asked per run."
    )
    use_case_id: int = Field(
        description="The use case the calls are made for: the gateway admits, budgets and "
        "audits them as that use case's calls."
    )
    acting_for: int = Field(
        description="The user id of the person the calls are made for: someone who may run "
        "canaries (an AI or security referent), who accepted the charter."
    )
    every_hours: int = Field(
        24, ge=1, le=24 * 31, description="Schedule hint: run when the last run is this old."
    )
    reason: str = Field(min_length=3, max_length=2000, description="Why (audited).")


class CanaryRunIn(_In):
    model: str = Field(min_length=1, max_length=64, description="The model watched.")
    key: str | None = Field(
        None,
        min_length=1,
        max_length=120,
        description="Idempotency key (a scheduler's slot): a run with this key already ended "
        "is returned as it is, without new calls.",
    )


class ReasonIn(_In):
    reason: str = Field(min_length=3, max_length=2000, description="Why (audited).")


class BaselineIn(ReasonIn):
    run_id: int = Field(description="A complete run of this model.")


class PromptView(BaseModel):
    id: str
    language: str
    kind: str
    prompt: str
    system: str
    max_tokens: int
    refuse: bool


class PromptSetView(BaseModel):
    id: str
    title: str
    version: str = Field(description="The version of the prompts file (shipped+company).")
    prompts: list[PromptView]


class ConfigView(BaseModel):
    model: str
    enabled: bool
    prompt_set: str
    samples: int
    use_case_id: int
    acting_for: int
    acting_for_name: str
    every_hours: int
    baseline_run_id: int | None
    version: int
    updated_at: datetime
    last_run_id: int | None
    last_run_at: datetime | None
    due: bool = Field(description="Enabled, and no run started within every_hours.")
    open_drifts: int


class Metric(BaseModel):
    """One metric of a run against its baseline."""

    name: MetricName
    test: str
    baseline: float | None = Field(description="The baseline's value (see `unit`).")
    current: float | None = Field(description="This run's value.")
    unit: str
    effect: float | None = Field(description="The effect size (see `effect_name`).")
    effect_name: str
    n_baseline: int
    n_current: int
    p_value: float | None = Field(description="None for the exact comparisons.")
    p_adjusted: float | None = Field(description="Holm-Bonferroni across the tested metrics.")
    values_baseline: list[str] = Field(default_factory=list, description="Exact metrics only.")
    values_current: list[str] = Field(default_factory=list, description="Exact metrics only.")
    changed: bool
    explanation: str


class PromptComparison(BaseModel):
    """One prompt of a run against its baseline answers."""

    prompt_id: str
    similarity: float = Field(description="Mean similarity of the answers to the baseline's.")
    baseline_similarity: float = Field(
        description="Mean similarity of the baseline's answers among themselves (1 with one)."
    )
    baseline_length: float = Field(description="Median characters in the baseline.")
    length: float = Field(description="Median characters now.")
    baseline_refusals: int
    refusals: int
    samples: int


class Comparison(BaseModel):
    run_id: int
    baseline_run_id: int
    prompts_compared: int
    alpha: float
    correction: str = "Holm-Bonferroni across the tested metrics (similarity, refusal rate, "
    "length, latency)"
    changed: list[MetricName]
    metrics: list[Metric]
    prompts: list[PromptComparison]
    notes: list[str]


class SampleView(BaseModel):
    prompt_id: str
    sample: int
    request_id: str
    status: SampleStatus
    answer: str
    length: int | None
    refusal: bool | None
    latency_ms: float | None
    fingerprint: str | None
    provider_model: str | None
    answered_by: str | None
    finish_reason: str | None
    decision: str
    error: str


class RunSummary(BaseModel):
    id: int
    model: str
    key: str | None
    prompt_set: str
    prompts_version: str
    samples: int
    calls: int
    use_case_id: int
    acting_for: int
    started_by: str
    status: RunStatus
    reason: str
    started_at: datetime
    finished_at: datetime | None
    baseline_run_id: int | None = Field(description="The baseline it was compared with.")
    is_baseline: bool = Field(description="The model's baseline now.")
    changed: list[MetricName]
    drift_id: int | None


class CanaryRunView(RunSummary):
    calls_by_status: dict[str, int]
    comparison: Comparison | None
    sample_rows: list[SampleView] | None = Field(
        None, description="Every call's row, when asked for (?samples=true)."
    )


class DriftView(BaseModel):
    id: int
    model: str
    run_id: int
    baseline_run_id: int
    metrics: list[MetricName]
    detected_at: datetime
    status: DriftStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    comparison: Comparison
