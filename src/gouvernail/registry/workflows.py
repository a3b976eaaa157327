"""Approval workflows as data: which stages, in which order, with which quorum, by risk tier.

The default set ships in ``data/approval_workflows.yaml``; an organisation replaces it with the
setting ``approval_workflows_file``. The first workflow whose ``when`` matches is chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gouvernail.errors import GouvernailError

DEFAULT_WORKFLOWS = Path(__file__).with_name("data") / "approval_workflows.yaml"


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    fr: str


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    label: Label
    role: str | None = None
    quorum: int = Field(default=1, ge=1, le=20)
    signers: Literal["role", "data_owners"] = "role"

    @model_validator(mode="after")
    def _who(self) -> Stage:
        if self.signers == "role" and not self.role:
            raise ValueError(f"stage {self.id}: name the role whose holders sign it")
        return self


class When(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: list[str] | None = None
    sourcing: list[str] | None = None

    def matches(self, tier: str | None, sourcing: str) -> bool:
        return (self.tiers is None or tier in self.tiers) and (
            self.sourcing is None or sourcing in self.sourcing
        )


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: Label
    when: When = When()
    approvable: bool = True
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Workflow:
        ids = [stage.id for stage in self.stages]
        if len(ids) != len(set(ids)):
            raise ValueError(f"workflow {self.id}: stage ids must be unique")
        return self


class Workflows(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    workflows: list[Workflow] = Field(min_length=1)

    @model_validator(mode="after")
    def _catch_all(self) -> Workflows:
        if self.workflows[-1].when != When():
            raise ValueError("the last workflow must have no 'when' so that every use case has one")
        return self

    def for_use_case(self, tier: str | None, sourcing: str) -> Workflow:
        return next(w for w in self.workflows if w.when.matches(tier, sourcing))

    @classmethod
    def load(cls, path: Path | None = None) -> Workflows:
        source = path or DEFAULT_WORKFLOWS
        try:
            return cls.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise GouvernailError(f"approval workflows in {source}: {error}") from None
