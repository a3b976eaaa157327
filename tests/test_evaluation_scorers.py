"""Scorers and dataset files of the evaluation suites, table-driven (no database, no model: the
judge and the embeddings are plain functions here; through the gateway in test_evaluations.py).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
import yaml

from gouvernail.observatory.evaluations import datasets, scorers
from gouvernail.observatory.evaluations.cases import Assertion, Case, Message
from gouvernail.observatory.evaluations.datasets import DatasetError
from gouvernail.observatory.evaluations.scorers import Score, Tools, read_number, read_verdict

CASE = Case(
    id="c",
    messages=[Message(role="user", content="What is the dose?")],
    asserts=[Assertion(type="exact", value="x")],
)


def score(output: str, tools: Tools | None = None, **assertion: Any) -> Score:
    checked = Assertion.model_validate(assertion)
    scorers.check(checked)
    return asyncio.run(scorers.score(output, checked, CASE, tools or Tools()))


@pytest.mark.parametrize(
    ("output", "assertion", "passed"),
    [
        ("  500 mg\n", {"type": "exact", "value": "500 mg"}, True),
        ("500 MG", {"type": "exact", "value": "500 mg"}, False),
        ("500 MG", {"type": "exact", "value": "500 mg", "ignore_case": True}, True),
        ("500 mg", {"type": "exact", "value": "500 mg", "negate": True}, False),
        ("take 500 mg twice", {"type": "contains", "value": "500 mg"}, True),
        ("take 500 MG", {"type": "contains", "value": "500 mg"}, False),
        ("take 500 MG", {"type": "contains", "value": "500 mg", "ignore_case": True}, True),
        ("500 mg, twice", {"type": "contains", "value": ["500 mg", "twice"]}, True),
        ("500 mg, once", {"type": "contains", "value": ["500 mg", "twice"]}, False),
        ("500 mg, once", {"type": "contains", "value": ["twice", "once"], "mode": "any"}, True),
        ("no warfarin", {"type": "contains", "value": "aspirin", "negate": True}, True),
        ("Dose: 500 mg", {"type": "regex", "value": r"\d+ mg"}, True),
        ("Dose: five", {"type": "regex", "value": r"\d+ mg"}, False),
        ("DOSE", {"type": "regex", "value": "dose", "ignore_case": True}, True),
        ('{"dose": 500}', {"type": "json_schema"}, True),
        ("```json\n{}\n```", {"type": "json_schema"}, False),  # strict: a fence is not JSON
        ("dose: 500", {"type": "json_schema"}, False),
        ('{"dose": 500, "unit": "mg"}', {"type": "json_schema", "value": {
            "type": "object", "required": ["dose", "unit"],
            "properties": {"dose": {"type": "number"}, "unit": {"enum": ["mg", "g"]}}}}, True),
        ('{"dose": "500"}', {"type": "json_schema", "value": {
            "type": "object", "properties": {"dose": {"type": "number"}}}}, False),
        ("500", {"type": "numeric", "value": 500}, True),
        ("about 499,6 mg", {"type": "numeric", "value": 500, "tolerance": 0.5}, True),
        ("about 498 mg", {"type": "numeric", "value": 500, "tolerance": 0.5}, False),
        ("-3.5e1", {"type": "numeric", "value": -35}, True),
        ("no idea", {"type": "numeric", "value": 500}, False),
    ],
)  # fmt: skip
def test_deterministic_scorers(output: str, assertion: dict[str, Any], passed: bool) -> None:
    result = score(output, **assertion)
    assert result.passed is passed, result
    assert result.score == (1.0 if passed else 0.0)
    assert result.error == ""


def test_a_schema_failure_says_where() -> None:
    schema = {"type": "object", "properties": {"dose": {"type": "number"}}}
    result = score('{"dose": "500"}', type="json_schema", value=schema)
    assert result.detail.startswith("dose: '500' is not of type 'number'")


def test_a_catastrophic_pattern_is_an_error_never_a_pass() -> None:
    result = score("a" * 40 + "!", Tools(regex_timeout=0.05), type="regex", value=r"(a|aa)+$")
    assert result.passed is None
    assert "catastrophic backtracking" in result.error
    negated = score("a" * 40 + "!", Tools(regex_timeout=0.05), type="regex", value=r"(a|aa)+$",
                    negate=True)  # fmt: skip
    assert negated.passed is None  # negation does not turn an error into a pass


@pytest.mark.parametrize(
    ("text", "number"),
    [("42", 42.0), (" 3,5 ", 3.5), ("The answer is 12 mg (or 13)", 12.0), ("1e3", 1000.0),
     ("nan", None), ("none", None), ("inf and 7", 7.0)],
)  # fmt: skip
def test_numbers_are_read_from_answers(text: str, number: float | None) -> None:
    assert read_number(text) == number


def unit(*vectors: list[float]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_similarity_is_the_cosine_of_the_embeddings() -> None:
    seen: list[list[str]] = []

    async def embed(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        return unit([1.0, 0.0], [1.0, 1.0]) if "close" in texts[1] else unit([1.0, 0.0], [0, 1])

    tools = Tools(embed=embed)
    near = score("close enough", tools, type="similarity", value="reference", threshold=0.7)
    assert near.passed is True
    assert near.score == pytest.approx(0.7071, abs=1e-3)
    far = score("unrelated", tools, type="similarity", value="reference")
    assert (far.passed, far.score) == (False, 0.0)
    assert seen[0] == ["reference", "close enough"]
    assert score("", tools, type="similarity", value="reference").passed is False
    missing = score("x", Tools(), type="similarity", value="reference")
    assert missing.passed is None
    assert "no embedding model" in missing.error


@pytest.mark.parametrize(
    ("answer", "passed", "value"),
    [
        ('{"pass": true, "score": 0.9, "reason": "cites the leaflet"}', True, 0.9),
        ('```json\n{"pass": false, "score": 0, "reason": "wrong dose"}\n```', False, 0.0),
        ('{"pass": true, "score": 0.4, "reason": "weak"}', True, 0.4),
    ],
)
def test_a_judge_verdict_is_read_strictly(answer: str, passed: bool, value: float) -> None:
    assert read_verdict(answer)[:2] == (passed, value)


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("PASS: looks right", "not a JSON object"),
        ('Sure! {"pass": true, "score": 1, "reason": "x"}', "not a JSON object"),
        ("[true, 1]", "not a JSON object"),
        ('{"pass": true, "score": 1}', "instead of pass, score, reason"),
        ('{"pass": true, "score": 1, "reason": "x", "extra": 1}', "instead of"),
        ('{"pass": "yes", "score": 1, "reason": "x"}', "`pass` is not true or false"),
        ('{"pass": true, "score": 7, "reason": "x"}', "`score` is not a number from 0 to 1"),
        ('{"pass": true, "score": true, "reason": "x"}', "`score` is not a number"),
        ('{"pass": true, "score": 1, "reason": 3}', "`reason` is not a text"),
    ],
)
def test_an_unreadable_verdict_is_refused(answer: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        read_verdict(answer)


def test_the_rubric_scorer_asks_the_judge_and_never_passes_an_unreadable_answer() -> None:
    asked: list[list[dict[str, str]]] = []
    answers = iter(['{"pass": true, "score": 0.3, "reason": "vague"}', "Looks good to me!"])

    async def judge(messages: list[dict[str, str]]) -> str:
        asked.append(messages)
        return next(answers)

    tools = Tools(judge=judge)
    graded = score("Take two tablets.", tools, type="rubric", value="Cites the leaflet",
                   threshold=0.5)  # fmt: skip
    assert (graded.passed, graded.score) == (False, 0.3)  # the threshold decides
    assert "Rubric:\nCites the leaflet" in asked[0][1]["content"]
    assert "Question:\nWhat is the dose?" in asked[0][1]["content"]
    assert "Output:\nTake two tablets." in asked[0][1]["content"]
    unreadable = score("Take two tablets.", tools, type="rubric", value="Cites the leaflet")
    assert unreadable.passed is None
    assert unreadable.error.startswith("unreadable judge answer (not a JSON object)")


@pytest.mark.parametrize(
    ("assertion", "problem"),
    [
        ({"type": "regex", "value": "(unclosed"}, "invalid pattern"),
        ({"type": "json_schema", "value": {"type": "nonsense"}}, "invalid JSON Schema"),
        ({"type": "json_schema", "value": "string"}, "needs a JSON Schema"),
        ({"type": "numeric", "value": "five"}, "needs a number"),
        ({"type": "contains", "value": []}, "non-empty list"),
        ({"type": "rubric", "value": ""}, "non-empty text"),
        ({"type": "rubric", "value": "x", "negate": True}, "cannot be negated"),
        ({"type": "exact", "value": 3}, "text `value`"),
    ],
)
def test_assertions_are_checked_when_imported(assertion: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        scorers.check(Assertion.model_validate(assertion))


# --- dataset files ------------------------------------------------------------------------------


def jsonl(*cases: dict[str, Any]) -> str:
    return "\n".join(json.dumps(c) for c in cases) + "\n"


GOOD = {"prompt": "Convert {{ dose }} to mg.", "vars": {"dose": "0.5 g"}, "expected": "500"}


def test_a_jsonl_dataset_is_rendered_and_hashed_by_content() -> None:
    dataset = datasets.parse(jsonl(GOOD, {"id": "json", "messages": [
        {"role": "system", "content": "Answer in JSON."},
        {"role": "user", "content": "Dose of {{drug}}?"}], "vars": {"drug": "X"},
        "asserts": [{"type": "json_schema"}, {"type": "contains", "value": "{{drug}}"}]}),
        "jsonl", max_cases=10)  # fmt: skip
    first, second = dataset.cases
    assert first.id == "case-1"
    assert first.messages[0].content == "Convert 0.5 g to mg."
    assert first.asserts[0].type == "exact"
    assert second.messages[1].content == "Dose of X?"
    assert second.asserts[1].value == "X"  # variables fill assertion texts too
    assert dataset.scorers() == ["contains", "exact", "json_schema"]
    as_yaml = datasets.parse(yaml.safe_dump({"cases": [GOOD]}), "yaml", max_cases=10)
    assert as_yaml.sha256 == datasets.parse(jsonl(GOOD), "jsonl", max_cases=10).sha256
    changed = datasets.parse(jsonl(GOOD | {"expected": "501"}), "jsonl", max_cases=10)
    assert changed.sha256 != as_yaml.sha256


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (jsonl(GOOD) + "{not json\n", "line 2: invalid JSON"),
        (jsonl(GOOD, GOOD | {"prompt": "Hello {{ name }}"}),
         "case 2, line 2: no variable 'name'"),
        (jsonl(GOOD | {"prompt": "{{ dose | upper }}"}), "only {{ name }} placeholders"),
        (jsonl({"prompt": "Hi", "asserts": [{"type": "javascript", "value": "x"}]}),
         "unknown type 'javascript'"),
        (jsonl({"prompt": "Hi"}), "no assertion"),
        (jsonl({"prompt": "Hi", "messages": [], "expected": "x"}), "either `prompt` or"),
        (jsonl({"prompt": "Hi", "expected": "x", "colour": "red"}), "unknown keys ['colour']"),
        (jsonl({"id": "a", "prompt": "Hi", "expected": "x"}, {"id": "a", "prompt": "Yo",
                                                              "expected": "y"}),
         "id 'a' is already case 1"),
        (jsonl({"prompt": "Hi", "asserts": [{"type": "regex", "value": "(x"}]}),
         "case 1, line 1: asserts[0] (regex): invalid pattern"),
        (jsonl({"messages": [{"role": "robot", "content": "Hi"}], "expected": "x"}),
         "case 1, line 1: role"),
        ("\n\n", "the file has no case"),
        (jsonl(GOOD, GOOD, GOOD), "more than 2 cases"),
    ],
)  # fmt: skip
def test_bad_jsonl_files_are_refused_with_their_line(content: str, message: str) -> None:
    with pytest.raises(DatasetError) as refused:
        datasets.parse(content, "jsonl", max_cases=2)
    assert message in refused.value.message
    assert refused.value.status == 422


def test_bad_yaml_files_name_the_line() -> None:
    text = "cases:\n  - prompt: Hi\n    expected: x\n  - prompt: Hello\n    asserts: [{type: numeric, value: many}]\n"  # noqa: E501
    with pytest.raises(DatasetError, match=r"case 2, line 4: asserts\[0\] \(numeric\)"):
        datasets.parse(text, "yaml", max_cases=10)
    with pytest.raises(
        DatasetError, match="line 3: invalid YAML: mapping values are not allowed here"
    ):
        datasets.parse(
            "cases:\n  - {prompt: Hi, expected: x}\n  - prompt: a: b\n", "yaml", max_cases=10
        )
    with pytest.raises(DatasetError, match="unknown top-level keys"):
        datasets.parse("kases: []\n", "yaml", max_cases=10)


PROMPTFOO = """
description: Leaflet answers
prompts:
  - "Answer from the leaflet: {{question}}"
  - '[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{question}}"}]'
