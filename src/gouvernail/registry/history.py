"""The audit history of one record, as the people who work on it read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import select

from gouvernail.audit.models import AuditRecord
from gouvernail.db.engine import Database
from gouvernail.errors import NotFoundError
from gouvernail.registry.models import UseCase


class HistoryEntry(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    version: int | None
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str
    hash: str


def of(database: Database, object_type: str, object_id: int | str) -> list[HistoryEntry]:
    with database.read() as session:
        if object_type == "use_case" and session.get(UseCase, object_id) is None:
            raise NotFoundError(f"no use case with id {object_id}")
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.object_type == object_type, AuditRecord.object_id == str(object_id))
            .order_by(AuditRecord.seq)
        )
        return [
            HistoryEntry(
                seq=row.seq,
                at=row.ts,
                actor=row.actor_name,
                action=row.action,
                version=row.object_version,
                old=orjson.loads(row.old_values or "{}"),
                new=orjson.loads(row.new_values or "{}"),
                reason=row.reason,
                hash=row.hash,
            )
            for row in rows
        ]
