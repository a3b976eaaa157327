"""What the value API reads and returns.

Every figure of a report says where it comes from: ``declared`` (typed in by a person, who and
when are shown), ``measured`` (a key result's measured value, a before/after study, the request
log), or ``setting``. Money is in euros."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Label = Literal["declared", "measured"]
Method = Literal["declared", "key_result", "study"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DeclaredTime(_In):
    """Someone estimates the minutes one task saves (labelled declared, with who and when)."""

    method: Literal["declared"] = "declared"
    minutes_saved_per_task: float = Field(ge=0, le=100_000)


class KeyResultTime(_In):
    """Measured: the linked key result's baseline minus its measured value (read live)."""

    method: Literal["key_result"] = "key_result"


class StudyTime(_In):
    """Measured: tasks timed before and after AI (a before/after study)."""

    method: Literal["study"] = "study"
    before_minutes: float = Field(gt=0, le=100_000, description="Mean minutes per task without AI.")
    after_minutes: float = Field(ge=0, le=100_000, description="Mean minutes per task with AI.")
    tasks_timed: int = Field(ge=1, le=1_000_000, description="Tasks timed in the study.")
    note: str = Field("", max_length=2000, description="Who timed what, when, how.")


TimeSaved = Annotated[DeclaredTime | KeyResultTime | StudyTime, Field(discriminator="method")]


class ValueModelIn(_In):
    """A use case's value model, set as a whole (``version``: the current one when replacing)."""

    key_result_id: int | None = Field(
        None,
        description="A key result of the use case in minutes per task: its baseline is the "
        "baseline (leave baseline_minutes_per_task empty), its measured value the time with AI.",
    )
    baseline_minutes_per_task: float | None = Field(
        None, gt=0, le=100_000, description="Minutes one task takes without AI."
    )
    tasks_per_month: float | None = Field(
        None, ge=0, le=1e9, description="Declared tasks per month (or give calls_per_task)."
    )
    calls_per_task: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Measured tasks: the use case's answered calls divided by this.",
    )
    hourly_cost_eur: Money | None = Field(
        None, description="Loaded hourly cost of the people doing the task (default: setting)."
    )
    time_saved: TimeSaved
    redeployed_share: float = Field(
        0,
        ge=0,
        le=1,
        description="Declared share of the freed hours actually redeployed or cut: only that "
        "share counts as savings realised.",
    )
    redeployment_note: str = Field(
        "", max_length=2000, description="Where the freed hours went (required above 0)."
    )
    target_users: int | None = Field(None, ge=1, le=10_000_000, description="For adoption rate.")
    licence_eur_per_month: Money = Field(
        Decimal(0),
        description="Licences and seats per month, used when the licence register ties no tool "
        "priced in EUR to the use case.",
    )
    hosting_eur_per_month: Money = Decimal(0)
    support_eur_per_month: Money = Decimal(0)
    build_cost_eur: Money = Field(Decimal(0), description="One-off cost the payback repays.")
    version: int | None = Field(None, ge=1, description="Required to replace an existing model.")
    reason: str = Field(min_length=1, max_length=2000, description="Why it is set or changed.")

    @model_validator(mode="after")
    def _one_source_each(self) -> ValueModelIn:
        if (self.key_result_id is None) == (self.baseline_minutes_per_task is None):
            raise ValueError(
                "give either key_result_id (its baseline is the baseline) or "
                "baseline_minutes_per_task, not both and not neither"
            )
        if (self.tasks_per_month is None) == (self.calls_per_task is None):
            raise ValueError(
                "give either tasks_per_month (declared) or calls_per_task (measured from the "
                "request log), not both and not neither"
            )
        if isinstance(self.time_saved, KeyResultTime) and self.key_result_id is None:
            raise ValueError("time_saved by key_result needs key_result_id")
        if self.redeployed_share > 0 and not self.redeployment_note:
            raise ValueError(
                "redeployment_note must say where the freed hours went when redeployed_share > 0"
            )
        return self


class TimeSavedView(BaseModel):
    minutes_per_task: float
    label: Label
    method: Method
    by: str = Field(description="Who declared or recorded it.")
    at: datetime
    detail: str


class ValueModelView(BaseModel):
    use_case_id: int
    key_result_id: int | None
    baseline_minutes_per_task: float | None
    tasks_per_month: float | None
    calls_per_task: float | None
    hourly_cost_eur: Money | None
    time_saved: DeclaredTime | KeyResultTime | StudyTime
    redeployed_share: float
    redeployment_note: str
    target_users: int | None
    licence_eur_per_month: Money
    hosting_eur_per_month: Money
    support_eur_per_month: Money
    build_cost_eur: Money
    version: int
    updated_by: str
    updated_at: datetime


class Sourced(BaseModel):
    """A figure and where it comes from."""

    value: float
    source: str


class Count(BaseModel):
    name: str
    active_users: int


class Adoption(BaseModel):
    days: int
    active_users: int = Field(description="People with at least one answered call.")
    target_users: int | None
    rate: float | None = Field(description="active_users / target_users.")
    by_department: list[Count]
    by_level: list[Count]


class Costs(BaseModel):
    """Over the period: tokens measured in the request log, the rest declared per month."""

    tokens_eur: float
    calls: int
    licences_eur: float
    hosting_eur: float
    support_eur: float
    total_eur: float
    build_cost_eur: float


class Results(BaseModel):
    hours_freed: float = Field(description="Tasks x minutes saved: time, not money.")
    hours_freed_value_eur: float = Field(
        description="What the freed hours cost: not a saving until they are redeployed or cut."
    )
    redeployed_share: float = Field(description="Declared.")
    savings_realised_eur: float = Field(description="hours_freed_value x redeployed_share.")
    net_eur: float = Field(description="savings_realised - costs.")
    roi: float | None = Field(description="(savings_realised - costs) / costs; None: no cost.")
    payback_months: float | None = Field(
        description="build_cost / monthly net; None when the monthly net is not positive."
    )


class ValueReport(BaseModel):
    use_case_id: int
    use_case: str
    status: str
    since: datetime
    until: datetime
    days: int
    model: ValueModelView
    baseline_minutes_per_task: Sourced
    baseline_cost_per_task_eur: float
    hourly_cost_eur: Sourced
    tasks: Sourced = Field(description="Tasks in the period (declared or measured).")
    time_saved: TimeSavedView
    adoption: Adoption
    costs: Costs
    results: Results
    notes: list[str]
