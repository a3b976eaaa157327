"""Tables of AI literacy (EU AI Act Art. 4): training modules, completions, imports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gouvernail.db.base import Base, UtcDateTime, utcnow
from gouvernail.identity.models import User


class TrainingModule(Base):
    """A training module. Its audience is everyone unless roles, teams (with the teams under
    them) or levels are listed; a person must match every dimension listed. A completion is
    valid ``validity_days`` (None: forever), which forces refreshers as tools change."""

    __tablename__ = "training_modules"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    audience_roles: Mapped[str] = mapped_column(Text, default="[]")
    audience_teams: Mapped[str] = mapped_column(Text, default="[]")
    audience_levels: Mapped[str] = mapped_column(Text, default="[]")
    validity_days: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TrainingImport(Base):
    """One import of a learning platform's export: the file's digest and the counts."""

    __tablename__ = "training_imports"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(Integer)
    imported: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TrainingCompletion(Base):
    """A person completed a module at ``completed_at``; valid until ``expires_at``.

    ``source`` is ``recorded`` (by an AI referent or admin), ``imported`` (from a learning
    platform's export, ``import_id``) or ``declared`` (by the person, where allowed)."""

    __tablename__ = "training_completions"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "module_id", "completed_at", name="uq_training_completions_once"
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_modules.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str | None] = mapped_column(String(500))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("training_imports.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    module: Mapped[TrainingModule] = relationship(lazy="joined")
