"""An Okapi BM25 index over analysed terms, held in memory.

Scoring (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009):

    score(q, d) = sum over distinct terms t of q of
                  qtf(t) * idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + K(d))
    K(d)        = k1 * (1 - b + b * |d| / avgdl)
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

- ``k1`` (default 1.2) is how fast repeated terms saturate: 0 counts presence only, large values
  make term frequency count almost linearly. Use-case texts are short, so the classic value fits.
- ``b`` (default 0.75) is how much a long document is penalised: 0 ignores length, 1 divides
  term frequency by the relative length fully.
- ``qtf(t)`` is how often the query says ``t`` (Robertson's k3 taken as infinite): a title word
  the query repeats weighs more.
- The idf form is Lucene's, always positive, so a term found in every document still counts a
  little rather than negatively. A query term no document contains adds nothing to any score.

``similarity`` makes scores comparable across queries: a document's score divided by the query's
*self-score*, the score a document made of exactly the query's terms would get in this index
(same N, df and avgdl). An identical text scores 1.0; a text sharing only some of the query's
terms gets the share of the query's weight it matches, with rare terms weighing more; the rare
document that beats the query's own score (more repetitions, much shorter) is capped at 1.0.
Terms the index has never seen weigh in the self-score as the rarest possible terms: a query
with much that is new is, rightly, less similar to everything.

Ties are broken by document id and terms are summed in sorted order, so a search gives the same
result on every run and in every process.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["BM25Index", "Match"]


@dataclass(frozen=True, slots=True)
class Match:
    """One document found for a query, with its reasons.

    ``score`` is the raw BM25 score (comparable within one query only); ``similarity`` is the
    score over the query's self-score, in [0, 1]; ``matched_terms`` are the query terms the
    document contains, the largest contribution first: the explanation of the match.
    """

    doc_id: str
    score: float
    similarity: float
    matched_terms: tuple[str, ...]


class BM25Index:
    """Documents as bags of analysed terms; ``search`` ranks them for a bag of query terms."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        if k1 < 0 or not 0 <= b <= 1:
            raise ValueError("BM25 needs k1 >= 0 and 0 <= b <= 1")
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[str, int]] = {}
        self._lengths: dict[str, int] = {}
        self._terms: dict[str, tuple[str, ...]] = {}
        self._total_length = 0
        self._norms: dict[str, float] | None = None

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._lengths

    def add(self, doc_id: str, terms: Iterable[str]) -> None:
        """Index ``terms`` as document ``doc_id``, replacing any earlier version of it."""
        self.remove(doc_id)
        counts = Counter(terms)
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[doc_id] = tf
        length = sum(counts.values())
        self._lengths[doc_id] = length
        self._terms[doc_id] = tuple(counts)
        self._total_length += length
        self._norms = None

    def remove(self, doc_id: str) -> bool:
        """Forget document ``doc_id``; False if it was not indexed."""
        length = self._lengths.pop(doc_id, None)
        if length is None:
            return False
        self._total_length -= length
        for term in self._terms.pop(doc_id):
            docs = self._postings[term]
            del docs[doc_id]
            if not docs:
                del self._postings[term]
        self._norms = None
        return True

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` in the current index."""
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (len(self._lengths) - df + 0.5) / (df + 0.5))

    def self_score(self, query_terms: Sequence[str]) -> float:
        """The score a document made of exactly ``query_terms`` would get."""
        counts = Counter(query_terms)
        norm = self.k1 * (1 - self.b + self.b * len(query_terms) / self._average_length())
        return sum(
            qtf * self.idf(term) * qtf * (self.k1 + 1) / (qtf + norm)
            for term, qtf in sorted(counts.items())
        )

    def search(self, query_terms: Sequence[str], k: int = 10) -> list[Match]:
        """The ``k`` best documents for ``query_terms``, best first; none for an empty query."""
        if k <= 0 or not query_terms or not self._lengths:
            return []
        norms = self._document_norms()
        scores: dict[str, float] = {}
        weights: dict[str, float] = {}
        for term, qtf in sorted(Counter(query_terms).items()):
            docs = self._postings.get(term)
            if not docs:
                continue
            weights[term] = qtf * self.idf(term) * (self.k1 + 1)
            weight = weights[term]
            for doc_id, tf in docs.items():
                scores[doc_id] = scores.get(doc_id, 0.0) + weight * tf / (tf + norms[doc_id])
        best = heapq.nsmallest(k, scores.items(), key=lambda item: (-item[1], item[0]))
        self_score = self.self_score(query_terms)
        return [
            Match(
                doc_id=doc_id,
                score=score,
                similarity=min(1.0, score / self_score) if self_score > 0 else 0.0,
                matched_terms=self._explain(doc_id, weights, norms[doc_id]),
            )
            for doc_id, score in best
        ]

    def _explain(self, doc_id: str, weights: dict[str, float], norm: float) -> tuple[str, ...]:
        contributions = []
        for term, weight in weights.items():
            tf = self._postings[term].get(doc_id)
            if tf:
                contributions.append((-weight * tf / (tf + norm), term))
        return tuple(term for _, term in sorted(contributions))

    def _average_length(self) -> float:
        return self._total_length / len(self._lengths) if self._lengths else 1.0

    def _document_norms(self) -> dict[str, float]:
        if self._norms is None:
            average = self._average_length() or 1.0
            self._norms = {
                doc_id: self.k1 * (1 - self.b + self.b * length / average)
                for doc_id, length in self._lengths.items()
            }
        return self._norms
