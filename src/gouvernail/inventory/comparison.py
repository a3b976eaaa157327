"""The arithmetic of a comparison: what a model costs, and how much energy and CO2 it uses, for
an expected monthly volume. Pure functions over declared figures; money stays ``Decimal`` and
is rounded to the cent only in the result.

Formulas (per month; a year is 12 months):

* tokens: ``requests x avg_input_tokens`` in, ``requests x avg_output_tokens`` out.
* per_token: ``in / 10^6 x input_per_million + out / 10^6 x output_per_million``.
* flat_rate: ``monthly_fee + per_seat_monthly x users``; beyond ``included_tokens_per_month`` the
  excess is split between input and output in the volume's proportion and charged at the
  overage prices (without overage prices the estimate says it is understated).
* infrastructure (self-hosted total cost of ownership):
  ``instances x monthly_cost_per_instance + ops_hours_per_month x ops_hourly_rate
  + setup_cost / amortisation_months``, with ``instances = ceil(tokens / capacity)`` (at least 1;
  one instance when no capacity is declared).
* energy: ``tokens / 1000 x wh_per_1k_tokens / 1000`` kWh; CO2e: ``kWh x grid_gco2e_per_kwh /
  1000`` kg.
* a model declaring both a price and an infrastructure cost costs their sum (a licence run on
  our own servers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from gouvernail.inventory.values import (
    Currency,
    Energy,
    FlatRatePricing,
    Infrastructure,
    PerTokenPricing,
)

MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")
MONTHS = 12

Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Line = tuple[str, Decimal]


class Volume(BaseModel):
    """The expected use of a model, per month."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_month: int = Field(ge=0, le=10**12)
    avg_input_tokens: int = Field(ge=0, le=10**8)
    avg_output_tokens: int = Field(ge=0, le=10**8)
    users: int = Field(0, ge=0, le=10**8, description="People (seats) using it.")

    @property
    def input_tokens(self) -> int:
        return self.requests_per_month * self.avg_input_tokens

    @property
    def output_tokens(self) -> int:
        return self.requests_per_month * self.avg_output_tokens

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class CostLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    monthly: Amount


class CostEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    currency: str
    monthly: Amount
    yearly: Amount
    lines: list[CostLine]
    notes: list[str] = Field(default_factory=list)


class EnergyEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    kwh_per_month: float
    kg_co2e_per_month: float
    kg_co2e_per_year: float


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _estimate(currency: str, lines: list[Line], notes: list[str]) -> CostEstimate:
    """Round once, at the end: each line, the month and the year (from the exact month)."""
    monthly = sum((amount for _, amount in lines), Decimal(0))
    return CostEstimate(
        currency=currency,
        monthly=_cents(monthly),
        yearly=_cents(monthly * MONTHS),
        lines=[CostLine(label=label, monthly=_cents(amount)) for label, amount in lines],
        notes=notes,
    )


def _per_token(pricing: PerTokenPricing, volume: Volume) -> tuple[list[Line], list[str]]:
    return [
        (
            f"input: {volume.input_tokens:,} tokens",
            volume.input_tokens / MILLION * pricing.input_per_million,
        ),
        (
            f"output: {volume.output_tokens:,} tokens",
            volume.output_tokens / MILLION * pricing.output_per_million,
        ),
    ], []


def _flat_rate(pricing: FlatRatePricing, volume: Volume) -> tuple[list[Line], list[str]]:
    lines: list[Line] = [("subscription", pricing.monthly_fee)]
    notes: list[str] = []
    if pricing.per_seat_monthly is not None:
        lines.append((f"{volume.users:,} seats", pricing.per_seat_monthly * volume.users))
        if volume.users == 0:
            notes.append("priced per seat but the volume has no users: give users")
    included = pricing.included_tokens_per_month
    if included is not None and volume.tokens > included:
        excess = Decimal(volume.tokens - included)
        excess_in = excess * volume.input_tokens / volume.tokens
        excess_out = excess - excess_in
        over_in, over_out = pricing.overage_input_per_million, pricing.overage_output_per_million
        if over_in is None or over_out is None:
            notes.append(
                f"the volume exceeds the {included:,} tokens included and no overage price is "
                "declared: this estimate is understated"
            )
        else:
            lines.append(
                (
                    f"overage: {int(excess):,} tokens beyond {included:,}",
                    excess_in / MILLION * over_in + excess_out / MILLION * over_out,
                )
            )
    return lines, notes


def _infrastructure(infra: Infrastructure, volume: Volume) -> tuple[list[Line], list[str]]:
    capacity = infra.tokens_per_month_per_instance
    instances = 1 if capacity is None else max(1, math.ceil(volume.tokens / capacity))
    lines: list[Line] = [
        (
            f"{instances} instance{'s' if instances > 1 else ''}",
            infra.monthly_cost_per_instance * instances,
        ),
        (
            f"operations: {infra.ops_hours_per_month:g} h",
            Decimal(str(infra.ops_hours_per_month)) * infra.ops_hourly_rate,
        ),
    ]
    if infra.setup_cost:
        lines.append(
            (
                f"setup over {infra.amortisation_months} months",
                infra.setup_cost / infra.amortisation_months,
            )
        )
    notes = [] if capacity is not None else ["no capacity declared: one instance assumed"]
    return lines, notes


def per_token_cost(pricing: PerTokenPricing, volume: Volume) -> CostEstimate:
    return _estimate(pricing.currency, *_per_token(pricing, volume))


def flat_rate_cost(pricing: FlatRatePricing, volume: Volume) -> CostEstimate:
    return _estimate(pricing.currency, *_flat_rate(pricing, volume))


def infrastructure_cost(infra: Infrastructure, volume: Volume) -> CostEstimate:
    return _estimate(infra.currency, *_infrastructure(infra, volume))


def total_cost(
    pricing: PerTokenPricing | FlatRatePricing | None,
    infra: Infrastructure | None,
    volume: Volume,
) -> CostEstimate | None:
    """The model's monthly cost: its price, its infrastructure, or both summed (the rules of
    ``rules.model_problems`` make both use one currency)."""
    parts: list[tuple[str, list[Line], list[str]]] = []
    if isinstance(pricing, PerTokenPricing):
        parts.append((pricing.currency, *_per_token(pricing, volume)))
    elif isinstance(pricing, FlatRatePricing):
        parts.append((pricing.currency, *_flat_rate(pricing, volume)))
    if infra is not None:
        parts.append((infra.currency, *_infrastructure(infra, volume)))
    if not parts:
        return None
    return _estimate(
        parts[0][0],
        [line for _, lines, _ in parts for line in lines],
        [note for _, _, notes in parts for note in notes],
    )


def convert(
    estimate: CostEstimate, currency: Currency, rates: Mapping[str, Decimal]
) -> CostEstimate:
    """Express ``estimate`` in ``currency``; ``rates[c]`` is the value of one ``c`` in it."""
    if estimate.currency == currency:
        return estimate
    rate = rates[estimate.currency]
    return _estimate(
        currency,
        [(line.label, line.monthly * rate) for line in estimate.lines],
        [*estimate.notes, f"converted from {estimate.currency} at {rate}"],
    )


def energy_use(energy: Energy, volume: Volume) -> EnergyEstimate:
    kwh = volume.tokens / 1000 * energy.wh_per_1k_tokens / 1000
    kg = kwh * energy.grid_gco2e_per_kwh / 1000
    return EnergyEstimate(
        kwh_per_month=round(kwh, 6),
        kg_co2e_per_month=round(kg, 6),
        kg_co2e_per_year=round(kg * MONTHS, 6),
    )
