"""The thresholds of each kind of rule: defaults from the ``alerts.*`` settings, overridden per
rule by what is stored in the database (only the fields overridden are stored, so a changed
default reaches every rule that did not override it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gouvernail.errors import GouvernailError
from gouvernail.observatory.alerts.models import RuleKind
from gouvernail.settings import AlertSettings

Grouping = Literal["use_case", "model", "prompt_version"]


class _Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorRateThresholds(_Thresholds):
    worsening: bool = Field(description="Alert on a significantly worsening 7-day rate.")
    max_rate: float | None = Field(
        gt=0, le=1, description="Alert on a 7-day error rate above this (None: off)."
    )
    min_rated: int = Field(ge=1, description="Judged answers needed before max_rate applies.")
    groupings: list[Grouping] = Field(min_length=1, description="Rates watched.")


class BudgetThresholds(_Thresholds):
    levels: list[int] = Field(min_length=1, description="Percentages of a monthly budget.")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[int]) -> list[int]:
        if any(not 1 <= level <= 1000 for level in value):
            raise ValueError("levels are percentages between 1 and 1000")
        return sorted(set(value))


class SlaThresholds(_Thresholds):
    days: int = Field(ge=1, le=90, description="Window measured, days back from now.")
    min_calls: int = Field(ge=1, description="Calls of a model before its SLA counts.")


class DriftThresholds(_Thresholds):
    days: int = Field(ge=1, le=365, description="Open drifts detected in these last days.")


class ShadowThresholds(_Thresholds):
    factor: float = Field(gt=1, le=1000, description="Times the trailing median.")
    window_days: int = Field(ge=2, le=90, description="Days of logs the median is taken on.")
    min_days: int = Field(ge=1, le=90, description="Days of logs needed to judge a spike.")
    min_requests: int = Field(ge=1, description="Requests on the latest day needed.")
    min_people: int = Field(ge=1, description="People on the latest day needed.")
    direct_api: bool = Field(description="Alert on new direct calls to model APIs.")


Thresholds = (
    ErrorRateThresholds | BudgetThresholds | SlaThresholds | DriftThresholds | ShadowThresholds
)

MODELS: dict[RuleKind, type[_Thresholds]] = {
    RuleKind.ERROR_RATE: ErrorRateThresholds,
    RuleKind.BUDGET: BudgetThresholds,
    RuleKind.SLA: SlaThresholds,
    RuleKind.CANARY_DRIFT: DriftThresholds,
    RuleKind.SHADOW_SPIKE: ShadowThresholds,
}


def defaults(kind: RuleKind, s: AlertSettings) -> dict[str, Any]:
    """The thresholds of ``kind`` the settings give."""
    by_kind: dict[RuleKind, dict[str, Any]] = {
        RuleKind.ERROR_RATE: {
            "worsening": s.error_rate_worsening,
            "max_rate": s.error_rate_max,
            "min_rated": s.error_rate_min_rated,
            "groupings": list(s.error_rate_groupings),
        },
        RuleKind.BUDGET: {"levels": list(s.budget_levels)},
        RuleKind.SLA: {"days": s.sla_days, "min_calls": s.sla_min_calls},
        RuleKind.CANARY_DRIFT: {"days": s.drift_days},
        RuleKind.SHADOW_SPIKE: {
            "factor": s.shadow_factor,
            "window_days": s.shadow_window_days,
            "min_days": s.shadow_min_days,
            "min_requests": s.shadow_min_requests,
            "min_people": s.shadow_min_people,
            "direct_api": s.shadow_direct_api,
        },
    }
    return by_kind[kind]


def effective(kind: RuleKind, s: AlertSettings, overrides: dict[str, Any]) -> Thresholds:
    """The thresholds a rule applies: its overrides over the defaults. Overrides stored before
    a setting was renamed are ignored rather than breaking the check."""
    known = MODELS[kind].model_fields
    values = defaults(kind, s) | {k: v for k, v in overrides.items() if k in known}
    try:
        return MODELS[kind].model_validate(values)  # type: ignore[return-value]
    except ValidationError:
        return MODELS[kind].model_validate(defaults(kind, s))  # type: ignore[return-value]


def checked_overrides(
    kind: RuleKind, s: AlertSettings, overrides: dict[str, Any]
) -> dict[str, Any]:
    """``overrides`` validated against the kind's thresholds (400 naming the field otherwise),
    in their canonical form."""
    model = MODELS[kind]
    unknown = sorted(set(overrides) - set(model.model_fields))
    if unknown:
        raise GouvernailError(
            f"{kind.value} rules have no threshold {', '.join(unknown)}; they have "
            f"{', '.join(model.model_fields)}",
            field="thresholds",
        )
    try:
        valid = model.model_validate(defaults(kind, s) | overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise GouvernailError(
            f"threshold {name}: {first['msg']}", field=f"thresholds.{name}"
        ) from None
    dumped = valid.model_dump(mode="json")
    return {k: dumped[k] for k in overrides}
