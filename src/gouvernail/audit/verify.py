"""Verification of the chain, in the database or in an exported file.

Both walk records in sequence order and stop at the first broken one, naming it:
a record whose content no longer matches its hash (modified), a gap in the sequence (deleted),
a record whose ``prev_hash`` is not its predecessor's hash (inserted, reordered or rewritten),
a head or a signed checkpoint that the records do not match (truncated or rewritten tail).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from gouvernail.audit.chain import FIELDS, ChainRecord, format_ts
from gouvernail.audit.models import GENESIS_HASH, AuditCheckpoint, AuditHead, AuditRecord
from gouvernail.audit.signing import verify_checkpoint
from gouvernail.db.engine import Database


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    ts: str
    key_id: str
    signature: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    last_seq: int
    checkpoints: int
    first_broken_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return (
                f"OK: {self.records} records verified up to #{self.last_seq}, "
                f"{self.checkpoints} signed checkpoints valid"
            )
        return f"BROKEN at record #{self.first_broken_seq}: {self.problem}"


@dataclass(frozen=True, slots=True)
class StoredRecord(ChainRecord):
    """A record as read back, with the hash that was stored beside it."""

    stored_hash: str


def walk(
    records: Iterable[StoredRecord],
    *,
    start_seq: int = 1,
    start_prev: str | None = GENESIS_HASH,
    checkpoints: dict[int, Checkpoint] | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> VerifyResult:
    """Check a run of records. ``start_prev=None`` trusts the first record's ``prev_hash``
    (a partial export starts mid-chain)."""
    checkpoints = checkpoints or {}
    expected_seq, prev = start_seq, start_prev
    count = 0
    last_seq = start_seq - 1
    seen_checkpoints = 0

    def broken(seq: int, problem: str) -> VerifyResult:
        return VerifyResult(False, count, last_seq, seen_checkpoints, seq, problem)

    for record in records:
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                return broken(expected_seq, f"missing: the next record found is #{record.seq}")
            return broken(record.seq, f"out of order: expected #{expected_seq}")
        if prev is not None and record.prev_hash != prev:
            return broken(
                record.seq,
                "its previous-hash does not match record "
                f"#{record.seq - 1}: a record before it was altered, removed or inserted",
            )
        digest = record.digest()
        if digest != record.stored_hash:
            return broken(record.seq, "its content does not match its hash: it was modified")
        checkpoint = checkpoints.get(record.seq)
        if checkpoint is not None:
            if checkpoint.hash != digest:
                return broken(record.seq, "it does not match the signed checkpoint")
            if public_key is not None and not verify_checkpoint(
                public_key, checkpoint.seq, checkpoint.hash, checkpoint.ts, checkpoint.signature
            ):
                return broken(record.seq, "the checkpoint's signature is invalid")
            seen_checkpoints += 1
        prev = digest
        expected_seq += 1
        last_seq = record.seq
        count += 1
    beyond = [seq for seq in checkpoints if seq > last_seq]
    if beyond:
        return broken(
            last_seq + 1, f"a signed checkpoint covers #{min(beyond)}, but the records end earlier"
        )
    return VerifyResult(True, count, last_seq, seen_checkpoints)


def _db_records(database: Database, batch: int = 20_000) -> Generator[StoredRecord, None, None]:
    columns = [getattr(AuditRecord, name) for name in _COLUMNS]
    with database.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=batch).execute(
            select(*columns).order_by(AuditRecord.seq)
        )
        try:
            for row in result:
                values: list[Any] = list(row)
                values[1] = format_ts(values[1])
                yield StoredRecord(*values)
        finally:
            result.close()


_COLUMNS = (*FIELDS, "hash")


def verify_database(database: Database, public_key: Ed25519PublicKey | None = None) -> VerifyResult:
    """Verify the whole chain stored in the database, its head and its signed checkpoints."""
    with database.read() as session:
        checkpoints = {
            row.seq: Checkpoint(row.seq, row.hash, format_ts(row.ts), row.key_id, row.signature)
            for row in session.scalars(select(AuditCheckpoint))
        }
        head = session.get(AuditHead, 1)
        head_seq = head.seq if head is not None else None
    with closing(_db_records(database)) as records:
        result = walk(records, checkpoints=checkpoints, public_key=public_key)
    if result.ok and head_seq is not None and head_seq != result.last_seq:
        return VerifyResult(
            False,
            result.records,
            result.last_seq,
            result.checkpoints,
            min(head_seq, result.last_seq) + 1,
            f"the chain head says the last record is #{head_seq}, "
            f"but the records end at #{result.last_seq}",
        )
    return result
