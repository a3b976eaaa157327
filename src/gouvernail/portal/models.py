"""Forms already submitted: a double click or a re-sent post creates one record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class FormSubmission(Base):
    """One claimed form (its random id, rendered into the form); ``location`` is the page of
    what it created, where a repeated post is sent."""

    __tablename__ = "portal_form_submissions"

    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    location: Mapped[str | None] = mapped_column(String(300))
