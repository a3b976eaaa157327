"""A licensed tool as the figures see it: its own declarations, completed by the inventory.

What the inventory already declares is read from it, never copied: a tool linked to inventory
models takes the first one's hosting and maximum data class, and its per-seat price (a
``flat_rate`` pricing's ``per_seat_monthly``) when the tool declares none. A tool declared
with neither is refused: the charter's data rules need to know where it runs and what it may
receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import orjson
from pydantic import TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.charter.rules import CharterRules
from gouvernail.errors import GouvernailError
from gouvernail.inventory.models import InventoryModel, Vendor
from gouvernail.inventory.values import FlatRatePricing, Pricing
from gouvernail.observatory.licences.models import LicenceSeat, LicensedTool
from gouvernail.observatory.licences.schemas import LicenceCost, ToolView
from gouvernail.registry.models import UseCase

PRICING: TypeAdapter[Pricing] = TypeAdapter(Pricing)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Effective:
    vendor: str | None
    models: list[str]
    hosting: str | None
    max_data_class: str | None
    seat_price: Decimal | None
    """Per billing period."""
    currency: str | None
    price_source: Literal["tool", "inventory"] | None

    def monthly_price(self, billing_period: str) -> Decimal | None:
        if self.seat_price is None:
            return None
        return self.seat_price if billing_period == "monthly" else self.seat_price / 12


def effective(session: Session, tool: LicensedTool) -> Effective:
    names: list[str] = orjson.loads(tool.models)
    linked = _models(session, names)
    first = linked[0] if linked else None
    price: Decimal | None = tool.seat_price
    currency, source = tool.currency, "tool" if tool.seat_price is not None else None
    if price is None:
        for model in linked:
            pricing = PRICING.validate_json(model.pricing) if model.pricing else None
            if isinstance(pricing, FlatRatePricing) and pricing.per_seat_monthly is not None:
                price, currency, source = pricing.per_seat_monthly, pricing.currency, "inventory"
                if tool.billing_period == "annual":
                    price = price * 12
                break
    vendor = session.get(Vendor, tool.vendor_id) if tool.vendor_id is not None else None
    return Effective(
        vendor=vendor.slug if vendor else None,
        models=names,
        hosting=tool.hosting or (first.hosting if first else None),
        max_data_class=tool.max_data_class or (first.max_data_class if first else None),
        seat_price=price,
        currency=currency,
        price_source=source,  # type: ignore[arg-type]
    )


def _models(session: Session, names: list[str]) -> list[InventoryModel]:
    if not names:
        return []
    rows = {
        m.name: m
        for m in session.scalars(select(InventoryModel).where(InventoryModel.name.in_(names)))
    }
    return [rows[n] for n in names if n in rows]


def view(session: Session, tool: LicensedTool) -> ToolView:
    found = effective(session, tool)
    return ToolView(
        slug=tool.slug,
        name=tool.name,
        vendor=found.vendor,
        models=found.models,
        use_case_id=tool.use_case_id,
        hosting=found.hosting,
        max_data_class=found.max_data_class,
        seat_price=found.seat_price,
        currency=found.currency,
        price_source=found.price_source,
        billing_period=tool.billing_period,
        seats_bought=tool.seats_bought,
        seats_as_of=tool.seats_as_of,
        notes=tool.notes,
        version=tool.version,
        updated_at=tool.updated_at,
    )


def assigned_seats(session: Session, tool_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(LicenceSeat)
            .where(LicenceSeat.tool_id == tool_id, LicenceSeat.assigned.is_(True))
        )
        or 0
    )


def cost(session: Session, tool: LicensedTool) -> LicenceCost:
    """Seats billed (the larger of seats bought and seats assigned) x the monthly seat price."""
    found = effective(session, tool)
    billed = max(tool.seats_bought, assigned_seats(session, tool.id))
    monthly_price = found.monthly_price(tool.billing_period)
    return LicenceCost(
        tool=tool.slug,
        use_case_id=tool.use_case_id,
        seats_bought=tool.seats_bought,
        seats_billed=billed,
        currency=found.currency,
        seat_price_monthly=None if monthly_price is None else monthly_price.quantize(CENT),
        monthly=None if monthly_price is None else (monthly_price * billed).quantize(CENT),
        price_source=found.price_source,
    )


def check(session: Session, tool: LicensedTool, charter: CharterRules | None) -> None:
    """Links that exist, a price with its currency, and what the charter's rules need."""
    names: list[str] = orjson.loads(tool.models)
    missing = sorted(set(names) - {m.name for m in _models(session, names)})
    if missing:
        raise GouvernailError(
            f"no inventory model {', '.join(missing)}: declare it in the inventory or leave it "
            "out of models",
            field="models",
        )
    if tool.use_case_id is not None and session.get(UseCase, tool.use_case_id) is None:
        raise GouvernailError(f"no use case {tool.use_case_id}", field="use_case_id")
    if tool.seat_price is not None and tool.currency is None:
        raise GouvernailError("give the currency of the seat price", field="currency")
    found = effective(session, tool)
    if found.hosting is None or found.max_data_class is None:
        raise GouvernailError(
            "say where the tool runs and the highest data class it may receive (hosting and "
            "max_data_class), or link an inventory model that declares them",
            field="hosting" if found.hosting is None else "max_data_class",
        )
    if charter is not None and found.max_data_class not in charter.class_names:
        raise GouvernailError(
            f"max_data_class {found.max_data_class!r} is not a data class of the charter in "
            f"force ({', '.join(charter.class_names)})",
            field="max_data_class",
        )


def vendor_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = session.scalar(select(Vendor.id).where(Vendor.slug == slug))
    if found is None:
        raise GouvernailError(
            f"no inventory vendor {slug!r}: declare it in the inventory first", field="vendor"
        )
    return found
