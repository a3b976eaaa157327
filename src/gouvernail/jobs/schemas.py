"""What the jobs API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from gouvernail.jobs.models import JobStatus

NAME = r"^[a-z0-9][a-z0-9._-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobIn(_Strict):
    """A job asked for now (or at ``run_after``)."""

    kind: str = Field(min_length=1, max_length=64, description="See GET /api/v1/jobs/kinds.")
    parameters: dict[str, Any] = Field(default_factory=dict)
    run_after: AwareDatetime | None = Field(None, description="Not before (default: now).")
    priority: int = Field(0, ge=-10, le=10, description="Higher runs first.")


class JobView(BaseModel):
    id: int
    kind: str
    parameters: dict[str, Any]
    status: JobStatus
    priority: int
    run_after: datetime
    attempts: int
    max_attempts: int
    worker: str | None
    lease_expires_at: datetime | None
    cancel_requested: bool
    requested_by: int | None
    schedule_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None


class KindView(BaseModel):
    name: str
    summary: str
    parameters: dict[str, Any] = Field(description="The parameters' JSON schema.")
    on_demand: bool = Field(description="Whether POST /api/v1/jobs and schedules may ask for it.")
    right: str | None = Field(description="resource:action needed to ask for it.")
    max_attempts: int


class ScheduleIn(_Strict):
    """Run a kind on a cron expression (five fields, UTC) or every N minutes — one of the two."""

    kind: str = Field(min_length=1, max_length=64)
    parameters: dict[str, Any] = Field(default_factory=dict)
    cron: str | None = Field(None, max_length=120, examples=["0 6 * * 1-5"])
    every_minutes: int | None = Field(None, ge=1, le=525_600)
    enabled: bool = True

    @model_validator(mode="after")
    def _one_timing(self) -> ScheduleIn:
        if (self.cron is None) == (self.every_minutes is None):
            raise ValueError("give either cron (five fields, UTC) or every_minutes, not both")
        return self


class ScheduleView(BaseModel):
    id: int
    name: str
    kind: str
    parameters: dict[str, Any]
    cron: str | None
    every_minutes: int | None
    enabled: bool
    next_run_at: datetime
    last_job_id: int | None
    owner_id: int | None
    version: int
    updated_at: datetime
