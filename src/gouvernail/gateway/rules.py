"""The enforcement policy: findings and the call's ceiling in, a ``Decision`` out.

Deciding is separate from acting: ``Rules.decide`` only says what to do and why (rule ids and
reasons); the pipeline's enforce step redacts, reroutes or refuses. The rules are plain data
(``rules.yaml``, replaceable by the settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gouvernail.charter.rules import CharterRules
from gouvernail.inspection.findings import Finding, Inspection

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")


class Action(StrEnum):
    ALLOW = "allow"
    REDACT = "redact"
    REROUTE = "reroute"
    BLOCK = "block"


SEVERITY = {Action.ALLOW: 0, Action.REDACT: 1, Action.REROUTE: 2, Action.BLOCK: 3}


class When(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    over_ceiling: bool = False
    types: frozenset[str] | None = None
    injection: bool = False
    uninspectable: bool = False

    @model_validator(mode="after")
    def _one_trigger(self) -> When:
        if sum((self.over_ceiling, self.injection, self.uninspectable)) != 1:
            raise ValueError(
                "a rule applies to exactly one of over_ceiling, injection, uninspectable"
            )
        if self.types is not None and not self.over_ceiling:
            raise ValueError("types only make sense with over_ceiling")
        return self


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    description: str = Field(min_length=1, max_length=500)
    when: When
    action: Action

    @model_validator(mode="after")
    def _allowed_action(self) -> Rule:
        if self.when.over_ceiling and self.action is Action.ALLOW:
            raise ValueError(f"{self.id}: data above the ceiling cannot be allowed as it is")
        if not self.when.over_ceiling and self.action not in (Action.ALLOW, Action.BLOCK):
            raise ValueError(f"{self.id}: injection and uninspectable rules allow or block")
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The highest data class a call may carry, and which limit sets it."""

    data_class: str
    set_by: tuple[str, ...]
    """'charter', 'model', 'use_case': every limit equal to the ceiling."""


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    rule_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    redact: tuple[Finding, ...] = ()
    """Findings to replace by placeholders (action redact)."""
    needed_class: str | None = None
    """For a reroute: the data class the target model must be allowed to receive."""
    flags: tuple[str, ...] = field(default_factory=tuple)
    """Rules that fired with action allow (recorded, not enforced)."""

    def header(self) -> str:
        return f"{self.action.value}; rules={','.join(self.rule_ids) or '-'}"


def sensitivity(charter: CharterRules, name: str) -> int:
    """Rank of a data class for a finding: a class the charter does not know ranks above
    every known one (fail closed)."""
    names = charter.class_names
    return names.index(name) if name in names else len(names)


def ceiling_rank(charter: CharterRules, ceiling: Ceiling) -> int:
    """Rank of a ceiling: one the charter does not know lets nothing through (-1)."""
    names = charter.class_names
    return names.index(ceiling.data_class) if ceiling.data_class in names else -1


def ceiling_for(
    charter: CharterRules, *, hosting: str, model_max: str, use_case_max: str | None
) -> Ceiling:
    """The lowest of: the charter's highest class for this hosting, the model's maximum class,
    the use case's ceiling. A class the charter does not know ranks as the lowest (fail closed)."""
    names = charter.class_names
    allowed = [name for name in names if charter.may_receive(name, hosting)]
    limits = {"charter": allowed[-1] if allowed else None, "model": model_max}
    if use_case_max is not None:
        limits["use_case"] = use_case_max

    def rank(name: str | None) -> int:
        return names.index(name) if name in names else -1

    lowest = min(rank(value) for value in limits.values())
    if lowest < 0:
        return Ceiling(data_class="", set_by=tuple(k for k, v in limits.items() if rank(v) < 0))
    return Ceiling(
        data_class=names[lowest],
        set_by=tuple(k for k, v in limits.items() if rank(v) == lowest),
    )


class Rules:
    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset

    @classmethod
    def load(cls, path: Path | None = None) -> Rules:
        data = yaml.safe_load((path or DEFAULT_RULES).read_text(encoding="utf-8"))
        return cls(RuleSet.model_validate(data))

    def replace(self, ruleset: RuleSet) -> None:
        """Enforce ``ruleset`` from the next decision on (an administrator's new version)."""
        self.ruleset = ruleset

    def _first(self, kind: Literal["injection", "uninspectable"]) -> Rule | None:
        for rule in self.ruleset.rules:
            if getattr(rule.when, kind):
                return rule
        return None

    def _for_finding(self, finding: Finding) -> Rule | None:
        for rule in self.ruleset.rules:
            when = rule.when
            if when.over_ceiling and (when.types is None or finding.type in when.types):
                return rule
        return None

    def decide(
        self,
        charter: CharterRules,
        ceiling: Ceiling,
        inspection: Inspection | None,
        uninspectable: Sequence[str],
    ) -> Decision:
        actions: dict[str, Action] = {}
        reasons: list[str] = []
        flags: list[str] = []
        redact: list[Finding] = []
        needed: list[str] = []

        def fire(rule: Rule, reason: str) -> None:
            if rule.action is Action.ALLOW:
                if rule.id not in flags:
                    flags.append(rule.id)
                return
            actions.setdefault(rule.id, rule.action)
            if reason not in reasons:
                reasons.append(reason)

        if uninspectable:
            rule = self._first("uninspectable")
            if rule is not None:
                fire(
                    rule,
                    f"{rule.id}: {len(uninspectable)} part(s) cannot be inspected "
                    f"({', '.join(uninspectable[:3])})",
                )
        if inspection is not None and inspection.injection.detected:
            rule = self._first("injection")
            if rule is not None:
                fire(
                    rule,
                    f"{rule.id}: prompt-injection signals "
                    f"({', '.join(inspection.injection.signals) or 'classifier'})",
                )
        if inspection is not None:
            limit = ceiling_rank(charter, ceiling)
            for finding in inspection.findings:
                rank = sensitivity(charter, finding.data_class)
                if rank <= limit:
                    continue
                rule = self._for_finding(finding)
                if rule is None:  # no rule for it: above the ceiling is never let through
                    actions.setdefault("above-ceiling", Action.BLOCK)
                    reasons.append(f"above-ceiling: {finding.type} is {finding.data_class}")
                    continue
                where = "above the ceiling " + (ceiling.data_class or "(none)")
                fire(
                    rule,
                    f"{rule.id}: {finding.type} ({finding.data_class}) {where} "
                    f"set by {'/'.join(ceiling.set_by)}",
                )
                if rule.action is Action.REDACT:
                    redact.append(finding)
                elif rule.action is Action.REROUTE:
                    needed.append(finding.data_class)
        if not actions:
            return Decision(Action.ALLOW, tuple(flags), tuple(reasons), flags=tuple(flags))
        action = max(actions.values(), key=SEVERITY.__getitem__)
        known = [n for n in needed if n in charter.class_names]
        return Decision(
            action,
            tuple(actions) + tuple(flags),
            tuple(reasons),
            redact=tuple(redact),
            needed_class=charter.most_sensitive(known)
            if len(known) == len(needed) and known
            else (None if not needed else charter.class_names[-1]),
            flags=tuple(flags),
        )
