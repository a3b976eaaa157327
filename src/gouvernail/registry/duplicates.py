"""Duplicate detection at intake: the existing use cases most similar to a new idea.

Each use case stores its analysed terms (``search_terms``: French or English stemmed before
indexing, see ``gouvernail.search``); a query ranks every use case still in the registry with
BM25 and keeps those above the suggestion threshold. Retired use cases are left out. The index
is kept between queries and rebuilt when the registry changed (about 1 ms per query at 5,000
use cases instead of 150 ms, see ``benchmarks/duplicates.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import orjson
from sqlalchemy import func, select

from gouvernail.db.engine import Database
from gouvernail.registry.models import Status, UseCase
from gouvernail.registry.schemas import Suggestion
from gouvernail.search.bm25 import BM25Index
from gouvernail.search.duplicates import DuplicateFinder


@dataclass(frozen=True)
class _Snapshot:
    fingerprint: tuple[object, ...]
    index: BM25Index
    rows: dict[int, tuple[str, str]]


class Duplicates:
    def __init__(
        self, database: Database, finder: DuplicateFinder, threshold: float | None = None
    ) -> None:
        self.database = database
        self.finder = finder
        self.threshold = threshold
        self._lock = threading.Lock()
        self._cache: _Snapshot | None = None

    def terms(self, title: str, description: str) -> str:
        """What to store in ``use_cases.search_terms``: the terms and the analysis version."""
        return orjson.dumps(
            {"version": self.finder.version, "terms": self.finder.terms(title, description)}
        ).decode()

    def _stored(self, raw: str, title: str, description: str) -> list[str]:
        """Stored terms, recomputed when an older analysis made them."""
        stored = orjson.loads(raw or "{}")
        if isinstance(stored, dict) and stored.get("version") == self.finder.version:
            return list(stored["terms"])
        return self.finder.terms(title, description)

    def _snapshot(self) -> _Snapshot:
        """The index of the use cases still in the registry, rebuilt only when one of them
        changed (any write moves ``updated_at``; intake adds an id; a merge retires one)."""
        with self.database.read() as session:
            fingerprint = tuple(
                session.execute(
                    select(
                        func.count(UseCase.id), func.max(UseCase.id), func.max(UseCase.updated_at)
                    ).where(UseCase.status != Status.RETIRED.value)
                ).one()
            )
            with self._lock:
                if self._cache is not None and self._cache.fingerprint == fingerprint:
                    return self._cache
            rows = session.execute(
                select(
                    UseCase.id,
                    UseCase.title,
                    UseCase.description,
                    UseCase.status,
                    UseCase.search_terms,
                ).where(UseCase.status != Status.RETIRED.value)
            ).all()
        index = self.finder.index(
            (str(row.id), self._stored(row.search_terms, row.title, row.description))
            for row in rows
        )
        snapshot = _Snapshot(fingerprint, index, {row.id: (row.title, row.status) for row in rows})
        with self._lock:
            self._cache = snapshot
        return snapshot

    def suggest(
        self,
        title: str,
        description: str,
        *,
        exclude: int | None = None,
        k: int = 3,
        threshold: float | None = None,
    ) -> list[Suggestion]:
        """The ``k`` most similar use cases above ``threshold`` (default: the setting, else
        the finder's calibrated threshold)."""
        if not (title.strip() or description.strip()):
            return []
        snapshot = self._snapshot()
        matches = self.finder.rank(
            title,
            description,
            snapshot.index,
            k=k + (1 if exclude is not None else 0),
            threshold=self.threshold if threshold is None else threshold,
        )
        found = []
        for match in matches:
            key = int(match.doc_id)
            if key == exclude:
                continue
            label, status = snapshot.rows[key]
            found.append(
                Suggestion(
                    id=key,
                    title=label,
                    status=status,
                    similarity=round(match.similarity, 3),
                    matched_terms=list(match.matched_terms),
                )
            )
        return found[:k]
