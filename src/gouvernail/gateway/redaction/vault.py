"""Reversible pseudonymisation for one request: originals out, placeholders in, and back.

A ``Vault`` lives as long as one gateway call. ``redact`` replaces every finding's span by a
placeholder (``[PERSON_1]``, see ``placeholders``); only the redacted text goes upstream, the
originals stay in the vault. ``restore`` puts the originals back into the model's answer, and
only where the model reproduced a placeholder exactly: anything placeholder-like that is not an
issued placeholder (altered, truncated, invented, or written by the caller) is left as it is and
reported in ``Restored.unknown``. Nothing is ever guessed, so an original can only land where
its own placeholder was.

Collisions with the request's own text: call ``observe`` on every text part of the request
before redacting any of them (``redact`` observes its own text too). A placeholder-form token
found there is never issued; a placeholder that turns up in a text observed after it was
issued becomes ambiguous and is never restored (fail closed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from gouvernail.gateway.redaction.placeholders import EXACT, loose_pattern, placeholder, type_name
from gouvernail.inspection.findings import Finding

_NEVER = re.compile(r"(?!)")


@dataclass(frozen=True, slots=True)
class Restored:
    text: str
    restored: int
    """How many placeholders were replaced by their original."""
    unknown: tuple[str, ...] = ()
    """Placeholder-like tokens left as they were (distinct, in order of first appearance)."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    """What restoring needs, computed once after redaction."""

    exact: re.Pattern[str]
    loose: re.Pattern[str]
    restorable: frozenset[str]
    prefixes: frozenset[str]
    """Proper prefixes of restorable placeholders (each starts with ``[``)."""
    longest: int


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    type: str


class Vault:
    """Originals and their placeholders for one request. Its ``repr`` never shows originals."""

    def __init__(self, rank: Callable[[str], int] | None = None) -> None:
        """``rank`` orders data classes by sensitivity (e.g. ``CharterRules.class_rank``):
        when findings overlap, the most sensitive one names the placeholder, then the widest."""
        self._rank = rank
        self._by_original: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._reserved: set[str] = set()
        self._ambiguous: set[str] = set()
        self._cache: _Compiled | None = None

    def __repr__(self) -> str:
        return f"Vault({len(self._by_placeholder)} placeholders)"

    def __len__(self) -> int:
        return len(self._by_placeholder)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The placeholders issued (never the originals), for audit and counts."""
        return tuple(self._by_placeholder)

    @property
    def longest(self) -> int:
        """Length of the longest restorable placeholder (0 when there is none)."""
        return self._compiled().longest

    def observe(self, text: str) -> None:
        """Note the placeholder-form tokens a request text already contains."""
        for token in EXACT.findall(text):
            if token in self._by_placeholder and token not in self._ambiguous:
                self._ambiguous.add(token)
                self._cache = None
            self._reserved.add(token)

    def redact(self, text: str, findings: Sequence[Finding]) -> str:
        """``text`` with each finding's span replaced by a placeholder. Overlapping findings
        are merged into one span; the same original always gets the same placeholder."""
        self.observe(text)
        pieces: list[str] = []
        last = 0
        for span in self._merge(findings, len(text)):
            pieces.append(text[last : span.start])
            pieces.append(self._placeholder_for(text[span.start : span.end], span.type))
            last = span.end
        pieces.append(text[last:])
        return "".join(pieces)

    def restore(self, text: str) -> Restored:
        """The model's text with each issued placeholder replaced by its original."""
        return self._restore(text, escape=False)

    def restore_json_fragment(self, text: str) -> Restored:
        """Like ``restore`` for the raw text of JSON (tool-call ``function.arguments``): each
        original is inserted JSON-escaped, as the content of a JSON string."""
        return self._restore(text, escape=True)

    def pseudonymise(self, text: str) -> str:
        """``text`` with every original this vault holds put back into its placeholder (the
        longest first): what the caller received, as it may be stored in redacted form."""
        if not self._by_original:
            return text
        pattern = re.compile(
            "|".join(map(re.escape, sorted(self._by_original, key=len, reverse=True)))
        )
        return pattern.sub(lambda match: self._by_original[match.group(0)], text)

    # used by StreamRestorer

    def pending_from(self, text: str) -> int:
        """Where the tail of ``text`` that may be the beginning of a placeholder starts
        (``len(text)`` when none may be)."""
        compiled = self._compiled()
        start = text.rfind("[", max(0, len(text) - compiled.longest + 1))
        if start >= 0 and text[start:] in compiled.prefixes:
            return start
        return len(text)

    def replace(self, text: str, *, escape: bool) -> tuple[str, int]:
        """Issued placeholders replaced, and how many; no report (see ``unknown_in``)."""
        count = 0

        def original(match: re.Match[str]) -> str:
            nonlocal count
            count += 1
            value = self._by_placeholder[match.group()]
            return json.dumps(value, ensure_ascii=False)[1:-1] if escape else value

        return self._compiled().exact.sub(original, text), count

    def unknown_in(self, text: str) -> tuple[str, ...]:
        """The placeholder-like tokens of ``text`` that will not be restored, including a
        dangling beginning of a placeholder at its very end."""
        compiled = self._compiled()
        found = dict.fromkeys(
            t.strip() for t in compiled.loose.findall(text) if t not in compiled.restorable
        )
        dangling = text[self.pending_from(text) :]
        if dangling:
            found[dangling] = None
        return tuple(found)

    # internals

    def _restore(self, text: str, *, escape: bool) -> Restored:
        if not self._by_placeholder:
            return Restored(text, 0)
        restored, count = self.replace(text, escape=escape)
        return Restored(restored, count, self.unknown_in(text))

    def _compiled(self) -> _Compiled:
        if self._cache is None:
            restorable = frozenset(self._by_placeholder).difference(self._ambiguous)
            exact = (
                re.compile("|".join(map(re.escape, sorted(restorable)))) if restorable else _NEVER
            )
            types = {p[1:-1].rsplit("_", 1)[0] for p in self._by_placeholder}
            prefixes = frozenset(p[:i] for p in restorable for i in range(1, len(p)))
            longest = max(map(len, restorable), default=0)
            self._cache = _Compiled(exact, loose_pattern(types), restorable, prefixes, longest)
        return self._cache

    def _placeholder_for(self, original: str, entity_type: str) -> str:
        known = self._by_original.get(original)
        if known is not None:
            return known
        name = type_name(entity_type)
        number = self._counters.get(name, 0)
        while True:
            number += 1
            candidate = placeholder(name, number)
            if candidate not in self._reserved:
                break
        self._counters[name] = number
        self._by_original[original] = candidate
        self._by_placeholder[candidate] = original
        self._cache = None
        return candidate

    def _merge(self, findings: Iterable[Finding], length: int) -> list[_Span]:
        """Findings clipped to the text, overlapping ones merged into their union; the type of
        a merged span is that of its most sensitive, then widest, then surest finding."""
        clipped = sorted(
            (f for f in findings if 0 <= f.start < f.end and f.start < length),
            key=lambda f: f.start,
        )
        spans: list[_Span] = []
        group: list[Finding] = []
        end = -1
        for finding in [*clipped, None]:
            if finding is not None and finding.start < end:
                group.append(finding)
                end = max(end, min(finding.end, length))
                continue
            if group:
                winner = max(group, key=self._weight)
                spans.append(_Span(group[0].start, end, winner.type))
            if finding is not None:
                group = [finding]
                end = min(finding.end, length)
        return spans

    def _weight(self, finding: Finding) -> tuple[int, int, float, int]:
        rank = self._rank(finding.data_class) if self._rank else 0
        return (rank, finding.end - finding.start, finding.score, -finding.start)
