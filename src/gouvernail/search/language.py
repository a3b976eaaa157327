"""Languages: French and English, their stop words, and a light detector that tells them apart.

The detector counts the words of a text that are stop words of one language only ("le", "des",
"pour" against "the", "of", "for"); the language with more wins. With no evidence either way (a
two-word title), a French accent decides for French, otherwise the default language wins. It needs
no model, no download and no network, and is right on any sentence of ordinary prose; texts that
mix the two languages get the language of their grammar words, which is the one whose stemmer
suits their inflections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from gouvernail.search.tokens import Token

__all__ = ["DEFAULT_STOPWORDS", "Language", "StopWords"]

DEFAULT_STOPWORDS = Path(__file__).with_name("data") / "stopwords.yaml"
_FRENCH_LETTERS = frozenset("éèêëàâçùûüôîïœ")


class Language(StrEnum):
    """A language the analyzer knows; the value is its ISO 639-1 code."""

    FRENCH = "fr"
    ENGLISH = "en"

    @property
    def snowball(self) -> str:
        """The name of the Snowball stemming algorithm for this language."""
        return {"fr": "french", "en": "english"}[self.value]


@dataclass(frozen=True)
class StopWords:
    """Stop words per language, as case-folded surface forms.

    ``grammar`` words (articles, prepositions, auxiliaries) never apply to an acronym ("IT" is
    not "it"); ``domain`` words, which any AI idea uses whatever its subject ("IA", "tool"),
    apply to every token.
    """

    grammar: Mapping[Language, frozenset[str]]
    domain: Mapping[Language, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = DEFAULT_STOPWORDS) -> StopWords:
        """Read ``{code: {grammar: "...", domain: "..."}}`` (whitespace-separated words)."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
        return cls.from_lists(
            {Language(code): str(lists.get("grammar", "")).split() for code, lists in data.items()},
            {Language(code): str(lists.get("domain", "")).split() for code, lists in data.items()},
        )

    @classmethod
    def from_lists(
        cls,
        grammar: Mapping[Language, Iterable[str]],
        domain: Mapping[Language, Iterable[str]] | None = None,
    ) -> StopWords:
        def fold(lists: Mapping[Language, Iterable[str]]) -> dict[Language, frozenset[str]]:
            return {lang: frozenset(w.casefold() for w in words) for lang, words in lists.items()}

        return cls(fold(grammar), fold(domain or {}))

    def is_stop_word(self, token: Token, language: Language) -> bool:
        """Whether ``token`` says nothing about the idea in ``language``."""
        if token.text in self.domain.get(language, frozenset()):
            return True
        return not token.acronym and token.text in self.grammar.get(language, frozenset())

    def detect(self, tokens: Iterable[Token], default: Language = Language.ENGLISH) -> Language:
        """The language of a text, from the stop words that belong to one language only."""
        french = self.grammar.get(Language.FRENCH, frozenset())
        english = self.grammar.get(Language.ENGLISH, frozenset())
        votes = 0
        accented = False
        for token in tokens:
            if token.acronym:
                continue
            in_french, in_english = token.text in french, token.text in english
            votes += int(in_french and not in_english) - int(in_english and not in_french)
            accented = accented or not _FRENCH_LETTERS.isdisjoint(token.text)
        if votes > 0:
            return Language.FRENCH
        if votes < 0:
            return Language.ENGLISH
        return Language.FRENCH if accented else default
