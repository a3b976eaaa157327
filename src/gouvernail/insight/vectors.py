"""The vector half of retrieval: nearest chunks by cosine, filtered by access inside the search.

SQLite: one sqlite-vec ``vec0`` table per source (its width is the source's embedding model's),
with the chunk's access list as a metadata column, so that the k nearest are taken among the
chunks the caller may read (``acl_id IN (...)`` inside the KNN query).

PostgreSQL (pgvector is not in this machine's Debian archive): the vectors are rows of
``insight_vectors`` (float32 bytes), and each replica searches an in-memory copy per source
with numpy: an exact search (no recall lost to an approximate index) where the access mask is
applied to the scores before the top k are taken. A replica reloads a source's copy when the
source's ``index_version`` moved. Memory is 4 bytes x dimensions per chunk (1.5 GB for a million
384-wide chunks); past a few million chunks per replica an HNSW index with filtered search
(usearch or faiss, both on PyPI) is the next step, see docs/insight.md.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from gouvernail.insight.fulltext import ALLOWED
from gouvernail.insight.models import InsightSource, InsightVector


def table_of(source_id: int) -> str:
    return f"insight_vec_{int(source_id)}"


def is_vector_table(name: str) -> bool:
    """sqlite-vec's tables (and their shadow tables) are made per source, not modelled."""
    return name.startswith("insight_vec_") or name.startswith("insight_chunks_fts")


@dataclass(frozen=True, slots=True)
class _Copy:
    version: int
    ids: np.ndarray
    acls: np.ndarray
    matrix: np.ndarray


class Vectors:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._copies: dict[int, _Copy] = {}
        self._lock = threading.Lock()

    def ensure(self, session: Session, source_id: int, dimensions: int) -> None:
        """Make the source's vector table (SQLite) for ``dimensions``-wide vectors."""
        if self.dialect == "sqlite":
            session.execute(
                text(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table_of(source_id)} USING vec0("
                    f"chunk_id integer primary key, embedding float[{int(dimensions)}] "
                    "distance_metric=cosine, acl_id integer)"
                )
            )

    def drop(self, session: Session, source_id: int) -> None:
        if self.dialect == "sqlite":
            session.execute(text(f"DROP TABLE IF EXISTS {table_of(source_id)}"))
        self._copies.pop(source_id, None)

    def add(
        self, session: Session, source_id: int, rows: Sequence[tuple[int, int, np.ndarray]]
    ) -> None:
        """Store ``(chunk id, acl id, vector)`` rows."""
        if not rows:
            return
        if self.dialect == "sqlite":
            session.execute(
                text(
                    f"INSERT INTO {table_of(source_id)}(chunk_id, embedding, acl_id)"  # noqa: S608
                    " VALUES (:chunk, :embedding, :acl)"
                ),
                [{"chunk": c, "acl": a, "embedding": _bytes(v)} for c, a, v in rows],
            )
        else:
            session.add_all(
                InsightVector(chunk_id=c, source_id=source_id, acl_id=a, embedding=_bytes(v))
                for c, a, v in rows
            )

    def remove(self, session: Session, source_id: int, chunk_ids: Sequence[int]) -> None:
        if not chunk_ids:
            return
        table = table_of(source_id) if self.dialect == "sqlite" else "insight_vectors"
        session.execute(
            text(f"DELETE FROM {table} WHERE chunk_id IN :ids").bindparams(  # noqa: S608
                bindparam("ids", expanding=True)
            ),
            {"ids": list(chunk_ids)},
        )

    def relabel(self, session: Session, source_id: int, chunk_ids: Sequence[int], acl: int) -> None:
        """The document's readers changed: its vectors carry the new access list."""
        if not chunk_ids:
            return
        table = table_of(source_id) if self.dialect == "sqlite" else "insight_vectors"
        session.execute(
            text(f"UPDATE {table} SET acl_id = :acl WHERE chunk_id IN :ids").bindparams(  # noqa: S608
                bindparam("ids", expanding=True)
            ),
            {"ids": list(chunk_ids), "acl": acl},
        )

    def search(
        self,
        session: Session,
        source: InsightSource,
        query: np.ndarray,
        *,
        principals: Sequence[str],
        limit: int,
    ) -> list[tuple[int, float]]:
        """The ``limit`` chunks of ``source`` nearest to ``query`` among those the holder of
        ``principals`` may read: ``(chunk id, cosine similarity)``, best first."""
        if not principals or source.vector_dimensions is None:
            return []
        if source.vector_dimensions != query.shape[0]:
            raise ValueError(
                f"the question's vector has {query.shape[0]} dimensions, the source's "
                f"{source.vector_dimensions}: was the embedding model changed?"
            )
        if self.dialect == "sqlite":
            statement = text(
                f"SELECT chunk_id, distance FROM {table_of(source.id)}"  # noqa: S608
                f" WHERE embedding MATCH :query AND k = :limit AND acl_id IN ({ALLOWED})"
                " ORDER BY distance"
            ).bindparams(bindparam("principals", expanding=True))
            rows = session.execute(
                statement,
                {"query": _bytes(query), "limit": limit, "principals": list(principals)},
            )
            return [(int(chunk), 1.0 - float(distance)) for chunk, distance in rows]
        copy = self._copy(session, source)
        allowed = session.scalars(
            text(ALLOWED).bindparams(bindparam("principals", expanding=True)),
            {"principals": list(principals)},
        ).all()
        if copy.ids.size == 0 or not allowed:
            return []
        scores = copy.matrix @ query.astype(np.float32)
        scores[~np.isin(copy.acls, np.asarray(allowed, dtype=np.int64))] = -np.inf
        count = min(limit, int(np.count_nonzero(np.isfinite(scores))))
        if count == 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best])]
        return [(int(copy.ids[i]), float(scores[i])) for i in best]

    def _copy(self, session: Session, source: InsightSource) -> _Copy:
        with self._lock:
            copy = self._copies.get(source.id)
            if copy is not None and copy.version == source.index_version:
                return copy
            rows = session.execute(
                select(InsightVector.chunk_id, InsightVector.acl_id, InsightVector.embedding)
                .where(InsightVector.source_id == source.id)
                .order_by(InsightVector.chunk_id)
            ).all()
            width = source.vector_dimensions or 0
            matrix = (
                np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), width)
                if rows
                else np.zeros((0, width), dtype=np.float32)
            )
            copy = _Copy(
                source.index_version,
                np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)),
                matrix,
            )
            self._copies[source.id] = copy
            return copy


def _bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()
