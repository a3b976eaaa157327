"""Bilingual text: every question, answer, reason and obligation exists in English and French."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["en", "fr"]


class Text(BaseModel):
    """The same sentence in English and in French."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def pick(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.fr
