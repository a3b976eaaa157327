"""Tables of the bias tests: a run, and one row per prompt it sent through the gateway.

A prompt row keeps what the report needs (the case, the attribute and value it varies, the
profile, the first name, the outcome read) and what an auditor needs to find the call (the
gateway's request id, its decision, the model that answered). The prompt text itself is not
stored: the template and the seed rebuild it, and the request log keeps it if its retention
policy says so."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    """Calls failed or were refused midway (``reason``): the figures are partial, no verdict."""


class PromptStatus(StrEnum):
    ANSWERED = "answered"
    UNPARSABLE = "unparsable"
    """The model answered, but not with a number in the template's range."""
    REFUSED = "refused"
    """The gateway refused the call (admission, policy, budget, rate limit: status 4xx)."""
    FAILED = "failed"
    """The provider or the gateway failed (status 5xx)."""


class BiasRun(Base):
    __tablename__ = "bias_runs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    templates_version: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(64), index=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    cases: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why the run is incomplete (the first refusal or failure)."""
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    prompts: Mapped[int] = mapped_column(Integer)
    """How many prompts the run has to send."""
    report: Mapped[str] = mapped_column(Text, default="")
    """The report (JSON, ``schemas.Report``) once the run ended."""


class BiasPrompt(Base):
    __tablename__ = "bias_prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bias_runs.id"), index=True)
    case_index: Mapped[int] = mapped_column(Integer)
    attribute: Mapped[str | None] = mapped_column(String(20))
    """What the prompt changes from its case's base prompt (None: the base prompt)."""
    value: Mapped[str | None] = mapped_column(String(40))
    profile: Mapped[str] = mapped_column(Text)
    """JSON: the gender, origin and age values of the prompt."""
    first_name: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[float | None] = mapped_column(Float)
    answer: Mapped[str] = mapped_column(Text, default="")
    """The beginning of the model's answer (what the outcome was read from)."""
    model: Mapped[str | None] = mapped_column(String(64))
    """The model that answered (another one if the gateway rerouted the call)."""
    decision: Mapped[str] = mapped_column(String(200), default="")
    """The gateway's decision and rules (``allow; rules=-``, ``redact; rules=...``)."""
    unseen: Mapped[str] = mapped_column(String(100), default="")
    """Comma-separated markers (``first_name``, ``age``) the model did not receive (redacted
    by the gateway): the pairs they would test do not count."""
    error: Mapped[str] = mapped_column(Text, default="")
