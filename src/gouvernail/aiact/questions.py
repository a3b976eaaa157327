"""Questions of the questionnaire and the answers they accept.

Three kinds: ``yes_no`` (answer ``true``/``false``), ``one_of`` (one option value) and
``many_of`` (a non-empty list of option values; an ``exclusive`` option such as ``none`` stands
alone). A question is asked when its ``ask_when`` holds over the earlier answers; once a
question's ``ends_when`` holds, the remaining questions are not asked.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gouvernail.aiact.conditions import Condition, Value
from gouvernail.aiact.text import Text
from gouvernail.errors import GouvernailError

ID = r"^[a-z][a-z0-9_]{0,63}$"


def answer_error(question: str, message: str, code: str = "invalid_answer") -> GouvernailError:
    """A refusal of the answers, naming the question at fault (HTTP 422)."""
    return GouvernailError(f"{question}: {message}", field=question, code=code, status=422)


class Kind(StrEnum):
    YES_NO = "yes_no"
    ONE_OF = "one_of"
    MANY_OF = "many_of"


class Option(BaseModel):
    """One allowed answer of a choice question, with the article or annex point it stands for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(pattern=ID)
    label: Text
    help: Text | None = None
    article: str | None = Field(None, description="e.g. 'Art. 5(1)(c)' or 'Annex III, point 4(a)'")
    tags: list[str] = Field(default_factory=list)
    exclusive: bool = Field(False, description="Must be the only value of a many-of answer.")


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID)
    kind: Kind
    text: Text
    help: Text | None = None
    options: list[Option] = Field(default_factory=list)
    ask_when: Condition | None = None
    ends_when: Condition | None = None
    neutral: Value | None = Field(
        None,
        description="The answer that declares nothing; given to a question that is not asked, "
        "any other answer contradicts the path (default false for yes/no questions).",
    )
    off_path: Text | None = Field(
        None, description="What to fix when a non-neutral answer is given off the path."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind is Kind.YES_NO:
            if self.options:
                raise ValueError(f"{self.id}: a yes/no question has no options")
        else:
            values = [option.value for option in self.options]
            if len(values) < 2:
                raise ValueError(f"{self.id}: a choice question needs at least two options")
            if len(values) != len(set(values)):
                raise ValueError(f"{self.id}: option values must be unique")
            if self.kind is Kind.ONE_OF and any(option.exclusive for option in self.options):
                raise ValueError(f"{self.id}: 'exclusive' only makes sense in a many-of question")
        if self.neutral is not None:
            try:
                self.parse(self.neutral)
            except GouvernailError as error:
                raise ValueError(f"neutral answer: {error.message}") from None
        return self

    @property
    def neutral_answer(self) -> Value | None:
        """The answer that declares nothing (false for a yes/no question unless set)."""
        if self.neutral is None and self.kind is Kind.YES_NO:
            return False
        return self.neutral

    @property
    def values(self) -> list[str]:
        return [option.value for option in self.options]

    def allowed(self) -> list[bool | str]:
        if self.kind is Kind.YES_NO:
            return [True, False]
        return list(self.values)

    def option(self, value: str) -> Option:
        return next(option for option in self.options if option.value == value)

    def tags_of(self, answer: Value) -> frozenset[str]:
        chosen = answer if isinstance(answer, list) else [answer]
        return frozenset(
            tag for option in self.options if option.value in chosen for tag in option.tags
        )

    def articles_of(self, answer: Value) -> list[str]:
        chosen = answer if isinstance(answer, list) else [answer]
        return [o.article for o in self.options if o.value in chosen and o.article is not None]

    def is_neutral(self, answer: Value) -> bool:
        neutral = self.neutral_answer
        if neutral is None:
            return False
        if isinstance(answer, list) and isinstance(neutral, list):
            return set(answer) == set(neutral)
        return answer == neutral

    def parse(self, raw: Any) -> Value:
        """The answer in its canonical form, or a 422 naming this question."""
        if self.kind is Kind.YES_NO:
            if not isinstance(raw, bool):
                raise answer_error(self.id, f"answer true or false (got {raw!r})")
            return raw
        choices = ", ".join(self.values)
        if self.kind is Kind.ONE_OF:
            if not isinstance(raw, str) or raw not in self.values:
                raise answer_error(
                    self.id, f"{raw!r} is not an allowed answer; choose one of: {choices}"
                )
            return raw
        if not isinstance(raw, list) or not raw:
            raise answer_error(
                self.id, f"answer a non-empty list of values among: {choices} (got {raw!r})"
            )
        chosen: list[str] = []
        for item in raw:
            if not isinstance(item, str) or item not in self.values:
                raise answer_error(
                    self.id, f"{item!r} is not an allowed answer; choose among: {choices}"
                )
            if item not in chosen:
                chosen.append(item)
        exclusive = [value for value in chosen if self.option(value).exclusive]
        if exclusive and len(chosen) > 1:
            others = ", ".join(value for value in chosen if value != exclusive[0])
            raise answer_error(
                self.id,
                f"'{exclusive[0]}' cannot be combined with other answers ({others}); "
                f"keep either '{exclusive[0]}' or the others",
                code="contradictory_answers",
            )
        return chosen
