"""The audit trail's writer: group commit of hash-chained records.

Callers hand the writer a *unit of work*: optional business changes (a function run on the
writer's session) and the audit events they produce. One writer thread drains every pending unit
into a single transaction: each unit runs inside its own savepoint (a failing unit changes
nothing and leaves no record), the records are chained in order, the chain head is locked
(``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) so that several
processes never fork the chain, and only after COMMIT is any caller told that its unit is done.

A unit may instead carry plain rows to insert (``aappend``: the gateway's request log, one per
model call): the rows of the whole batch go in one multi-row INSERT per table, without a
savepoint or an ORM flush per unit. If a batch fails, its units are committed again one by one,
so that one bad unit never takes the others down.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from gouvernail.audit.chain import FIELDS, canonical_values, format_ts, record_hash
from gouvernail.audit.events import Actor, AuditEvent
from gouvernail.audit.models import AuditCheckpoint, AuditHead, AuditRecord
from gouvernail.audit.signing import CheckpointSigner
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database

T = TypeVar("T")
log = structlog.get_logger(__name__)
Row = tuple[Table, dict[str, Any]]


@dataclass(frozen=True)
class AuditContext:
    """Who acts, and in which request; every record of a unit carries it."""

    actor: Actor
    request_id: str = ""


@dataclass
class Tx:
    """What a unit of work gets: the writer's session and a place to emit its events."""

    session: Session
    context: AuditContext
    events: list[AuditEvent] = field(default_factory=list)

    def emit(self, *events: AuditEvent) -> None:
        self.events.extend(events)


@dataclass
class _Unit(Generic[T]):
    context: AuditContext
    work: Callable[[Tx], T] | None
    events: Sequence[AuditEvent]
    future: Future[tuple[T | None, list[int]]]
    rows: Sequence[Row] = ()


class TrailClosedError(RuntimeError):
    """The writer has stopped; nothing more can be recorded."""


