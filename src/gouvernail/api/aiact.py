"""EU AI Act classification: the questionnaire, the rule sets, and answers in -> classification
out, for any tool. A pure computation: nothing is stored here (the registry records the
classifications of its use cases)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from gouvernail.aiact import Classification, Lang, Questionnaire, RuleSetView
from gouvernail.api.deps import Require, Rt
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1/ai-act", tags=["ai-act"])

OnDate = Annotated[
    dt.date | None,
    Query(description="Date (YYYY-MM-DD) whose rule set applies; default today."),
]


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(
        description="Question id -> answer: true/false, an option value, or a list of values."
    )
    on: dt.date | None = Field(
        None,
        description="Classification date: picks the rule set in force and says which "
        "obligations already apply. Default today.",
    )
    ruleset: str | None = Field(
        None, max_length=64, description="A rule-set version, instead of the one in force."
    )


@router.get("/questionnaire")
def questionnaire(
    _: Annotated[Principal, Depends(Require("ai_act", "read"))],
    runtime: Rt,
    lang: Annotated[Lang, Query(description="en or fr")] = "en",
    on: OnDate = None,
    ruleset: Annotated[str | None, Query(max_length=64)] = None,
) -> Questionnaire:
    """The questions (ids, text, allowed answers, when each is asked) of the rule set in force
    on ``on``, or of ``ruleset``."""
    return runtime.aiact.questionnaire(on=on, lang=lang, ruleset=ruleset)


@router.get("/rulesets")
def rulesets(
    _: Annotated[Principal, Depends(Require("ai_act", "read"))], runtime: Rt, on: OnDate = None
) -> list[RuleSetView]:
    """Every rule-set version with its effective date and its application dates, each with its
    legal source (and the dates an amendment superseded)."""
    return runtime.aiact.rulesets(on=on)


@router.post("/classify")
def classify(
    body: ClassifyIn,
    _: Annotated[Principal, Depends(Require("ai_act", "classify"))],
    runtime: Rt,
) -> Classification:
    """Answers in; tier, articles, obligations with their dates, and the reasons out. Unknown,
    invalid, missing or contradictory answers: 422 with ``field`` naming the question."""
    return runtime.aiact.classify(body.answers, on=body.on, ruleset=body.ruleset)
