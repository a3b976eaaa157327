"""The platform's requirements (``docs/requirements.yaml``): what Gouvernail must do, why
(the issue or the regulation clause), how critical it is, and the automated tests that show it.

Each requirement names its tests by pytest node id; ``tests/test_docpack.py`` fails when a node
id no longer exists or a requirement has no test, so the traceability cannot rot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import gouvernail
from gouvernail.errors import GouvernailError

# In a source checkout (``make serve``): <repository>/docs/requirements.yaml.
DEFAULT_FILE = Path(gouvernail.__file__).resolve().parents[2] / "docs" / "requirements.yaml"
NODE_ID = r"^tests/[A-Za-z0-9_/]+\.py::[A-Za-z0-9_:\[\]-]+$"


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^REQ-[A-Z]{2,6}-\d{3}$")
    text: str = Field(min_length=10)
    source: list[str] = Field(min_length=1, description="Issue or regulation clauses.")
    criticality: Literal["high", "medium", "low"]
    tests: list[str] = Field(min_length=1, description="pytest node ids.")

    @model_validator(mode="after")
    def _node_ids(self) -> Requirement:
        bad = [test for test in self.tests if not re.match(NODE_ID, test)]
        if bad:
            raise ValueError(f"{self.id}: not pytest node ids: {bad}")
        return self


class Requirements(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    requirements: list[Requirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Requirements:
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement {requirement.id} appears twice")
            seen.add(requirement.id)
        return self

    @classmethod
    def load(cls, path: Path | None = None) -> Requirements:
        source = path or DEFAULT_FILE
        try:
            return cls.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
        except OSError as error:
            raise GouvernailError(
                f"cannot read the requirements file {source}: {error.strerror}; set "
                "validation_requirements_file",
                field="validation_requirements_file",
            ) from None
        except (yaml.YAMLError, ValidationError) as error:
            raise GouvernailError(
                f"requirements file {source}: {error}", field="validation_requirements_file"
            ) from None
