"""Restoring placeholders in a streamed answer, whatever the chunk boundaries.

``feed`` emits everything except a tail that may still become a placeholder: the last ``[``
when what follows it is the beginning of an issued placeholder, so at most the longest
placeholder minus one character is ever held. A placeholder split across chunks, one character
per chunk included, is restored exactly once; the concatenated output always equals
``Vault.restore`` of the whole answer, and ``unknown`` (known at ``finish``) equals its report.
"""

from __future__ import annotations

from gouvernail.gateway.redaction.vault import Vault


class StreamRestorer:
    """One per streamed text (a choice's content, or one tool call's arguments)."""

    def __init__(self, vault: Vault, *, json: bool = False) -> None:
        """``json``: the stream is raw JSON (tool-call arguments); originals are escaped."""
        self._vault = vault
        self._escape = json
        self._held = ""
        self._seen: list[str] = []
        self._restored = 0
        self._unknown: tuple[str, ...] = ()

    @property
    def held(self) -> int:
        """Characters held back right now."""
        return len(self._held)

    @property
    def restored(self) -> int:
        return self._restored

    @property
    def unknown(self) -> tuple[str, ...]:
        """Placeholder-like tokens left as they were (complete after ``finish``)."""
        return self._unknown

    def feed(self, delta: str) -> str:
        """What may be emitted now."""
        if not delta:
            return ""
        if not len(self._vault):
            return delta
        self._seen.append(delta)
        text = self._held + delta
        cut = self._vault.pending_from(text)
        self._held = text[cut:]
        return self._emit(text[:cut])

    def finish(self) -> str:
        """The rest; a dangling beginning of a placeholder is emitted as it is (and reported)."""
        text, self._held = self._held, ""
        if self._seen:
            self._unknown = self._vault.unknown_in("".join(self._seen))
            self._seen.clear()
        return self._emit(text)

    def _emit(self, text: str) -> str:
        if not text:
            return ""
        restored, count = self._vault.replace(text, escape=self._escape)
        self._restored += count
        return restored
