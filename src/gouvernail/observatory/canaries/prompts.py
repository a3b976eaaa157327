"""The canary prompt sets: data (``observatory/data/canary_prompts.yaml``), checked when loaded.

A set is a list of fixed prompts (id, language, kind, the text, the most tokens the answer may
take, whether the model should refuse it). The file also holds the patterns that mark an answer
as a refusal. A company adds sets and patterns in ``<data_dir>/canary_prompts.yaml`` (same
layout); the loader refuses a set or prompt id used twice, an empty set, or a pattern that is not
a regular expression.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gouvernail.errors import NotFoundError

PROMPTS_FILE = "data/canary_prompts.yaml"
LOCAL_FILE = "canary_prompts.yaml"
"""Sets a company adds, in its data directory (same layout)."""
REFUSAL_WINDOW = 400
"""Refusal patterns are searched in the beginning of an answer only."""

Kind = Literal[
    "factual",
    "arithmetic",
    "formatting",
    "extraction",
    "classification",
    "reasoning",
    "translation",
    "summary",
    "refusal",
    "long_form",
    "other",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CanaryPrompt(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    language: str = Field(pattern=r"^[a-z]{2}$")
    kind: Kind
    system: str = ""
    prompt: str = Field(min_length=1, max_length=4000)
    max_tokens: int = Field(200, ge=1, le=2000)
    refuse: bool = Field(False, description="The model should decline (a refusal bait).")

    @model_validator(mode="after")
    def _bait(self) -> Self:
        if self.kind == "refusal" and not self.refuse:
            raise ValueError(f"{self.id}: a prompt of kind refusal needs `refuse: true`")
        return self

    @cached_property
    def key(self) -> str:
        """The id and a digest of the text: a baseline answer is compared only with answers to
        the same text."""
        digest = hashlib.sha256(f"{self.system}\x00{self.prompt}".encode()).hexdigest()[:12]
        return f"{self.id}:{digest}"

    def messages(self) -> list[dict[str, str]]:
        messages = [{"role": "user", "content": self.prompt}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        return messages


class PromptSet(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    title: str
    prompts: list[CanaryPrompt] = Field(min_length=1)

    @field_validator("prompts")
    @classmethod
    def _unique(cls, value: list[CanaryPrompt]) -> list[CanaryPrompt]:
        ids = [p.id for p in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"prompt ids used twice: {repeated}")
        return value


class CanaryPrompts(_Strict):
    version: str = Field(min_length=1, max_length=80)
    refusal_patterns: list[str] = Field(min_length=1)
    sets: list[PromptSet] = Field(min_length=1)

    @field_validator("refusal_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"invalid refusal pattern {pattern!r}: {error}") from None
        return value

    @field_validator("sets")
    @classmethod
    def _sets(cls, value: list[PromptSet]) -> list[PromptSet]:
        ids = [s.id for s in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"prompt set ids used twice: {repeated}")
        return value

    @cached_property
    def _refusal(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in self.refusal_patterns), re.IGNORECASE)

    def is_refusal(self, answer: str) -> bool:
        """Whether the beginning of ``answer`` reads as the model declining."""
        text = answer[:REFUSAL_WINDOW].replace("\u2019", "'")
        return self._refusal.search(text) is not None

    def get(self, set_id: str) -> PromptSet:
        for prompt_set in self.sets:
            if prompt_set.id == set_id:
                return prompt_set
        known = ", ".join(s.id for s in self.sets)
        raise NotFoundError(f"no canary prompt set {set_id!r} (known: {known})", field="prompt_set")

    @classmethod
    def parse(cls, text: str, extra: str | None = None) -> CanaryPrompts:
        """Prompt sets from YAML ``text``; ``extra``: a company's file, whose sets and refusal
        patterns are added to the shipped ones."""
        try:
            data = yaml.safe_load(text)
            if extra is not None:
                more = yaml.safe_load(extra) or {}
                if not isinstance(more, dict):
                    raise ValueError("the company's canary prompts file must be a mapping")
                data["sets"] = [*data.get("sets", []), *more.get("sets", [])]
                data["refusal_patterns"] = [
                    *data.get("refusal_patterns", []),
                    *more.get("refusal_patterns", []),
                ]
                data["version"] = f"{data.get('version')}+{more.get('version', 'local')}"
            return cls.model_validate(data)
        except (yaml.YAMLError, ValidationError) as error:
            raise ValueError(f"invalid canary prompts: {error}") from None

    @classmethod
    def load(cls, data_dir: Path | None = None) -> CanaryPrompts:
        """The shipped sets, plus ``<data_dir>/canary_prompts.yaml`` if it exists."""
        local = data_dir / LOCAL_FILE if data_dir is not None else None
        if local is None or not local.is_file():
            return _shipped()
        return cls.parse(_shipped_text(), local.read_text(encoding="utf-8"))


def _shipped_text() -> str:
    return resources.files("gouvernail.observatory").joinpath(PROMPTS_FILE).read_text("utf-8")


@cache
def _shipped() -> CanaryPrompts:
    """The shipped file, parsed once per process (immutable data)."""
    return CanaryPrompts.parse(_shipped_text())
