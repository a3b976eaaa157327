"""What the licence API reads and returns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from gouvernail.charter.rules import Hosting
from gouvernail.inventory.values import Currency, DataClassName, ModelName, Money, Slug

BillingPeriod = Literal["monthly", "annual"]
SeatFormat = Literal["m365_copilot", "generic"]
ActivityFormat = Literal["chatgpt_compliance"]
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
"""Money in the answers: exact in Python, a number in JSON."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ToolIn(_Strict):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    vendor: Slug | None = Field(None, description="The inventory vendor's slug, if it is there.")
    models: list[ModelName] = Field(
        default_factory=list,
        max_length=50,
        description="Inventory models behind the tool: gateway calls to them count as activity.",
    )
    use_case_id: int | None = Field(None, description="The use case the licences serve.")
    hosting: Hosting | None = Field(
        None, description="Where the tool runs (default: the first linked model's hosting)."
    )
    max_data_class: DataClassName | None = Field(
        None, description="Highest data class it may receive (default: the first model's)."
    )
    seat_price: Money | None = Field(
        None, description="Per seat and billing period (default: the first model's per-seat price)."
    )
    currency: Currency | None = None
    billing_period: BillingPeriod = "monthly"
    seats_bought: int = Field(0, ge=0, le=10**7)
    notes: str = Field("", max_length=4000)


class ToolPatch(_Strict):
    version: int = Field(description="The version you read; 409 if someone changed it since.")
    reason: str = Field(min_length=3, max_length=2000, description="Why (kept in the audit trail).")
    name: str | None = Field(None, min_length=1, max_length=200)
    vendor: Slug | None = None
    models: list[ModelName] | None = Field(None, max_length=50)
    use_case_id: int | None = None
    hosting: Hosting | None = None
    max_data_class: DataClassName | None = None
    seat_price: Money | None = None
    currency: Currency | None = None
    billing_period: BillingPeriod | None = None
    seats_bought: int | None = Field(None, ge=0, le=10**7)
    notes: str | None = Field(None, max_length=4000)


class ToolView(BaseModel):
    slug: str
    name: str
    vendor: str | None
    models: list[str]
    use_case_id: int | None
    hosting: str | None
    """Effective: the tool's own, else the first linked model's."""
    max_data_class: str | None
    seat_price: Amount | None
    """Effective, per billing period."""
    currency: str | None
    price_source: Literal["tool", "inventory"] | None
    billing_period: str
    seats_bought: int
    seats_as_of: date | None
    notes: str
    version: int
    updated_at: datetime


class LicenceCost(BaseModel):
    """What a tool's seats cost per month (None when no price is declared anywhere)."""

    tool: str
    use_case_id: int | None
    seats_bought: int
    seats_billed: int
    """The larger of seats bought and seats assigned."""
    currency: str | None
    seat_price_monthly: Amount | None
    monthly: Amount | None
    price_source: Literal["tool", "inventory"] | None


class Example(BaseModel):
    line: int
    why: str


class ImportView(BaseModel):
    id: int
    tool: str
    kind: Literal["seats", "activity"]
    format: str
    name: str
    sha256: str
    as_of: date | None
    records: int
    malformed: int
    examples: list[Example]
    unknown: list[str] | None
    """Identities no user matched (None: hidden, the caller may not see people)."""
    unknown_count: int
    summary: dict[str, int]
    imported_by: str
    imported_at: datetime


class SeatView(BaseModel):
    identity: str
    display_name: str
    user_id: int | None
    username: str | None
    department: str
    assigned: bool
    assigned_since: date
    released_on: date | None
    vendor_last_active: date | None
    gateway_last_active: date | None
    outside_last_active: date | None
    last_active: date | None
    apps: dict[str, date]


class Reclaim(BaseModel):
    identity: str
    display_name: str
    department: str
    assigned_since: date
    last_active: date | None
    """None: never active since the seat was assigned."""
    inactive_days: int
    monthly_saving: Amount | None


class ReclaimSummary(BaseModel):
    seats: int
    monthly_saving: Amount | None
    annual_saving: Amount | None
    people: list[Reclaim] | None
    """None: hidden, the caller may see aggregates only."""


class OutsideUse(BaseModel):
    """What the tool's compliance exports show, inspected by the gateway's detectors."""

    since: date
    """First day counted (the report's longest window)."""
    ceiling: str | None
    """The highest class the charter in force lets this tool receive."""
    messages: int
    conversations: int
    people: int
    inspected: int
    with_findings: int
    over_ceiling: int
    """Charter findings: messages with data above the ceiling."""
    over_ceiling_rate: float
    by_data_class: dict[str, int]
    by_type: dict[str, int]
    """Entity types found in messages over the ceiling."""


class ToolFigures(BaseModel):
    slug: str
    name: str
    currency: str | None
    billing_period: str
    seat_price_monthly: Amount | None
    seats_bought: int
    seats_assigned: int
    seats_unassigned: int
    """Bought and not assigned (negative: more assigned than bought)."""
    seats_unknown: int
    """Assigned to identities no user matches."""
    active: dict[int, int]
    """Window in days → assigned seats active in it (vendor, gateway or outside activity)."""
    inactive: dict[int, int]
    active_by_source: dict[str, int]
    """Seats active in the first window, per source that saw them (one seat may count twice)."""
    utilisation: float | None
    """Active in the first window / seats bought."""
    monthly_cost: Amount | None
    cost_per_active_user: Amount | None
    reclaim: ReclaimSummary
    outside: OutsideUse
    gateway_calls: int
    """Gateway calls by seat holders to the tool's models or use case in the first window."""


class LicenceReport(BaseModel):
    as_of: date
    windows: list[int]
    reclaim_after_days: int
    people_visible: bool
    tools: list[ToolFigures]


class FindingView(BaseModel):
    """A person's messages to an outside tool with data above what the charter allows it."""

    tool: str
    identity: str
    user_id: int | None
    display_name: str
    department: str
    ceiling: str | None
    messages: int
    data_classes: dict[str, int]
    types: dict[str, int]
    first_at: datetime
    last_at: datetime
    conversations: list[str]
    """The vendor's conversation ids, to find them in its compliance console."""
