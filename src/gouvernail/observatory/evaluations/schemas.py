"""What the evaluation API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.observatory.evaluations.models import ResultStatus, RunStatus

MODEL_NAME = Field(min_length=1, max_length=64)


class SuiteImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_case_id: int
    name: str = Field(
        min_length=1, max_length=100, pattern=r"^[\w .-]+$", description="The suite's name."
    )
    format: Literal["jsonl", "yaml", "promptfoo"] = Field(
        description="jsonl (one case a line), yaml (our cases, or a promptfoo file detected by "
        "its `tests`), promptfoo."
    )
    content: str = Field(min_length=1, description="The file's text.")
    source: str = Field("", max_length=200, description="The file name, for the record.")


class DatasetVersionView(BaseModel):
    id: int
    suite_id: int
    version: int
    sha256: str
    format: str
    source: str
    description: str
    cases: int
    scorers: list[str]
    imported_by: str
    imported_at: datetime
    unchanged: bool = Field(
        False, description="Importing the same cases again changes nothing: this version."
    )
    case_rows: list[dict[str, Any]] | None = Field(None, description="The cases, when asked.")


class SuiteView(BaseModel):
    id: int
    use_case_id: int
    name: str
    created_by: str
    created_at: datetime
    versions: list[DatasetVersionView] = Field(description="Newest first.")


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite_id: int
    version: int | None = Field(None, ge=1, description="Dataset version (default: the latest).")
    model: str = MODEL_NAME
    prompt_version_id: int | None = Field(
        None, description="A prompt version of the same use case, applied as the system prompt."
    )
    judge_model: str | None = Field(
        None, min_length=1, max_length=64, description="Grades `rubric` assertions."
    )
    embedding_model: str | None = Field(
        None, min_length=1, max_length=64, description="Embeds for `similarity` assertions."
    )


class GateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_case_id: int
    prompt_version_id: int | None = Field(None, description="Candidate prompt version.")
    baseline_version_id: int | None = Field(
        None, description="The version in production (default: the one the registry labels)."
    )
    model: str | None = Field(None, min_length=1, max_length=64, description="Candidate model.")
    baseline_model: str | None = Field(None, min_length=1, max_length=64)


class GateView(BaseModel):
    allowed: bool
    reason: str


class ScorerStats(BaseModel):
    assertions: int
    passed: int
    failed: int
    errors: int
    pass_rate: float | None
    mean_score: float | None


class Summary(BaseModel):
    cases: int
    scored: int
    passed: int
    failed: int
    errors: int
    missing: int
    pass_rate: float | None = Field(description="Passed / scored.")
    mean_score: float | None
    latency_ms_mean: float | None
    latency_ms_p95: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_eur: float
    answered_by: dict[str, int]
    by_scorer: dict[str, ScorerStats]


class AssertionResult(BaseModel):
    type: str
    name: str
    passed: bool | None
    score: float | None
    detail: str
    error: str


class ResultView(BaseModel):
    case_index: int
    case_id: str
    status: ResultStatus
    score: float | None
    output: str
    assertions: list[AssertionResult]
    request_ids: list[str]
    model: str | None
    latency_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_eur: float
    error: str
    attempts: int


class RunSummary(BaseModel):
    id: int
    use_case_id: int
    suite_id: int
    suite: str
    dataset_id: int
    dataset_version: int
    dataset_sha256: str
    model: str
    prompt_version_id: int | None
    prompt_version: str | None = Field(description="name v<version>")
    judge_model: str | None
    embedding_model: str | None
    status: RunStatus
    reason: str
    cases: int
    executions: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pass_rate: float | None


class RunView(RunSummary):
    summary: Summary
    results: list[ResultView] | None = Field(None, description="Each case's, when asked.")


class CaseChange(BaseModel):
    case_index: int
    case_id: str
    base: ResultStatus | None
    candidate: ResultStatus | None


class ComparisonView(BaseModel):
    base_run: int
    candidate_run: int
    dataset_id: int
    paired: int = Field(description="Cases scored in both runs.")
    unscored: int = Field(description="Cases not scored in one run or both (left out).")
    fixed: list[CaseChange]
    regressed: list[CaseChange]
    unchanged: int
    base_pass_rate: float | None
    candidate_pass_rate: float | None
    difference_points: float | None = Field(description="Candidate - base, percentage points.")
    test: str = "McNemar exact (binomial on the discordant pairs), two-sided"
    p_value: float
    threshold_points: float
    regression: bool = Field(description="The pass rate dropped by more than the threshold.")
    explanation: str
