"""A case of an evaluation suite: the messages sent to the model and the assertions its answer
must satisfy, as stored once a dataset is imported (checked and rendered).

Prompts may name variables as ``{{ name }}`` (promptfoo's syntax, without filters or tags);
a case's ``vars`` fill them when the dataset is imported, and fill the same placeholders of a
prompt version applied as the system prompt when the case is run.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ScorerName = Literal["exact", "contains", "regex", "json_schema", "numeric", "similarity", "rubric"]
SCORER_NAMES: tuple[str, ...] = ScorerName.__args__  # type: ignore[attr-defined]

MAX_TEXT = 50_000
"""Longest message, assertion value or variable (characters)."""
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TEMPLATE_MARKS = re.compile(r"\{\{|\{%|\{#")

VarValue = str | int | float | bool


class Assertion(BaseModel):
    """One check of an answer, read by the scorer named ``type`` (``scorers.SCORERS``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ScorerName
    value: Any = Field(
        None,
        description="What the scorer compares with: the text (exact, similarity), a text or a "
        "list (contains), a pattern (regex), a JSON Schema or nothing (json_schema), a number "
        "(numeric), the rubric (rubric).",
    )
    threshold: float | None = Field(
        None, ge=0, le=1, description="similarity: least cosine; rubric: least judge score."
    )
    tolerance: float | None = Field(None, ge=0, description="numeric: largest |answer - value|.")
    ignore_case: bool = False
    mode: Literal["all", "any"] = Field("all", description="contains with a list of texts.")
    negate: bool = Field(False, description="Passes when the check fails (exact, contains, regex).")
    name: str = Field("", max_length=100, description="A label (promptfoo's `metric`).")


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_TEXT)


class Case(BaseModel):
    """A case as stored: rendered messages, its variables, its assertions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    messages: list[Message] = Field(min_length=1)
    vars: dict[str, VarValue] = Field(default_factory=dict)
    asserts: list[Assertion] = Field(min_length=1, max_length=50)

    def question(self) -> str:
        """The last user message (what a judge reads as the question)."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


def check_template(text: str) -> None:
    """Refuse template syntax other than ``{{ name }}`` placeholders."""
    rest = PLACEHOLDER.sub("", text)
    if TEMPLATE_MARKS.search(rest):
        raise ValueError(
            "only {{ name }} placeholders are supported (no filters, tags or comments)"
        )


def render(text: str, values: dict[str, VarValue], *, strict: bool = True) -> str:
    """``text`` with its ``{{ name }}`` placeholders filled from ``values``; ``strict``: a
    placeholder nothing fills is an error (else it is left as it is)."""

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in values:
            if strict:
                raise ValueError(f"no variable {name!r} for the placeholder {found.group(0)}")
            return found.group(0)
        value = values[name]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return PLACEHOLDER.sub(fill, text)
