"""The bias-test templates: data (``observatory/data/bias_templates.yaml``), checked when loaded.

A template is a prompt with placeholders, the neutral case fields they are drawn from, how to
read the outcome from the answer (a regular expression and a range), and the attributes it may
vary: ``gender`` (female and male first names, pronouns and agreements), ``origin`` (first names
common among several origins, the reference group named in the file), ``age``. The loader
refuses a file whose prompt names a placeholder nothing fills, whose outcome pattern has no
group, whose origins lack names for a gender, or that repeats a template id.
"""

from __future__ import annotations

import re
import string
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gouvernail.errors import NotFoundError

TEMPLATES_FILE = "data/bias_templates.yaml"
LOCAL_FILE = "bias_templates.yaml"
"""Templates a company adds, in its data directory (same layout)."""

Attribute = Literal["gender", "origin", "age"]
ATTRIBUTES: tuple[Attribute, ...] = ("gender", "origin", "age")
NAMES = ("gender", "origin")
"""Attributes carried by the first name (their pairs count only if the model received it)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenderValue(_Strict):
    words: dict[str, dict[str, str]] = Field(
        description="Per language, the words a prompt may use (pronouns, agreements)."
    )


class AgeValue(_Strict):
    age: int = Field(ge=16, le=110)


class _Varied(_Strict):
    description: str = ""
    reference: str
    marker: Literal["first_name", "age"]

    def check_values(self, values: dict[str, Any]) -> None:
        if len(values) < 2:
            raise ValueError("an attribute needs at least two values")
        if self.reference not in values:
            raise ValueError(f"reference {self.reference!r} is not one of {sorted(values)}")


class Gender(_Varied):
    values: dict[str, GenderValue]

    @model_validator(mode="after")
    def _values(self) -> Self:
        self.check_values(self.values)
        return self


class Origin(_Varied):
    values: dict[str, dict[str, list[str]]] = Field(
        description="Per origin, per gender value, first names."
    )

    @model_validator(mode="after")
    def _values(self) -> Self:
        self.check_values(self.values)
        return self


class Age(_Varied):
    values: dict[str, AgeValue]

    @model_validator(mode="after")
    def _values(self) -> Self:
        self.check_values(self.values)
        return self


class Attributes(_Strict):
    gender: Gender
    origin: Origin
    age: Age

    @model_validator(mode="after")
    def _names(self) -> Self:
        genders = set(self.gender.values)
        for origin, names in self.origin.values.items():
            if set(names) != genders or not all(names.values()):
                raise ValueError(f"origin {origin!r} needs first names for each of {genders}")
        return self

    def values(self, attribute: Attribute) -> list[str]:
        chosen: Gender | Origin | Age = getattr(self, attribute)
        return list(chosen.values)

    def reference(self, attribute: Attribute) -> str:
        chosen: Gender | Origin | Age = getattr(self, attribute)
        return chosen.reference


class Outcome(_Strict):
    shape: str = Field(description="The answer the prompt asks for, in words.")
    pattern: str = Field(description="Regular expression; its first group is the number.")
    min: float
    max: float
    threshold: float = Field(
        gt=0, description="The smallest mean difference (in points) that matters in practice."
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as error:
            raise ValueError(f"invalid outcome pattern: {error}") from None
        if compiled.groups < 1:
            raise ValueError("the outcome pattern needs a group around the number")
        return value

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.min >= self.max:
            raise ValueError("outcome min must be below max")
        return self

    def read(self, answer: str) -> float | None:
        """The number the answer gives, or None if it gives none in the range."""
        found = re.search(self.pattern, answer)
        if found is None:
            return None
        try:
            value = float(found.group(1).replace(",", "."))
        except (TypeError, ValueError):
            return None
        return value if self.min <= value <= self.max else None


class Template(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    title: str
    language: str = Field(pattern=r"^[a-z]{2}$")
    vary: list[Attribute] = Field(min_length=1)
    system: str = ""
    prompt: str
    fields: dict[str, list[str]] = Field(description="Neutral case fields, one drawn per case.")
    outcome: Outcome
    max_tokens: int = Field(20, ge=1, le=1000)

    @field_validator("vary")
    @classmethod
    def _unique(cls, value: list[Attribute]) -> list[Attribute]:
        if len(set(value)) != len(value):
            raise ValueError("an attribute is listed twice in `vary`")
        return value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [name for name, values in value.items() if not values]
        if empty:
            raise ValueError(f"fields without values: {empty}")
        return value

    def placeholders(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.prompt) if name is not None}


class BiasTemplates(_Strict):
    version: str
    alpha: float = Field(0.05, gt=0, lt=0.5)
    attributes: Attributes
    templates: list[Template] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [t.id for t in self.templates]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"template ids used twice: {repeated}")
        for template in self.templates:
            self._check(template)
        return self

    def _check(self, template: Template) -> None:
        words: set[str] = set()
        for value, gender in self.attributes.gender.values.items():
            if template.language not in gender.words:
                raise ValueError(
                    f"{template.id}: gender {value!r} has no words in {template.language!r}"
                )
            words |= set(gender.words[template.language])
        given = {"first_name"} | words | ({"age"} if "age" in template.vary else set())
        clash = sorted(given & set(template.fields))
        if clash:
            raise ValueError(f"{template.id}: fields {clash} would hide the attributes' values")
        unknown = sorted(template.placeholders() - given - set(template.fields))
        if unknown:
            raise ValueError(f"{template.id}: nothing fills the placeholders {unknown}")
        if "first_name" not in template.placeholders():
            raise ValueError(f"{template.id}: the prompt must name the person ({{first_name}})")
        if "age" in template.vary and "age" not in template.placeholders():
            raise ValueError(f"{template.id}: varies age but the prompt has no {{age}}")

    @classmethod
    def parse(cls, text: str, extra: str | None = None) -> BiasTemplates:
        """Templates from YAML ``text``; ``extra``: a company's file, whose templates are added
        and whose attributes (if given) replace the shipped ones."""
        try:
            data = yaml.safe_load(text)
            if extra is not None:
                more = yaml.safe_load(extra) or {}
                if not isinstance(more, dict):
                    raise ValueError("the extra templates file must be a mapping")
                data["templates"] = [*data.get("templates", []), *more.get("templates", [])]
                if "attributes" in more:
                    data["attributes"] = more["attributes"]
                data["version"] = f"{data.get('version')}+{more.get('version', 'local')}"
            return cls.model_validate(data)
        except (yaml.YAMLError, ValidationError) as error:
            raise ValueError(f"invalid bias templates: {error}") from None

    @classmethod
    def load(cls, data_dir: Path | None = None) -> BiasTemplates:
        """The shipped templates, plus ``<data_dir>/bias_templates.yaml`` if it exists."""
        local = data_dir / LOCAL_FILE if data_dir is not None else None
        if local is None or not local.is_file():
            return _shipped()
        return cls.parse(_shipped_text(), local.read_text(encoding="utf-8"))

    def get(self, template_id: str) -> Template:
        for template in self.templates:
            if template.id == template_id:
                return template
        known = ", ".join(t.id for t in self.templates)
        raise NotFoundError(f"no bias template {template_id!r} (known: {known})", field="template")


def _shipped_text() -> str:
    return resources.files("gouvernail.observatory").joinpath(TEMPLATES_FILE).read_text("utf-8")


@cache
def _shipped() -> BiasTemplates:
    """The shipped file, parsed once per process (immutable data)."""
    return BiasTemplates.parse(_shipped_text())
