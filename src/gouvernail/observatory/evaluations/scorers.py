"""Scorers: each reads an answer against one assertion and returns a ``Score``.

The built-ins register in ``SCORERS`` like any other would; each checks its assertions when a
dataset is imported (``check``: a bad pattern, schema or threshold is refused there, with the
case it belongs to) and scores answers when a run is executed (``score``).

- ``exact``: the answer, trimmed, equals the value (``ignore_case`` optional).
- ``contains``: the answer contains the text, or all (``mode: all``) or any of a list.
- ``regex``: the pattern is found in the answer (the ``regex`` package, searched with a
  timeout: a pattern that backtracks catastrophically is an error, never a pass).
- ``json_schema``: the answer, trimmed, is JSON (strict: no code fence) and, if a schema is
  given, valid against it (``jsonschema``, the draft the schema names, 2020-12 by default).
- ``numeric``: the answer is a number (or the first number in it, a decimal comma accepted)
  within ``tolerance`` of the value.
- ``similarity``: cosine of the embeddings of the answer and the value, through the gateway
  with the run's embedding model, at least ``threshold`` (0.8 by default).
- ``rubric``: a judge model, through the gateway, grades the answer against the rubric and must
  answer one JSON object ``{"pass": bool, "score": 0..1, "reason": str}``; anything else is an
  error for the case, never a pass. With a ``threshold`` the score decides, else ``pass``.

Deterministic scorers give 1 or 0; ``similarity`` gives the cosine, ``rubric`` the judge's score.
``negate`` (exact, contains, regex) turns a pass into a fail and back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import jsonschema  # type: ignore[import-untyped]
import numpy as np
import orjson
import regex  # type: ignore[import-untyped]

from gouvernail.observatory.evaluations.cases import MAX_TEXT, Assertion, Case

DEFAULT_SIMILARITY = 0.8
NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")
FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.S)

JUDGE_SYSTEM = (
    "You grade the output of an AI assistant against a rubric. Reply with exactly one JSON "
    'object and nothing else: {"pass": true or false, "score": a number from 0 to 1, '
    '"reason": "one short sentence"}.'
)


@dataclass(frozen=True, slots=True)
class Score:
    passed: bool | None
    """None: the answer could not be scored (``error`` says why)."""
    score: float | None
    detail: str = ""
    error: str = ""


Judge = Callable[[list[dict[str, str]]], Awaitable[str]]
"""Sends messages to the run's judge model through the gateway; its answer's text."""
Embed = Callable[[list[str]], Awaitable[np.ndarray]]
"""Unit vectors of texts from the run's embedding model, through the gateway."""


@dataclass(frozen=True, slots=True)
class Tools:
    """What scorers may use while a run is executed."""

    regex_timeout: float = 1.0
    judge: Judge | None = None
    embed: Embed | None = None


def _pass(ok: bool, detail: str) -> Score:
    return Score(ok, 1.0 if ok else 0.0, detail)


class Scorer:
    name: ClassVar[str]
    needs: ClassVar[str | None] = None
    """``judge_model`` or ``embedding_model``: what a run of a dataset using it must name."""
    negatable: ClassVar[bool] = False

    def check(self, assertion: Assertion) -> None:
        """Raise ``ValueError`` saying what to fix."""

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        raise NotImplementedError


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} needs a non-empty text `value`")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{what}: `value` is longer than {MAX_TEXT} characters")
    return value


class Exact(Scorer):
    name = "exact"
    negatable = True

    def check(self, assertion: Assertion) -> None:
        if not isinstance(assertion.value, str):
            raise ValueError("exact needs a text `value`")

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        expected, answer = str(assertion.value).strip(), output.strip()
        if assertion.ignore_case:
            expected, answer = expected.casefold(), answer.casefold()
        return _pass(answer == expected, f"expected {_short(str(assertion.value))}")


class Contains(Scorer):
    name = "contains"
    negatable = True

    def check(self, assertion: Assertion) -> None:
        value = assertion.value
        if isinstance(value, list):
            if not value or not all(isinstance(v, str) and v for v in value):
                raise ValueError("contains needs a text or a non-empty list of texts")
        else:
            _text(value, "contains")

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        wanted = assertion.value if isinstance(assertion.value, list) else [assertion.value]
        haystack = output.casefold() if assertion.ignore_case else output
        found = [w for w in wanted if (w.casefold() if assertion.ignore_case else w) in haystack]
        ok = bool(found) if assertion.mode == "any" else len(found) == len(wanted)
        missing = [w for w in wanted if w not in found]
        return _pass(ok, "all found" if not missing else f"missing {_short(', '.join(missing))}")


class Regex(Scorer):
    name = "regex"
    negatable = True

    def check(self, assertion: Assertion) -> None:
        pattern = _text(assertion.value, "regex")
        try:
            regex.compile(pattern)
        except regex.error as error:
            raise ValueError(f"invalid pattern {pattern!r}: {error}") from None

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        flags = regex.IGNORECASE if assertion.ignore_case else 0
        compiled = regex.compile(assertion.value, flags)
        try:
            found = compiled.search(output, timeout=tools.regex_timeout)
        except TimeoutError:
            return Score(
                None,
                None,
                error=f"the pattern took longer than {tools.regex_timeout} s "
                "(catastrophic backtracking?): simplify it",
            )
        return _pass(found is not None, f"pattern {_short(assertion.value)}")


