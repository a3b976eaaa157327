"""A rule set: one version of the EU AI Act encoded as data (questions, rules, obligations,
application dates), validated when it is loaded so that a typo fails at start-up, not in a
classification.

How a rule set is read:

- ``facts`` are the named values the rules compute (tier, route, roles, ...), each with its
  default and, for text facts, the values it may take.
- ``rules`` run stage by stage (``stages``), in file order inside a stage. A rule whose ``when``
  holds ``set``s or ``append``s facts and becomes a reason of the result, citing its
  ``articles`` and the articles of the options chosen for the questions it ``cite``s.
- ``obligations`` apply when their ``when`` holds over the final facts; they are the
  organisation's when one of their ``holders`` is among its roles. Each applies from the
  earliest of its ``applies_from`` dates whose condition holds.
- ``application_dates`` carry each date with its legal source and, when a later act moved it,
  the ``superseded`` dates with theirs.
- ``contradictions`` are combinations of answers refused with a message naming a question.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gouvernail.aiact.conditions import Condition, Value
from gouvernail.aiact.questions import ID, Kind, Question
from gouvernail.aiact.text import Text

Holder = Literal["provider", "deployer", "importer", "distributor", "any"]

TIERS = ("prohibited", "high", "limited", "minimal")
ROUTES = ("annex_i", "annex_iii", "none")

# Facts the result is built from: name -> (type of the default, allowed values or None).
OUTPUT_FACTS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "tier": (str, TIERS),
    "high_risk_route": (str, ROUTES),
    "annex_i_section": (str, None),
    "annex_iii_areas": (list, None),
    "annex_iii_uses": (list, None),
    "exception": (str, None),
    "profiling_override": (bool, None),
    "prohibited_practices": (list, None),
    "transparency": (list, None),
    "gpai": (bool, None),
    "gpai_model_provider": (bool, None),
    "gpai_systemic_risk": (bool, None),
    "role": (str, None),
    "roles": (list, ("provider", "deployer", "importer", "distributor")),
    "needs_compliance_review": (bool, None),
}


class RuleSetError(Exception):
    """A rule-set file that cannot be used (says which file and what is wrong), or rule-set data
    that fails while classifying (a path the data does not cover)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactSpec(Strict):
    default: Value
    values: list[str] | None = Field(None, description="Allowed values of a text or list fact.")


class AnswerRef(Strict):
    """In ``set``/``append``: the answer given to a question."""

    answer: str


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    stage: str
    when: Condition | None = None
    text: Text
    articles: list[str] = Field(default_factory=list)
    cite: list[str] = Field(default_factory=list)
    set: dict[str, Value | AnswerRef] = Field(default_factory=dict)
    append: dict[str, Value | AnswerRef] = Field(default_factory=dict)


class DateChoice(Strict):
    when: Condition | None = None
    date: str = Field(description="Key of an application date.")


class Obligation(Strict):
    id: str = Field(pattern=ID)
    article: str
    text: Text
    note: Text | None = None
    kind: Literal["obligation", "transparency"] = "obligation"
    holders: list[Holder] = Field(min_length=1)
    when: Condition | None = Field(None, description="Applies when this holds (always if absent).")
    applies_from: list[DateChoice] = Field(min_length=1)

    @field_validator("applies_from", mode="before")
    @classmethod
    def _one_key(cls, value: Any) -> Any:
        return [{"date": value}] if isinstance(value, str) else value


class Superseded(Strict):
    date: dt.date
    source: str


class ApplicationDate(Strict):
    label: Text
    date: dt.date
    source: str = Field(min_length=1, description="The legal provision that sets this date.")
    amended: bool = Field(False, description="Set by an amending act (see superseded).")
    superseded: list[Superseded] = Field(default_factory=list)
    note: Text | None = None


class Contradiction(Strict):
    id: str = Field(pattern=ID)
    field: str = Field(description="The question the error names.")
    when: Condition
    message: Text


