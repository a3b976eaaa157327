"""What the incident register reads and returns.

Input models are strict (unknown fields and values off the lists are refused with a 422 naming
the field); what needs the database or the clock (use case, owner, dates against each other and
against now) is checked by the service, with a 400 naming the field.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gouvernail.observatory.incidents.models import (
    ActionStatus,
    Harm,
    IncidentStatus,
    Kind,
    Severity,
)

REQUEST_ID = r"^[A-Za-z0-9._:-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class IncidentIn(_Strict):
    """A new incident, reported by the caller. It starts ``open``."""

    title: str = Field(min_length=1, max_length=200)
    kind: Kind
    severity: Severity
    description: str = ""
    use_case_id: int | None = Field(None, description="The use case the AI system serves.")
    occurred_at: AwareDatetime = Field(description="When it happened (with its UTC offset).")
    detected_at: AwareDatetime | None = Field(
        None,
        description="When the organisation became aware of it (default: now); not before "
        "occurred_at. The AI Act and GDPR deadlines count from here.",
    )
    harms: list[Harm] = Field(
        default_factory=lambda: [Harm.NONE],
        min_length=1,
        description="What it led to, AI Act Art. 3(49) (a) to (d), or none (alone).",
    )
    widespread: bool = Field(
        False, description="A widespread infringement (AI Act Art. 3(61), Art. 73(3))."
    )
    death: bool = Field(
        False,
        description="Someone died (AI Act Art. 73(4)); needs the harm "
        "death_or_serious_health_harm.",
    )


class IncidentPatch(_Strict):
    """Changes to an incident: only the fields sent change."""

    version: int = Field(description="The version you read; 409 if it changed meanwhile.")
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit).")
    status: IncidentStatus | None = None
    severity: Severity | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: Kind | None = None
    description: str | None = None
    use_case_id: int | None = Field(None, description="null unlinks the use case.")
    occurred_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    harms: list[Harm] | None = Field(None, min_length=1)
    widespread: bool | None = None
    death: bool | None = None


class NoteIn(_Strict):
    text: str = Field(min_length=1, max_length=10_000)


class RequestsIn(_Strict):
    request_ids: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Gateway request ids (the x-request-id of each call); already linked ones "
        "and repeats are ignored.",
    )


class ActionIn(_Strict):
    description: str = Field(min_length=1, max_length=4000)
    owner_id: int = Field(description="An active user accountable for the action.")
    due_on: date


class ActionDoneIn(_Strict):
    note: str = Field("", max_length=4000, description="What was done.")


# --- the serious-incident assessment (computed by rules.py) -------------------------------------


class Reason(BaseModel):
    rule: str
    article: str
    text: str


class Deadline(BaseModel):
    """A reporting deadline that applies, counted from ``detected_at``."""

    rule: str
    article: str
    days: int
    due_at: datetime
    text: str


class GdprNote(BaseModel):
    article: str
    hours: int
    notify_by: datetime
    text: str
    source: str


class Assessment(BaseModel):
    """Whether the incident may be a serious incident under the AI Act, and why."""

    possibly_serious: bool
    articles: list[str] = Field(description="The articles the assessment rests on.")
    harms: list[Reason] = Field(description="The Art. 3(49) harms recorded.")
    deadlines: list[Deadline] = Field(description="Every reporting deadline that applies.")
    report_by: datetime | None = Field(
        None, description="The earliest deadline to report to the market surveillance authority."
    )
    report_within_days: int | None = None
    notes: list[Reason]
    gdpr: GdprNote | None = Field(None, description="For data leaks: GDPR Art. 33.")
    explanation: str
    rules_version: str
    source: str


# --- views -------------------------------------------------------------------------------------


class TimelineEntry(BaseModel):
    at: datetime
    author_id: int
    author: str
    kind: str
    text: str


class LinkedRequest(BaseModel):
    """A linked gateway call as the request log has it (never its content; the call's fields
    are null if its log row is gone)."""

    request_id: str
    at: datetime | None
    operation: str | None
    model: str | None
    status: int | None
    decision: str | None
    use_case_id: int | None
    linked_at: datetime


class ActionView(BaseModel):
    id: int
    description: str
    owner_id: int
    owner: str
    due_on: date
    status: ActionStatus
    overdue: bool = Field(description="Open past its due date.")
    done_by: str | None
    done_at: datetime | None
    note: str


class IncidentSummary(BaseModel):
    id: int
    title: str
    kind: Kind
    severity: Severity
    status: IncidentStatus
    use_case_id: int | None
    use_case: str | None
    use_case_tier: str | None
    occurred_at: datetime
    detected_at: datetime
    reported_by: int
    reporter: str
    harms: list[Harm]
    widespread: bool
    death: bool
    possibly_serious: bool
    report_by: datetime | None
    overdue_actions: int
    version: int
    updated_at: datetime


class IncidentView(IncidentSummary):
    description: str
    created_at: datetime
    assessment: Assessment
    timeline: list[TimelineEntry] = Field(description="Oldest first.")
    requests: list[LinkedRequest]
    actions: list[ActionView]
