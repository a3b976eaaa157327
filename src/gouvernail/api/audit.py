"""Reading, verifying and exporting the audit trail (never changing it: no such route exists)."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import select
from starlette.background import BackgroundTask

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.audit import events as ev
from gouvernail.audit.export import ExportFormat, export, sidecar
from gouvernail.audit.models import AuditRecord
from gouvernail.audit.signing import public_key_pem
from gouvernail.audit.verify import verify_database
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class AuditRecordOut(BaseModel):
    seq: int
    ts: datetime
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
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    records: int
    last_seq: int
    checkpoints: int
    first_broken_seq: int | None
    problem: str
    summary: str


@router.get("/records")
def list_records(
    _: Annotated[Principal, Depends(Require("audit", "read"))],
    runtime: Rt,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: str | None = None,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    since: Annotated[datetime | None, Query(description="From this time (UTC if none).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
    newest_first: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditRecordOut]:
    """Records in sequence order (``newest_first`` reverses it), filtered by event, object,
    actor and time; page with ``after_seq`` (oldest first) or ``before_seq`` (newest first)."""
    query = select(AuditRecord).where(AuditRecord.seq > after_seq)
    if before_seq is not None:
        query = query.where(AuditRecord.seq < before_seq)
    for column, value in (
        (AuditRecord.action, action),
        (AuditRecord.object_type, object_type),
        (AuditRecord.object_id, object_id),
        (AuditRecord.actor_id, actor_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditRecord.ts >= _utc(since))
    if until is not None:
        query = query.where(AuditRecord.ts < _utc(until))
    order = AuditRecord.seq.desc() if newest_first else AuditRecord.seq
    with runtime.database.read() as session:
        rows = session.scalars(query.order_by(order).limit(limit))
        return [AuditRecordOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/verify")
def verify(_: Annotated[Principal, Depends(Require("audit", "verify"))], runtime: Rt) -> VerifyOut:
    """Verify the whole chain, its head and its signed checkpoints."""
    result = verify_database(runtime.database, runtime.signer.public_key)
    return VerifyOut(
        ok=result.ok,
        records=result.records,
        last_seq=result.last_seq,
        checkpoints=result.checkpoints,
        first_broken_seq=result.first_broken_seq,
        problem=result.problem,
        summary=result.describe(),
    )


@router.get("/public-key", response_class=PlainTextResponse)
def public_key(_: Annotated[Principal, Depends(Require("audit", "read"))], runtime: Rt) -> str:
    """The PEM public key that verifies exported checkpoints offline."""
    return public_key_pem(runtime.signer.public_key)


@router.get("/export", response_class=FileResponse)
def export_trail(
    request: Request,
    principal: Annotated[Principal, Depends(Require("audit", "export"))],
    runtime: Rt,
    format: ExportFormat = ExportFormat.JSONL,
) -> FileResponse:
    """Download the trail: JSONL (self-contained) or a ZIP of CSV plus its checkpoints."""
    workdir = Path(tempfile.mkdtemp(prefix="gouvernail-export-"))
    target = workdir / f"audit.{format.value}"
    count, closing = export(runtime.database, runtime.signer, target, format)
    runtime.trail.record(
        audit_context(request, principal),
        ev.AuditExported(
            object_id="audit",
            new={
                "format": format.value,
                "records": count,
                "up_to_seq": closing.seq if closing else 0,
            },
        ),
    )
    if format is ExportFormat.CSV:
        bundle = workdir / "audit-csv.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(target, target.name)
            archive.write(sidecar(target), sidecar(target).name)
        target = bundle
    return FileResponse(
        target,
        filename=target.name,
        background=BackgroundTask(_remove_tree, workdir),
    )


def _remove_tree(path: Path) -> None:
    for child in path.iterdir():
        child.unlink()
    path.rmdir()
