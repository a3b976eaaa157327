"""A text being inspected, tokenised once and shared by the detectors that need words."""

from __future__ import annotations

import re
from functools import cached_property, partial
from itertools import accumulate
from typing import NamedTuple

_WORDS = re.compile(r"(\w+)")


class Token(NamedTuple):
    start: int
    end: int
    text: str


_token = partial(tuple.__new__, Token)
"""``Token(start, end, text)`` without the Python-level ``__new__`` (a text has ~200 tokens)."""


class Scan:
    def __init__(self, text: str, language: str = "fr") -> None:
        self.text = text
        self.language = language

    @cached_property
    def tokens(self) -> list[Token]:
        pieces = _WORDS.split(self.text)  # gap, word, gap, word, ..., gap: all in C
        offsets = list(accumulate(map(len, pieces), initial=0))
        return list(map(_token, zip(offsets[1:-1:2], offsets[2::2], pieces[1::2], strict=True)))

    @cached_property
    def lowered(self) -> list[str]:
        """The tokens' texts in lower case."""
        return [token.text.lower() for token in self.tokens]

    @cached_property
    def words(self) -> frozenset[str]:
        """The tokens' texts, as a set (dictionaries check what they share with it first)."""
        return frozenset(token.text for token in self.tokens)

    @cached_property
    def lowered_words(self) -> frozenset[str]:
        return frozenset(self.lowered)

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