class AuditTrail:
    """Append-only, hash-chained, group-committed audit trail."""

    def __init__(
        self,
        database: Database,
        signer: CheckpointSigner,
        *,
        checkpoint_interval: int = 1000,
        batch_max: int = 512,
        clock: Callable[[], datetime] = utcnow,
        on_commit: Callable[[int, int], None] | None = None,
    ) -> None:
        self.database = database
        self.signer = signer
        self.checkpoint_interval = checkpoint_interval
        self.batch_max = batch_max
        self.clock = clock
        self.on_commit = on_commit
        self._queue: queue.Queue[_Unit[Any] | None] = queue.Queue(maxsize=100_000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="gouvernail-audit-writer", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        """Commit what is pending, then stop the writer."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()

    @property
    def running(self) -> bool:
        return not self._closed and (self._thread is None or self._thread.is_alive())

    # --- submitting -----------------------------------------------------------------------------

    def submit(
        self,
        context: AuditContext,
        work: Callable[[Tx], T] | None = None,
        events: Sequence[AuditEvent] = (),
        rows: Sequence[Row] = (),
    ) -> Future[tuple[T | None, list[int]]]:
        if self._closed:
            raise TrailClosedError("the audit trail is closed")
        self.start()
        future: Future[tuple[T | None, list[int]]] = Future()
        self._queue.put(_Unit(context, work, tuple(events), future, tuple(rows)))
        return future

    def run(self, context: AuditContext, work: Callable[[Tx], T]) -> T:
        """Run ``work`` and commit it with its events; return its result once durable."""
        result, _ = self.submit(context, work).result()
        return result  # type: ignore[return-value]

    async def arun(self, context: AuditContext, work: Callable[[Tx], T]) -> T:
        result, _ = await asyncio.wrap_future(self.submit(context, work))
        return result  # type: ignore[return-value]

    def record(self, context: AuditContext, *events: AuditEvent) -> list[int]:
        """Record events; return their sequence numbers once committed."""
        return self.submit(context, None, events).result()[1]

    async def arecord(self, context: AuditContext, *events: AuditEvent) -> list[int]:
        return (await asyncio.wrap_future(self.submit(context, None, events)))[1]

    async def aappend(
        self, context: AuditContext, rows: Sequence[Row], *events: AuditEvent
    ) -> list[int]:
        """Insert ``rows`` (table, values) and record ``events`` in the same commit; return the
        events' sequence numbers once durable. Each table's rows of a whole batch are inserted
        with one statement: the cheap path for a record per model call."""
        return (await asyncio.wrap_future(self.submit(context, None, events, rows)))[1]

    # --- the writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            unit = self._queue.get()
            if unit is None:
                break
            batch = [unit]
            while len(batch) < self.batch_max:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[_Unit[Any]]) -> None:
        try:
            outcomes = self._write(batch)
        except Exception as error:
            if len(batch) > 1:
                log.warning(
                    "audit batch failed; committing its units one by one",
                    error=type(error).__name__,
                )
                for unit in batch:
                    self._commit([unit])
                return
            log.error("audit unit failed; nothing was committed", error=type(error).__name__)
            self._fail(batch, error)
            return
        except BaseException as error:
            log.error("audit batch failed; nothing was committed", error=type(error).__name__)
            self._fail(batch, error)
            return
        if self.on_commit is not None:
            self.on_commit(len(batch), sum(len(o) for _, _, o in outcomes if isinstance(o, list)))
        for unit, result, outcome in outcomes:
            if isinstance(outcome, BaseException):
                unit.future.set_exception(outcome)
            else:
                unit.future.set_result((result, outcome))

    @staticmethod
    def _fail(batch: list[_Unit[Any]], error: BaseException) -> None:
        for unit in batch:
            if not unit.future.done():
                unit.future.set_exception(error)

    def _write(
        self, batch: list[_Unit[Any]]
    ) -> list[tuple[_Unit[Any], Any, list[int] | BaseException]]:
        """One transaction for the batch; the outcome of each unit (result and sequence
        numbers, or the error that undid it alone)."""
        outcomes: list[tuple[_Unit[Any], Any, list[int] | BaseException]] = []
        appended: dict[Table, list[dict[str, Any]]] = {}
        with self.database.write() as session:
            head = session.execute(
                select(AuditHead).where(AuditHead.id == 1).with_for_update()
            ).scalar_one()
            first_seq, seq, prev = head.seq, head.seq, head.hash
            rows: list[dict[str, Any]] = []
            for unit in batch:
                result: Any = None
                events: Sequence[AuditEvent] = unit.events
                if unit.work is not None:
                    tx = Tx(session, unit.context)
                    try:
                        with session.begin_nested():
                            result = unit.work(tx)
                            session.flush()
                    except Exception as error:  # the unit fails alone
                        outcomes.append((unit, None, error))
                        continue
                    events = tx.events
                for table, values in unit.rows:
                    appended.setdefault(table, []).append(values)
                seqs = []
                ts = self.clock()
                ts_text = format_ts(ts)
                for event in events:
                    seq += 1
                    row = {
                        "seq": seq,
                        "ts": ts,
                        "actor_id": unit.context.actor.id,
                        "actor_name": unit.context.actor.name,
                        "action": event.action,
                        "object_type": event.object_type,
                        "object_id": event.object_id,
                        "object_version": event.object_version,
                        "old_values": canonical_values(event.old),
                        "new_values": canonical_values(event.new),
                        "reason": event.reason,
                        "request_id": unit.context.request_id,
                        "prev_hash": prev,
                    }
                    row["hash"] = prev = record_hash(
                        (seq, ts_text, *(row[name] for name in _HASHED_AFTER_TS))
                    )
                    rows.append(row)
                    seqs.append(seq)
                outcomes.append((unit, result, seqs))
            for table, values_list in appended.items():
                session.execute(insert(table), values_list)
            if rows:
                session.execute(insert(_RECORDS), rows)
                head.seq, head.hash = seq, prev
                if seq // self.checkpoint_interval > first_seq // self.checkpoint_interval:
                    ts_text = format_ts(rows[-1]["ts"])
                    session.add(
                        AuditCheckpoint(
                            seq=seq,
                            hash=prev,
                            ts=rows[-1]["ts"],
                            key_id=self.signer.key_id,
                            signature=self.signer.sign(seq, prev, ts_text),
                        )
                    )
        return outcomes


_RECORDS = AuditRecord.metadata.tables[AuditRecord.__tablename__]  # Core insert: no ORM bulk cost
_HASHED_AFTER_TS = FIELDS[2:]  # seq and ts enter the hash first
