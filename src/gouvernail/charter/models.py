"""The acceptable-use charter: versioned human text plus machine rules, and its roll-out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class CharterStatus(StrEnum):
    """What is stored. Whether an activated version is scheduled, in force or superseded
    depends on the time of the question (see ``charter.acceptance``)."""

    DRAFT = "draft"
    ACTIVATED = "activated"
    WITHDRAWN = "withdrawn"


class CharterVersion(Base):
    """One version of the charter. Editable while draft (each edit is a new ``revision``).

    Once activated it is frozen; it comes into force at ``effective_at``, and users who had
    accepted the version it replaces keep access ``grace_days`` longer."""

    __tablename__ = "charter_versions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    rules: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CharterStatus.DRAFT.value)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    effective_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    grace_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CharterNotice(Base):
    """Roll-out tracking: this user was told about this charter version (at most once)."""

    __tablename__ = "charter_notices"
    __table_args__ = (
        UniqueConstraint("charter_version_id", "user_id", name="uq_charter_notices_version_user"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charter_version_id: Mapped[int] = mapped_column(ForeignKey("charter_versions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    told_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
