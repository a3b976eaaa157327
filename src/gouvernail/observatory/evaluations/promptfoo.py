"""promptfoo test files (``promptfooconfig.yaml``) read as our cases.

What is read: ``description``, ``prompts`` (texts, or ``{raw: ...}``; a prompt that is a JSON
list of ``{role, content}`` is a conversation), ``defaultTest`` (its ``vars`` and ``assert``
apply to every test) and ``tests`` (``description``, ``vars``, ``assert``). Each test is asked
with each prompt: one case per (test, prompt). ``providers`` is ignored: a run names its model.

Assertion types map to our scorers (``not-`` negates the deterministic ones):

=================================================  =========================================
promptfoo                                          our scorer
=================================================  =========================================
``equals``                                         ``exact``
``contains``, ``icontains``, ``contains-any``,      ``contains`` (``ignore_case``, ``mode``)
``contains-all``, ``icontains-any``,
``icontains-all``
``regex``                                          ``regex``
``is-json`` (with an optional schema)              ``json_schema``
``similar`` (``threshold``, 0.75 by default)       ``similarity``
``llm-rubric`` (``threshold`` optional)            ``rubric``
=================================================  =========================================

Any other type (``javascript``, ``python``, ``levenshtein``, ``cost``...) is refused, naming
each one and its test, as are file references (``file://``) and variables with lists of values.
"""

from __future__ import annotations

from typing import Any

import orjson

from gouvernail.observatory.evaluations.cases import Case
from gouvernail.observatory.evaluations.datasets import (
    Dataset,
    DatasetError,
    build,
    limit_cases,
    unique_ids,
)

PROMPTFOO_SIMILARITY = 0.75
"""promptfoo's default threshold of ``similar``."""
TYPES: dict[str, dict[str, Any]] = {
    "equals": {"type": "exact"},
    "contains": {"type": "contains"},
    "icontains": {"type": "contains", "ignore_case": True},
    "contains-any": {"type": "contains", "mode": "any"},
    "contains-all": {"type": "contains", "mode": "all"},
    "icontains-any": {"type": "contains", "mode": "any", "ignore_case": True},
    "icontains-all": {"type": "contains", "mode": "all", "ignore_case": True},
    "regex": {"type": "regex"},
    "is-json": {"type": "json_schema"},
    "similar": {"type": "similarity"},
    "llm-rubric": {"type": "rubric"},
}
NEGATABLE = {k for k, v in TYPES.items() if v["type"] in {"exact", "contains", "regex"}}
TOP_KEYS = {"description", "prompts", "providers", "defaultTest", "tests"}
TEST_KEYS = {"description", "vars", "assert"}
ASSERT_KEYS = {"type", "value", "threshold", "metric"}


def convert(data: Any, lines: dict[int, int], *, max_cases: int) -> Dataset:
    if not isinstance(data, dict):
        raise DatasetError("a promptfoo file is a mapping with `prompts` and `tests`")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise DatasetError(f"promptfoo keys not supported: {unknown} (read: {sorted(TOP_KEYS)})")
    prompts = _prompts(data.get("prompts"))
    tests = data.get("tests")
    if isinstance(tests, str):
        raise DatasetError(f"`tests: {tests}` refers to a file: put the tests in this file")
    if not isinstance(tests, list) or not tests:
        raise DatasetError("a promptfoo file needs a non-empty list of `tests`")
    default = data.get("defaultTest") or {}
    if not isinstance(default, dict) or set(default) - {"vars", "assert"}:
        raise DatasetError("`defaultTest` may have `vars` and `assert` only")
    limit_cases(len(tests) * len(prompts), max_cases)
    _refuse_unsupported(tests, default, lines)
    cases: list[Case] = []
    for number, test in enumerate(tests, start=1):
        line = lines.get(number)
        at = f"test {number}" + (f", line {line}" if line else "")
        if not isinstance(test, dict):
            raise DatasetError(f"{at}: a test is a mapping (vars, assert)")
        extra = sorted(set(test) - TEST_KEYS)
        if extra:
            raise DatasetError(f"{at}: keys not supported: {extra} (read: {sorted(TEST_KEYS)})")
        variables = {**(default.get("vars") or {}), **(test.get("vars") or {})}
        for name, value in variables.items():
            if isinstance(value, list):
                raise DatasetError(
                    f"{at}: vars.{name} is a list (promptfoo's combinations): "
                    "write one test per value"
                )
            if isinstance(value, str) and value.startswith("file://"):
                raise DatasetError(f"{at}: vars.{name} refers to a file: inline it")
        asserts = [
            _assertion(a, at) for a in [*(default.get("assert") or []), *(test.get("assert") or [])]
        ]
        for index, prompt in enumerate(prompts, start=1):
            suffix = f"-prompt-{index}" if len(prompts) > 1 else ""
            cases.append(
                build(
                    at + (f", prompt {index}" if suffix else ""),
                    case_id=f"test-{number}{suffix}",
                    description=str(test.get("description") or ""),
                    prompt=prompt if isinstance(prompt, str) else None,
                    messages=prompt if isinstance(prompt, list) else None,
                    variables=variables,
                    asserts=asserts,
                )
            )
    return Dataset("promptfoo", str(data.get("description") or ""), unique_ids(cases))


