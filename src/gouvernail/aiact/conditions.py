"""Conditions: the small language the rule sets use to say *when* (a question is asked, a rule
fires, an obligation applies, a date is chosen).

A leaf names one subject, an ``answer`` (question id) or a ``fact`` (set by earlier rules), and
one test::

    {answer: role, is: deployer}                        equal to
    {answer: role, in: [deployer, importer]}            one of
    {answer: annex_iii_areas, includes: employment}     a many-of answer or list fact contains
    {answer: annex_iii_areas, includes_any: [a, b]}     ... contains at least one of
    {answer: annex_i_product, tagged: section_a}        a chosen option carries the tag
    {fact: transparency, empty: true}                   a list fact is (not) empty

Leaves combine with ``all: [...]``, ``any: [...]`` and ``not: {...}``. A question that was not
answered on the path taken makes every leaf about it false (so ``not`` of it true).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

Value = bool | str | list[str]
"""An answer or a fact: yes/no, one value, or a list of values."""

TESTS = ("is_", "in_", "includes", "includes_any", "tagged", "empty")
GROUPS = ("all_", "any_", "not_")


class Condition(BaseModel):
    """One condition; see the module docstring for its forms."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    answer: str | None = None
    fact: str | None = None
    is_: bool | str | None = Field(None, alias="is")
    in_: list[str] | None = Field(None, alias="in", min_length=1)
    includes: str | None = None
    includes_any: list[str] | None = Field(None, min_length=1)
    tagged: str | None = None
    empty: bool | None = None
    all_: list[Condition] | None = Field(None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(None, alias="any", min_length=1)
    not_: Condition | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        groups = [name for name in GROUPS if getattr(self, name) is not None]
        tests = [name for name in TESTS if getattr(self, name) is not None]
        subjects = [name for name in ("answer", "fact") if getattr(self, name) is not None]
        if groups:
            if len(groups) > 1 or tests or subjects:
                raise ValueError("a condition is one of all / any / not, or one leaf test")
            return self
        if len(subjects) != 1:
            raise ValueError("a leaf condition names exactly one 'answer' or one 'fact'")
        if len(tests) != 1:
            raise ValueError(
                "a leaf condition has exactly one test: is, in, includes, includes_any, "
                "tagged or empty"
            )
        if self.tagged is not None and self.fact is not None:
            raise ValueError("'tagged' applies to answers only")
        return self

    @property
    def subject(self) -> str:
        return self.answer or self.fact or ""

    @property
    def test(self) -> str:
        """The name of the leaf test, as written in the YAML (``is``, ``in``, ...)."""
        return next(name for name in TESTS if getattr(self, name) is not None).rstrip("_")

    def leaves(self) -> Iterator[Condition]:
        """Every leaf of the condition (for the consistency checks of a rule set)."""
        if self.answer is not None or self.fact is not None:
            yield self
        for child in (*(self.all_ or ()), *(self.any_ or ()), self.not_):
            if child is not None:
                yield from child.leaves()

    def as_data(self) -> dict[str, Any]:
        """The condition as written in the YAML (for the questionnaire a tool reads)."""
        return self.model_dump(by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class Scope:
    """What a condition can look at: answers on the path, facts so far, options' tags."""

    answers: Mapping[str, Value]
    facts: Mapping[str, Value]
    tags: Callable[[str, Value], frozenset[str]]


def holds(condition: Condition | None, scope: Scope) -> bool:
    """Whether ``condition`` is true in ``scope``; no condition means always."""
    if condition is None:
        return True
    if condition.all_ is not None:
        return all(holds(child, scope) for child in condition.all_)
    if condition.any_ is not None:
        return any(holds(child, scope) for child in condition.any_)
    if condition.not_ is not None:
        return not holds(condition.not_, scope)
    source = scope.answers if condition.answer is not None else scope.facts
    value = source.get(condition.subject)
    if value is None:
        return False
    return _test(condition, value, scope)


def _test(condition: Condition, value: Value, scope: Scope) -> bool:
    items = value if isinstance(value, list) else [value]
    if condition.is_ is not None:
        return value == condition.is_
    if condition.in_ is not None:
        return value in condition.in_
    if condition.includes is not None:
        return condition.includes in items
    if condition.includes_any is not None:
        return any(item in items for item in condition.includes_any)
    if condition.tagged is not None:
        return condition.tagged in scope.tags(condition.subject, value)
    return (len(items) == 0) == condition.empty
