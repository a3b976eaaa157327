"""Test evidence: the JUnit XML a pytest run writes (``pytest --junitxml``), read back per test.

A requirement names its tests by pytest node id (``tests/test_x.py::test_y``). A JUnit test case
names its module as a dotted ``classname`` and its function, with the parameters in brackets
(``test_y[sqlite]``), so one node id gathers every parametrised case of its function (for
example the SQLite and the PostgreSQL run). The result of a test is:

- ``failed`` if any of its cases failed or errored,
- ``passed`` if at least one case passed and none failed (skipped cases are counted and shown),
- ``skipped`` if every case was skipped,
- ``not run`` if the evidence has no case of it.

The test suite records the Gouvernail version it tested as a suite property
(``gouvernail_version``), so the pack can say whether the evidence is that of the installed
version.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from gouvernail.errors import GouvernailError

MESSAGE_MAX = 300


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not run"


@dataclass(frozen=True)
class Case:
    """One JUnit test case: ``classname`` (dotted module and class) and ``name``."""

    classname: str
    name: str
    outcome: Outcome
    message: str = ""

    @property
    def function(self) -> str:
        return self.name.split("[", 1)[0]


@dataclass(frozen=True)
class TestResult:
    node_id: str
    outcome: Outcome
    counts: dict[Outcome, int] = field(default_factory=dict)
    message: str = ""

    def describe(self) -> str:
        """e.g. ``passed (2 cases)``, ``passed (1 case, 1 skipped)``, ``not run``."""
        if self.outcome is Outcome.NOT_RUN:
            return self.outcome.value
        ran = self.counts.get(Outcome.PASSED, 0) + self.counts.get(Outcome.FAILED, 0)
        parts = [f"{ran} case{'s' if ran != 1 else ''}"] if ran else []
        if self.counts.get(Outcome.FAILED):
            parts.append(f"{self.counts[Outcome.FAILED]} failed")
        if self.counts.get(Outcome.SKIPPED):
            parts.append(f"{self.counts[Outcome.SKIPPED]} skipped")
        return f"{self.outcome.value} ({', '.join(parts)})"


def split_node_id(node_id: str) -> tuple[str, str]:
    """``tests/test_x.py::Cls::test_y[p]`` -> (``tests.test_x.Cls``, ``test_y[p]``)."""
    path, _, rest = node_id.partition("::")
    if not path.endswith(".py") or not rest:
        raise GouvernailError(
            f"{node_id!r} is not a pytest node id (path/to/test_file.py::test_name)",
            field="tests",
        )
    *classes, name = rest.split("::")
    module = path[: -len(".py")].replace("/", ".")
    return ".".join([module, *classes]), name


@dataclass(frozen=True)
class Evidence:
    """A JUnit file read back: where it is, its SHA-256, when and where the run took place,
    the version it tested and every test case."""

    path: str
    sha256: str
    timestamp: str | None
    hostname: str | None
    properties: dict[str, str]
    cases: list[Case]

    @property
    def tested_version(self) -> str | None:
        return self.properties.get("gouvernail_version")

    def totals(self) -> dict[Outcome, int]:
        counted = Counter(case.outcome for case in self.cases)
        return {
            outcome: counted.get(outcome, 0) for outcome in Outcome if outcome != Outcome.NOT_RUN
        }

    def result_of(self, node_id: str) -> TestResult:
        classname, name = split_node_id(node_id)
        exact = "[" in name
        cases = [
            c
            for c in self.cases
            if c.classname == classname and (c.name == name if exact else c.function == name)
        ]
        counts = Counter(case.outcome for case in cases)
        failures = [c.message for c in cases if c.outcome is Outcome.FAILED]
        if counts[Outcome.FAILED]:
            outcome = Outcome.FAILED
        elif counts[Outcome.PASSED]:
            outcome = Outcome.PASSED
        elif counts[Outcome.SKIPPED]:
            outcome = Outcome.SKIPPED
        else:
            outcome = Outcome.NOT_RUN
        return TestResult(node_id, outcome, dict(counts), failures[0] if failures else "")


def _case(element: ET.Element) -> Case:
    outcome, message = Outcome.PASSED, ""
    for child in element:
        if child.tag in ("failure", "error"):
            outcome, message = Outcome.FAILED, child.get("message", "") or child.tag
            break
        if child.tag == "skipped":
            outcome, message = Outcome.SKIPPED, child.get("message", "")
    return Case(
        classname=element.get("classname", ""),
        name=element.get("name", ""),
        outcome=outcome,
        message=" ".join(message.split())[:MESSAGE_MAX],
    )


def parse(path: Path) -> Evidence:
    """Read a JUnit XML file; a clear error if it is missing or not JUnit.

    The file is the output of our own test run, named by the operator (setting or command
    option), not something uploaded; ElementTree resolves no external entity and the expat it
    uses refuses entity-expansion bombs."""
    try:
        raw = path.read_bytes()
        root = ET.fromstring(raw)  # noqa: S314 - trusted local file, see the docstring
    except OSError as error:
        raise GouvernailError(
            f"cannot read the JUnit file {path}: {error}", field="junit"
        ) from None
    except ET.ParseError as error:
        raise GouvernailError(f"{path} is not XML: {error}", field="junit") from None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    if root.tag not in ("testsuite", "testsuites") or not suites:
        raise GouvernailError(
            f"{path} is not a JUnit report (no <testsuite>); write one with "
            "`pytest --junitxml=FILE`",
            field="junit",
        )
    properties = {
        prop.get("name", ""): prop.get("value", "")
        for suite in suites
        for prop in suite.findall("properties/property")
    }
    return Evidence(
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        timestamp=suites[0].get("timestamp"),
        hostname=suites[0].get("hostname"),
        properties=properties,
        cases=[_case(element) for suite in suites for element in suite.iter("testcase")],
    )