def _prompts(raw: Any) -> list[str | list[dict[str, Any]]]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise DatasetError("a promptfoo file needs `prompts` (a text or a list)")
    prompts: list[str | list[dict[str, Any]]] = []
    for number, prompt in enumerate(raw, start=1):
        text = prompt.get("raw") if isinstance(prompt, dict) else prompt
        if not isinstance(text, str) or not text.strip():
            raise DatasetError(f"prompt {number}: a text, or a mapping with `raw`")
        if text.startswith("file://"):
            raise DatasetError(f"prompt {number} refers to a file ({text}): inline it")
        prompts.append(_conversation(text) or text)
    return prompts


def _conversation(text: str) -> list[dict[str, Any]] | None:
    """A prompt written as a JSON list of chat messages, else None."""
    if not text.lstrip().startswith("["):
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, list) and all(isinstance(m, dict) and "role" in m for m in data):
        return data
    return None


def _refuse_unsupported(tests: list[Any], default: dict[str, Any], lines: dict[int, int]) -> None:
    """One error naming every unsupported assertion type and where it is."""
    found: dict[str, list[str]] = {}
    groups = [("defaultTest", default.get("assert") or [])] + [
        (f"test {n}", t.get("assert") or [])
        for n, t in enumerate(tests, start=1)
        if isinstance(t, dict)
    ]
    for place, asserts in groups:
        for a in asserts if isinstance(asserts, list) else []:
            kind = a.get("type") if isinstance(a, dict) else None
            base = kind[4:] if isinstance(kind, str) and kind.startswith("not-") else kind
            if base not in TYPES or (kind != base and base not in NEGATABLE):
                found.setdefault(str(kind), []).append(place)
    if found:
        named = "; ".join(f"{kind} ({', '.join(places)})" for kind, places in sorted(found.items()))
        raise DatasetError(
            f"promptfoo assertion types not supported: {named}. Supported: "
            f"{', '.join(TYPES)} (and not- before {', '.join(sorted(NEGATABLE))})"
        )


def _assertion(raw: Any, at: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DatasetError(f"{at}: an assertion is a mapping with a `type`")
    extra = sorted(set(raw) - ASSERT_KEYS)
    if extra:
        raise DatasetError(f"{at}: assertion keys not supported: {extra}")
    kind = str(raw["type"])
    negate = kind.startswith("not-")
    ours: dict[str, Any] = {**TYPES[kind[4:] if negate else kind], "negate": negate}
    value = raw.get("value")
    if isinstance(value, str) and value.startswith("file://"):
        raise DatasetError(f"{at}: an assertion value refers to a file: inline it")
    if ours["type"] == "exact" and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if value is not None:
        ours["value"] = value
    if ours["type"] == "similarity":
        ours["threshold"] = raw.get("threshold", PROMPTFOO_SIMILARITY)
    elif "threshold" in raw:
        ours["threshold"] = raw["threshold"]
    if raw.get("metric"):
        ours["name"] = str(raw["metric"])
    return ours
