"""What the registry takes in and gives back (API bodies and service results)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gouvernail.registry.models import Hosting, LinkKind, Sourcing
from gouvernail.registry.qualification import (
    AutomationAnswers,
    AutomationVerdict,
    QualificationAnswers,
    QualificationResult,
)

Text = Field(default="", max_length=20_000)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyResultIn(Strict):
    description: str = Field(min_length=3, max_length=1000)
    unit: str = Field(min_length=1, max_length=40)
    baseline: float
    target: float
    due_on: date

    @model_validator(mode="after")
    def _moves(self) -> KeyResultIn:
        if self.baseline == self.target:
            raise ValueError("target: a key result's target must differ from its baseline")
        return self


class DataSourceIn(Strict):
    name: str = Field(min_length=2, max_length=200)
    location: str = Field(default="", max_length=500)
    owner: str | None = Field(default=None, description="Username of the data owner.")
    data_class: str = Field(description="A data class of the charter in force.")
    available: int | None = Field(default=None, ge=1, le=5)
    relevance: int | None = Field(default=None, ge=1, le=5)
    completeness: int | None = Field(default=None, ge=1, le=5)
    recency: int | None = Field(default=None, ge=1, le=5)


class UseCaseFields(Strict):
    """The intake fields; every one optional in a patch."""

    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, min_length=10, max_length=20_000)
    business_problem: str | None = Field(default=None, max_length=20_000)
    current_process: str | None = Field(
        default=None, max_length=20_000, description="Today's workflow, step by step."
    )
    target_process: str | None = Field(
        default=None,
        max_length=20_000,
        description="The redesigned workflow (AI on a broken process amplifies it).",
    )
    objective: str | None = Field(default=None, max_length=5_000)
    key_results: list[KeyResultIn] | None = Field(default=None, max_length=20)
    department: str | None = Field(default=None, description="Team slug.")
    sponsor: str | None = Field(default=None, description="Username of the sponsor.")
    intended_users: str | None = Field(default=None, max_length=5_000)
    affected_people: str | None = Field(default=None, max_length=5_000)
    data_sources: list[DataSourceIn] | None = Field(default=None, max_length=50)
    expected_benefit: str | None = Field(default=None, max_length=5_000)
    sourcing: Sourcing | None = None
    preferred_hosting: Hosting | None = None


class UseCaseIn(UseCaseFields):
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=20_000)
    sourcing: Sourcing = Sourcing.STRATEGIC
    members: list[str] = Field(default_factory=list, max_length=100, description="Usernames.")
    duplicate_justification: str = Field(
        default="",
        max_length=5_000,
        description="Why this is not a duplicate of the similar use cases suggested at intake.",
    )


class UseCasePatch(UseCaseFields):
    version: int = Field(description="The version you read; 409 if someone changed it since.")
    reason: str = Field(default="", max_length=2_000)


class Versioned(Strict):
    version: int


class QualificationIn(Versioned):
    qualification: QualificationAnswers
    automation: AutomationAnswers


class ClassificationIn(Versioned):
    answers: dict[str, Any]
    on: date | None = None


class AdoptionPlan(Strict):
    communication: str = Field(min_length=3, max_length=5_000)
    training: str = Field(min_length=3, max_length=5_000)
    feedback_channel: str = Field(min_length=3, max_length=2_000)
    timeline: str = Field(min_length=3, max_length=5_000)


class DeploymentAnswers(Strict):
    fallback_procedure: str = Field(
        min_length=10,
        max_length=20_000,
        description="How the work is done without AI when it is switched off.",
    )
    fallback_last_rehearsed: date | None = None
    cybersecurity_measures: str = Field(min_length=10, max_length=20_000)
    human_oversight: str = Field(min_length=10, max_length=20_000)
    vendor_exit_plan: str = Field(default="", max_length=20_000)
    adoption_plan: AdoptionPlan


class DeploymentIn(Versioned):
    deployment: DeploymentAnswers


class TransitionIn(Strict):
    to: str
    reason: str = Field(min_length=3, max_length=5_000)
    version: int
    pilot_end_date: date | None = Field(default=None, description="Required to start a pilot.")


class MeasurementIn(Strict):
    measured_value: float
    measured_on: date
    note: str = Field(default="", max_length=2_000)


class LinkIn(Strict):
    target_id: int
    kind: LinkKind
    reason: str = Field(min_length=3, max_length=2_000)


class MergeIn(Strict):
    into: int
    reason: str = Field(min_length=3, max_length=2_000)


class JoinIn(Strict):
    reason: str = Field(
        default="joined at intake instead of submitting a duplicate", max_length=2_000
    )


class SimilarIn(Strict):
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=20_000)


class ApprovalIn(Strict):
    stage: str
    decision: str = Field(pattern="^(approve|reject)$")
    comment: str = Field(default="", max_length=5_000)
    password: str | None = None
    revision: int | None = Field(default=None, description="The revision you reviewed.")


# --- views ------------------------------------------------------------------------------------


class PersonRef(BaseModel):
    id: int
    username: str
    display_name: str


class KeyResultView(KeyResultIn):
    model_config = ConfigDict(extra="ignore")

    id: int
    measured_value: float | None
    measured_on: date | None
    measurement_note: str


class DataSourceView(BaseModel):
    id: int
    name: str
    location: str
    owner: PersonRef | None
    data_class: str
    available: int | None
    relevance: int | None
    completeness: int | None
    recency: int | None


class MemberView(PersonRef):
    role: str


class LinkView(BaseModel):
    id: int
    other_id: int
    other_title: str
    kind: str
    direction: str
    reason: str
    created_at: datetime


class Suggestion(BaseModel):
    id: int
    title: str
    status: str
    similarity: float
    matched_terms: list[str]


class TransitionView(BaseModel):
    from_status: str
    to_status: str
    reason: str
    actor_name: str
    at: datetime


class UseCaseSummary(BaseModel):
    id: int
    reference: str
    title: str
    status: str
    ai_act_tier: str | None
    department: str | None
    requester: PersonRef
    sourcing: str
    priority_score: float | None
    flags: list[str]
    version: int
    updated_at: datetime


class UseCaseView(UseCaseSummary):
    revision: int
    description: str
    business_problem: str
    current_process: str
    target_process: str
    objective: str
    key_results: list[KeyResultView]
    sponsor: PersonRef | None
    intended_users: str
    affected_people: str
    data_sources: list[DataSourceView]
    expected_benefit: str
    preferred_hosting: str | None
    members: list[MemberView]
    qualification: QualificationAnswers | None
    automation: AutomationAnswers | None
    automation_verdict: AutomationVerdict | None
    qualification_result: QualificationResult
    classification: dict[str, Any] | None
    deployment: DeploymentAnswers | None
    pilot_started_on: date | None
    pilot_end_date: date | None
    duplicate_justification: str
    links: list[LinkView]
    history: list[TransitionView]
    created_at: datetime


class Prerequisite(BaseModel):
    """One missing prerequisite of a transition: a stable code and what to do."""

    code: str
    message: str


class TransitionCheck(BaseModel):
    to: str
    allowed: bool
    missing: list[Prerequisite]
