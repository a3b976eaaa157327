"""The analyzer: turns French or English text into index terms.

The steps, in order (each one documented where it lives):

1. ``tokens.tokenize``: NFKC, case folding, French elisions, apostrophes, hyphens, numbers,
   acronyms;
2. ``StopWords.detect``: French or English, unless the caller says which;
3. stop words of that language are dropped;
4. Snowball stemming in that language (PyStemmer, the C build of the Snowball algorithms), with
   two small corrections: British "-ise"/"-yse" forms are spelt "-ize"/"-yze" before stemming,
   as the English stemmer expects, so that "optimise" meets "optimize" and "analyse" meets
   "analyze"; the French plural "s" after a vowel, which Snowball keeps ("essais", "emplois",
   "délais"), is removed after stemming;
5. accent folding, after stemming (the French stemmer needs the accents);
6. each thesaurus phrase of the text's language is replaced by its concept term
   (``~clinical_trial``).

Everything is computed locally from data shipped with the package; nothing is downloaded.
SQLite FTS5 has no French stemmer, so the terms are what a full-text index should store.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from importlib.metadata import version as package_version

import Stemmer

from gouvernail.search.language import Language, StopWords
from gouvernail.search.thesaurus import PhraseMatcher, Thesaurus
from gouvernail.search.tokens import Token, fold_accents, tokenize

__all__ = ["Analysis", "Analyzer"]

# Bump when a change to this module changes the terms of a text (stored terms must be redone).
PIPELINE_REVISION = "1"
_FRENCH_VOWELS_BEFORE_S = frozenset("aiouéèêû")
_BRITISH_SPELLING = re.compile(r"(?<=\w{3})([iy])s(e|es|ed|ing|ation|ations|er|ers)$")


@dataclass(frozen=True)
class Analysis:
    """The outcome of analysing one text: its language and its index terms."""

    language: Language
    terms: list[str]


class Analyzer:
    """French- and English-aware text analysis for retrieval (see the module docstring).

    Safe to share between threads: the Snowball stemmers, which are not, are used under a lock.
    """

    def __init__(
        self,
        stopwords: StopWords | None = None,
        thesaurus: Thesaurus | None = None,
        *,
        default_language: Language = Language.ENGLISH,
    ) -> None:
        self.stopwords = stopwords if stopwords is not None else StopWords.load()
        self.thesaurus = thesaurus if thesaurus is not None else Thesaurus.load()
        self.default_language = default_language
        self._stemmers = {language: Stemmer.Stemmer(language.snowball) for language in Language}
        self._lock = threading.Lock()
        self._phrases: PhraseMatcher = self.thesaurus.compile(self._words)
        self.version = self._fingerprint()

    def detect(self, text: str) -> Language:
        """The language of ``text``: French or English."""
        return self.stopwords.detect(tokenize(text), self.default_language)

    def analyze(self, text: str, language: Language | None = None) -> Analysis:
        """Index terms of ``text``: its stemmed words, thesaurus phrases replaced by concepts."""
        tokens = tokenize(text)
        language = language or self.stopwords.detect(tokens, self.default_language)
        return Analysis(language, self._phrases.replace(self._stem(tokens, language), language))

    def terms(self, text: str, language: Language | None = None) -> list[str]:
        """Shorthand for ``analyze(text, language).terms``."""
        return self.analyze(text, language).terms

    def _words(self, text: str, language: Language) -> list[str]:
        return self._stem(tokenize(text), language)

    def _stem(self, tokens: list[Token], language: Language) -> list[str]:
        kept = [t for t in tokens if not self.stopwords.is_stop_word(t, language)]
        plain = [
            _american(t.text) if language is Language.ENGLISH else t.text
            for t in kept
            if not (t.acronym or t.text[0].isdigit())
        ]
        with self._lock:
            stems = iter(self._stemmers[language].stemWords(plain))
        words: list[str] = []
        for token in kept:
            if token.acronym or token.text[0].isdigit():
                words.append(token.text)
                continue
            stem = next(stems)
            if language is Language.FRENCH:
                stem = _french_plural(stem)
            words.append(fold_accents(stem))
        return words

    def _fingerprint(self) -> str:
        """A short digest of everything that decides the terms: stored terms made under another
        version must be analysed again."""
        digest = hashlib.sha256()
        digest.update(f"{PIPELINE_REVISION}|{package_version('PyStemmer')}|".encode())
        digest.update(f"{self.default_language}|".encode())
        for kind in (self.stopwords.grammar, self.stopwords.domain):
            for language in sorted(kind):
                digest.update(f"{language}:{' '.join(sorted(kind[language]))}|".encode())
        for concept in self.thesaurus.concepts:
            phrases = sorted((str(lang), list(p)) for lang, p in concept.phrases.items())
            digest.update(f"{concept.name}:{phrases}|".encode())
        return digest.hexdigest()[:12]


def _american(word: str) -> str:
    """British to American spelling ("optimise" -> "optimize"), which Snowball stems fully."""
    return _BRITISH_SPELLING.sub(r"\1z\2", word)


def _french_plural(stem: str) -> str:
    """Drop the plural "s" Snowball keeps after a vowel ("essais" -> "essai")."""
    if len(stem) > 3 and stem.endswith("s") and stem[-2] in _FRENCH_VOWELS_BEFORE_S:
        return stem[:-1]
    return stem
