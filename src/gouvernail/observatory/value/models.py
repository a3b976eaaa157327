"""The value model of a use case: what its owner or an AI referent declared to compute its ROI.

One row per use case, replaced as a whole by each edit (``version`` goes up; the trail keeps
the old and new values). Figures that come from elsewhere are never copied here: the baseline
and measured time of a linked key result, token costs and adoption are read when the report is
computed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class UseCaseValue(Base):
    __tablename__ = "use_case_values"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    key_result_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id"))
    """A key result in minutes per task: its baseline is the baseline, its measured value the
    time a task takes with AI."""
    baseline_minutes: Mapped[float | None] = mapped_column(Float)
    """Minutes a task takes without AI (None: the key result's baseline)."""
    tasks_per_month: Mapped[float | None] = mapped_column(Float)
    """Declared tasks per month (None: measured from the request log with ``calls_per_task``)."""
    calls_per_task: Mapped[float | None] = mapped_column(Float)
    hourly_cost_eur: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    """Loaded cost of an hour of the people doing the task (None: the setting)."""
    time_saved_method: Mapped[str] = mapped_column(String(20))
    """``declared``, ``key_result`` or ``study`` (the last two are measured)."""
    declared_minutes_saved: Mapped[float | None] = mapped_column(Float)
    study_before_minutes: Mapped[float | None] = mapped_column(Float)
    study_after_minutes: Mapped[float | None] = mapped_column(Float)
    study_tasks: Mapped[int | None] = mapped_column(Integer)
    study_note: Mapped[str] = mapped_column(Text, default="")
    time_saved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """Who declared or recorded the time saved (kept while it does not change)."""
    time_saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    redeployed_share: Mapped[float] = mapped_column(Float, default=0.0)
    """Declared share of the freed hours actually redeployed or cut (0 to 1)."""
    redeployment_note: Mapped[str] = mapped_column(Text, default="")
    target_users: Mapped[int | None] = mapped_column(Integer)
    licence_eur_per_month: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    hosting_eur_per_month: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    support_eur_per_month: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    build_cost_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    """One-off cost (build, integration, training) that the payback repays."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
