"""What the feedback and error-rate API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["useful", "wrong", "harmful", "leaked_data"]
BAD: frozenset[str] = frozenset({"wrong", "harmful", "leaked_data"})
"""Verdicts that count as errors."""
Grouping = Literal["use_case", "model", "prompt_version"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The gateway call's id (its x-request-id response header, or the id in "
        "the audit trail).",
    )
    verdict: Verdict
    comment: str = Field("", max_length=2000, description="What was wrong, for the reviewers.")


class FeedbackView(BaseModel):
    request_id: str
    verdict: Verdict
    comment: str
    use_case_id: int | None
    model: str | None
    prompt_version_id: int | None = Field(
        None, description="The registry's prompt version the call used, if it recorded one."
    )
    called_at: datetime
    at: datetime
    replaced: Verdict | None = Field(None, description="The verdict this one replaced, if any.")


class Rate(BaseModel):
    """A proportion with its 95 % Wilson interval (``value`` None when nothing was counted)."""

    count: int
    of: int
    value: float | None
    low: float
    high: float


class WindowRates(BaseModel):
    days: int
    calls: int = Field(description="Answered calls (chat and responses) in the window.")
    rated: int = Field(description="Of them, answers someone gave a verdict on.")
    flagged: int = Field(description="Of those, answers flagged wrong, harmful or leaked data.")
    error_rate: Rate = Field(description="flagged / rated: how often judged answers are bad.")
    flag_rate: Rate = Field(description="flagged / calls: a lower bound on the error rate.")
    by_verdict: dict[str, int]


class GroupRates(BaseModel):
    use_case_id: int | None
    use_case: str | None
    model: str | None
    prompt_version_id: int | None = Field(
        None, description="By prompt version: the version's id (None: calls that used none)."
    )
    prompt_name: str | None = Field(None, description="By prompt version: the prompt's name.")
    prompt_version: int | None = Field(
        None, description="By prompt version: its number among the versions of that name."
    )
    short: WindowRates
    long: WindowRates
    worsening: bool = Field(
        description="The short-term error rate's interval lies above the long-term rate."
    )


class ErrorRates(BaseModel):
    by: Grouping
    at: datetime
    groups: list[GroupRates]
