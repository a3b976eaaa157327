"""What the literacy services return: plain, validated values (never ORM objects)."""

from __future__ import annotations

from datetime import datetime

import orjson
from pydantic import BaseModel, ConfigDict

from gouvernail.charter.acceptance import AcceptanceStatus
from gouvernail.errors import ForbiddenError
from gouvernail.literacy.models import TrainingCompletion, TrainingModule
from gouvernail.literacy.requirements import Standing


class ModuleView(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    title_en: str
    title_fr: str
    description: str
    audience_roles: list[str]
    audience_teams: list[str]
    audience_levels: list[str]
    validity_days: int | None
    required: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, module: TrainingModule, team_slugs: dict[int, str]) -> ModuleView:
        return cls(
            code=module.code,
            title_en=module.title_en,
            title_fr=module.title_fr,
            description=module.description,
            audience_roles=orjson.loads(module.audience_roles),
            audience_teams=[team_slugs[t] for t in orjson.loads(module.audience_teams)],
            audience_levels=orjson.loads(module.audience_levels),
            validity_days=module.validity_days,
            required=module.required,
            version=module.version,
            created_at=module.created_at,
            updated_at=module.updated_at,
        )


class CompletionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    username: str
    module_code: str
    completed_at: datetime
    expires_at: datetime | None
    score: float | None
    source: str
    evidence: str | None
    import_id: int | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, completion: TrainingCompletion) -> CompletionView:
        return cls(
            id=completion.id,
            user_id=completion.user_id,
            username=completion.user.username,
            module_code=completion.module.code,
            completed_at=completion.completed_at,
            expires_at=completion.expires_at,
            score=completion.score,
            source=completion.source,
            evidence=completion.evidence,
            import_id=completion.import_id,
            recorded_by=completion.recorded_by,
            recorded_at=completion.recorded_at,
        )


class ModuleStanding(BaseModel):
    """One module for one person: whether it is required of them and where they stand."""

    code: str
    title_en: str
    title_fr: str
    defined: bool
    required: bool
    status: Standing
    completed_at: datetime | None
    expires_at: datetime | None
    score: float | None


class EligibilityReason(BaseModel):
    """Why AI access is refused: a stable code, a message that says how to fix it, and the
    charter version or module codes concerned."""

    code: str
    message: str
    charter_number: str | None = None
    modules: list[str] = []


class Eligibility(BaseModel):
    """May this person get (and use) gateway keys now? ``reasons`` is empty when allowed."""

    user_id: int
    at: datetime
    allowed: bool
    reasons: list[EligibilityReason]
    charter: AcceptanceStatus | None
    trainings: list[ModuleStanding]

    def require(self) -> None:
        """Raise the refusal (403 with the first reason's code, every reason's message)."""
        if not self.allowed:
            raise ForbiddenError(
                " ".join(r.message for r in self.reasons), code=self.reasons[0].code
            )


class MyTrainings(BaseModel):
    """A person's trainings: every module that applies to them or that they completed."""

    user_id: int
    username: str
    at: datetime
    trainings: list[ModuleStanding]
    missing_required: list[str]
    expired_required: list[str]
    expiring_required: list[str]
    eligibility: Eligibility
