"""The library of common AI risks a register starts from.

Plain data: the built-in ``library.yaml`` is loaded the same way as a file the user names with
the ``risk_library_file`` setting (which replaces it). The file is validated when the runtime
starts, so a broken library stops the server instead of failing on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gouvernail.errors import GouvernailError
from gouvernail.risk.models import Category
from gouvernail.risk.scoring import Rating

BUILT_IN = Path(__file__).with_name("library.yaml")
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"


class Text(BaseModel):
    """A risk's words in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    mitigations: list[str] = Field(min_length=1)


class LibraryRisk(BaseModel):
    """One common risk: typical rating and, per language, title, description, mitigations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    category: Category
    likelihood: int = Field(ge=1, le=5)
    severity: int = Field(ge=1, le=5)
    en: Text
    fr: Text | None = None

    def text(self, lang: str) -> Text:
        """The words in ``lang``, or in English when this risk has no translation."""
        return getattr(self, lang, None) or self.en


class LibraryRiskView(BaseModel):
    """A library risk as the API shows it, in one language."""

    id: str
    category: Category
    likelihood: int
    severity: int
    score: int
    level: str
    title: str
    description: str
    mitigations: list[str]
    lang: str


class RiskLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(max_length=40)
    risks: list[LibraryRisk] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for risk in self.risks:
            if risk.id in seen:
                raise ValueError(f"risk id {risk.id!r} appears twice")
            seen.add(risk.id)
        return self

    @classmethod
    def load(cls, path: Path | None = None) -> RiskLibrary:
        """The library in ``path`` (default: the built-in one); ``ValueError`` if invalid."""
        source = path or BUILT_IN
        try:
            return cls.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as error:
            raise ValueError(f"invalid risk library {source}: {error}") from None

    def find(self, risk_id: str) -> LibraryRisk | None:
        return next((risk for risk in self.risks if risk.id == risk_id), None)

    def views(self, lang: str = DEFAULT_LANGUAGE) -> list[LibraryRiskView]:
        language = check_language(lang)
        views = []
        for risk in self.risks:
            text = risk.text(language)
            rating = Rating(risk.likelihood, risk.severity)
            views.append(
                LibraryRiskView(
                    id=risk.id,
                    category=risk.category,
                    likelihood=risk.likelihood,
                    severity=risk.severity,
                    score=rating.score,
                    level=rating.level.value,
                    title=text.title,
                    description=text.description,
                    mitigations=list(text.mitigations),
                    lang=language,
                )
            )
        return views


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise GouvernailError(
            f"language {lang!r} is not offered; use one of {', '.join(LANGUAGES)}", field="lang"
        )
    return lang
