"""Duplicate detection at intake: the use cases most similar to an idea being typed.

The registry stores, for each use case, the terms ``DuplicateFinder.terms(title, text)`` gives
(a JSON list of strings) together with ``DuplicateFinder.version``; when an idea is typed, it calls
``rank`` with the idea and the stored terms of the existing use cases, and shows the matches: the
use case, its similarity in [0, 1] and the terms that matched.

The title counts twice: its terms are repeated in the list (a title states the idea; the
description adds context). A match is suggested only if its similarity reaches the threshold and
it shares at least two distinct terms with the idea: one shared word ("patent", "restaurant")
is a topic in common, not a duplicate.

The default threshold, 0.20, comes from ``benchmarks/duplicates.py`` on 251 French, English and
cross-lingual paraphrase pairs and 120 unrelated ideas (see ``benchmarks/README.md``): the
highest-recall threshold that shows a suggestion for at most a fifth of the unrelated ideas of
the tuning half. There, 83% of duplicates are suggested and 12.5% of unrelated ideas get a
(wrong) suggestion; a lower threshold suggests more of the true duplicates but also shows
something for more unrelated ideas, a higher one the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gouvernail.search.analysis import Analyzer
from gouvernail.search.bm25 import BM25Index, Match

__all__ = ["DEFAULT_THRESHOLD", "MIN_MATCHED_TERMS", "TITLE_WEIGHT", "DuplicateFinder"]

DEFAULT_THRESHOLD = 0.20
MIN_MATCHED_TERMS = 2
TITLE_WEIGHT = 2


class DuplicateFinder:
    """Ranks existing use cases by their similarity to an idea.

    ``terms`` is deterministic (same text, same analyzer version, same list), so the registry can
    store it and index it again later; ``version`` changes whenever the analysis would give other
    terms, and stored terms of another version should be recomputed.
    """

    def __init__(
        self,
        analyzer: Analyzer | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        title_weight: int = TITLE_WEIGHT,
        min_matched_terms: int = MIN_MATCHED_TERMS,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        _check_threshold(threshold)
        if title_weight < 1:
            raise ValueError("title_weight must be at least 1")
        self.analyzer = analyzer if analyzer is not None else Analyzer()
        self.threshold = threshold
        self.title_weight = title_weight
        self.min_matched_terms = min_matched_terms
        self.k1 = k1
        self.b = b

    @property
    def version(self) -> str:
        """Identifies the analysis and the title weight that made a list of terms."""
        return f"{self.analyzer.version}-t{self.title_weight}"

    def terms(self, title: str, text: str = "") -> list[str]:
        """The index terms of a use case: its title's terms ``title_weight`` times, then its
        description's. The language is detected on both together."""
        language = self.analyzer.detect(f"{title}\n{text}")
        title_terms = self.analyzer.terms(title, language)
        return title_terms * self.title_weight + self.analyzer.terms(text, language)

    def index(self, candidates: Iterable[tuple[str, Sequence[str]]]) -> BM25Index:
        """A BM25 index of ``(doc_id, terms)`` pairs, to reuse across several ``rank`` calls."""
        index = BM25Index(k1=self.k1, b=self.b)
        for doc_id, terms in candidates:
            index.add(doc_id, terms)
        return index

    def rank(
        self,
        query_title: str,
        query_text: str,
        candidates: Iterable[tuple[str, Sequence[str]]] | BM25Index,
        *,
        k: int = 3,
        threshold: float | None = None,
    ) -> list[Match]:
        """The ``k`` existing use cases most similar to the idea, best first, keeping only those
        whose similarity reaches ``threshold`` (the finder's default when None) and that share
        at least ``min_matched_terms`` distinct terms with the idea (or all of its terms, if it
        has fewer). A threshold of 0 keeps every match, which is what a full ranking needs.

        ``candidates`` are the ``(doc_id, terms)`` of the existing use cases, or an index built
        from them with ``index`` (faster when one registry serves many queries).
        """
        index = candidates if isinstance(candidates, BM25Index) else self.index(candidates)
        query = self.terms(query_title, query_text)
        return self.suggestions(index.search(query, k), query, threshold)

    def suggestions(
        self, matches: Iterable[Match], query_terms: Sequence[str], threshold: float | None = None
    ) -> list[Match]:
        """The matches worth suggesting for a query with ``query_terms`` (see ``rank``)."""
        floor = self.threshold if threshold is None else threshold
        _check_threshold(floor)
        if floor <= 0:
            return list(matches)
        shared = min(self.min_matched_terms, len(set(query_terms)))
        return [m for m in matches if m.similarity >= floor and len(m.matched_terms) >= shared]


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("the similarity threshold must be between 0 and 1")
