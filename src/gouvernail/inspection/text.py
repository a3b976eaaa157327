"""A text being inspected, tokenised once and shared by the detectors that need words."""

from __future__ import annotations

import re
from functools import cached_property
from typing import NamedTuple

_WORD = re.compile(r"\w+")


class Token(NamedTuple):
    start: int
    end: int
    text: str


class Scan:
    def __init__(self, text: str, language: str = "fr") -> None:
        self.text = text
        self.language = language

    @cached_property
    def tokens(self) -> list[Token]:
        return [Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(self.text)]

    @cached_property
    def lowered(self) -> list[str]:
        """The tokens' texts in lower case."""
        return [token.text.lower() for token in self.tokens]

    @cached_property
    def lower(self) -> str:
        return self.text.lower()

    def near(self, start: int, context: re.Pattern[str] | None, window: int) -> bool:
        """Does a context word (see ``context_words``) appear within ``window`` characters
        before ``start``?"""
        if context is None:
            return False
        return context.search(self.lower, max(0, start - window), start) is not None


def context_words(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern matching any of ``words`` as whole words, in lower case."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
