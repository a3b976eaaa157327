"""Reading a dataset file into checked cases, all or nothing.

Formats:

- ``jsonl``: one case per line (blank lines are skipped).
- ``yaml``: a list of cases, or a mapping with ``cases`` (and an optional ``description``); a
  mapping with ``tests`` or ``prompts`` is read as a promptfoo file (``promptfoo.py``).

A case written by hand::

    id: dose-unit                       # optional: case-N otherwise
    description: the unit is kept
    prompt: "Convert {{ dose }} to milligrams. Answer with the number only."   # or messages:
    vars: {dose: 0.5 g}
    expected: "500"                     # shorthand for an exact assertion
    asserts:
      - {type: numeric, value: 500, tolerance: 0.5}

Every error names the line (JSONL, YAML) and the case number, and what to fix; a file with any
error imports nothing. The dataset's version is the SHA-256 of its checked cases in canonical
JSON: the same cases written differently are the same version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import yaml
from pydantic import ValidationError

from gouvernail.errors import GouvernailError
from gouvernail.observatory.evaluations import scorers
from gouvernail.observatory.evaluations.cases import (
    MAX_TEXT,
    SCORER_NAMES,
    Assertion,
    Case,
    Message,
    check_template,
    render,
)

Format = Literal["jsonl", "yaml", "promptfoo"]
CASE_KEYS = {"id", "description", "messages", "prompt", "vars", "expected", "asserts"}


class DatasetError(GouvernailError):
    status = 422
    code = "invalid_dataset"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="content")


@dataclass(frozen=True, slots=True)
class Dataset:
    format: Format
    description: str
    cases: list[Case]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical(self.cases)).hexdigest()

    def scorers(self) -> list[str]:
        return sorted({a.type for case in self.cases for a in case.asserts})

    def needs(self) -> list[str]:
        """The run fields this dataset's scorers require (``judge_model``, ...)."""
        needed = {scorers.SCORERS[name].needs for name in self.scorers()}
        return sorted(n for n in needed if n)


def canonical(cases: list[Case]) -> bytes:
    return orjson.dumps([c.model_dump(mode="json") for c in cases], option=orjson.OPT_SORT_KEYS)


def load_cases(stored: str) -> list[Case]:
    """Cases as stored in the database (already checked)."""
    return [Case.model_validate(item) for item in orjson.loads(stored)]


def parse(content: str, fmt: Format, *, max_cases: int) -> Dataset:
    """The checked cases of a file's ``content``; raises ``DatasetError``."""
    if fmt == "jsonl":
        return _jsonl(content, max_cases)
    data, lines = _yaml(content, fmt)
    if fmt == "promptfoo" or (isinstance(data, dict) and {"tests", "prompts"} & set(data)):
        from gouvernail.observatory.evaluations import promptfoo

        return promptfoo.convert(data, lines, max_cases=max_cases)
    description = ""
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"cases", "description"})
        if unknown:
            raise DatasetError(f"unknown top-level keys {unknown}: expected cases, description")
        description = str(data.get("description") or "")
        data = data.get("cases")
    if not isinstance(data, list):
        raise DatasetError("a YAML dataset is a list of cases, or a mapping with `cases`")
    limit_cases(len(data), max_cases)
    cases = [case_of(item, number, lines.get(number)) for number, item in enumerate(data, start=1)]
    return Dataset("yaml", description, unique_ids(cases))


def _jsonl(content: str, max_cases: int) -> Dataset:
    cases: list[Case] = []
    for line_number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise DatasetError(f"line {line_number}: invalid JSON: {error}") from None
        limit_cases(len(cases) + 1, max_cases)
        cases.append(case_of(item, len(cases) + 1, line_number))
    if not cases:
        raise DatasetError("the file has no case")
    return Dataset("jsonl", "", unique_ids(cases))


def _yaml(content: str, fmt: Format) -> tuple[Any, dict[int, int]]:
    """The document and, per case number (1-based), the line its case starts on."""
    try:
        node = yaml.compose(content, Loader=yaml.SafeLoader)
        data = yaml.safe_load(content)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DatasetError(f"{where}invalid YAML: {problem}") from None
    items: Any = node
    if isinstance(node, yaml.MappingNode):
        key = "tests" if fmt == "promptfoo" or _has(node, "tests") else "cases"
        items = next((v for k, v in node.value if k.value == key), None)
    lines: dict[int, int] = {}
    if isinstance(items, yaml.SequenceNode):
        lines = {i: item.start_mark.line + 1 for i, item in enumerate(items.value, start=1)}
    return data, lines


