"""The machine part of the charter: data classes, forbidden uses, required trainings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DataClass(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str
    description: str = ""
    may_leave_company: bool = Field(
        description="May data of this class be sent to a model hosted outside the company?"
    )


class CharterRules(BaseModel):
    """Validated rules; the order of ``data_classes`` goes from least to most sensitive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_classes: list[DataClass] = Field(min_length=1)
    forbidden_uses: list[str] = Field(default_factory=list)
    required_trainings: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_classes(self) -> CharterRules:
        names = [c.name for c in self.data_classes]
        if len(names) != len(set(names)):
            raise ValueError("data class names must be unique")
        return self
