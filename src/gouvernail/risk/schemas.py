"""What goes in and out of the risk register: request bodies (strict, bounded) and views.

The API uses the input models as request bodies, so a value off the scale or an unknown field
is refused with a 422 naming the field before any service code runs; the service checks what
needs the database (owner, version, residual against inherent).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.risk.gxp import Annex22Verdict, GmpCriticality, Grade
from gouvernail.risk.library import DEFAULT_LANGUAGE
from gouvernail.risk.models import Category, RiskStatus

Scale = Field(ge=1, le=5, description="1 to 5 (see docs/risk-scoring.md)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class RiskIn(_Strict):
    """A new risk. It starts ``open``."""

    category: Category
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    likelihood: int = Scale
    severity: int = Scale
    mitigation: str = ""
    owner_id: int | None = Field(None, description="An active user accountable for the risk.")
    residual_likelihood: int | None = Field(None, ge=1, le=5)
    residual_severity: int | None = Field(None, ge=1, le=5)
    review_on: date | None = Field(None, description="When the risk is next reviewed.")


class RiskPatch(_Strict):
    """Changes to a risk: only the fields sent change (``null`` clears an optional one)."""

    version: int = Field(description="The version you edited; 409 if it changed meanwhile.")
    reason: str = Field("", max_length=2000, description="Why (kept in the audit).")
    category: Category | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    likelihood: int | None = Field(None, ge=1, le=5)
    severity: int | None = Field(None, ge=1, le=5)
    mitigation: str | None = None
    owner_id: int | None = None
    residual_likelihood: int | None = Field(None, ge=1, le=5)
    residual_severity: int | None = Field(None, ge=1, le=5)
    review_on: date | None = None


class StatusChange(_Strict):
    status: RiskStatus
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit).")
    version: int = Field(description="The version you reviewed; 409 if it changed meanwhile.")


class LibraryImport(_Strict):
    ids: list[str] = Field(min_length=1, max_length=100, description="Library risk ids.")
    lang: str = Field(DEFAULT_LANGUAGE, description="Language of the titles and descriptions.")
    owner_id: int | None = Field(None, description="Owner of the new risks (optional).")


class GxpIn(_Strict):
    """The GxP assessment of a use case (created, or replaced as a whole)."""

    version: int | None = Field(
        None, description="The version you revised; omit only to record the first assessment."
    )
    gxp_relevant: bool
    question_of_interest: str = Field(
        "", description="The question the model answers (FDA framework, step 1)."
    )
    context_of_use: str = Field(
        "",
        description="What the model's output is used for, in which decision, with what else "
        "(FDA framework, step 2).",
    )
    model_influence: Grade | None = Field(
        None, description="Weight of the model's output in the decision (low, medium, high)."
    )
    decision_consequence: Grade | None = Field(
        None, description="Consequence of a wrong decision (low, medium, high)."
    )
    gmp_criticality: GmpCriticality | None = Field(
        None,
        description="critical (direct impact on patient safety, product quality or data "
        "integrity), non_critical, or not_gmp.",
    )
    generative_ai: bool = Field(
        False, description="Generative AI, a large language model or another probabilistic output."
    )
    dynamic_model: bool = Field(False, description="The model keeps learning while in use.")
    human_in_the_loop: bool = Field(
        False, description="A qualified person is responsible for every output."
    )
    rationale: str = Field(min_length=1, max_length=10_000, description="Why; kept in the audit.")


class RiskView(BaseModel):
    id: int
    use_case_id: int
    number: int
    category: Category
    title: str
    description: str
    likelihood: int
    severity: int
    score: int
    level: str
    mitigation: str
    owner_id: int | None
    owner_name: str | None
    residual_likelihood: int | None
    residual_severity: int | None
    residual_score: int | None
    residual_level: str | None
    status: RiskStatus
    status_reason: str
    review_on: date | None
    source: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class Grid(BaseModel):
    """Counts of risks per cell: ``cells[severity - 1][likelihood - 1]``."""

    cells: list[list[int]]
    by_level: dict[str, int]
    total: int


class HeatMap(BaseModel):
    """Inherent and residual heat maps of the risks that are not closed. ``levels`` is the
    scoring matrix with the same indexing; risks without a residual rating are counted in
    ``without_residual`` only."""

    levels: list[list[str]]
    inherent: Grid
    residual: Grid
    without_residual: int
    use_cases: int


class GxpView(BaseModel):
    use_case_id: int
    gxp_relevant: bool
    question_of_interest: str
    context_of_use: str
    model_influence: Grade | None
    decision_consequence: Grade | None
    model_risk: Grade | None
    gmp_criticality: GmpCriticality | None
    generative_ai: bool
    dynamic_model: bool
    human_in_the_loop: bool
    rationale: str
    annex22: Annex22Verdict
    credibility_activities: list[str]
    ruleset: str
    ruleset_current: bool = Field(
        description="False when the rules changed since: reassess the use case."
    )
    version: int
    assessed_by: str
    assessed_at: datetime
