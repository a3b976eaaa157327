"""Tables of the evaluation suites: a suite per use case and name, its dataset versions (the
checked cases, immutable, named by their content hash), runs against a target, and one result
row per case of a run, committed as the case is scored.

``(run_id, case_index)`` is unique: a resumed run never scores a case twice; a case whose
result is an error is retried in place (``attempts``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    """Every case was scored (pass or fail)."""
    INCOMPLETE = "incomplete"
    """A case could not be scored, or the run stopped or was interrupted (``reason``): its
    figures are partial; executing it again scores only what is missing."""


class ResultStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    ERROR = "error"
    """Not scored: the call was refused or failed, or a scorer could not read the answer."""


class EvalSuite(Base):
    __tablename__ = "eval_suites"
    __table_args__ = (
        UniqueConstraint("use_case_id", "name", name="uq_eval_suites_use_case_name"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EvalDataset(Base):
    """One version of a suite's cases."""

    __tablename__ = "eval_datasets"
    __table_args__ = (
        UniqueConstraint("suite_id", "version", name="uq_eval_datasets_suite_version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suite_id: Mapped[int] = mapped_column(ForeignKey("eval_suites.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200), default="")
    """The file name it was imported from, if given."""
    description: Mapped[str] = mapped_column(Text, default="")
    cases: Mapped[str] = mapped_column(Text)
    """JSON: the checked cases (``cases.Case``)."""
    case_count: Mapped[int] = mapped_column(Integer)
    scorers: Mapped[str] = mapped_column(String(200))
    """Comma-separated scorers its assertions use."""
    imported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EvalRun(Base):
    """A dataset version run against one target: a model, and optionally a prompt version of
    the use case applied as the system prompt."""

    __tablename__ = "eval_runs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    suite_id: Mapped[int] = mapped_column(ForeignKey("eval_suites.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("eval_datasets.id"), index=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    prompt_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("prompt_versions.id"), index=True
    )
    judge_model: Mapped[str | None] = mapped_column(String(64))
    embedding_model: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    cases: Mapped[int] = mapped_column(Integer)
    executions: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """Renewed after each case while it runs: a run silent past ``evaluations.lease_seconds``
    was interrupted (its process died) and may be executed again."""
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EvalResult(Base):
    __tablename__ = "eval_results"
    __table_args__ = (UniqueConstraint("run_id", "case_index", name="uq_eval_results_run_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id"), index=True)
    case_index: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    """Mean of the assertions' scores (None when not scored)."""
    output: Mapped[str] = mapped_column(Text, default="")
    """The beginning of the model's answer."""
    scores: Mapped[str] = mapped_column(Text, default="[]")
    """JSON: per assertion, its type, name, passed, score, detail and error."""
    request_ids: Mapped[str] = mapped_column(Text, default="")
    """The gateway's request ids of the case's calls (the target's first), comma-separated."""
    model: Mapped[str | None] = mapped_column(String(64))
    """The model that answered (another one if the gateway rerouted the call)."""
    latency_ms: Mapped[float | None] = mapped_column(Float)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_eur: Mapped[Decimal] = mapped_column(Numeric(16, 8), default=Decimal(0))
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
