"""The machine part of the charter: values, data classes, model eligibility, forbidden uses,
required trainings.

Data classes are ordered from least to most sensitive. ``model_eligibility`` says which hosting
kinds of model may receive each class; a class absent from it gets the default that its
``may_leave_company`` implies (every hosting kind, or ``self_hosted`` only). The gateway asks
``may_receive(data_class, hosting)`` and orders findings with ``class_rank``/``most_sensitive``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Hosting(StrEnum):
    """Where a model runs, from the farthest from the company to the closest."""

    EXTERNAL_SAAS = "external_saas"
    EU_CLOUD = "eu_cloud"
    SELF_HOSTED = "self_hosted"


EVERY_HOSTING = tuple(Hosting)
MODULE_CODE = r"^[a-z0-9][a-z0-9._-]{1,63}$"
ModuleCode = Annotated[str, Field(pattern=MODULE_CODE)]


class RuleError(ValueError):
    """A rule inconsistency, naming the field at fault (``rules.<field>`` in API errors)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DataClass(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    may_leave_company: bool = Field(
        description="May data of this class be sent to a model hosted outside the company?"
    )


class CharterRules(BaseModel):
    """Validated rules; the order of ``data_classes`` goes from least to most sensitive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: list[str] = Field(
        default_factory=list,
        max_length=30,
        description="The company's stated values the charter applies to AI use.",
    )
    data_classes: list[DataClass] = Field(min_length=1, max_length=20)
    model_eligibility: dict[str, list[Hosting]] = Field(
        default_factory=dict,
        description="Data class -> hosting kinds of model that may receive it.",
    )
    forbidden_uses: list[str] = Field(default_factory=list, max_length=100)
    required_trainings: list[ModuleCode] = Field(
        default_factory=list,
        max_length=50,
        description="Codes of the AI-literacy modules everyone must hold to get keys.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> CharterRules:
        names = [c.name for c in self.data_classes]
        if len(names) != len(set(names)):
            raise RuleError("data_classes", "data class names must be unique")
        for where, texts in (("values", self.values), ("forbidden_uses", self.forbidden_uses)):
            for index, text in enumerate(texts):
                if not text.strip() or len(text) > 1000:
                    raise RuleError(f"{where}.{index}", f"{where}: 1-1000 characters each")
        unknown = sorted(set(self.model_eligibility) - set(names))
        if unknown:
            raise RuleError(
                f"model_eligibility.{unknown[0]}",
                f"model_eligibility names unknown data class(es) {unknown}; known: {names}",
            )
        for data_class in self.data_classes:
            allowed = self.model_eligibility.get(data_class.name)
            if allowed is None:
                continue
            if len(allowed) != len(set(allowed)):
                raise RuleError(
                    f"model_eligibility.{data_class.name}", "a hosting kind is repeated"
                )
            outside = sorted(h.value for h in allowed if h is not Hosting.SELF_HOSTED)
            if not data_class.may_leave_company and outside:
                raise RuleError(
                    f"model_eligibility.{data_class.name}",
                    f"data class {data_class.name!r} may not leave the company, so only "
                    f"self_hosted models may receive it, not {outside}",
                )
        for lower, higher in zip(self.data_classes, self.data_classes[1:], strict=False):
            wider = sorted(
                set(self.allowed_hosting(higher.name)) - set(self.allowed_hosting(lower.name))
            )
            if wider:
                raise RuleError(
                    f"model_eligibility.{higher.name}",
                    f"{higher.name!r} is more sensitive than {lower.name!r} but may go to "
                    f"{[h.value for h in wider]} where {lower.name!r} may not; data classes "
                    "go from least to most sensitive",
                )
        if len(self.required_trainings) != len(set(self.required_trainings)):
            raise RuleError("required_trainings", "a module code is repeated")
        return self

    # --- helpers the gateway uses -----------------------------------------------------------------

    @property
    def class_names(self) -> list[str]:
        """Data class names from least to most sensitive."""
        return [c.name for c in self.data_classes]

    def data_class(self, name: str) -> DataClass:
        for data_class in self.data_classes:
            if data_class.name == name:
                return data_class
        raise KeyError(f"unknown data class {name!r}; known: {self.class_names}")

    def class_rank(self, name: str) -> int:
        """0 for the least sensitive class, increasing; ``KeyError`` for an unknown class."""
        try:
            return self.class_names.index(name)
        except ValueError:
            raise KeyError(f"unknown data class {name!r}; known: {self.class_names}") from None

    def most_sensitive(self, names: Iterable[str]) -> str | None:
        """The most sensitive of ``names`` (None if empty), e.g. the class of a request."""
        found = list(names)
        return max(found, key=self.class_rank) if found else None

    def classes_up_to(self, ceiling: str) -> list[str]:
        """Every class no more sensitive than ``ceiling`` (what a model with that ceiling sees)."""
        return self.class_names[: self.class_rank(ceiling) + 1]

    def allowed_hosting(self, name: str) -> tuple[Hosting, ...]:
        """Hosting kinds of model that may receive data of this class, in ``Hosting`` order."""
        explicit = self.model_eligibility.get(name)
        if explicit is not None:
            return tuple(h for h in Hosting if h in explicit)
        if self.data_class(name).may_leave_company:
            return EVERY_HOSTING
        return (Hosting.SELF_HOSTED,)

    def may_receive(self, data_class: str, hosting: Hosting | str) -> bool:
        """May a model of this hosting kind receive data of this class?"""
        return Hosting(hosting) in self.allowed_hosting(data_class)
