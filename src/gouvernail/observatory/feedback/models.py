"""Feedback on model answers: someone flags a gateway call's answer by its request id.

The call's use case, model, prompt version and time are copied from the request log when the
answer is flagged, so error rates are summed from this small table without scanning the log's
content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class Feedback(Base):
    """One person's verdict on one answer (a later verdict of the same person replaces it)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    """``useful``, ``wrong``, ``harmful`` or ``leaked_data``."""
    comment: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(20))
    """``api`` (signed in), ``key`` (the caller's API key), ``portal`` or ``console``."""
    use_case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    model: Mapped[str | None] = mapped_column(String(64))
    prompt_version_id: Mapped[int | None] = mapped_column(Integer)
    """The registry's prompt version the call used (applied by the gateway or declared)."""
    called_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    """When the answer was given (the request log's time): rates are per period of calls."""
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
