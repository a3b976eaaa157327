"""Tables of the risk register and of the GxP assessment, both hanging off a use case.

Scores and levels are not stored: they are derived from likelihood and severity by
``risk/scoring.py``, the one scoring rule. The GxP assessment stores its verdicts together with
the version of the rule set that produced them, because the regulatory texts behind them are
drafts that will change.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class Category(StrEnum):
    """What a risk threatens."""

    REPUTATION = "reputation"
    QUALITY = "quality"
    SAFETY = "safety"
    COMPLIANCE = "compliance"
    SECURITY = "security"
    PRIVACY = "privacy"
    BIAS = "bias"
    INTELLECTUAL_PROPERTY = "intellectual_property"  # copyright and intellectual property
    VENDOR_DEPENDENCY = "vendor_dependency"
    ENVIRONMENT = "environment"


class RiskStatus(StrEnum):
    """Open (being worked on), mitigated (the mitigation is in place), accepted (the residual
    risk is knowingly borne, with a reason), closed (no longer applies)."""

    OPEN = "open"
    MITIGATED = "mitigated"
    ACCEPTED = "accepted"
    CLOSED = "closed"


def _in_scale(column: str) -> str:
    return f"{column} IS NULL OR ({column} >= 1 AND {column} <= 5)"


class Risk(Base):
    """One risk of one use case. ``number`` counts from 1 within the use case (``risk #3``);
    ``version`` changes on every write (optimistic concurrency)."""

    __tablename__ = "risks"
    __table_args__ = (
        UniqueConstraint("use_case_id", "number", name="uq_risks_use_case_number"),
        CheckConstraint(_in_scale("likelihood"), name="likelihood_scale"),
        CheckConstraint(_in_scale("severity"), name="severity_scale"),
        CheckConstraint(_in_scale("residual_likelihood"), name="residual_likelihood_scale"),
        CheckConstraint(_in_scale("residual_severity"), name="residual_severity_scale"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    likelihood: Mapped[int] = mapped_column(Integer)
    severity: Mapped[int] = mapped_column(Integer)
    mitigation: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    residual_likelihood: Mapped[int | None] = mapped_column(Integer)
    residual_severity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=RiskStatus.OPEN.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    review_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GxpAssessment(Base):
    """The current GxP assessment of a use case (one per use case, ``version`` counts its
    revisions; earlier versions live in the audit trail)."""

    __tablename__ = "gxp_assessments"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), unique=True)
    gxp_relevant: Mapped[bool] = mapped_column(Boolean)
    question_of_interest: Mapped[str] = mapped_column(Text, default="")
    context_of_use: Mapped[str] = mapped_column(Text, default="")
    model_influence: Mapped[str | None] = mapped_column(String(10))
    decision_consequence: Mapped[str | None] = mapped_column(String(10))
    model_risk: Mapped[str | None] = mapped_column(String(10))
    gmp_criticality: Mapped[str | None] = mapped_column(String(20))
    generative_ai: Mapped[bool] = mapped_column(Boolean, default=False)
    dynamic_model: Mapped[bool] = mapped_column(Boolean, default=False)
    human_in_the_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    rationale: Mapped[str] = mapped_column(Text)
    annex22_allowed: Mapped[bool] = mapped_column(Boolean)
    annex22_rule: Mapped[str] = mapped_column(String(80))
    annex22_reason: Mapped[str] = mapped_column(Text)
    ruleset: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    assessed_by: Mapped[str] = mapped_column(String(64))
    assessed_by_name: Mapped[str] = mapped_column(String(200))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