class RuleSet(Strict):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    title: Text
    effective_from: dt.date
    source: str
    extends: str | None = None
    replaces: str | None = None
    notes: Text | None = None
    stages: list[str] = Field(min_length=1)
    facts: dict[str, FactSpec]
    application_dates: dict[str, ApplicationDate]
    questions: list[Question] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)
    obligations: list[Obligation]
    contradictions: list[Contradiction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        problems = Checker(self).problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def rules_in_order(self) -> list[Rule]:
        order = {stage: index for index, stage in enumerate(self.stages)}
        return sorted(self.rules, key=lambda rule: order[rule.stage])  # stable: file order


class Checker:
    """Cross-references of a rule set: every name it uses exists and every value fits."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.rs = ruleset
        self.questions = {q.id: q for q in ruleset.questions}
        self.out: list[str] = []

    def problems(self) -> list[str]:
        rs = self.rs
        for kind, ids in (
            ("question", [q.id for q in rs.questions]),
            ("rule", [r.id for r in rs.rules]),
            ("obligation", [o.id for o in rs.obligations]),
            ("contradiction", [c.id for c in rs.contradictions]),
        ):
            seen: set[str] = set()
            for item in ids:
                if item in seen:
                    self.out.append(f"{kind} '{item}' is defined twice")
                seen.add(item)
        self._output_facts()
        for name, spec in rs.facts.items():
            given = spec.default if isinstance(spec.default, list) else [spec.default]
            for value in given:
                if spec.values is not None and value not in spec.values:
                    self.out.append(f"fact '{name}': default {value!r} is not among its values")
        earlier: set[str] = set()
        for question in rs.questions:
            for name, cond in (("ask_when", question.ask_when), ("ends_when", question.ends_when)):
                visible = earlier | {question.id} if name == "ends_when" else earlier
                self._condition(cond, f"question {question.id}.{name}", visible, facts=False)
            earlier.add(question.id)
        for rule in rs.rules:
            where = f"rule {rule.id}"
            if rule.stage not in rs.stages:
                self.out.append(f"{where}: unknown stage '{rule.stage}'")
            self._condition(rule.when, where, set(self.questions), facts=True)
            for question_id in rule.cite:
                if question_id not in self.questions:
                    self.out.append(f"{where}: cites unknown question '{question_id}'")
            for fact, effect in rule.set.items():
                self._effect(where, fact, effect, append=False)
            for fact, effect in rule.append.items():
                self._effect(where, fact, effect, append=True)
        for obligation in rs.obligations:
            where = f"obligation {obligation.id}"
            self._condition(obligation.when, where, set(self.questions), facts=True)
            for choice in obligation.applies_from:
                if choice.date not in rs.application_dates:
                    self.out.append(f"{where}: unknown application date '{choice.date}'")
                self._condition(choice.when, where, set(self.questions), facts=True)
        for contradiction in rs.contradictions:
            where = f"contradiction {contradiction.id}"
            if contradiction.field not in self.questions:
                self.out.append(f"{where}: names unknown question '{contradiction.field}'")
            self._condition(contradiction.when, where, set(self.questions), facts=False)
        return self.out

    def _output_facts(self) -> None:
        for name, (kind, values) in OUTPUT_FACTS.items():
            spec = self.rs.facts.get(name)
            if spec is None:
                self.out.append(f"fact '{name}' must be declared")
            elif not isinstance(spec.default, kind):
                self.out.append(f"fact '{name}' must be a {kind.__name__}")
            elif values is not None and not set(spec.values or ()) <= set(values):
                self.out.append(f"fact '{name}' may only take the values {list(values)}")
            elif values is not None and spec.values is None:
                self.out.append(f"fact '{name}' must list its values among {list(values)}")

    def _condition(
        self, condition: Condition | None, where: str, visible: set[str], *, facts: bool
    ) -> None:
        if condition is None:
            return
        for leaf in condition.leaves():
            if leaf.answer is not None:
                if leaf.answer not in self.questions:
                    self.out.append(f"{where}: unknown question '{leaf.answer}'")
                elif leaf.answer not in visible:
                    self.out.append(f"{where}: '{leaf.answer}' is not an earlier question")
                else:
                    self._answer_leaf(leaf, self.questions[leaf.answer], where)
            elif not facts:
                self.out.append(f"{where}: may only look at answers, not at fact '{leaf.fact}'")
            elif leaf.subject not in self.rs.facts:
                self.out.append(f"{where}: unknown fact '{leaf.subject}'")
            else:
                self._fact_leaf(leaf, self.rs.facts[leaf.subject], where)

    def _answer_leaf(self, leaf: Condition, question: Question, where: str) -> None:
        allowed: dict[str, set[Kind]] = {
            "is": {Kind.YES_NO, Kind.ONE_OF},
            "in": {Kind.ONE_OF},
            "includes": {Kind.MANY_OF},
            "includes_any": {Kind.MANY_OF},
            "tagged": {Kind.ONE_OF, Kind.MANY_OF},
            "empty": set(),
        }
        if question.kind not in allowed[leaf.test]:
            self.out.append(f"{where}: '{leaf.test}' does not apply to {question.id}")
            return
        if leaf.test == "tagged":
            if leaf.tagged not in {tag for o in question.options for tag in o.tags}:
                self.out.append(f"{where}: no option of {question.id} has tag '{leaf.tagged}'")
            return
        if question.kind is Kind.YES_NO:
            if not isinstance(leaf.is_, bool):
                self.out.append(f"{where}: {question.id} is answered true or false")
            return
        for value in _values_of(leaf):
            if value not in question.values:
                self.out.append(f"{where}: '{value}' is not an option of {question.id}")

    def _fact_leaf(self, leaf: Condition, spec: FactSpec, where: str) -> None:
        is_list = isinstance(spec.default, list)
        if (leaf.test in {"includes", "includes_any", "empty"}) != is_list:
            self.out.append(f"{where}: '{leaf.test}' does not apply to fact '{leaf.fact}'")
            return
        if leaf.test == "is" and isinstance(spec.default, bool) != isinstance(leaf.is_, bool):
            self.out.append(f"{where}: fact '{leaf.fact}' has another type")
            return
        if leaf.test == "in" and isinstance(spec.default, bool):
            self.out.append(f"{where}: 'in' does not apply to fact '{leaf.fact}'")
            return
        if spec.values is not None:
            for value in _values_of(leaf):
                if value not in spec.values:
                    self.out.append(f"{where}: '{value}' is not a value of fact '{leaf.fact}'")

    def _effect(self, where: str, fact: str, value: Value | AnswerRef, *, append: bool) -> None:
        spec = self.rs.facts.get(fact)
        if spec is None:
            self.out.append(f"{where}: unknown fact '{fact}'")
            return
        if append and not isinstance(spec.default, list):
            self.out.append(f"{where}: can only append to a list fact, not '{fact}'")
            return
        if isinstance(value, AnswerRef):
            question = self.questions.get(value.answer)
            if question is None:
                self.out.append(f"{where}: unknown question '{value.answer}'")
                return
            produced: list[str] = question.values
            fits = {
                Kind.YES_NO: isinstance(spec.default, bool),
                Kind.ONE_OF: isinstance(spec.default, str) or append,
                Kind.MANY_OF: isinstance(spec.default, list),
            }[question.kind]
            if not fits:
                self.out.append(f"{where}: the answer to {question.id} does not fit '{fact}'")
        else:
            produced = value if isinstance(value, list) else []
            if isinstance(value, str):
                produced = [value]
            if not append and type(value) is not type(spec.default):
                self.out.append(f"{where}: '{fact}' takes a {type(spec.default).__name__}")
            if append and isinstance(value, bool):
                self.out.append(f"{where}: cannot append a boolean to '{fact}'")
        if spec.values is not None:
            for item in produced:
                if item not in spec.values:
                    self.out.append(f"{where}: '{item}' is not a value of fact '{fact}'")


def _values_of(leaf: Condition) -> list[str]:
    for candidate in (leaf.in_, leaf.includes_any):
        if candidate is not None:
            return candidate
    for single in (leaf.is_, leaf.includes):
        if isinstance(single, str):
            return [single]
    return []
