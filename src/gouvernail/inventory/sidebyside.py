"""A side-by-side comparison of candidate models for the committee: guarantees, hosting, data
class, promised service, cost and carbon for an expected volume, lock-in and exit plan.

The figures come from ``comparison.py``; this module only lines them up and says where they
cannot be compared (a missing price, an unconverted currency).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gouvernail.charter.rules import Hosting
from gouvernail.errors import GouvernailError
from gouvernail.inventory.comparison import (
    CostEstimate,
    EnergyEstimate,
    Volume,
    convert,
    energy_use,
    total_cost,
)
from gouvernail.inventory.values import (
    Currency,
    ExitPlan,
    GuaranteeKind,
    LockIn,
    ModelName,
    ModelStatus,
    Sla,
)
from gouvernail.inventory.views import CertificationView, ModelView, VendorView


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[ModelName] = Field(min_length=1, max_length=12)
    volume: Volume
    currency: Currency | None = Field(
        None, description="Express every cost in it (default: the models' common currency)."
    )
    exchange_rates: dict[Currency, Decimal] = Field(
        default_factory=dict,
        description="Value of one unit of each other currency in `currency`, e.g. USD: 0.92.",
    )

    @field_validator("models")
    @classmethod
    def _unique(cls, names: list[str]) -> list[str]:
        if len(names) != len(set(names)):
            raise ValueError("must not repeat a model")
        return names

    @field_validator("exchange_rates")
    @classmethod
    def _positive(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(rate <= 0 for rate in rates.values()):
            raise ValueError("rates must be positive")
        return rates


class Guarantees(BaseModel):
    model_config = ConfigDict(frozen=True)

    no_training: bool
    no_training_contractual: bool
    retention_days: int
    retention_clause: str | None
    data_residency: str | None
    dpa_signed_on: date | None
    certifications: list[CertificationView]
    review_overdue: bool


class ModelComparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    vendor: str
    vendor_name: str
    status: ModelStatus
    hosting: Hosting
    region: str
    max_data_class: str
    guarantees: Guarantees
    sla: Sla | None
    sla_clause: str | None
    cost: CostEstimate | None
    energy: EnergyEstimate | None
    lock_in: LockIn
    exit_plan: ExitPlan | None
    issues: list[str]


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    volume: Volume
    tokens_per_month: int
    currency: str | None
    models: list[ModelComparison]
    cheapest: str | None
    lowest_carbon: str | None
    notes: list[str]


def _target_currency(
    request: CompareRequest, costs: Mapping[str, CostEstimate | None]
) -> str | None:
    currencies = sorted({c.currency for c in costs.values() if c is not None})
    target = request.currency or (currencies[0] if len(currencies) == 1 else None)
    if target is None and currencies:
        raise GouvernailError(
            f"the models are priced in {', '.join(currencies)}: give currency and "
            "exchange_rates to compare them",
            field="currency",
        )
    missing = [c for c in currencies if c != target and c not in request.exchange_rates]
    if missing:
        raise GouvernailError(
            f"no exchange rate to {target} for {', '.join(missing)}", field="exchange_rates"
        )
    return target


def _clause(vendor: VendorView, kind: GuaranteeKind) -> str | None:
    for guarantee in vendor.guarantees:
        if guarantee.kind is kind and guarantee.active:
            return guarantee.promised
    return None


def compare(
    request: CompareRequest, models: list[ModelView], vendors: Mapping[str, VendorView]
) -> Comparison:
    """Line up ``models`` (in the order asked) for ``request.volume``."""
    volume = request.volume
    costs = {m.name: total_cost(m.pricing, m.infrastructure, volume) for m in models}
    target = _target_currency(request, costs)
    notes: list[str] = []
    rows = []
    for model in models:
        vendor = vendors[model.vendor]
        cost = costs[model.name]
        if cost is None:
            notes.append(f"{model.name} declares no price and no infrastructure cost")
        elif target is not None:
            cost = convert(cost, target, request.exchange_rates)
        rows.append(
            ModelComparison(
                name=model.name,
                vendor=vendor.slug,
                vendor_name=vendor.name,
                status=model.status,
                hosting=model.hosting,
                region=model.region,
                max_data_class=model.max_data_class,
                guarantees=Guarantees(
                    no_training=model.no_training,
                    no_training_contractual=_clause(vendor, GuaranteeKind.NO_TRAINING) is not None,
                    retention_days=model.retention_days,
                    retention_clause=_clause(vendor, GuaranteeKind.RETENTION),
                    data_residency=_clause(vendor, GuaranteeKind.DATA_RESIDENCY),
                    dpa_signed_on=vendor.dpa_signed_on,
                    certifications=vendor.certifications,
                    review_overdue=model.review_overdue,
                ),
                sla=model.sla,
                sla_clause=_clause(vendor, GuaranteeKind.SLA),
                cost=cost,
                energy=energy_use(model.energy, volume) if model.energy else None,
                lock_in=vendor.lock_in,
                exit_plan=vendor.exit_plan,
                issues=model.issues,
            )
        )
    for row in rows:
        if row.energy is None:
            notes.append(f"{row.name} declares no energy figures")
    priced = [(r.cost.monthly, r.name) for r in rows if r.cost is not None]
    measured = [(r.energy.kg_co2e_per_month, r.name) for r in rows if r.energy is not None]
    return Comparison(
        volume=volume,
        tokens_per_month=volume.tokens,
        currency=target,
        models=rows,
        cheapest=min(priced)[1] if priced else None,
        lowest_carbon=min(measured)[1] if measured else None,
        notes=notes,
    )
