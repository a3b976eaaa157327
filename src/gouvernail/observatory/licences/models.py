"""Tables of licences and of AI tools used outside the gateway.

- ``licence_tools``: a bought AI tool (Microsoft 365 Copilot, ChatGPT Enterprise…), linked to
  the inventory when it is there (vendor, models, use case), with its seat price and seats.
- ``licence_seats``: one per person the vendor's exports list for a tool, matched to our users
  by e-mail or UPN (case-insensitively); a person no user matches keeps ``user_id`` empty.
- ``licence_imports``: each file imported (seat exports and activity exports), identified by
  its SHA-256 per tool: the same file twice is refused.
- ``licence_messages``: one per message a person sent to an outside tool, as its compliance
  export shows it, *without its text*: when, who, which conversation and model, how long, and
  what our detectors found in it (types counted, the most sensitive data class, and whether it
  was above what the charter lets that tool receive).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class LicensedTool(Base):
    """A bought AI tool and its seats; ``hosting``/``max_data_class`` left empty are read from
    the first linked inventory model, ``seat_price`` left empty from its per-seat pricing."""

    __tablename__ = "licence_tools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_vendors.id"), index=True)
    models: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of inventory model names: gateway calls to them count as activity."""
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id"), index=True)
    hosting: Mapped[str | None] = mapped_column(String(20))
    max_data_class: Mapped[str | None] = mapped_column(String(40))
    seat_price: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    currency: Mapped[str | None] = mapped_column(String(3))
    billing_period: Mapped[str] = mapped_column(String(10), default="monthly")
    seats_bought: Mapped[int] = mapped_column(Integer, default=0)
    seats_as_of: Mapped[date | None] = mapped_column(Date)
    """Date of the newest seat export applied (an older one only adds activity dates)."""
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LicenceImport(Base):
    """One file imported for a tool: a seat export (``seats``) or an activity export
    (``activity``), all or nothing."""

    __tablename__ = "licence_imports"
    __table_args__ = (UniqueConstraint("tool_id", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("licence_tools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    format: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date | None] = mapped_column(Date)
    records: Mapped[int] = mapped_column(Integer, default=0)
    """Rows (seat exports) or lines (activity exports) read, malformed ones included."""
    malformed: Mapped[int] = mapped_column(Integer, default=0)
    examples: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of at most ten malformed rows or lines: line number and why, never content."""
    unknown: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the identities no user matched (at most 1,000)."""
    unknown_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="{}")
    """JSON counts of what the import changed (seats added, released…; messages, findings…)."""
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LicenceSeat(Base):
    """A person holding (or having held) a seat of a tool, as the vendor's exports say."""

    __tablename__ = "licence_seats"
    __table_args__ = (UniqueConstraint("tool_id", "identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("licence_tools.id"), index=True)
    identity: Mapped[str] = mapped_column(String(320))
    """E-mail or UPN as exported, in lower case."""
    display_name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_since: Mapped[date] = mapped_column(Date)
    released_on: Mapped[date | None] = mapped_column(Date)
    vendor_last_active: Mapped[date | None] = mapped_column(Date)
    apps: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: application → last activity date, when the export has them (Teams, Word…)."""
    import_id: Mapped[int] = mapped_column(ForeignKey("licence_imports.id"), index=True)
    """The import that last changed the seat."""


class LicenceMessage(Base):
    """A message a person sent to an outside tool: what the figures need, never the text."""

    __tablename__ = "licence_messages"
    __table_args__ = (
        UniqueConstraint("tool_id", "external_id"),
        Index("ix_licence_messages_tool_at", "tool_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("licence_tools.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("licence_imports.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    """The vendor's message id (or a hash of the message when the export has none)."""
    conversation_id: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    identity: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    model: Mapped[str] = mapped_column(String(200), default="")
    characters: Mapped[int] = mapped_column(Integer, default=0)
    inspected: Mapped[bool] = mapped_column(Boolean, default=True)
    data_class: Mapped[str | None] = mapped_column(String(40))
    """The most sensitive class our detectors found (None: nothing found)."""
    over_ceiling: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    """Above what the charter lets this tool receive: a charter finding."""
    findings: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: entity type → count (PERSON, HEALTH…), never the matched text."""