class JsonSchema(Scorer):
    name = "json_schema"

    def check(self, assertion: Assertion) -> None:
        schema = assertion.value
        if schema is None:
            return
        if not isinstance(schema, dict | bool):
            raise ValueError("json_schema needs a JSON Schema (an object) or no `value`")
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as error:
            raise ValueError(f"invalid JSON Schema: {error.message}") from None

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        try:
            document = orjson.loads(output.strip())
        except orjson.JSONDecodeError as error:
            return _pass(False, f"not JSON: {error}")
        if assertion.value is None:
            return _pass(True, "valid JSON")
        validator = jsonschema.validators.validator_for(assertion.value)(assertion.value)
        problem = jsonschema.exceptions.best_match(validator.iter_errors(document))
        if problem is None:
            return _pass(True, "valid against the schema")
        where = "/".join(str(p) for p in problem.absolute_path) or "(root)"
        return _pass(False, f"{where}: {problem.message}"[:300])


class Numeric(Scorer):
    name = "numeric"

    def check(self, assertion: Assertion) -> None:
        value = assertion.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("numeric needs a number `value`")
        if not math.isfinite(value):
            raise ValueError("numeric needs a finite `value`")

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        read = read_number(output)
        if read is None:
            return _pass(False, "no number in the answer")
        tolerance = assertion.tolerance or 0.0
        ok = abs(read - float(assertion.value)) <= tolerance
        return _pass(ok, f"read {read:g}, expected {assertion.value:g} ± {tolerance:g}")


def read_number(output: str) -> float | None:
    """The answer as a number, or the first number in it (``3,5`` is 3.5)."""
    text = output.strip()
    for candidate in (text, *(m.group(0) for m in NUMBER.finditer(text))):
        try:
            value = float(candidate.replace(",", "."))
        except ValueError:
            continue
        if math.isfinite(value):
            return value
    return None


class Similarity(Scorer):
    name = "similarity"
    needs = "embedding_model"

    def check(self, assertion: Assertion) -> None:
        _text(assertion.value, "similarity")

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        if tools.embed is None:
            return Score(None, None, error="the run names no embedding model")
        threshold = DEFAULT_SIMILARITY if assertion.threshold is None else assertion.threshold
        if not output.strip():
            return Score(False, 0.0, "empty answer")
        vectors = await tools.embed([assertion.value, output])
        cosine = max(-1.0, min(1.0, float(np.dot(vectors[0], vectors[1]))))
        return Score(cosine >= threshold, cosine, f"cosine {cosine:.3f} (at least {threshold:g})")


class Rubric(Scorer):
    name = "rubric"
    needs = "judge_model"

    def check(self, assertion: Assertion) -> None:
        _text(assertion.value, "rubric")

    async def score(self, output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
        if tools.judge is None:
            return Score(None, None, error="the run names no judge model")
        answer = await tools.judge(
            [
                {"role": "system", "content": JUDGE_SYSTEM},
                {
                    "role": "user",
                    "content": f"Rubric:\n{assertion.value}\n\nQuestion:\n{case.question()}"
                    f"\n\nOutput:\n{output}",
                },
            ]
        )
        try:
            passed, score, reason = read_verdict(answer)
        except ValueError as error:
            return Score(None, None, error=f"unreadable judge answer ({error}): {_short(answer)}")
        if assertion.threshold is not None:
            passed = score >= assertion.threshold
        return Score(passed, score, f"judge: {reason}"[:300])


def read_verdict(answer: str) -> tuple[bool, float, str]:
    """The judge's ``pass``, ``score`` and ``reason``, read strictly: one JSON object (a single
    code fence around it is tolerated), exactly these keys, a boolean, a number in [0, 1] and a
    text. Raises ``ValueError`` otherwise."""
    body = answer.strip()
    fenced = FENCE.fullmatch(body)
    if fenced is not None:
        body = fenced.group(1)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("not a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if set(data) != {"pass", "score", "reason"}:
        raise ValueError(f"keys {sorted(data)} instead of pass, score, reason")
    passed, score, reason = data["pass"], data["score"], data["reason"]
    if not isinstance(passed, bool):
        raise ValueError("`pass` is not true or false")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise ValueError("`score` is not a number from 0 to 1")
    if not isinstance(reason, str):
        raise ValueError("`reason` is not a text")
    return passed, float(score), reason


def _short(text: str, size: int = 80) -> str:
    return repr(text if len(text) <= size else text[: size - 1] + "…")


SCORERS: dict[str, Scorer] = {
    s.name: s
    for s in (Exact(), Contains(), Regex(), JsonSchema(), Numeric(), Similarity(), Rubric())
}


def check(assertion: Assertion) -> None:
    """Refuse an assertion its scorer cannot use (``ValueError`` saying what to fix)."""
    scorer = SCORERS[assertion.type]
    if assertion.negate and not scorer.negatable:
        raise ValueError(f"{assertion.type} cannot be negated")
    scorer.check(assertion)


async def score(output: str, assertion: Assertion, case: Case, tools: Tools) -> Score:
    """Score ``output``; ``GatewayError`` from a judge or embedding call propagates."""
    result = await SCORERS[assertion.type].score(output, assertion, case, tools)
    if assertion.negate and result.passed is not None:
        return _pass(not result.passed, f"not ({result.detail})")
    return result
