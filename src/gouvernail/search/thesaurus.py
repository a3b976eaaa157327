"""Thesaurus: a small bilingual list of concepts, so that French and English wordings of the same
idea share index terms.

A concept names one thing ("clinical_trial") and lists the phrases that say it in each language
("essai clinique", "étude clinique"; "clinical trial", "clinical study"). The default list ships
as ``data/thesaurus.yaml``, plain data an organisation can extend with its own vocabulary.

The analyzer compiles the phrases with its own pipeline (stop words, stemming, accent folding),
so a phrase matches every inflection of its words. When a text contains a phrase, the concept
term ``~clinical_trial`` takes the place of the phrase's words in the text's terms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from gouvernail.search.language import Language

__all__ = ["CONCEPT_PREFIX", "DEFAULT_THESAURUS", "Concept", "PhraseMatcher", "Thesaurus"]

DEFAULT_THESAURUS = Path(__file__).with_name("data") / "thesaurus.yaml"
CONCEPT_PREFIX = "~"


@dataclass(frozen=True)
class Concept:
    """One idea and the phrases that name it, per language."""

    name: str
    phrases: Mapping[Language, tuple[str, ...]]


@dataclass(frozen=True)
class Thesaurus:
    """An ordered list of concepts."""

    concepts: tuple[Concept, ...]

    @classmethod
    def load(cls, path: Path = DEFAULT_THESAURUS) -> Thesaurus:
        """Read ``concepts: {name: {fr: [...], en: [...]}}`` from a YAML file."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506
        return cls.from_mapping(data.get("concepts") or {})

    @classmethod
    def from_mapping(cls, concepts: Mapping[str, Mapping[str, Iterable[str]]]) -> Thesaurus:
        return cls(
            tuple(
                Concept(
                    name,
                    {
                        Language(code): tuple(str(p) for p in phrases)
                        for code, phrases in by.items()
                    },
                )
                for name, by in concepts.items()
            )
        )

    def compile(self, analyse: Callable[[str, Language], list[str]]) -> PhraseMatcher:
        """Turn each phrase into the terms ``analyse`` gives it in its language."""
        entries: dict[Language, list[tuple[tuple[str, ...], str]]] = {}
        for concept in self.concepts:
            term = CONCEPT_PREFIX + concept.name
            for language, phrases in concept.phrases.items():
                for phrase in phrases:
                    terms = tuple(analyse(phrase, language))
                    if terms:
                        entries.setdefault(language, []).append((terms, term))
        return PhraseMatcher(entries)


class PhraseMatcher:
    """Finds the thesaurus phrases in a sequence of analysed terms."""

    def __init__(self, entries: Mapping[Language, Iterable[tuple[tuple[str, ...], str]]]) -> None:
        self._by_first: dict[Language, dict[str, list[tuple[tuple[str, ...], str]]]] = {}
        for language, phrases in entries.items():
            index = self._by_first.setdefault(language, {})
            for terms, concept in sorted(set(phrases), key=lambda entry: (-len(entry[0]), entry)):
                index.setdefault(terms[0], []).append((terms, concept))

    def replace(self, terms: Sequence[str], language: Language) -> list[str]:
        """``terms`` with each thesaurus phrase replaced by its concept term, in text order.

        The words of a phrase give way to the concept ("clinical", "trial" -> "~clinical_trial"),
        so that a French and an English text meet on the same term and a phrase does not count
        twice. Where several phrases of one concept overlap ("clinical trial" and "trial"), the
        longest counts once; phrases of different concepts may share words ("recrutement des
        patients" gives both "~recruitment_of_patients" and "~hiring").
        """
        index = self._by_first.get(language)
        if not index:
            return list(terms)
        concepts: list[list[str]] = [[] for _ in terms]
        covered = [False] * len(terms)
        covered_until: dict[str, int] = {}
        for start, term in enumerate(terms):
            for phrase, concept in index.get(term, ()):
                end = start + len(phrase)
                if covered_until.get(concept, 0) > start or tuple(terms[start:end]) != phrase:
                    continue
                covered_until[concept] = end
                concepts[start].append(concept)
                covered[start:end] = [True] * len(phrase)
        result: list[str] = []
        for term, found, is_covered in zip(terms, concepts, covered, strict=True):
            result.extend(found)
            if not is_covered:
                result.append(term)
        return result
