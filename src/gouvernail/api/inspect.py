"""Run the gateway's detectors on a text, on their own: what the gateway would find in it (PII,
confidential markers, injection signals), the data class it implies and the injection verdict.
Nothing is stored; findings carry offsets, never the matched text."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from gouvernail.api.deps import CurrentUser, Rt
from gouvernail.errors import GouvernailError
from gouvernail.inspection import Inspection

router = APIRouter(prefix="/api/v1", tags=["inspection"])

MAX_TEXT_CHARS = 100_000


class InspectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description=f"The text to inspect, at most {MAX_TEXT_CHARS} characters.")
    language: Literal["fr", "en", "de"] | None = Field(
        None, description="Language of the text; guessed from its words when absent."
    )
    mode: Literal["full", "fast"] = Field(
        "full", description="'fast' skips the names model (rules only for names)."
    )


class FindingOut(BaseModel):
    type: str
    start: int
    end: int
    score: float
    detector: str
    data_class: str
    reason: str


class InjectionOut(BaseModel):
    detected: bool
    score: float
    signals: list[str]


class InspectOut(BaseModel):
    findings: list[FindingOut]
    data_class: str | None = Field(
        description="The most sensitive data class among the findings (charter order)."
    )
    injection: InjectionOut
    elapsed_ms: float


def render(inspection: Inspection) -> InspectOut:
    return InspectOut(
        findings=[
            FindingOut(
                type=f.type,
                start=f.start,
                end=f.end,
                score=f.score,
                detector=f.detector,
                data_class=f.data_class,
                reason=f.reason,
            )
            for f in inspection.findings
        ],
        data_class=inspection.data_class,
        injection=InjectionOut(
            detected=inspection.injection.detected,
            score=inspection.injection.score,
            signals=list(inspection.injection.signals),
        ),
        elapsed_ms=inspection.elapsed_ms,
    )


@router.post("/inspect")
def inspect(body: InspectIn, _: CurrentUser, runtime: Rt) -> InspectOut:
    """Findings (type, offsets, score, detector, data class, reason), the request's data class
    and the injection verdict for ``text``. Any signed-in user. More than 100,000 characters:
    413."""
    if len(body.text) > MAX_TEXT_CHARS:
        raise GouvernailError(
            f"the text has {len(body.text)} characters; at most {MAX_TEXT_CHARS} can be inspected",
            field="text",
            code="text_too_large",
            status=413,
        )
    rules = runtime.charters.rules_in_force()
    inspection = runtime.inspector.inspect_text(
        body.text,
        language=body.language,
        mode=body.mode,
        rank=rules.class_rank if rules is not None else None,
    )
    return render(inspection)
