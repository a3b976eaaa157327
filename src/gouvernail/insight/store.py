"""Writing a document's passages: the chunk rows, their full-text entries and their vectors,
always together in the caller's transaction (a crash leaves a document either as it was or as
it is now, never half-indexed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from gouvernail.insight.chunking import Chunk
from gouvernail.insight.fulltext import FullText
from gouvernail.insight.models import InsightChunk, InsightDocument, InsightSource
from gouvernail.insight.vectors import Vectors
from gouvernail.search import Language


@dataclass(frozen=True, slots=True)
class Prepared:
    """A chunk ready to store: withheld ones (instructions found in them) have no vector."""

    chunk: Chunk
    withheld: bool
    signals: tuple[str, ...]
    vector: np.ndarray | None


class Store:
    def __init__(self, dialect: str) -> None:
        self.fulltext = FullText(dialect)
        self.vectors = Vectors(dialect)

    def replace(
        self,
        session: Session,
        source: InsightSource,
        document: InsightDocument,
        chunks: Sequence[Prepared],
    ) -> None:
        """The document's passages become ``chunks`` (``document.acl_id`` set)."""
        assert document.acl_id is not None
        self.clear(session, source, document)
        language = Language(source.language)
        values = [
            {
                "document_id": document.id,
                "source_id": source.id,
                "acl_id": document.acl_id,
                "ordinal": p.chunk.ordinal,
                "text": p.chunk.text,
                "page": p.chunk.page,
                "slide": p.chunk.slide,
                "sheet": p.chunk.sheet,
                "heading": (p.chunk.heading or "")[:500] or None,
                "withheld": p.withheld,
                "signals": ", ".join(p.signals),
            }
            for p in chunks
        ]
        searchable = [_searchable(document.title, p.chunk.heading, p.chunk.text) for p in chunks]
        ids = self._insert(session, document, values, searchable, language)
        vectors = [(i, document.acl_id, p.vector) for i, p in zip(ids, chunks, strict=True)]
        kept = [(c, a, v) for c, a, v in vectors if v is not None]
        if kept:
            width = int(kept[0][2].shape[0])
            if source.vector_dimensions is None:
                source.vector_dimensions = width
            elif source.vector_dimensions != width:
                raise ValueError(
                    f"the embedding model now returns {width} dimensions, the index holds "
                    f"{source.vector_dimensions}: rebuild the source's index"
                )
            self.vectors.ensure(session, source.id, width)
            self.vectors.add(session, source.id, kept)
        document.chunk_count = len(ids)
        document.char_count = sum(len(p.chunk.text) for p in chunks)
        document.withheld_chunks = sum(p.withheld for p in chunks)
        source.index_version += 1

    def _insert(
        self,
        session: Session,
        document: InsightDocument,
        values: Sequence[Mapping[str, object]],
        searchable: Sequence[str],
        language: Language,
    ) -> list[int]:
        """Insert the chunk rows, with their full-text entries; their ids in order. On
        PostgreSQL the ``tsvector`` is computed in the INSERT itself (an UPDATE afterwards would
        leave a dead version of every row behind)."""
        if not values:
            return []
        columns = list(values[0])
        names, slots = ", ".join(columns), ", ".join(f":{c}" for c in columns)
        in_row = self.fulltext.in_row(language)
        params: list[dict[str, object]] = [dict(v) for v in values]
        if in_row is not None:
            names, slots = f"{names}, tsv", f"{slots}, {in_row}"
            for p, words in zip(params, searchable, strict=True):
                p["searchable"] = words
        session.execute(text(f"INSERT INTO insight_chunks ({names}) VALUES ({slots})"), params)  # noqa: S608
        ids = list(
            session.scalars(
                select(InsightChunk.id)
                .where(InsightChunk.document_id == document.id)
                .order_by(InsightChunk.id)
            )
        )
        if in_row is None:
            self.fulltext.add(session, list(zip(ids, searchable, strict=True)), language)
        return ids

    def clear(self, session: Session, source: InsightSource, document: InsightDocument) -> None:
        ids = list(
            session.scalars(select(InsightChunk.id).where(InsightChunk.document_id == document.id))
        )
        if not ids:
            return
        self.fulltext.remove(session, ids)
        if source.vector_dimensions is not None:
            self.vectors.remove(session, source.id, ids)
        session.execute(delete(InsightChunk).where(InsightChunk.document_id == document.id))
        document.chunk_count = document.char_count = document.withheld_chunks = 0
        source.index_version += 1

    def relabel(
        self, session: Session, source: InsightSource, document: InsightDocument, acl: int
    ) -> None:
        """The document's readers changed, not its content."""
        document.acl_id = acl
        ids = list(
            session.scalars(select(InsightChunk.id).where(InsightChunk.document_id == document.id))
        )
        if not ids:
            return
        session.execute(
            update(InsightChunk).where(InsightChunk.document_id == document.id).values(acl_id=acl)
        )
        if source.vector_dimensions is not None:
            self.vectors.relabel(session, source.id, ids, acl)
        source.index_version += 1


def _searchable(title: str, heading: str | None, passage: str) -> str:
    """What the full-text index reads for a chunk: its words, its heading and its document's
    title (a passage rarely repeats the title it sits under)."""
    return "\n".join(x for x in (title, heading or "", passage) if x)
