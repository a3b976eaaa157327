"""Checking a set of answers against the questionnaire, and finding the path they take.

The rules of the road, in order:

1. every key must be a question of the rule set, and every answer one the question allows;
2. the questions are walked in order: a question whose ``ask_when`` holds must be answered;
3. once a question's ``ends_when`` holds (an Art. 5 practice), the rest is not asked and any
   answers to it are ignored (reported in ``ignored_answers``);
4. an answer to a question that is not asked on the path is ignored when it is the question's
   neutral answer (``false``, ``none``), and is a contradiction otherwise: it asserts something
   the earlier answers rule out (e.g. ``third_party_conformity: true`` for no Annex I product);
5. the rule set's ``contradictions`` are then checked over the answers on the path.

The first problem found is raised as a 422 naming the question to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gouvernail.aiact.conditions import Scope, Value, holds
from gouvernail.aiact.questions import Question, answer_error
from gouvernail.aiact.ruleset import RuleSet
from gouvernail.errors import GouvernailError


@dataclass(frozen=True)
class AnsweredPath:
    answers: dict[str, Value]
    """The answers on the path, in canonical form."""
    ignored: list[str]
    """Questions answered but not used (not asked on this path, or after the end)."""
    ended_by: str | None
    """The question whose answer ended the questionnaire early, if any."""


def answer_scope(ruleset: RuleSet, answers: Mapping[str, Value]) -> Scope:
    questions = {q.id: q for q in ruleset.questions}
    return Scope(answers, {}, lambda question, value: questions[question].tags_of(value))


def walk(ruleset: RuleSet, raw: Mapping[str, Any]) -> AnsweredPath:
    if not isinstance(raw, Mapping):
        raise GouvernailError(
            "answers must be a mapping of question id to answer",
            field="answers",
            code="invalid_answer",
            status=422,
        )
    questions = {q.id: q for q in ruleset.questions}
    for key in raw:
        if key not in questions:
            raise answer_error(
                str(key),
                f"unknown question in rule set {ruleset.version} "
                "(GET /api/v1/ai-act/questionnaire lists them)",
                code="unknown_question",
            )
    given = {key: questions[key].parse(value) for key, value in raw.items()}
    answered: dict[str, Value] = {}
    ignored: list[str] = []
    ended_by: str | None = None
    scope = answer_scope(ruleset, answered)
    for question in ruleset.questions:
        if ended_by is not None or not holds(question.ask_when, scope):
            if question.id in given:
                if ended_by is None and not question.is_neutral(given[question.id]):
                    raise _off_path(question, given[question.id])
                ignored.append(question.id)
            continue
        if question.id not in given:
            allowed = ", ".join(str(value).lower() for value in question.allowed())
            raise answer_error(
                question.id,
                f"this question applies to the answers given and needs an answer "
                f"({question.text.en} Allowed: {allowed})",
                code="missing_answer",
            )
        answered[question.id] = given[question.id]
        if question.ends_when is not None and holds(question.ends_when, scope):
            ended_by = question.id
    for contradiction in ruleset.contradictions:
        if holds(contradiction.when, scope):
            raise answer_error(
                contradiction.field, contradiction.message.en, code="contradictory_answers"
            )
    return AnsweredPath(answered, ignored, ended_by)


def _off_path(question: Question, answer: Value) -> GouvernailError:
    if question.off_path is not None:
        message = question.off_path.en
    else:
        leaves = question.ask_when.leaves() if question.ask_when is not None else iter(())
        depends = ", ".join(sorted({leaf.subject for leaf in leaves}))
        neutral = question.neutral_answer
        fix = f"answer {_shown(neutral)} or leave it out" if neutral is not None else "leave it out"
        message = (
            f"{_shown(answer)} contradicts the answer to {depends}, which rules this question "
            f"out: {fix}, or correct {depends}"
        )
    return answer_error(question.id, message, code="contradictory_answers")


def _shown(value: Value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)
