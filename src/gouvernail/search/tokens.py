"""Tokens: Unicode normalisation, word splitting and accent folding, the same for every language.

Text is normalised to NFKC (full-width letters, ligatures such as "ﬁ", non-breaking spaces), the
typographic apostrophes (U+2019, U+2018, U+02BC) become ``'`` and the Unicode hyphens become
``-``. A word is a run
of letters or digits that may be joined by apostrophes or hyphens; a number keeps its decimal
separator ("3.5", "0,8"). Then:

- a French elision is removed: "l'essai" -> "essai", "qu'un" -> "un", "jusqu'au" -> "au";
- an English possessive or contraction keeps its head: "company's" -> "company",
  "don't" -> "don" (a stop word);
- any other apostrophe is dropped: "aujourd'hui" -> "aujourdhui";
- a hyphenated word gives its parts and the parts joined, so that both spellings meet:
  "e-mail" -> "mail", "email"; "COVID-19" -> "covid", "19", "covid19";
- words of one letter are dropped (digits are kept).

A word written in capitals (2 to 6 characters, not in a text written all in capitals) is an
acronym: "IT", "RH", "CV", "AI"; a plural "s" is dropped ("CVs", "SOPs"). It is kept as it is
(case-folded), never taken for a grammar stop word ("IT" is not "it", "AI" is not the French
"ai") and never stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Token", "fold_accents", "tokenize"]

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u00ad": ""})
_WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['-][^\W_]+)*")
_FRENCH_ELISIONS = frozenset(
    {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"}
)
_ENGLISH_CLITICS = frozenset({"s", "t", "re", "ll", "ve", "d", "m"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "\u0131": "i"})


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text, case-folded; ``acronym`` when it was written in capitals."""

    text: str
    acronym: bool = False


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into case-folded tokens (see the module docstring for the rules)."""
    normal = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_HYPHENS)
    words = _WORD.findall(normal)
    shouting = _is_shouting(words)
    tokens: list[Token] = []
    for word in words:
        if word[0].isdigit() and not any(char.isalpha() for char in word):
            tokens.append(Token(word))
            continue
        word = _strip_apostrophes(word)
        short = None if shouting else _acronym(word)
        acronym = short is not None
        word = short or word
        parts = [part for part in word.split("-") if part]
        if len(parts) > 1:
            tokens.extend(Token(part.casefold(), acronym) for part in parts if _keep(part))
            tokens.append(Token("".join(parts).casefold(), acronym))
        elif parts and _keep(parts[0]):
            tokens.append(Token(parts[0].casefold(), acronym))
    return tokens


def fold_accents(term: str) -> str:
    """Remove diacritics ("déviat" -> "deviat") and spell out ligatures ("œdème" -> "oedeme")."""
    decomposed = unicodedata.normalize("NFD", term.translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _strip_apostrophes(word: str) -> str:
    if "'" not in word:
        return word
    head, _, rest = word.partition("'")
    if head.casefold() in _FRENCH_ELISIONS and rest:
        return _strip_apostrophes(rest)
    if rest.casefold() in _ENGLISH_CLITICS:
        return head
    return word.replace("'", "")


def _acronym(word: str) -> str | None:
    """``word`` without its plural "s" if it is an acronym ("CV", "KPIs"), else None."""
    letters = word.replace("-", "")
    if len(letters) > 2 and letters.endswith("s") and letters[:-1].isupper():
        word = word[:-1]
        letters = letters[:-1]
    return word if 2 <= len(letters) <= 6 and letters.isupper() else None


def _is_shouting(words: list[str]) -> bool:
    """A text written mostly in capitals: its capitalised words are not acronyms."""
    long_words = [word for word in words if len(word) >= 4 and any(c.isalpha() for c in word)]
    upper = sum(1 for word in long_words if word.isupper())
    return len(long_words) >= 3 and upper * 2 > len(long_words)


def _keep(part: str) -> bool:
    return len(part) > 1 or part.isdigit()
