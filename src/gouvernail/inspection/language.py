"""Cheap language guess (French, English, German) from stop-word counts; French by default."""

from __future__ import annotations

import re
from collections import Counter

LANGUAGES = ("fr", "en", "de")
DEFAULT_LANGUAGE = "fr"

STOP_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "un",
            "une",
            "des",
            "du",
            "de",
            "et",
            "est",
            "sont",
            "pour",
            "pas",
            "que",
            "qui",
            "dans",
            "sur",
            "avec",
            "ce",
            "cette",
            "ces",
            "il",
            "elle",
            "nous",
            "vous",
            "ils",
            "elles",
            "je",
            "tu",
            "au",
            "aux",
            "mais",
            "ou",
            "donc",
            "ne",
            "se",
            "sa",
            "son",
            "ses",
            "leur",
            "leurs",
            "par",
            "plus",
            "très",
            "être",
            "avoir",
            "fait",
            "été",
            "merci",
            "bonjour",
            "votre",
            "notre",
            "mon",
            "ma",
            "mes",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "and",
            "is",
            "are",
            "was",
            "were",
            "for",
            "not",
            "that",
            "which",
            "who",
            "in",
            "on",
            "with",
            "this",
            "these",
            "those",
            "it",
            "he",
            "she",
            "we",
            "you",
            "they",
            "i",
            "to",
            "of",
            "at",
            "but",
            "or",
            "so",
            "be",
            "have",
            "has",
            "had",
            "do",
            "does",
            "did",
            "please",
            "thanks",
            "hello",
            "your",
            "our",
            "my",
            "from",
            "by",
            "will",
            "would",
            "can",
            "could",
            "should",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "ein",
            "eine",
            "einen",
            "einem",
            "und",
            "ist",
            "sind",
            "war",
            "für",
            "nicht",
            "dass",
            "welche",
            "wer",
            "in",
            "auf",
            "mit",
            "diese",
            "dieser",
            "es",
            "er",
            "sie",
            "wir",
            "ihr",
            "ich",
            "zu",
            "von",
            "bei",
            "aber",
            "oder",
            "auch",
            "sein",
            "haben",
            "hat",
            "bitte",
            "danke",
            "hallo",
            "ihre",
            "unsere",
            "mein",
            "meine",
            "wird",
            "werden",
            "kann",
            "können",
            "sollte",
        ]
    ),
}
_WORD = re.compile(r"[^\W\d_]+")
SAMPLE_CHARS = 2000


_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    word: tuple(language for language in LANGUAGES if word in STOP_WORDS[language])
    for word in set().union(*STOP_WORDS.values())
}


def stop_word_hits(text: str) -> dict[str, int]:
    counts = dict.fromkeys(LANGUAGES, 0)
    for word, times in Counter(_WORD.findall(text[:SAMPLE_CHARS].lower())).items():
        for language in _LANGUAGES_OF.get(word, ()):
            counts[language] += times
    return counts


_ANY_STOP_WORD = frozenset(_LANGUAGES_OF)


def has_stop_words(text: str, at_least: float) -> bool:
    """Does ``text`` (in lower case) hold ``at_least`` stop words of any language? Stops
    counting as soon as it does (a text that reads as words is told apart from gibberish or
    rot13 within its first words)."""
    if at_least <= 0:
        return True
    hits = 0
    for match in _WORD.finditer(text):
        if match.group() in _ANY_STOP_WORD:
            hits += 1
            if hits >= at_least:
                return True
    return False


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The language with most stop words in the first characters of ``text``."""
    counts = stop_word_hits(text)
    best = max(LANGUAGES, key=lambda language: counts[language])
    return best if counts[best] > 0 else default


def is_stop_word(word: str) -> bool:
    lower = word.lower()
    return any(lower in words for words in STOP_WORDS.values())
