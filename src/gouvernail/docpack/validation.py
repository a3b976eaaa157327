"""The platform's validation pack, in the spirit of GAMP 5: each requirement traced to the
automated tests that cover it, with the results of the test run of the installed version.

A requirement's result:

- ``failed``: one of its tests failed;
- ``passed``: every one of its tests passed;
- ``incomplete``: some passed, the others were skipped or not run (e.g. PostgreSQL absent);
- ``skipped``: its tests were skipped and none passed;
- ``not run``: no evidence of any of its tests (or no evidence at all).

When there is no test evidence the pack says so at the top and every requirement is not run:
it never presents untested requirements as passed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gouvernail.docpack import markdown as md
from gouvernail.docpack.document import Document, assemble
from gouvernail.docpack.junit import Evidence, Outcome, TestResult
from gouvernail.docpack.requirements import Requirement, Requirements

APPROACH = (
    "Gouvernail is validated as configurable software in the spirit of GAMP 5 (second "
    "edition): each requirement below states what the platform must do and why (the issue or "
    "the regulation clause), carries a criticality that sets how much evidence it needs, and "
    "names the automated tests that exercise it through the public surface (HTTP API, command "
    "line) on both database backends. The results come from the JUnit report of the test run; "
    "the report's own SHA-256 is shown so that the evidence can be archived and checked."
)


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    SKIPPED = "skipped"
    NOT_RUN = "not run"


@dataclass(frozen=True)
class Traced:
    requirement: Requirement
    results: list[TestResult]

    @property
    def verdict(self) -> Verdict:
        outcomes = {result.outcome for result in self.results}
        if Outcome.FAILED in outcomes:
            return Verdict.FAILED
        if outcomes == {Outcome.PASSED}:
            return Verdict.PASSED
        if Outcome.PASSED in outcomes:
            return Verdict.INCOMPLETE
        if Outcome.SKIPPED in outcomes:
            return Verdict.SKIPPED
        return Verdict.NOT_RUN


@dataclass(frozen=True)
class Platform:
    """What was validated and where the pack was generated."""

    version: str
    python: str
    system: str


def trace(requirements: Requirements, evidence: Evidence | None) -> list[Traced]:
    def result(node_id: str) -> TestResult:
        if evidence is None:
            return TestResult(node_id, Outcome.NOT_RUN)
        return evidence.result_of(node_id)

    return [
        Traced(requirement, [result(test) for test in requirement.tests])
        for requirement in requirements.requirements
    ]


def _evidence(evidence: Evidence | None, missing: str, platform: Platform) -> str:
    if evidence is None:
        return (
            f"**No test evidence is available:** {md.text(missing)}. Every requirement below is "
            "shown as *not run*. Run the test suite with a JUnit report (`make unit` writes "
            "`var/junit.xml`) and name it with the setting `validation_junit_file` or "
            "`gouvernail docs validation-pack --junit FILE`."
        )
    tested = evidence.tested_version
    if tested is None:
        match = "not recorded by the test run"
    elif tested == platform.version:
        match = f"{md.code(tested)}, the installed version"
    else:
        match = (
            f"{md.code(tested)}: **not the installed version {md.code(platform.version)}**; "
            "run the tests of the installed version"
        )
    totals = evidence.totals()
    return md.fields(
        [
            ("JUnit report", md.code(evidence.path)),
            ("Report SHA-256", md.code(evidence.sha256)),
            ("Run at", md.text(evidence.timestamp or "")),
            ("Host", md.text(evidence.hostname or "")),
            ("Version tested", match),
            ("Python of the run", md.code(evidence.properties.get("python_version", ""))),
            (
                "Test cases",
                f"{len(evidence.cases)}: {totals[Outcome.PASSED]} passed, "
                f"{totals[Outcome.FAILED]} failed, {totals[Outcome.SKIPPED]} skipped",
            ),
        ]
    )


def _summary(traced: list[Traced]) -> str:
    verdicts = Counter(t.verdict for t in traced)
    failed = [t.requirement.id for t in traced if t.verdict is Verdict.FAILED]
    conclusion = (
        f"**{len(failed)} requirement(s) failed:** {', '.join(failed)}."
        if failed
        else "**Every requirement passed.**"
        if verdicts[Verdict.PASSED] == len(traced)
        else "**No requirement failed**, but not every requirement has passing evidence."
    )
    return "\n\n".join(
        [
            md.fields(
                [
                    ("Requirements", str(len(traced))),
                    (
                        "Covered by at least one automated test",
                        str(sum(1 for t in traced if t.requirement.tests)),
                    ),
                    *((verdict.value.capitalize(), str(verdicts[verdict])) for verdict in Verdict),
                ]
            ),
            conclusion,
        ]
    )


def _matrix(traced: list[Traced]) -> str:
    return md.table(
        ("requirement", "text", "source", "criticality", "tests", "result"),
        [
            (
                md.code(t.requirement.id),
                md.text(t.requirement.text),
                md.text("; ".join(t.requirement.source)),
                t.requirement.criticality,
                str(len(t.results)),
                f"**{t.verdict.value}**",
            )
            for t in traced
        ],
    )


def _tests(traced: list[Traced]) -> str:
    return md.table(
        ("requirement", "test", "result"),
        [
            (md.code(t.requirement.id), md.code(r.node_id), r.describe())
            for t in traced
            for r in t.results
        ],
    )


def _failures(traced: list[Traced]) -> str:
    failed = {r.node_id: r for t in traced for r in t.results if r.outcome is Outcome.FAILED}
    if not failed:
        return "None."
    return md.table(
        ("test", "first failure message"),
        [(md.code(node), md.text(r.message, empty="-")) for node, r in sorted(failed.items())],
    )


def build(
    requirements: Requirements,
    evidence: Evidence | None,
    *,
    missing: str,
    platform: Platform,
    generated_by: str,
    generated_at: datetime,
) -> Document:
    """The validation pack; ``missing`` says why there is no evidence when ``evidence`` is
    None."""
    traced = trace(requirements, evidence)
    body = "\n\n".join(
        [
            "## Approach",
            APPROACH,
            "## Test evidence",
            _evidence(evidence, missing, platform),
            "## Summary",
            _summary(traced),
            "## Traceability matrix",
            _matrix(traced),
            "## Tests of each requirement",
            _tests(traced),
            "## Failed tests",
            _failures(traced),
        ]
    )
    cover = [
        ("Requirements", md.text(requirements.title)),
        ("Gouvernail version", md.code(platform.version)),
        ("Python", md.code(platform.python)),
        ("Platform", md.code(platform.system)),
        ("Generated at (UTC)", md.when(generated_at)),
        ("Generated by", md.text(generated_by)),
        ("Test evidence", md.code(evidence.sha256) if evidence else "**none available**"),
    ]
    return assemble(
        f"Validation pack: Gouvernail {platform.version}",
        f"gouvernail-{platform.version}-validation-pack",
        cover,
        body,
    )
