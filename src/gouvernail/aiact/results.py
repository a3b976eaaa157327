"""What the classifier returns: the classification, the questionnaire, the rule sets."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from gouvernail.aiact.conditions import Value
from gouvernail.aiact.text import Lang, Text

Tier = Literal["prohibited", "high", "limited", "minimal"]
Route = Literal["annex_i", "annex_iii", "none"]


class Reason(BaseModel):
    """Why: one rule of the rule set that fired, with the articles it rests on."""

    rule: str
    text: Text
    articles: list[str]


class AppliedObligation(BaseModel):
    id: str
    article: str
    text: Text
    note: Text | None = None
    holders: list[str] = Field(description="Who bears it: provider, deployer, importer, ...")
    applies_from: dt.date
    application_date: str = Field(description="Key of the rule set's application date.")
    source: str = Field(description="The legal provision that sets applies_from.")
    amended: bool = Field(description="applies_from was set by an amending act.")
    in_force: bool = Field(description="applies_from is on or before classified_on.")


class TransparencyDuty(AppliedObligation):
    yours: bool = Field(description="The organisation holds it in the role(s) it has.")


class Classification(BaseModel):
    """The EU AI Act classification of one AI system (use case) on one date."""

    ruleset: str
    classified_on: dt.date
    tier: Tier
    needs_compliance_review: bool
    prohibited_practices: list[str]
    high_risk_route: Route
    annex_i_section: str | None
    annex_iii_area: str | None = Field(description="The first Annex III area, if any.")
    annex_iii_areas: list[str]
    annex_iii_uses: list[str]
    exception_applied: str = Field(description="The Art. 6(3) condition relied on, or 'none'.")
    profiling_override: bool
    transparency_duties: list[TransparencyDuty]
    gpai: bool = Field(description="The system is or is built on a general-purpose AI model.")
    gpai_model_provider: bool
    gpai_systemic_risk: bool
    role: str | None
    roles: list[str]
    role_reason: Reason | None
    articles: list[str]
    obligations: list[AppliedObligation]
    reasons: list[Reason]
    answers: dict[str, Value]
    ignored_answers: list[str]


class OptionView(BaseModel):
    value: str
    label: str
    help: str | None
    article: str | None
    exclusive: bool


class QuestionView(BaseModel):
    id: str
    kind: Literal["yes_no", "one_of", "many_of"]
    text: str
    help: str | None
    options: list[OptionView]
    allowed: list[bool | str]
    neutral: Value | None
    ask_when: dict[str, Any] | None = Field(description="Asked when this holds (see docs).")
    ends_when: dict[str, Any] | None = Field(description="The rest is not asked when this holds.")


class Questionnaire(BaseModel):
    ruleset: str
    effective_from: dt.date
    lang: Lang
    questions: list[QuestionView]


class SupersededView(BaseModel):
    date: dt.date
    source: str


class ApplicationDateView(BaseModel):
    key: str
    label: Text
    date: dt.date
    source: str
    amended: bool
    superseded: list[SupersededView]
    note: Text | None


class RuleSetView(BaseModel):
    version: str
    title: Text
    effective_from: dt.date
    source: str
    extends: str | None
    replaces: str | None
    replaced_by: str | None
    in_force: bool = Field(description="The rule set selected for the date asked (default today).")
    notes: Text | None
    application_dates: list[ApplicationDateView]
