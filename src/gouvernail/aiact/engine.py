"""Running a rule set over the answers on their path: facts, reasons, obligations, dates.

Deciding only: nothing here is stored or audited. The caller (the registry) records the
classification it keeps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from gouvernail.aiact.answers import AnsweredPath
from gouvernail.aiact.conditions import Scope, Value, holds
from gouvernail.aiact.results import AppliedObligation, Classification, Reason, TransparencyDuty
from gouvernail.aiact.ruleset import AnswerRef, Obligation, Rule, RuleSet, RuleSetError


def natural_key(article: str) -> list[tuple[int, int | str]]:
    """Sort 'Art. 9' before 'Art. 10' and 'Annex III, point 4(a)' before '4(b)'."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", article)]


class Evaluation:
    """One classification in the making: the facts as the rules set them, and the reasons."""

    def __init__(self, ruleset: RuleSet, path: AnsweredPath) -> None:
        self.ruleset = ruleset
        self.path = path
        self.facts: dict[str, Value] = {
            name: list(spec.default) if isinstance(spec.default, list) else spec.default
            for name, spec in ruleset.facts.items()
        }
        questions = {q.id: q for q in ruleset.questions}
        self.scope = Scope(
            path.answers, self.facts, lambda question, value: questions[question].tags_of(value)
        )
        self.reasons: list[Reason] = []
        self.role_reason: Reason | None = None

    def run(self) -> None:
        for rule in self.ruleset.rules_in_order():
            if holds(rule.when, self.scope):
                self._fire(rule)

    def _fire(self, rule: Rule) -> None:
        for fact, value in rule.set.items():
            self.facts[fact] = self._resolve(rule, value)
        for fact, value in rule.append.items():
            current = self.facts[fact]
            assert isinstance(current, list)  # checked when the rule set was loaded
            resolved = self._resolve(rule, value)
            for item in resolved if isinstance(resolved, list) else [resolved]:
                if isinstance(item, str) and item not in current:
                    current.append(item)
        articles = list(rule.articles)
        for question_id in rule.cite:
            answer = self.path.answers.get(question_id)
            if answer is not None:
                articles += self.ruleset.question(question_id).articles_of(answer)
        reason = Reason(rule=rule.id, text=rule.text, articles=_unique(articles))
        self.reasons.append(reason)
        if "role" in rule.set:
            self.role_reason = reason

    def _resolve(self, rule: Rule, value: Value | AnswerRef) -> Value:
        if not isinstance(value, AnswerRef):
            return list(value) if isinstance(value, list) else value
        answer = self.path.answers.get(value.answer)
        if answer is None:
            raise RuleSetError(
                f"rule set {self.ruleset.version}: rule {rule.id} fired but {value.answer} "
                "was not asked on this path"
            )
        return list(answer) if isinstance(answer, list) else answer

    def applied(self, obligation: Obligation, on: dt.date) -> AppliedObligation:
        choices = [c for c in obligation.applies_from if holds(c.when, self.scope)]
        if not choices:
            raise RuleSetError(
                f"rule set {self.ruleset.version}: obligation {obligation.id} applies but none "
                "of its application dates does"
            )
        key = min(choices, key=lambda c: self.ruleset.application_dates[c.date].date).date
        when = self.ruleset.application_dates[key]
        return AppliedObligation(
            id=obligation.id,
            article=obligation.article,
            text=obligation.text,
            note=obligation.note,
            holders=list(obligation.holders),
            applies_from=when.date,
            application_date=key,
            source=when.source,
            amended=when.amended,
            in_force=when.date <= on,
        )

    def classification(self, on: dt.date) -> Classification:
        facts = self.facts
        roles = set(_strings(facts["roles"]))
        obligations: list[AppliedObligation] = []
        duties: list[TransparencyDuty] = []
        for obligation in self.ruleset.obligations:
            if not holds(obligation.when, self.scope):
                continue
            applied = self.applied(obligation, on)
            yours = "any" in obligation.holders or bool(roles & set(obligation.holders))
            if obligation.kind == "transparency":
                duties.append(TransparencyDuty(**applied.model_dump(), yours=yours))
            if yours:
                obligations.append(applied)
        articles = [a for reason in self.reasons for a in reason.articles]
        articles += [o.article for o in (*obligations, *duties)]
        areas = _strings(facts["annex_iii_areas"])
        return Classification(
            ruleset=self.ruleset.version,
            classified_on=on,
            tier=str(facts["tier"]),  # its values are checked when the rule set is loaded
            needs_compliance_review=bool(facts["needs_compliance_review"]),
            prohibited_practices=_strings(facts["prohibited_practices"]),
            high_risk_route=str(facts["high_risk_route"]),
            annex_i_section=_optional(facts["annex_i_section"]),
            annex_iii_area=areas[0] if areas else None,
            annex_iii_areas=areas,
            annex_iii_uses=_strings(facts["annex_iii_uses"]),
            exception_applied=str(facts["exception"]),
            profiling_override=bool(facts["profiling_override"]),
            transparency_duties=duties,
            gpai=bool(facts["gpai"]),
            gpai_model_provider=bool(facts["gpai_model_provider"]),
            gpai_systemic_risk=bool(facts["gpai_systemic_risk"]),
            role=_optional(facts["role"]),
            roles=_strings(facts["roles"]),
            role_reason=self.role_reason,
            articles=sorted(set(articles), key=natural_key),
            obligations=obligations,
            reasons=self.reasons,
            answers=dict(self.path.answers),
            ignored_answers=list(self.path.ignored),
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _strings(value: Value) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _optional(value: Value) -> str | None:
    return None if value in ("none", "", False) else str(value)
