"""The inspector: every detector of the registry over the text-bearing parts of a request.

For each part: the cheap pass (identifiers with checksums, dictionaries, patterns, name rules,
injection signals) runs inline; in ``full`` mode the sentences the name rules selected go to the
NER model through the micro-batcher. Parts already inspected (same role and text) come from the
memo and are marked ``cached``. The request's data class is the most sensitive class among the
findings, by the given ``rank`` (the charter's ``class_rank``); a class the rank does not know
counts as the most sensitive (fail closed).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from gouvernail.inspection.batcher import NerBatcher
from gouvernail.inspection.findings import (
    Finding,
    InjectionVerdict,
    Inspection,
    PartFindings,
    TextPart,
)
from gouvernail.inspection.identifiers import IDENTIFIER_KINDS, IdentifierDetector
from gouvernail.inspection.injection import InjectionClassifier, InjectionDetector, combine
from gouvernail.inspection.language import LANGUAGES, detect_language
from gouvernail.inspection.memo import Memo, part_key
from gouvernail.inspection.namelist import read_first_names
from gouvernail.inspection.names import NameDetector, Span, Window
from gouvernail.inspection.ner import DEFAULT_MODEL, NerModel
from gouvernail.inspection.regexset import RegexSet
from gouvernail.inspection.registry import Registry
from gouvernail.inspection.text import Scan
from gouvernail.inspection.vocabulary import PatternDetector, TermDetector

Mode = Literal["full", "fast"]
Rank = Callable[[str], int]
NER_DETECTOR = "names_ner"


class _Detector(Protocol):
    name: str
    gate: re.Pattern[str] | None

    def find(self, scan: Scan) -> list[Finding]: ...


@dataclass(frozen=True, slots=True)
class _Result:
    findings: tuple[Finding, ...]
    injection: InjectionVerdict


@dataclass
class _Pending:
    index: int
    key: bytes | None
    scan: Scan
    findings: list[Finding]
    windows: list[Window]
    injection: InjectionVerdict


class Inspector:
    """Detectors over text; see the module docstring. Build with ``Inspector.load``."""

    def __init__(
        self,
        registry: Registry,
        *,
        names: bool = True,
        classifier: InjectionClassifier | None = None,
        memo_size: int = 10_000,
        ner_model: str = DEFAULT_MODEL,
        batch_delay_ms: float = 1.5,
        batch_windows: int = 64,
        first_names: frozenset[str] | None = None,
    ) -> None:
        self._first_names = first_names
        self._classifier = classifier
        self._memo_size = memo_size
        self._configure(registry)
        self.ner: NerModel | None = (
            NerModel(ner_model) if names and self._names is not None else None
        )
        self._batcher = NerBatcher(
            self.ner.run if self.ner else _no_model,
            max_delay=batch_delay_ms / 1000,
            max_windows=batch_windows,
        )

    def _configure(self, registry: Registry) -> None:
        cheap: list[_Detector] = []
        names: NameDetector | None = None
        for spec in registry.enabled():
            if spec.kind in IDENTIFIER_KINDS:
                cheap.append(IdentifierDetector(spec, registry))
            elif spec.kind == "terms":
                cheap.append(TermDetector(spec, registry))
            elif spec.kind == "patterns":
                cheap.append(PatternDetector(spec, registry))
            elif spec.kind == "names":
                gazetteer = read_first_names() if self._first_names is None else self._first_names
                names = NameDetector(spec, registry, gazetteer)
        self.registry = registry
        self._cheap = cheap
        gates = [(index, detector.gate) for index, detector in enumerate(cheap) if detector.gate]
        self._gated = [index for index, _ in gates]
        self._gates = RegexSet([gate for _, gate in gates])
        self._names = names
        self._injection = InjectionDetector(registry.injection, self._classifier)
        self._memo: Memo[_Result] = Memo(self._memo_size)
        self._default_rank: Rank = registry.class_order.index

    def reconfigure(self, registry: Registry) -> None:
        """Use ``registry`` from now on (an administrator changed the detectors); the loaded
        name model stays, and nothing remembered from the old detectors is reused."""
        self._configure(registry)

    @classmethod
    def load(
        cls,
        files: Sequence[Path] = (),
        *,
        names: bool = True,
        classifier: InjectionClassifier | None = None,
        memo_size: int = 10_000,
        ner_model: str = DEFAULT_MODEL,
    ) -> Inspector:
        """The built-in detectors with the admin ``files`` merged over them."""
        return cls(
            Registry.load(files),
            names=names,
            classifier=classifier,
            memo_size=memo_size,
            ner_model=ner_model,
        )

    # --- public surface ---------------------------------------------------------------------------

    async def inspect(
        self,
        parts: Sequence[TextPart],
        *,
        language: str | None = None,
        mode: Mode = "full",
        rank: Rank | None = None,
    ) -> Inspection:
        """Inspect the parts of a request; parts seen before come from the memo."""
        began = time.perf_counter()
        results: list[_Result | None] = [None] * len(parts)
        cached = [False] * len(parts)
        pending: list[_Pending] = []
        for index, part in enumerate(parts):
            key = part_key(mode, language, part.role, part.text)
            hit = self._memo.get(key)
            if hit is not None:
                results[index], cached[index] = hit, True
                continue
            pending.append(self._prepare(index, key, part.text, language, mode))
        windows = [window.text for item in pending for window in item.windows]
        spans = await self._batcher.submit(windows) if windows else []
        for item, result in self._finish(pending, spans):
            results[item.index] = result
            if item.key is not None:
                self._memo.put(item.key, result)
        return self._inspection(parts, results, cached, mode, rank, began)

    def inspect_text(
        self,
        text: str,
        *,
        language: str | None = None,
        mode: Mode = "full",
        rank: Rank | None = None,
    ) -> Inspection:
        """Inspect one text synchronously (API, CLI, benchmarks); never memoised."""
        began = time.perf_counter()
        item = self._prepare(0, None, text, language, mode)
        spans = self._batcher.run_sync([w.text for w in item.windows]) if item.windows else []
        (_, result), *_ = self._finish([item], spans)
        part = TextPart("text", text)
        return self._inspection([part], [result], [False], mode, rank, began)

    def fast_findings(self, text: str) -> list[Finding]:
        """The cheap pass only (identifiers, dictionaries, patterns, name rules): no NER, no
        memo, no injection. For streamed output chunks."""
        scan = Scan(text)
        found = self._cheap_findings(scan)
        if self._names is not None:
            found.extend(self._names.rule_findings(scan))
            found = self._names.without_organisations(text, found)
            found.extend(self._names.repeated(scan, resolve(found)))
        return resolve(found)

    def injection(self, text: str) -> InjectionVerdict:
        """Prompt-injection signals of ``text`` alone (insight checks every passage it
        indexes, so that instructions hidden in documents never reach a model)."""
        return self._injection.verdict(text)

    def warm_up(self) -> None:
        """Load the NER model now (at server start) rather than on the first request."""
        if self.ner is not None:
            self._batcher.run_sync(["Bonjour Marie Curie, merci."])

    def close(self) -> None:
        self._batcher.close()

    @property
    def memo_size(self) -> int:
        return len(self._memo)

    # --- steps ------------------------------------------------------------------------------------

    def _prepare(
        self, index: int, key: bytes | None, text: str, language: str | None, mode: Mode
    ) -> _Pending:
        lang = language if language in LANGUAGES else detect_language(text)
        scan = Scan(text, lang)
        found = self._cheap_findings(scan)
        windows: list[Window] = []
        if self._names is not None:
            found.extend(self._names.rule_findings(scan))
            if mode == "full" and self.ner is not None:
                windows = self._names.windows(scan, found)
        return _Pending(index, key, scan, found, windows, self._injection.verdict(text))

    def _cheap_findings(self, scan: Scan) -> list[Finding]:
        """Every cheap detector's findings; a gated detector runs only when its gate matched
        (one pass over the text for every gate)."""
        idle = set(self._gated).difference(
            self._gated[i] for i in self._gates.candidates(scan.text)
        )
        return [
            finding
            for index, detector in enumerate(self._cheap)
            if index not in idle
            for finding in detector.find(scan)
        ]

    def _finish(
        self, pending: list[_Pending], spans: list[list[Span]]
    ) -> list[tuple[_Pending, _Result]]:
        done: list[tuple[_Pending, _Result]] = []
        position = 0
        for item in pending:
            found = list(item.findings)
            for window in item.windows:
                if self._names is not None:
                    found.extend(self._names.ner_findings(item.scan, window, spans[position]))
                position += 1
            if self._names is not None:
                found = self._names.without_organisations(item.scan.text, found)
                found.extend(self._names.repeated(item.scan, resolve(found)))
            done.append((item, _Result(tuple(resolve(found)), item.injection)))
        return done

    def _inspection(
        self,
        parts: Sequence[TextPart],
        results: Sequence[_Result | None],
        cached: Sequence[bool],
        mode: Mode,
        rank: Rank | None,
        began: float,
    ) -> Inspection:
        done = [r for r in results if r is not None]
        part_findings = tuple(
            PartFindings(part.path, result.findings if result else (), flag)
            for part, result, flag in zip(parts, results, cached, strict=True)
        )
        classes = {f.data_class for r in done for f in r.findings}
        return Inspection(
            parts=part_findings,
            data_class=most_sensitive(classes, rank or self._default_rank),
            injection=combine([r.injection for r in done]),
            elapsed_ms=round((time.perf_counter() - began) * 1000, 3),
            detectors=self._ran(mode),
        )

    def _ran(self, mode: Mode) -> tuple[str, ...]:
        names = [d.name for d in self._cheap]
        if self._names is not None:
            names.append(self._names.name)
            if mode == "full" and self.ner is not None:
                names.append(NER_DETECTOR)
        return (*names, "injection")


def most_sensitive(classes: set[str], rank: Rank) -> str | None:
    """The most sensitive class; one the rank does not know counts as the most sensitive."""

    def safe(name: str) -> float:
        try:
            return rank(name)
        except (KeyError, ValueError):
            return math.inf

    return max(sorted(classes), key=safe) if classes else None


PERSON = "PERSON"
MARKER = "CONFIDENTIAL_MARKER"
RESOLVED_TYPES = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "IBAN_CODE",
        "CREDIT_CARD",
        "FR_NIR",
        "FR_SIREN",
        "FR_SIRET",
    }
)


def resolve(found: list[Finding]) -> list[Finding]:
    """Overlapping identifiers and names: the longest span wins, then the highest score; a
    name inside a confidential marker (a project code name) is the marker's. Other types
    (health, markers) are kept alongside; exact duplicates are dropped."""
    markers = [(f.start, f.end) for f in found if f.type == MARKER]
    contested = sorted(
        (
            f
            for f in found
            if f.type in RESOLVED_TYPES
            and not (f.type == PERSON and any(s <= f.start and f.end <= e for s, e in markers))
        ),
        key=lambda f: (f.start - f.end, -f.score, f.start),
    )
    kept: list[Finding] = []
    for finding in contested:
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    others = list(dict.fromkeys(f for f in found if f.type not in RESOLVED_TYPES))
    return sorted([*kept, *others], key=lambda f: (f.start, f.end, f.type))


def _no_model(texts: Sequence[str]) -> list[list[Span]]:
    return [[] for _ in texts]
