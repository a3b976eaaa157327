"""Decisions on canaries: acknowledging a drift, pinning a baseline (on a drift or not), each
inside the caller's unit of work and audited; and the lookups they share with the service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import Tx
from gouvernail.errors import ConflictError, NotFoundError
from gouvernail.observatory.canaries.events import CanaryBaselinePinned, CanaryDriftAcknowledged
from gouvernail.observatory.canaries.models import (
    CanaryConfig,
    CanaryDrift,
    CanaryRun,
    DriftStatus,
    RunStatus,
)


def config(session: Session, model: str) -> CanaryConfig:
    config = session.scalar(select(CanaryConfig).where(CanaryConfig.model == model))
    if config is None:
        raise NotFoundError(
            f"no canary for model {model!r} (PUT /api/v1/canaries/configs/{model})", field="model"
        )
    return config


def drift(session: Session, drift_id: int) -> CanaryDrift:
    drift = session.get(CanaryDrift, drift_id)
    if drift is None:
        raise NotFoundError(f"no canary drift {drift_id}")
    return drift


def open_drift(session: Session, drift_id: int) -> CanaryDrift:
    found = drift(session, drift_id)
    if found.status != DriftStatus.OPEN.value:
        raise ConflictError(f"drift {drift_id} is already {found.status}")
    return found


def acknowledge(tx: Tx, drift_id: int, reason: str, now: datetime) -> CanaryDrift:
    """An open drift needs nothing more (why in ``reason``); the baseline stays."""
    found = open_drift(tx.session, drift_id)
    found.status = DriftStatus.ACKNOWLEDGED.value
    found.decided_by = tx.context.actor.name[:200]
    found.decided_at = now
    found.reason = reason
    tx.emit(
        CanaryDriftAcknowledged(
            object_id=str(found.id),
            old={"status": DriftStatus.OPEN.value},
            new={"status": found.status, "model": found.model, "run_id": found.run_id},
            reason=reason,
        )
    )
    return found


def pin(
    tx: Tx, model: str, run_id: int, reason: str, drift: CanaryDrift | None, now: datetime
) -> CanaryConfig:
    """Make a complete run of ``model`` its baseline (settling ``drift`` if given)."""
    session = tx.session
    watched = config(session, model)
    run = session.get(CanaryRun, run_id)
    if run is None or run.model != model:
        raise NotFoundError(f"no canary run {run_id} of {model}", field="run_id")
    if run.status != RunStatus.COMPLETE.value:
        raise ConflictError(
            f"run {run_id} is {run.status}: only a complete run can be a baseline",
            field="run_id",
        )
    if run.prompt_set != watched.prompt_set:
        raise ConflictError(
            f"run {run_id} asked the prompt set {run.prompt_set!r}, the canary now asks "
            f"{watched.prompt_set!r}",
            field="run_id",
        )
    old = watched.baseline_run_id
    watched.baseline_run_id = run_id
    watched.version += 1
    watched.updated_at = now
    if drift is not None:
        drift.status = DriftStatus.REBASELINED.value
        drift.decided_by = tx.context.actor.name[:200]
        drift.decided_at = now
        drift.reason = reason
    tx.emit(
        CanaryBaselinePinned(
            object_id=model,
            object_version=watched.version,
            old={"baseline_run_id": old},
            new={"baseline_run_id": run_id, "drift_id": drift.id if drift else None},
            reason=reason,
        )
    )
    return watched
