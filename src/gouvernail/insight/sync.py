"""Synchronising a source: what changed in the store is fetched, parsed, checked, embedded
through the gateway and indexed, one document per transaction.

Resumable: the connector's cursor is saved after every batch, once its documents are committed;
a sync that crashed is taken over after ``insight.sync_lease_seconds`` and resumes from the
last saved cursor. Items already indexed are recognised by their version (then by the hash of
their content), so a resumed or repeated sync neither duplicates nor loses a document.
Deletions and changes of readers are applied; a full enumeration (``Batch.complete``) removes
the documents it did not see.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.through import Caller, Through
from gouvernail.insight.access import acl_id, resolve
from gouvernail.insight.chunking import Chunk, chunk_document
from gouvernail.insight.connectors import Batch, Connector, ConnectorError, RemoteItem, Removed
from gouvernail.insight.models import InsightDocument, InsightSource
from gouvernail.insight.parsing import ParsedDocument, Parser, UnparsableDocument
from gouvernail.insight.store import Prepared, Store
from gouvernail.inspection import Inspector
from gouvernail.inspection.findings import InjectionVerdict
from gouvernail.settings import InsightSettings


@dataclass
class SyncReport:
    source: str
    counts: Counter[str] = field(default_factory=Counter)
    """indexed, unchanged, relabelled, removed, failed, unresolved, empty, withheld passages"""
    problems: list[dict[str, str]] = field(default_factory=list)
    """One per document that could not be indexed: path, code, message (first 200 kept)."""
    seconds: float = 0.0
    error: str = ""

    def problem(self, path: str, code: str, message: str) -> None:
        self.counts[code if code in ("unresolved", "empty") else "failed"] += 1
        if len(self.problems) < 200:
            self.problems.append({"path": path, "code": code, "message": message})


Progress = Callable[[str, int], None]
"""Called with the path of each document handled and the number handled so far."""


class Syncer:
    def __init__(
        self,
        database: Database,
        store: Store,
        parser: Callable[[], Parser],
        through: Through,
        inspector: Callable[[], Inspector | None],
        settings: InsightSettings,
    ) -> None:
        self.database = database
        self.store = store
        self._parser = parser
        self.through = through
        self._inspector = inspector
        self.settings = settings

    # --- the lease ------------------------------------------------------------------------------

    def claim(self, source_id: int) -> tuple[str | None, int, bool]:
        """Take the source's sync lease: (cursor to resume from, generation, full listing)."""
        with self.database.write() as session:
            source = session.get(InsightSource, source_id, with_for_update=True)
            assert source is not None
            lease = timedelta(seconds=self.settings.sync_lease_seconds)
            started = source.sync_started_at
            if source.sync_state == "running" and started and utcnow() - started < lease:
                raise ConflictError(
                    f"a sync of {source.slug} is running (last report {started:%H:%M:%S} UTC); "
                    f"wait for it, or retry after {self.settings.sync_lease_seconds} s if it "
                    "crashed",
                    code="sync_running",
                )
            if source.cursor is None:
                source.sync_generation += 1
            source.sync_state, source.sync_started_at = "running", utcnow()
            return source.cursor, source.sync_generation, source.cursor is None

    def _restart(self, source_id: int) -> int:
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            assert source is not None
            source.sync_generation += 1
            source.cursor = None
            return source.sync_generation

    def release(self, source_id: int, error: str) -> None:
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            assert source is not None
            source.sync_state = "failed" if error else "idle"
            source.last_error = error
            if not error:
                source.synced_at = utcnow()

    # --- the run --------------------------------------------------------------------------------

    async def run(
        self, source_id: int, connector: Connector, *, progress: Progress | None = None
    ) -> SyncReport:
        began = time.perf_counter()
        cursor, generation, _ = await asyncio.to_thread(self.claim, source_id)
        source = await asyncio.to_thread(self._source, source_id)
        report = SyncReport(source.slug)
        caller = Caller(use_case_id=source.use_case_id, user_id=source.owner_id)
        handled = 0
        try:
            batches = connector.changes(cursor)
            while True:
                batch = await asyncio.to_thread(next, batches, None)
                if batch is None:
                    break
                if batch.cursor is None and not batch.complete and not batch.changes:
                    # the store refused the old cursor: a full listing starts over
                    generation = await asyncio.to_thread(self._restart, source_id)
                for change in batch.changes:
                    if isinstance(change, Removed):
                        await asyncio.to_thread(self._remove, source_id, change.key, report)
                        path = change.key
                    else:
                        await self._item(source_id, connector, change, generation, caller, report)
                        path = change.path
                    handled += 1
                    if progress is not None:
                        progress(path, handled)
                await asyncio.to_thread(self._checkpoint, source_id, batch, generation, report)
        except (ConnectorError, GouvernailError) as error:
            report.error = error.message
        except GatewayError as error:
            report.error = f"the gateway refused the embedding call ({error.code}): {error.message}"
        except Exception as error:
            report.error = f"{type(error).__name__}: {error}"
            raise
        finally:
            report.seconds = time.perf_counter() - began
            await asyncio.to_thread(self.release, source_id, report.error)
        return report

    def _source(self, source_id: int) -> InsightSource:
        with self.database.read() as session:
            source = session.get(InsightSource, source_id)
            assert source is not None
            session.expunge(source)
            return source

    def _checkpoint(
        self, source_id: int, batch: Batch, generation: int, report: SyncReport
    ) -> None:
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            assert source is not None
            if batch.complete:
                gone = session.scalars(
                    select(InsightDocument).where(
                        InsightDocument.source_id == source_id,
                        InsightDocument.generation != generation,
                    )
                ).all()
                for document in gone:
                    self.store.clear(session, source, document)
                    session.delete(document)
                report.counts["removed"] += len(gone)
            source.cursor = batch.cursor
            source.sync_started_at = utcnow()  # the lease's heartbeat

    def _remove(self, source_id: int, key: str, report: SyncReport) -> None:
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            document = _document(session, source_id, key)
            if source is None or document is None:
                return
            self.store.clear(session, source, document)
            session.delete(document)
            report.counts["removed"] += 1

    async def _item(
        self,
        source_id: int,
        connector: Connector,
        item: RemoteItem,
        generation: int,
        caller: Caller,
        report: SyncReport,
    ) -> None:
        outcome = await asyncio.to_thread(self._triage, source_id, item, generation, report)
        if outcome is None:
            return
        try:
            content = await asyncio.to_thread(
                connector.fetch, item, max_bytes=self.settings.max_document_bytes
            )
        except ConnectorError as error:
            await asyncio.to_thread(self._failed, source_id, item, error.code, error.message)
            report.problem(item.path, error.code, error.message)
            return
        digest = hashlib.sha256(content).hexdigest()
        if outcome == digest:  # same bytes under a new version tag
            await asyncio.to_thread(self._touch, source_id, item)
            report.counts["unchanged"] += 1
            return
        try:
            parsed = await asyncio.to_thread(self._parser().parse, item.name, content)
        except UnparsableDocument as error:
            await asyncio.to_thread(self._failed, source_id, item, error.code, error.message)
            report.problem(item.path, error.code, error.message)
            return
        prepared = await self._prepare(parsed, caller, source_id)
        await asyncio.to_thread(self._index, source_id, item, digest, parsed, prepared, report)

    def _triage(
        self, source_id: int, item: RemoteItem, generation: int, report: SyncReport
    ) -> str | None:
        """Record what is known without reading the item; return ``None`` when nothing more
        is to be done, else the content hash to compare with (empty: always index)."""
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            assert source is not None
            document = _document(session, source_id, item.key) or InsightDocument(
                source_id=source_id, key=item.key, status="new"
            )
            _describe(document, item, generation)
            session.add(document)
            session.flush()
            resolution = resolve(session, item.grants or ())
            if item.grants is None or not resolution.resolved:
                self.store.clear(session, source, document)
                document.status, document.error_code = "unresolved", "unresolved"
                document.error = (
                    "its permissions could not be read from the store"
                    if item.grants is None
                    else "none of its readers is known here: " + ", ".join(resolution.unknown)
                )
                document.acl_id = None
                report.problem(item.path, "unresolved", document.error)
                return None
            acl = acl_id(session, resolution.principals)
            unchanged = document.version == item.version and document.status in (
                "indexed",
                "empty",
                "failed",
            )
            if document.acl_id != acl:
                if unchanged or document.status == "indexed":
                    self.store.relabel(session, source, document, acl)
                    report.counts["relabelled"] += 1
                document.acl_id = acl
            if unchanged:
                report.counts["unchanged"] += 1
                return None
            return document.content_hash if document.status == "indexed" else ""

    async def _prepare(
        self, parsed: ParsedDocument, caller: Caller, source_id: int
    ) -> list[Prepared]:
        chunks, verdicts = await asyncio.to_thread(self._checked, parsed)
        source = await asyncio.to_thread(self._source, source_id)
        texts = [
            f"{parsed.title}\n{c.heading or ''}\n{c.text}".strip()
            for c, v in zip(chunks, verdicts, strict=True)
            if v is None or not v.detected
        ]
        vectors: list[np.ndarray] = []
        step = self.settings.embedding_batch
        for start in range(0, len(texts), step):
            vectors.extend(
                await self.through.embed(
                    texts[start : start + step],
                    model=source.embedding_model,
                    caller=caller,
                    data_class=source.data_class,
                    source=source.slug,
                )
            )
        found = iter(vectors)
        return [
            Prepared(c, True, v.signals, None)
            if v is not None and v.detected
            else Prepared(c, False, (), next(found))
            for c, v in zip(chunks, verdicts, strict=True)
        ]

    def _checked(self, parsed: ParsedDocument) -> tuple[list[Chunk], list[InjectionVerdict | None]]:
        """The document's passages, each with its prompt-injection verdict (CPU work: run in
        a worker thread, off the event loop)."""
        chunks = chunk_document(
            parsed, size=self.settings.chunk_chars, overlap=self.settings.chunk_overlap
        )
        inspector = self._inspector()
        return chunks, [inspector.injection(c.text) if inspector else None for c in chunks]

    def _index(
        self,
        source_id: int,
        item: RemoteItem,
        digest: str,
        parsed: ParsedDocument,
        prepared: list[Prepared],
        report: SyncReport,
    ) -> None:
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            document = _document(session, source_id, item.key)
            assert source is not None
            assert document is not None
            document.version = item.version
            document.title = parsed.title[:500]
            document.media_type = parsed.media_type[:120]
            document.content_hash = digest
            document.error_code = document.error = ""
            if not prepared:
                self.store.clear(session, source, document)
                document.status = "empty"
                report.problem(item.path, "empty", "no text could be extracted")
                return
            self.store.replace(session, source, document, prepared)
            document.status = "indexed"
            report.counts["indexed"] += 1
            report.counts["withheld"] += document.withheld_chunks

    def _failed(self, source_id: int, item: RemoteItem, code: str, message: str) -> None:
        with self.database.write() as session:
            source = session.get(InsightSource, source_id)
            document = _document(session, source_id, item.key)
            assert source is not None
            assert document is not None
            self.store.clear(session, source, document)
            document.status = "empty" if code == "empty" else "failed"
            document.error_code, document.error = code, message
            document.content_hash, document.version = "", item.version

    def _touch(self, source_id: int, item: RemoteItem) -> None:
        with self.database.write() as session:
            document = _document(session, source_id, item.key)
            assert document is not None
            document.version = item.version


def _document(session: Session, source_id: int, key: str) -> InsightDocument | None:
    return session.scalar(
        select(InsightDocument).where(
            InsightDocument.source_id == source_id, InsightDocument.key == key
        )
    )


def _describe(document: InsightDocument, item: RemoteItem, generation: int) -> None:
    """What the listing says (the version is kept only once the content is handled)."""
    document.path, document.name, document.url = item.path, item.name[:500], item.url
    document.size, document.modified_at = item.size, item.modified_at
    document.generation, document.synced_at = generation, utcnow()
    document.grants = orjson.dumps(
        None if item.grants is None else [[g.kind, g.name] for g in item.grants]
    ).decode()
