"""Labels of prompt versions: which version of a use case's named prompt is the ``draft`` and
which one is in ``production``, and every move of a label.

A label is a pointer: per use case and prompt name, each label is held by at most one version at
a time (``prompt_labels``, unique). A new version takes ``draft`` when it is saved; ``production``
moves only by an audited decision with a reason, through the promotion gate. Every move, the
automatic ones included, is a row of ``prompt_label_moves`` (never edited): who, when, why, the
version that took the label, the one that held it before and what the gate said.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow

Label = Literal["draft", "production"]
LABELS: tuple[Label, ...] = ("draft", "production")
PRODUCTION: Label = "production"
DRAFT: Label = "draft"


class GateOutcome(StrEnum):
    """What the promotion gate said when a label moved."""

    PASSED = "passed"
    """The gate allowed the promotion."""
    OVERRIDDEN = "overridden"
    """The gate refused; an AI referent promoted anyway, with a reason."""
    NO_GATE = "no_gate"
    """No gate is installed: the promotion was checked by rights only."""
    NOT_REQUIRED = "not_required"
    """A ``draft`` move: the gate only guards production."""


class PromptLabel(Base):
    """Which version holds a label now (one row per use case, prompt name and label)."""

    __tablename__ = "prompt_labels"
    __table_args__ = (UniqueConstraint("use_case_id", "name", "label", name="uq_prompt_labels"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(20))
    prompt_version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    """How many times this label moved (the audit events' object version)."""
    moved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PromptLabelMove(Base):
    """One move of a label, kept for the history (append-only)."""

    __tablename__ = "prompt_label_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(20))
    prompt_version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id"))
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("prompt_versions.id"))
    """The version that held the label before (None: the label was new)."""
    moved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    gate: Mapped[str] = mapped_column(String(20))
    """A ``GateOutcome``."""
    gate_refusal: Mapped[str] = mapped_column(Text, default="")
    """What the gate said when it refused and was overridden."""
