"""Data detectors: dictionaries of words and phrases (``terms``) and regular expressions
(``patterns``), as the registry defines them: health markers, classification labels, project
code names, an administrator's own entries."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from gouvernail.inspection.findings import Finding
from gouvernail.inspection.registry import DetectorSpec, Registry
from gouvernail.inspection.text import Scan, context_words

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class _Entry:
    words: tuple[str, ...]
    data_class: str
    case_sensitive: bool
    reason: str


class TermDetector:
    """Whole-word dictionary lookup: one dictionary probe per token of the text."""

    gate: re.Pattern[str] | None = None

    def __init__(self, spec: DetectorSpec, registry: Registry) -> None:
        self.name = spec.name
        self.entity = spec.entity
        self.score = spec.score
        exact: dict[str, list[_Entry]] = defaultdict(list)
        folded: dict[str, list[_Entry]] = defaultdict(list)
        entries: list[tuple[str, str, bool]] = [
            (t.term, registry.class_of(spec, t.data_class), t.case_sensitive) for t in spec.terms
        ]
        for words in spec.languages.values():
            entries.extend((word, registry.class_of(spec), False) for word in words)
        for term, data_class, case_sensitive in entries:
            words = tuple(_WORD.findall(term if case_sensitive else term.lower()))
            if not words:
                continue
            entry = _Entry(words, data_class, case_sensitive, f"{spec.name}: term of {len(words)}")
            index = exact if case_sensitive else folded
            if entry not in index[words[0]]:
                index[words[0]].append(entry)
        for index in (exact, folded):
            for key in index:
                index[key].sort(key=lambda e: -len(e.words))
        self._exact = dict(exact)
        self._folded = dict(folded)
        self.patterns = PatternDetector(spec, registry) if spec.patterns else None

    def find(self, scan: Scan) -> list[Finding]:
        found: list[Finding] = []
        tokens = scan.tokens
        lowered = scan.lowered
        exact, folded = self._exact, self._folded
        index = 0
        if folded.keys().isdisjoint(scan.lowered_words) and exact.keys().isdisjoint(scan.words):
            index = len(tokens)  # no entry's first word is in the text
        while index < len(tokens):
            token = tokens[index].text
            lower = lowered[index]
            if token not in exact and lower not in folded:
                index += 1
                continue
            best: _Entry | None = None
            for entry in (*exact.get(token, ()), *folded.get(lower, ())):
                if best is not None and len(entry.words) <= len(best.words):
                    continue
                size = len(entry.words)
                window = lowered[index : index + size]
                if entry.case_sensitive:
                    window = [t.text for t in tokens[index : index + size]]
                if len(window) == size and tuple(window) == entry.words:
                    best = entry
            if best is None:
                index += 1
                continue
            last = tokens[index + len(best.words) - 1]
            found.append(
                Finding(
                    self.entity,
                    tokens[index].start,
                    last.end,
                    self.score,
                    self.name,
                    best.data_class,
                    best.reason,
                )
            )
            index += len(best.words)
        if self.patterns is not None:
            found.extend(self.patterns.find(scan))
        return found


class PatternDetector:
    """Regular expressions, optionally gated by context words before the match."""

    gate: re.Pattern[str] | None = None

    def __init__(self, spec: DetectorSpec, registry: Registry) -> None:
        self.name = spec.name
        self.entity = spec.entity
        self._patterns = [
            (
                re.compile(p.regex, 0 if p.case_sensitive else re.IGNORECASE),
                p,
                registry.class_of(spec, p.data_class),
                context_words(p.context),
            )
            for p in spec.patterns
        ]

    def find(self, scan: Scan) -> list[Finding]:
        found: list[Finding] = []
        for regex, pattern, data_class, context in self._patterns:
            for match in regex.finditer(scan.text):
                if match.end() == match.start():
                    continue
                if context is not None and not scan.near(
                    match.start(), context, pattern.context_window
                ):
                    continue
                found.append(
                    Finding(
                        self.entity,
                        match.start(),
                        match.end(),
                        pattern.score,
                        self.name,
                        data_class,
                        f"{self.name}: pattern {pattern.name}",
                    )
                )
        return found
