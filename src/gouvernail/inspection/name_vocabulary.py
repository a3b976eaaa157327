"""Per-language word lists that keep capitalised common words, places and organisations out of
person names: ``data/vocabulary/<language>.txt``, shipped with the package.

Each file has three sections (one entry a line, case-insensitive, ``#`` starts a comment):

- ``[common]``: capitalised words that are never part of a person's name (roles such as
  *Chief Financial Officer*, headings, function words that start sentences: *Selon*, *Laut*);
- ``[before]``: a capitalised run right after (or starting with) one of these is a place or an
  institution (*Hôpital* Georges Pompidou, *Hotel* Adlon, *Queen* Elizabeth Hall);
- ``[after]``: a capitalised run right before (or ending with) one of these is an organisation
  (Mayo *Clinic*, Francis Crick *Institute*, Dupont *Conseil*);
- ``[closings]``: last words of a letter's closing line (*Cordialement*, *Kind regards*,
  *Mit freundlichen Grüßen*): the short line of name words under it is a signature.

All the languages' lists are used on every text: a French prompt may name a London hospital.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VOCABULARY_DIR = Path(__file__).parent / "data" / "vocabulary"
SECTIONS = ("common", "before", "after", "closings")


@dataclass(frozen=True, slots=True)
class NameVocabulary:
    common: frozenset[str] = frozenset()
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    closings: frozenset[str] = frozenset()


def parse_vocabulary(text: str) -> dict[str, set[str]]:
    """The sections of one file; an entry outside a known section is an error."""
    sections: dict[str, set[str]] = {name: set() for name in SECTIONS}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip().lower()
            if current not in sections:
                raise ValueError(f"line {number}: unknown section {line}")
            continue
        if current is None:
            raise ValueError(f"line {number}: entry before any section")
        sections[current].add(line.lower())
    return sections


def read_vocabulary(directory: Path = VOCABULARY_DIR) -> NameVocabulary:
    """Every ``*.txt`` file of ``directory`` merged (empty if the directory is absent)."""
    merged: dict[str, set[str]] = {name: set() for name in SECTIONS}
    if directory.is_dir():
        for path in sorted(directory.glob("*.txt")):
            for name, words in parse_vocabulary(path.read_text(encoding="utf-8")).items():
                merged[name] |= words
    return NameVocabulary(**{name: frozenset(words) for name, words in merged.items()})
