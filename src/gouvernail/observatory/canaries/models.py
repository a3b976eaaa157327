"""Tables of the canaries: the configuration per model, the runs, one row per answer a run got
(or failed to get), and the drifts found by comparing a run with its model's baseline.

A sample keeps what the comparison needs (the answer, its length, whether the model declined,
the latency, the system fingerprint and the model name the provider returned) and what an
auditor needs to find the call (the gateway's request id, the model that answered, the
decision). Canary prompts are fixed texts with no personal data, so the answers are kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    """Every call was answered by the model under watch: compared with the baseline."""
    INCOMPLETE = "incomplete"
    """Calls failed, were refused or answered by another model, or the run was interrupted
    (``reason``): never compared, never a baseline."""


class SampleStatus(StrEnum):
    ANSWERED = "answered"
    REFUSED = "refused"
    """The gateway refused the call (admission, policy, budget, rate limit: status 4xx). A model
    declining to answer is an answer (``refusal``), not this."""
    FAILED = "failed"
    """The provider or the gateway failed (status 5xx)."""
    REROUTED = "rerouted"
    """Another model answered (the gateway rerouted or failed over): not the model watched."""


class DriftStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    """Someone who manages canaries looked at it and said why it needs nothing more."""
    REBASELINED = "rebaselined"
    """The drifted run became the new baseline: the change is accepted."""


class CanaryConfig(Base):
    __tablename__ = "canary_configs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(64), unique=True)
    """The inventory model watched (its name)."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    prompt_set: Mapped[str] = mapped_column(String(64))
    samples: Mapped[int] = mapped_column(Integer)
    """How many times each prompt is asked per run."""
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    acting_for: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    """The person the calls are made for (the gateway admits them as that person's)."""
    every_hours: Mapped[int] = mapped_column(Integer)
    """Schedule hint: ``run_due`` runs the canary when its last run started this long ago."""
    baseline_run_id: Mapped[int | None] = mapped_column(Integer)
    """The run later runs are compared with (the first complete one, or one pinned)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CanaryRun(Base):
    __tablename__ = "canary_runs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    """Idempotency key given by the caller (a scheduler's slot): the same key, the same run."""
    prompt_set: Mapped[str] = mapped_column(String(64))
    prompts_version: Mapped[str] = mapped_column(String(120))
    samples: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer)
    """How many calls the run has to make (prompts x samples)."""
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    acting_for: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_by: Mapped[str] = mapped_column(String(200))
    """Who started it (the actor's printed name: a person, the console, the scheduler)."""
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why the run is incomplete (the first failed call, or the interruption)."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    baseline_run_id: Mapped[int | None] = mapped_column(Integer)
    """The baseline it was compared with (None: not compared, or it became the baseline)."""
    comparison: Mapped[str] = mapped_column(Text, default="")
    """The comparison with the baseline (JSON, ``schemas.Comparison``), complete runs only."""


class CanarySample(Base):
    __tablename__ = "canary_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("canary_runs.id"), index=True)
    prompt_id: Mapped[str] = mapped_column(String(64))
    prompt_key: Mapped[str] = mapped_column(String(80))
    """The prompt id and a digest of its text (``CanaryPrompt.key``)."""
    sample: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20))
    answer: Mapped[str] = mapped_column(Text, default="")
    length: Mapped[int | None] = mapped_column(Integer)
    """Characters of the whole answer."""
    refusal: Mapped[bool | None] = mapped_column(Boolean)
    """The model declined (a refusal pattern, a structured refusal, a content filter)."""
    latency_ms: Mapped[float | None] = mapped_column(Float)
    """The provider's time to answer, measured by the gateway (retries included)."""
    fingerprint: Mapped[str | None] = mapped_column(String(120))
    """``system_fingerprint`` as the provider sent it (None: not sent)."""
    provider_model: Mapped[str | None] = mapped_column(String(120))
    """The model name in the provider's answer (``model``)."""
    answered_by: Mapped[str | None] = mapped_column(String(64))
    """The inventory model that answered."""
    finish_reason: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class CanaryDrift(Base):
    __tablename__ = "canary_drifts"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("canary_runs.id"), unique=True)
    baseline_run_id: Mapped[int] = mapped_column(ForeignKey("canary_runs.id"), index=True)
    metrics: Mapped[str] = mapped_column(String(200))
    """Comma-separated names of the metrics that changed."""
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default=DriftStatus.OPEN.value, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    """Who acknowledged it or made its run the baseline (printed name)."""
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
