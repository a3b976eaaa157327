"""Bilingual (French and English) text retrieval for duplicate detection of use-case ideas.

``Analyzer`` turns text into index terms (elisions, stop words, Snowball stemming, accent folding,
a bilingual thesaurus); ``BM25Index`` ranks documents by Okapi BM25 with a similarity in [0, 1]
and the matched terms as explanation; ``DuplicateFinder`` is what the registry calls: ``terms``
to store per use case, ``rank`` at intake.
"""

from gouvernail.search.analysis import Analysis, Analyzer
from gouvernail.search.bm25 import BM25Index, Match
from gouvernail.search.duplicates import (
    DEFAULT_THRESHOLD,
    MIN_MATCHED_TERMS,
    TITLE_WEIGHT,
    DuplicateFinder,
)
from gouvernail.search.language import Language, StopWords
from gouvernail.search.thesaurus import CONCEPT_PREFIX, Thesaurus

__all__ = [
    "CONCEPT_PREFIX",
    "DEFAULT_THRESHOLD",
    "MIN_MATCHED_TERMS",
    "TITLE_WEIGHT",
    "Analysis",
    "Analyzer",
    "BM25Index",
    "DuplicateFinder",
    "Language",
    "Match",
    "StopWords",
    "Thesaurus",
]
