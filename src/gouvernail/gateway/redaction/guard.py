"""Inspecting a model's answer before it reaches the caller, streamed or not.

A leak can straddle chunk boundaries (``jean.dup`` + ``ont@example.com``), so the guard keeps
the last ``window`` characters of the answer back: text is emitted once it is older than
``window`` characters (or at ``finish``), after a detection pass over all held text plus up to
``window`` characters already emitted (look-behind). An entity up to ``window`` characters long
is therefore always seen whole before any of it leaves; choose ``window`` as the longest entity
that matters (an IBAN with spaces is 42 characters, most e-mail addresses fewer than 64).
Only the last ``window`` characters are held back, plus, while a found span crosses that edge,
the span from its start; never more than ``2 * window`` (an entity longer than ``window`` that
would hold more is masked in two pieces rather than stall the stream). The first text leaves as
soon as it is older than ``window``; after that, a pass waits until ``window / 4`` more
characters can leave, so a stream of small chunks is read in steps rather than once per chunk.

``action="mask"`` replaces each found span with ``[TYPE]``; ``action="flag"`` emits everything
at once, unchanged, and only records. Either way ``findings`` holds what was found, with offsets
into the whole answer and never the text. The guard runs on the model's own output, before
placeholders are restored, so originals the caller supplied are never masked; spans that touch
a ``protected`` token (the vault's placeholders) are ignored.

Non-streamed answers go through ``check`` (one ``feed`` and ``finish``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Literal

from gouvernail.gateway.redaction.placeholders import mask
from gouvernail.inspection.findings import Finding

Detect = Callable[[str], Sequence[Finding]]
Action = Literal["mask", "flag"]


class OutputGuard:
    """One per streamed text. ``spawn`` makes a fresh one with the same configuration."""

    def __init__(
        self,
        detect: Detect,
        *,
        window: int = 64,
        action: Action = "mask",
        types: frozenset[str] | None = None,
        protected: re.Pattern[str] | None = None,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1 character")
        self._detect = detect
        self._window = window
        self._action: Action = action
        self._types = types
        self._protected = protected
        self._behind = ""
        """The last ``window`` characters already settled (raw), for look-behind."""
        self._held = ""
        """Raw text not yet settled."""
        self._offset = 0
        """Offset of ``_held`` in the whole answer."""
        self._found: dict[tuple[str, int], Finding] = {}
        self._step = max(1, window // 4)
        """After the first text left, a pass waits for this many characters past the window:
        a model streams a few characters per chunk, and each pass reads the whole window."""

    def spawn(self, *, protected: re.Pattern[str] | None = None) -> OutputGuard:
        return OutputGuard(
            self._detect,
            window=self._window,
            action=self._action,
            types=self._types,
            protected=protected if protected is not None else self._protected,
        )

    @property
    def window(self) -> int:
        return self._window

    @property
    def held(self) -> int:
        """Characters held back right now (always 0 when flagging, at most ``2 * window``)."""
        return len(self._held) if self._action == "mask" else 0

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What was found so far, offsets into the whole answer, in order."""
        return tuple(sorted(self._found.values(), key=lambda f: (f.start, f.end)))

    def feed(self, delta: str) -> str:
        """What may be emitted now."""
        if not delta:
            return ""
        self._held += delta
        cut = len(self._held) - self._window
        if self._offset and cut < self._step and len(self._held) < 2 * self._window:
            return "" if self._action == "mask" else delta  # a few more characters first
        settled = self._settle(cut)
        return settled if self._action == "mask" else delta

    def finish(self) -> str:
        """Everything still held, inspected."""
        settled = self._settle(len(self._held), final=True)
        return settled if self._action == "mask" else ""

    def check(self, text: str) -> str:
        """A whole, non-streamed answer."""
        return self.feed(text) + self.finish()

    def _settle(self, cut: int, *, final: bool = False) -> str:
        """Inspect and settle ``_held[:cut]`` (less if a span crosses the cut); return it,
        masked."""
        if cut <= 0 and not final:
            return ""
        start = len(self._behind)
        text = self._behind + self._held
        spans = [
            (max(0, f.start - start), min(f.end, len(text)) - start, f)
            for f in self._spans(text)
            if f.end > start
        ]
        floor = cut - self._window
        for begin, end, _ in reversed(spans):
            if begin < cut < end and begin >= floor:
                cut = begin
        if cut <= 0:
            return ""
        pieces: list[str] = []
        last = 0
        for begin, end, finding in spans:
            if begin >= cut:
                break
            self._record(finding, self._offset - start)
            end = min(end, cut)
            if begin < last:
                last = max(last, end)
                continue
            pieces.append(self._held[last:begin])
            pieces.append(mask(finding.type))
            last = end
        pieces.append(self._held[last:cut])
        settled = self._held[:cut]
        self._behind = (self._behind + settled)[-self._window :]
        self._held = self._held[cut:]
        self._offset += cut
        return "".join(pieces)

    def _spans(self, text: str) -> list[Finding]:
        found = [
            f
            for f in self._detect(text)
            if f.end > f.start and (self._types is None or f.type in self._types)
        ]
        if self._protected is not None and found:
            shields = [m.span() for m in self._protected.finditer(text)]
            found = [f for f in found if not any(a < f.end and f.start < b for a, b in shields)]
        return sorted(found, key=lambda f: (f.start, -f.end))

    def _record(self, finding: Finding, shift: int) -> None:
        """Keep a finding, merged with one of the same type it overlaps (the same entity seen
        again through the look-behind, or grown since)."""
        start, end = finding.start + shift, finding.end + shift
        for key, known in self._found.items():
            if known.type == finding.type and known.start <= end and start <= known.end:
                if start < known.start or end > known.end:
                    del self._found[key]
                    merged = (min(start, known.start), max(end, known.end))
                    self._found[(finding.type, merged[0])] = dataclasses.replace(
                        known, start=merged[0], end=merged[1]
                    )
                return
        self._found[(finding.type, start)] = dataclasses.replace(finding, start=start, end=end)
