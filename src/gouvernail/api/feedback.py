"""Feedback on answers and error rates over HTTP. A caller flags an answer with the API key it
called with or a sign-in session; AI referents may judge any answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.identity.principal import Principal
from gouvernail.observatory.feedback.schemas import ErrorRates, FeedbackIn, FeedbackView, Grouping

router = APIRouter(prefix="/api/v1", tags=["observatory"])

Judge = Annotated[Principal, Depends(Require("feedback", "give"))]
RateReader = Annotated[Principal, Depends(Require("error_rates", "read"))]


@router.post("/feedback", status_code=201, response_model=FeedbackView)
def give_feedback(
    body: FeedbackIn, request: Request, principal: Judge, runtime: Rt
) -> FeedbackView:
    """Flag a gateway call's answer (useful, wrong, harmful, leaked data) by its request id: as
    its caller, a member of its use case, with the API key of that use case, or as an AI
    referent. A second verdict of the same person replaces the first."""
    return runtime.feedback.give(
        audit_context(request, principal),
        body,
        user_id=principal.user_id,
        via="key" if principal.via == "api_key" else "api",
        judges_any=runtime.policy.decide(principal.roles, "feedback", "give_any").allowed,
        key_use_case_id=principal.use_case_id,
    )


@router.get("/observatory/error-rates", response_model=ErrorRates)
def error_rates(
    principal: RateReader,
    runtime: Rt,
    by: Annotated[Grouping, Query(description="use_case, model or prompt_version")] = "use_case",
) -> ErrorRates:
    """Error rates from feedback per use case, model or prompt version (with its use case,
    prompt name and version number), over the last 7 and 90 days of calls, with 95 % Wilson
    intervals; ``worsening`` when the short-term rate rose significantly."""
    return runtime.feedback.rates(by)
