"""The hash chain: canonical serialisation of a record and its SHA-256.

A record's hash is SHA-256 over a JSON array of its fields in a fixed order, the last of which
is the previous record's hash. ``old_values`` and ``new_values`` enter as the exact canonical
JSON text stored in the database (keys sorted), so that verification needs no re-parsing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

FIELDS = (
    "seq",
    "ts",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_version",
    "old_values",
    "new_values",
    "reason",
    "request_id",
    "prev_hash",
)


def canonical_values(values: Mapping[str, Any]) -> str:
    """The canonical JSON text of old or new values (sorted keys, UTC times)."""
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z).decode()


def format_ts(ts: datetime) -> str:
    """ISO 8601 UTC with microseconds and a ``Z``: the only form a timestamp takes in a hash."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class ChainRecord:
    """The hashed fields of one audit record (what exports carry and verifiers recompute)."""

    seq: int
    ts: str
    actor_id: str
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_version: int | None
    old_values: str
    new_values: str
    reason: str
    request_id: str
    prev_hash: str

    def digest(self) -> str:
        return record_hash(
            (
                self.seq,
                self.ts,
                self.actor_id,
                self.actor_name,
                self.action,
                self.object_type,
                self.object_id,
                self.object_version,
                self.old_values,
                self.new_values,
                self.reason,
                self.request_id,
                self.prev_hash,
            )
        )


def record_hash(fields: tuple[Any, ...]) -> str:
    """SHA-256 (hex) of the canonical serialisation of the fields, in ``FIELDS`` order."""
    return hashlib.sha256(orjson.dumps(fields)).hexdigest()
