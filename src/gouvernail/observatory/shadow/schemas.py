"""What the shadow-AI API reads and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gouvernail.inventory.values import LockIn
from gouvernail.observatory.shadow.catalogue import Category, check_domain, check_pattern

LogFormat = Literal["squid", "zscaler", "csv", "jsonl"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Hosts(_Strict):
    domains: list[str] | None = Field(
        default=None, max_length=200, description="Each matches itself and its subdomains."
    )
    patterns: list[str] | None = Field(
        default=None, max_length=50, description="Shell-style globs over the whole host."
    )

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [check_domain(d) for d in value]

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [check_pattern(p) for p in value]


class ServiceIn(_Hosts):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    name: str = Field(min_length=1, max_length=200)
    vendor: str = Field(min_length=1, max_length=200)
    category: Category = "other"
    api: bool = Field(
        False, description="A model provider's API (direct calls bypass the gateway)."
    )
    sanctioned: bool = False
    note: str = Field("", max_length=4000)


class ServicePatch(_Hosts):
    version: int = Field(description="The version you read; 409 if someone changed it since.")
    reason: str = Field(min_length=3, max_length=2000, description="Why (kept in the audit trail).")
    name: str | None = Field(None, min_length=1, max_length=200)
    vendor: str | None = Field(None, min_length=1, max_length=200)
    category: Category | None = None
    api: bool | None = None
    sanctioned: bool | None = None
    note: str | None = Field(None, max_length=4000)


class ServiceView(BaseModel):
    slug: str
    name: str
    vendor: str
    category: str
    domains: list[str]
    patterns: list[str]
    api: bool
    sanctioned: bool
    note: str
    origin: str
    version: int
    updated_at: datetime


class Example(BaseModel):
    line: str
    why: str


class ImportView(BaseModel):
    id: int
    name: str
    format: str
    size: int
    status: str
    digest: str | None
    lines: int
    malformed: int
    requests: int
    ai_requests: int
    examples: list[Example]
    log_from: datetime | None
    log_to: datetime | None
    segments_done: int
    bytes_done: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float
    error: str
    resumed: bool = Field(False, description="This run went on from an earlier one.")


class Day(BaseModel):
    day: date
    requests: int


class ServiceUsage(BaseModel):
    slug: str
    name: str
    vendor: str
    category: str
    api: bool
    sanctioned: bool
    severity: Literal["critical", "warning", "info"]
    """critical: a model API called directly (bypassing the gateway); warning: not sanctioned."""
    requests: int
    people: int
    departments: int
    bytes_up: int | None
    bytes_down: int
    first_seen: datetime
    last_seen: datetime
    trend: list[Day]


class DepartmentUsage(BaseModel):
    department: str
    requests: int
    unsanctioned_requests: int
    people: int
    services: int
    bytes_up: int | None


class PersonUsage(BaseModel):
    identity: str
    username: str | None
    department: str
    requests: int
    unsanctioned_requests: int
    services: list[str]
    bytes_up: int | None
    first_seen: datetime
    last_seen: datetime


class Finding(BaseModel):
    kind: Literal["direct_api", "large_upload"]
    severity: Literal["critical", "high"]
    identity: str
    department: str
    service: str
    requests: int
    bytes_up: int | None
    first_seen: datetime
    last_seen: datetime
    explanation: str


class Report(BaseModel):
    since: date
    until: date
    department: str | None
    requests: int
    people: int
    services: list[ServiceUsage]
    departments: list[DepartmentUsage]
    top_people: list[PersonUsage]
    findings: list[Finding]
    days: list[Day]


class AdoptIn(_Strict):
    as_: Literal["use_case", "vendor"] = Field(alias="as")
    justification: str = Field(
        "",
        max_length=5000,
        description="For a use case: why it is not a duplicate of a similar one (when asked).",
    )
    country: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="For a vendor: its contracting entity's country."
    )
    lock_in: LockIn | None = Field(None, description="For a vendor: how hard leaving it would be.")
    slug: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$", description="For a vendor: its slug."
    )


class AdoptView(BaseModel):
    service: str
    use_case_id: int | None = None
    vendor: str | None = None