def _has(node: yaml.MappingNode, key: str) -> bool:
    return any(k.value == key for k, _ in node.value)


def limit_cases(count: int, max_cases: int) -> None:
    if count > max_cases:
        raise DatasetError(
            f"more than {max_cases} cases (evaluations.max_cases): split the dataset"
        )


def where(number: int, line: int | None, case_id: str = "") -> str:
    named = f" ({case_id!r})" if case_id else ""
    return f"case {number}{named}" + (f", line {line}" if line else "")


def case_of(item: Any, number: int, line: int | None) -> Case:
    """One case written by hand, checked and rendered."""
    at = where(number, line, item.get("id", "") if isinstance(item, dict) else "")
    if not isinstance(item, dict):
        raise DatasetError(f"{at}: a case is a mapping (id, prompt or messages, asserts...)")
    unknown = sorted(set(item) - CASE_KEYS)
    if unknown:
        raise DatasetError(f"{at}: unknown keys {unknown}; a case has {sorted(CASE_KEYS)}")
    asserts = list(item.get("asserts") or [])
    if not isinstance(item.get("asserts") or [], list):
        raise DatasetError(f"{at}: `asserts` is a list")
    if item.get("expected") is not None:
        asserts.insert(0, {"type": "exact", "value": str(item["expected"])})
    return build(
        at,
        case_id=str(item.get("id") or f"case-{number}"),
        description=str(item.get("description") or ""),
        prompt=item.get("prompt"),
        messages=item.get("messages"),
        variables=item.get("vars") or {},
        asserts=asserts,
    )


def build(
    at: str,
    *,
    case_id: str,
    description: str,
    prompt: Any,
    messages: Any,
    variables: Any,
    asserts: list[Any],
) -> Case:
    """A checked case: exactly one of ``prompt`` or ``messages``, placeholders filled from
    ``variables`` (in assertion texts too, as promptfoo does), assertions its scorers accept."""
    if (prompt is None) == (messages is None):
        raise DatasetError(f"{at}: give either `prompt` or `messages`")
    if not isinstance(variables, dict) or not all(
        isinstance(v, str | int | float | bool) for v in variables.values()
    ):
        raise DatasetError(f"{at}: `vars` maps names to texts or numbers")
    if not asserts:
        raise DatasetError(f"{at}: no assertion (`expected` or `asserts`)")
    try:
        if prompt is not None:
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError("`prompt` is a non-empty text")
            messages = [{"role": "user", "content": prompt}]
        if not isinstance(messages, list) or not messages:
            raise ValueError("`messages` is a non-empty list of {role, content}")
        rendered = []
        for message in messages:
            checked = Message.model_validate(message)
            check_template(checked.content)
            rendered.append(Message(role=checked.role, content=render(checked.content, variables)))
        if len(rendered[-1].content) > MAX_TEXT:
            raise ValueError(f"a message is longer than {MAX_TEXT} characters")
        checked_asserts = []
        for index, raw in enumerate(asserts):
            assertion = _assertion(raw, variables, index)
            checked_asserts.append(assertion)
        return Case(
            id=case_id,
            description=description,
            messages=rendered,
            vars=variables,
            asserts=checked_asserts,
        )
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise DatasetError(f"{at}: {path}: {first['msg']}".replace(": : ", ": ")) from None
    except ValueError as error:
        raise DatasetError(f"{at}: {error}") from None


def _assertion(raw: Any, variables: dict[str, Any], index: int) -> Assertion:
    if not isinstance(raw, dict):
        raise ValueError(f"asserts[{index}] is a mapping with a `type`")
    if raw.get("type") not in SCORER_NAMES:
        raise ValueError(
            f"asserts[{index}]: unknown type {raw.get('type')!r}; "
            f"the scorers are {', '.join(SCORER_NAMES)}"
        )
    if isinstance(raw.get("value"), str):
        check_template(raw["value"])
        raw = {**raw, "value": render(raw["value"], variables)}
    try:
        assertion = Assertion.model_validate(raw)
        scorers.check(assertion)
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"asserts[{index}].{path}: {first['msg']}") from None
    except ValueError as error:
        raise ValueError(f"asserts[{index}] ({raw.get('type')}): {error}") from None
    return assertion


def unique_ids(cases: list[Case]) -> list[Case]:
    seen: dict[str, int] = {}
    for number, case in enumerate(cases, start=1):
        if case.id in seen:
            raise DatasetError(f"case {number}: id {case.id!r} is already case {seen[case.id]}")
        seen[case.id] = number
    return cases