providers: [openai:gpt-4o-mini]
defaultTest:
  assert:
    - type: not-icontains
      value: as an AI
tests:
  - description: dose
    vars: {question: "What is the adult dose?"}
    assert:
      - type: equals
        value: 500
      - type: contains-any
        value: [mg, milligrams]
      - type: regex
        value: '\\d+'
  - vars: {question: "Give the dose as JSON"}
    assert:
      - type: is-json
        value: {type: object, required: [dose]}
      - type: similar
        value: "The dose is 500 mg"
      - type: llm-rubric
        value: Does not invent a dose
        metric: safety
"""


def test_a_promptfoo_file_becomes_one_case_per_test_and_prompt() -> None:
    dataset = datasets.parse(PROMPTFOO, "yaml", max_cases=100)  # detected by its tests
    assert dataset.format == "promptfoo"
    assert dataset.description == "Leaflet answers"
    assert [c.id for c in dataset.cases] == [
        "test-1-prompt-1", "test-1-prompt-2", "test-2-prompt-1", "test-2-prompt-2",
    ]  # fmt: skip
    first, second = dataset.cases[0], dataset.cases[1]
    assert first.messages[0].content == "Answer from the leaflet: What is the adult dose?"
    assert [m.role for m in second.messages] == ["system", "user"]
    kinds = [(a.type, a.ignore_case, a.negate, a.mode) for a in first.asserts]
    assert kinds == [
        ("contains", True, True, "all"),  # defaultTest first
        ("exact", False, False, "all"),
        ("contains", False, False, "any"),
        ("regex", False, False, "all"),
    ]
    assert first.asserts[1].value == "500"
    last = dataset.cases[2].asserts
    assert [a.type for a in last] == ["contains", "json_schema", "similarity", "rubric"]
    assert last[2].threshold == 0.75  # promptfoo's default
    assert last[3].name == "safety"
    assert dataset.needs() == ["embedding_model", "judge_model"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tests": [{"vars": {"q": "x"}, "assert": [{"type": "javascript", "value": "1"}]},
                    {"assert": [{"type": "levenshtein", "value": "x"}, {"type": "not-similar",
                                                                        "value": "y"}]}]},
         "promptfoo assertion types not supported: javascript (test 1); levenshtein (test 2); "
         "not-similar (test 2)"),
        ({"tests": "tests.csv"}, "refers to a file"),
        ({"prompts": ["file://prompt.txt"]}, "prompt 1 refers to a file"),
        ({"tests": [{"vars": {"q": ["a", "b"]}, "assert": [{"type": "equals", "value": "a"}]}]},
         "test 1, line 4: vars.q is a list"),
        ({"tests": [{"options": {}, "assert": [{"type": "equals", "value": "a"}]}]},
         "keys not supported: ['options']"),
        ({"tests": [{"assert": [{"type": "equals", "value": "a", "weight": 2}]}]},
         "assertion keys not supported: ['weight']"),
        ({"scenarios": []}, "promptfoo keys not supported: ['scenarios']"),
        ({"prompts": []}, "needs `prompts`"),
    ],
)  # fmt: skip
def test_promptfoo_files_we_cannot_read_are_refused_by_name(
    change: dict[str, Any], message: str
) -> None:
    base: dict[str, Any] = {
        "prompts": ["{{q}}"],
        "tests": [{"vars": {"q": "x"}, "assert": [{"type": "equals", "value": "x"}]}],
    }
    with pytest.raises(DatasetError) as refused:
        datasets.parse(yaml.safe_dump(base | change, sort_keys=False), "promptfoo", max_cases=10)
    assert message in refused.value.message
