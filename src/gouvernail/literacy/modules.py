"""Training modules as written in the API or a YAML file, and the small checks and lookups
shared by the literacy service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.charter.rules import MODULE_CODE
from gouvernail.errors import GouvernailError, NotFoundError
from gouvernail.identity.directory import find_team
from gouvernail.identity.models import Level, Role, Team
from gouvernail.literacy.models import TrainingModule
from gouvernail.literacy.views import ModuleView

MAX_VALIDITY_DAYS = 3650
M = TypeVar("M", bound=BaseModel)


class ModuleSpec(BaseModel):
    """A training module as written in the API or a YAML file."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=MODULE_CODE, description="Stable code the charter refers to.")
    title_en: str = Field(min_length=1, max_length=200)
    title_fr: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    audience_roles: list[str] = Field(default_factory=list, description="Empty: every role.")
    audience_teams: list[str] = Field(
        default_factory=list, description="Team slugs (with the teams under them); empty: all."
    )
    audience_levels: list[str] = Field(default_factory=list, description="Empty: all levels.")
    validity_days: int | None = Field(
        365, ge=1, le=MAX_VALIDITY_DAYS, description="Days a completion is valid; null: forever."
    )
    required: bool = Field(False, description="Required of its whole audience to get AI keys.")


class ModuleChanges(BaseModel):
    """Fields of a module to change (absent: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    title_en: str | None = Field(None, min_length=1, max_length=200)
    title_fr: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    audience_roles: list[str] | None = None
    audience_teams: list[str] | None = None
    audience_levels: list[str] | None = None
    validity_days: int | None = Field(None, ge=1, le=MAX_VALIDITY_DAYS)
    no_expiry: bool = Field(False, description="Completions never expire (validity_days null).")
    required: bool | None = None


def validated(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate ``data`` into ``model``, or a ``GouvernailError`` naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = prefix + ".".join(str(p) for p in first["loc"])
        raise GouvernailError(f"{where}: {first['msg']}", field=where or None) from None


def team_ids(session: Session, slugs: Sequence[str]) -> list[int]:
    return sorted({find_team(session, slug, "audience_teams").id for slug in slugs})


def check_audience(roles: Sequence[str], levels: Sequence[str]) -> None:
    unknown_roles = sorted(set(roles) - {r.value for r in Role})
    if unknown_roles:
        raise GouvernailError(
            f"unknown role(s) {unknown_roles}; known: {[r.value for r in Role]}",
            field="audience_roles",
        )
    unknown_levels = sorted(set(levels) - {level.value for level in Level})
    if unknown_levels:
        raise GouvernailError(
            f"unknown level(s) {unknown_levels}; known: {[lv.value for lv in Level]}",
            field="audience_levels",
        )


def team_slugs(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Team.id, Team.slug)).all())


def find_module(session: Session, code: str, field: str = "module") -> TrainingModule:
    module = session.scalar(select(TrainingModule).where(TrainingModule.code == code))
    if module is None:
        raise NotFoundError(f"no training module with code {code!r}", field=field)
    return module


def expiry(completed_at: datetime, validity_days: int | None) -> datetime | None:
    return None if validity_days is None else completed_at + timedelta(days=validity_days)


def snapshot(module: TrainingModule, slugs: dict[int, str]) -> dict[str, Any]:
    view = ModuleView.of(module, slugs).model_dump(mode="json")
    return {k: v for k, v in view.items() if k not in ("created_at", "updated_at", "version")}
