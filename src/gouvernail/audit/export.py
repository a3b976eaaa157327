"""Exports of the audit trail for inspectors: JSONL (self-contained) and CSV (with a sidecar).

JSONL: one object per line; ``"kind": "record"`` lines carry every hashed field plus the hash,
``"kind": "checkpoint"`` lines carry signed checkpoints. The export always ends with a checkpoint
on its last record (created at export time if needed), so an auditor holding only the public key
can verify the file offline with ``gouvernail audit verify --export FILE --public-key KEY``.

CSV: one row per record; checkpoints go to ``<file>.checkpoints.jsonl`` beside it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from gouvernail.audit.chain import format_ts
from gouvernail.audit.models import GENESIS_HASH, AuditCheckpoint, AuditRecord
from gouvernail.audit.signing import CheckpointSigner
from gouvernail.audit.verify import (
    _COLUMNS,
    Checkpoint,
    StoredRecord,
    VerifyResult,
    _db_records,
    walk,
)
from gouvernail.db.engine import Database

RECORD_FIELDS = (*_COLUMNS[:-1], "hash")


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".checkpoints.jsonl")


def ensure_checkpoint(database: Database, signer: CheckpointSigner) -> Checkpoint | None:
    """Sign a checkpoint on the newest record if it has none; return the newest checkpoint."""
    with database.write() as session:
        last = session.execute(
            select(AuditRecord.seq, AuditRecord.hash, AuditRecord.ts)
            .order_by(AuditRecord.seq.desc())
            .limit(1)
        ).first()
        if last is None:
            return None
        existing = session.get(AuditCheckpoint, last.seq)
        if existing is None:
            ts = format_ts(last.ts)
            existing = AuditCheckpoint(
                seq=last.seq,
                hash=last.hash,
                ts=last.ts,
                key_id=signer.key_id,
                signature=signer.sign(last.seq, last.hash, ts),
            )
            session.add(existing)
        return Checkpoint(
            existing.seq,
            existing.hash,
            format_ts(existing.ts),
            existing.key_id,
            existing.signature,
        )


def _checkpoints(database: Database, up_to: int) -> list[Checkpoint]:
    with database.read() as session:
        rows = session.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.seq <= up_to)
            .order_by(AuditCheckpoint.seq)
        )
        return [
            Checkpoint(row.seq, row.hash, format_ts(row.ts), row.key_id, row.signature)
            for row in rows
        ]


def _record_dict(record: StoredRecord) -> dict[str, Any]:
    values = asdict(record)
    values["hash"] = values.pop("stored_hash")
    return values


def export(
    database: Database, signer: CheckpointSigner, path: Path, fmt: ExportFormat
) -> tuple[int, Checkpoint | None]:
    """Write the whole chain to ``path``; return (records written, closing checkpoint).

    The file is written to a temporary name and renamed, so a crash never leaves half a file."""
    last = ensure_checkpoint(database, signer)
    up_to = last.seq if last else 0
    checkpoints = _checkpoints(database, up_to)
    tmp = path.with_name(path.name + ".partial")
    count = 0
    with (
        closing(_db_records(database)) as stored,
        tmp.open("w", encoding="utf-8", newline="") as handle,
    ):
        records = (r for r in stored if r.seq <= up_to)
        if fmt is ExportFormat.JSONL:
            for record in records:
                handle.write(_jsonl_line({"kind": "record", **_record_dict(record)}))
                count += 1
            for checkpoint in checkpoints:
                handle.write(_jsonl_line({"kind": "checkpoint", **asdict(checkpoint)}))
        else:
            writer = csv.DictWriter(handle, fieldnames=RECORD_FIELDS)
            writer.writeheader()
            for record in records:
                writer.writerow(_record_dict(record))
                count += 1
            side_tmp = sidecar(tmp)
            with side_tmp.open("w", encoding="utf-8") as side:
                for checkpoint in checkpoints:
                    side.write(_jsonl_line({"kind": "checkpoint", **asdict(checkpoint)}))
    if fmt is ExportFormat.CSV:
        sidecar(tmp).replace(sidecar(path))
    tmp.replace(path)
    return count, last


def _jsonl_line(values: dict[str, Any]) -> str:
    return orjson.dumps(values).decode() + "\n"


class ExportFormatError(ValueError):
    """The file is not a Gouvernail audit export."""


def _parse_record(values: dict[str, Any], where: str) -> StoredRecord:
    try:
        version = values["object_version"]
        return StoredRecord(
            seq=int(values["seq"]),
            ts=str(values["ts"]),
            actor_id=str(values["actor_id"]),
            actor_name=str(values["actor_name"]),
            action=str(values["action"]),
            object_type=str(values["object_type"]),
            object_id=str(values["object_id"]),
            object_version=None if version in (None, "") else int(version),
            old_values=str(values["old_values"]),
            new_values=str(values["new_values"]),
            reason=str(values["reason"]),
            request_id=str(values["request_id"]),
            prev_hash=str(values["prev_hash"]),
            stored_hash=str(values["hash"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ExportFormatError(f"{where}: not an audit record ({error})") from error


def _parse_checkpoint(values: dict[str, Any], where: str) -> Checkpoint:
    try:
        return Checkpoint(
            int(values["seq"]),
            str(values["hash"]),
            str(values["ts"]),
            str(values["key_id"]),
            str(values["signature"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ExportFormatError(f"{where}: not a checkpoint ({error})") from error


def _jsonl_objects(handle: IO[str], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            values = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise ExportFormatError(f"{where}: invalid JSON ({error})") from error
        if not isinstance(values, dict):
            raise ExportFormatError(f"{where}: expected a JSON object")
        yield where, values


def verify_export(path: Path, public_key: Ed25519PublicKey) -> VerifyResult:
    """Verify an export offline: the chain, and every checkpoint's signature with the public key.

    The export must end on a signed checkpoint: without one, nothing proves that its records
    were not rewritten wholesale."""
    records: list[StoredRecord] = []
    checkpoints: dict[int, Checkpoint] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                for number, row in enumerate(csv.DictReader(handle), start=2):
                    records.append(_parse_record(dict(row), f"{path.name} line {number}"))
                side = sidecar(path)
                if not side.exists():
                    raise ExportFormatError(f"{side.name} (the signed checkpoints) is missing")
                with side.open(encoding="utf-8") as side_handle:
                    for where, values in _jsonl_objects(side_handle, side.name):
                        checkpoint = _parse_checkpoint(values, where)
                        checkpoints[checkpoint.seq] = checkpoint
            else:
                for where, values in _jsonl_objects(handle, path.name):
                    kind = values.get("kind")
                    if kind == "record":
                        records.append(_parse_record(values, where))
                    elif kind == "checkpoint":
                        checkpoint = _parse_checkpoint(values, where)
                        checkpoints[checkpoint.seq] = checkpoint
                    else:
                        raise ExportFormatError(f"{where}: unknown kind {kind!r}")
    except UnicodeDecodeError as error:
        raise ExportFormatError(f"{path.name} is not UTF-8 text") from error
    if not records:
        raise ExportFormatError(f"{path.name} holds no audit record")
    last = records[-1].seq
    if last not in checkpoints:
        return VerifyResult(
            False,
            0,
            records[0].seq - 1,
            0,
            last,
            "the export does not end on a signed checkpoint; it cannot be trusted",
        )
    first = records[0]
    return walk(
        records,
        start_seq=first.seq,
        start_prev=GENESIS_HASH if first.seq == 1 else None,
        checkpoints=checkpoints,
        public_key=public_key,
    )
