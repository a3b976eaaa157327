"""What the canary service returns, read from its tables: runs (with calls by status and the
stored comparison), drifts, and the answers a comparison is made of."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.observatory.canaries import detection
from gouvernail.observatory.canaries.models import (
    CanaryConfig,
    CanaryDrift,
    CanaryRun,
    CanarySample,
    DriftStatus,
    RunStatus,
    SampleStatus,
)
from gouvernail.observatory.canaries.schemas import (
    CanaryRunView,
    Comparison,
    DriftView,
    SampleView,
)


def counts(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(
        select(CanarySample.status, func.count())
        .where(CanarySample.run_id == run_id)
        .group_by(CanarySample.status)
    ).all()
    return {str(status): int(n) for status, n in sorted(rows)}


def observed(session: Session, run_id: int) -> list[detection.Observed]:
    rows = session.scalars(
        select(CanarySample)
        .where(CanarySample.run_id == run_id, CanarySample.status == SampleStatus.ANSWERED.value)
        .order_by(CanarySample.id)
    )
    return [
        detection.Observed(
            prompt_id=r.prompt_id,
            prompt_key=r.prompt_key,
            answer=r.answer,
            length=r.length or 0,
            refusal=bool(r.refusal),
            latency_ms=r.latency_ms,
            fingerprint=r.fingerprint,
            provider_model=r.provider_model,
        )
        for r in rows
    ]


def run_view(session: Session, run: CanaryRun, *, samples: bool = False) -> CanaryRunView:
    comparison = Comparison.model_validate_json(run.comparison) if run.comparison else None
    config = session.scalar(select(CanaryConfig).where(CanaryConfig.model == run.model))
    drift_id = session.scalar(select(CanaryDrift.id).where(CanaryDrift.run_id == run.id))
    rows = None
    if samples:
        rows = [
            SampleView(
                prompt_id=r.prompt_id,
                sample=r.sample,
                request_id=r.request_id,
                status=SampleStatus(r.status),
                answer=r.answer,
                length=r.length,
                refusal=r.refusal,
                latency_ms=r.latency_ms,
                fingerprint=r.fingerprint,
                provider_model=r.provider_model,
                answered_by=r.answered_by,
                finish_reason=r.finish_reason,
                decision=r.decision,
                error=r.error,
            )
            for r in session.scalars(
                select(CanarySample).where(CanarySample.run_id == run.id).order_by(CanarySample.id)
            )
        ]
    return CanaryRunView(
        id=run.id,
        model=run.model,
        key=run.key,
        prompt_set=run.prompt_set,
        prompts_version=run.prompts_version,
        samples=run.samples,
        calls=run.calls,
        use_case_id=run.use_case_id,
        acting_for=run.acting_for,
        started_by=run.started_by,
        status=RunStatus(run.status),
        reason=run.reason,
        started_at=run.started_at,
        finished_at=run.finished_at,
        baseline_run_id=run.baseline_run_id,
        is_baseline=config is not None and config.baseline_run_id == run.id,
        changed=comparison.changed if comparison is not None else [],
        drift_id=drift_id,
        calls_by_status=counts(session, run.id),
        comparison=comparison,
        sample_rows=rows,
    )


def drift_view(drift: CanaryDrift, session: Session) -> DriftView:
    run = session.get(CanaryRun, drift.run_id)
    assert run is not None
    assert run.comparison
    comparison = Comparison.model_validate_json(run.comparison)
    return DriftView(
        id=drift.id,
        model=drift.model,
        run_id=drift.run_id,
        baseline_run_id=drift.baseline_run_id,
        metrics=comparison.changed,
        detected_at=drift.detected_at,
        status=DriftStatus(drift.status),
        decided_by=drift.decided_by,
        decided_at=drift.decided_at,
        reason=drift.reason,
        comparison=comparison,
    )
