"""Hybrid retrieval: full text and vectors, each filtered by access inside its query, fused by
reciprocal rank (each list contributes 1 / (k + rank) to a chunk's score)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.insight.models import InsightChunk, InsightDocument, InsightSource
from gouvernail.insight.store import Store
from gouvernail.search import Language


@dataclass(frozen=True, slots=True)
class Passage:
    number: int
    """Its citation number in the answer, from 1."""
    chunk_id: int
    document_id: int
    source: str
    data_class: str
    title: str
    path: str
    url: str
    page: int | None
    slide: int | None
    sheet: str | None
    heading: str | None
    text: str
    score: float
    fulltext_rank: int | None
    vector_rank: int | None
    similarity: float | None
    withheld: bool
    signals: str

    @property
    def locator(self) -> str:
        if self.page is not None:
            return f"page {self.page}"
        if self.slide is not None:
            return f"slide {self.slide}"
        if self.sheet:
            return f"sheet {self.sheet}"
        return ""


@dataclass(frozen=True, slots=True)
class Ranked:
    passages: tuple[Passage, ...]
    best_similarity: float | None
    fulltext_hits: int


def fuse(lists: Sequence[Sequence[int]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked id lists: ``(id, score)``, best first (ties by id)."""
    scores: dict[int, float] = defaultdict(float)
    for ranked in lists:
        for rank, item in enumerate(ranked, start=1):
            scores[item] += 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def rank(
    session: Session,
    store: Store,
    question: str,
    sources: Sequence[InsightSource],
    principals: Sequence[str],
    *,
    vectors: dict[int, np.ndarray],
    candidates: int,
    limit: int,
    rrf_k: int,
    mode: str = "hybrid",
) -> Ranked:
    """The ``limit`` best passages of ``sources`` readable with ``principals``; ``vectors``:
    the question's vector per source id (missing: that source is searched by full text only).
    ``mode``: hybrid, fulltext or vectors (the benchmark compares them)."""
    by_language: dict[str, list[int]] = defaultdict(list)
    for source in sources:
        by_language[source.language].append(source.id)
    fulltext: list[tuple[int, float]] = []
    if mode != "vectors":
        for language, ids in by_language.items():
            fulltext.extend(
                store.fulltext.search(
                    session,
                    question,
                    Language(language),
                    source_ids=ids,
                    principals=principals,
                    limit=candidates,
                )
            )
        fulltext.sort(key=lambda pair: -pair[1])
        fulltext = fulltext[:candidates]
    nearest: list[tuple[int, float]] = []
    if mode != "fulltext":
        for source in sources:
            if source.id in vectors:
                nearest.extend(
                    store.vectors.search(
                        session,
                        source,
                        vectors[source.id],
                        principals=principals,
                        limit=candidates,
                    )
                )
        nearest.sort(key=lambda pair: -pair[1])
        nearest = nearest[:candidates]
    fused = fuse([[c for c, _ in fulltext], [c for c, _ in nearest]], rrf_k)[:limit]
    text_rank = {chunk: i for i, (chunk, _) in enumerate(fulltext, start=1)}
    vector_rank = {chunk: i for i, (chunk, _) in enumerate(nearest, start=1)}
    similarity = dict(nearest)
    rows = {
        chunk.id: (chunk, document)
        for chunk, document in session.execute(
            select(InsightChunk, InsightDocument)
            .join(InsightDocument, InsightDocument.id == InsightChunk.document_id)
            .where(InsightChunk.id.in_([c for c, _ in fused]))
        ).all()
    }
    slugs = {s.id: (s.slug, s.data_class) for s in sources}
    passages = []
    for number, (chunk_id, score) in enumerate(fused, start=1):
        chunk, document = rows[chunk_id]
        slug, data_class = slugs[chunk.source_id]
        passages.append(
            Passage(
                number=number,
                chunk_id=chunk.id,
                document_id=document.id,
                source=slug,
                data_class=data_class,
                title=document.title or document.name,
                path=document.path,
                url=document.url,
                page=chunk.page,
                slide=chunk.slide,
                sheet=chunk.sheet,
                heading=chunk.heading,
                text=chunk.text,
                score=score,
                fulltext_rank=text_rank.get(chunk_id),
                vector_rank=vector_rank.get(chunk_id),
                similarity=similarity.get(chunk_id),
                withheld=chunk.withheld,
                signals=chunk.signals,
            )
        )
    return Ranked(
        tuple(passages),
        best_similarity=max((s for _, s in nearest), default=None),
        fulltext_hits=len(fulltext),
    )
