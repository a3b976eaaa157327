"""Tables of shadow-AI discovery: the company's catalogue of AI services, the proxy-log imports
and what they observed.

Only traffic to catalogued AI services is kept, summed per day, person, host and import: a log
of millions of lines leaves thousands of rows. Each import's rows are written in the same
transaction as its progress, so a crashed import resumes without counting anything twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class ShadowService(Base):
    """An AI service the company knows of: its hosts, and whether it is sanctioned."""

    __tablename__ = "shadow_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    domains: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list; each matches itself and its subdomains."""
    patterns: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of shell-style globs over the whole host."""
    api: Mapped[bool] = mapped_column(Boolean, default=False)
    """A model provider's API: a direct call bypasses the gateway (a critical finding)."""
    sanctioned: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(20), default="catalogue")
    """``catalogue`` (shipped) or ``custom`` (added by the company)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ShadowImport(Base):
    """One proxy-log file, imported segment by segment."""

    __tablename__ = "shadow_imports"
    __table_args__ = (UniqueConstraint("head_digest", "format"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(BigInteger)
    head_digest: Mapped[str] = mapped_column(String(64), index=True)
    """SHA-256 of the file's first 64 KiB and its size: finds an unfinished import to resume."""
    digest: Mapped[str | None] = mapped_column(String(64), index=True)
    """SHA-256 of the whole file, known when the import completes."""
    status: Mapped[str] = mapped_column(String(20), default="running")
    """``running``, ``complete`` or ``failed`` (a failed import can be resumed)."""
    catalogue_digest: Mapped[str] = mapped_column(String(64))
    header: Mapped[str | None] = mapped_column(Text)
    """A CSV file's header line, given again to every segment."""
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    segments_done: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    malformed: Mapped[int] = mapped_column(BigInteger, default=0)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    ai_requests: Mapped[int] = mapped_column(BigInteger, default=0)
    examples: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of malformed lines (at most ten, shortened) with why they were refused."""
    log_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    log_to: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str] = mapped_column(Text, default="")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """While an importer works on it; another takes over once it has passed."""
    lease_holder: Mapped[str] = mapped_column(String(64), default="")
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    """Time spent importing, over every attempt."""


class ShadowObservation(Base):
    """Requests of one person to one AI host on one day, in one segment of one import."""

    __tablename__ = "shadow_observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("shadow_imports.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("shadow_services.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    identity: Mapped[str] = mapped_column(String(320))
    """As the proxy logged it (a user name or an e-mail); empty when it logged none."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    requests: Mapped[int] = mapped_column(Integer)
    bytes_up: Mapped[int | None] = mapped_column(BigInteger)
    """Sent by the person (None: the log format does not record it, e.g. Squid's native)."""
    bytes_down: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
