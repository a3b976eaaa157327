"""Prices (inventory, flat rate, infrastructure, genai-prices, currencies) and the energy and
CO2 of a call (inventory figures, EcoLogits, "no estimate")."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from tests.inventory_helpers import model, self_hosted

from gouvernail.gateway.accounting import (
    Impacts,
    Prices,
    UnknownPrice,
    estimate_input_tokens,
    reservation_cost,
)
from gouvernail.gateway.accounting._zones import zone_of
from gouvernail.inventory.routing import RoutableModel

FX = {"USD": Decimal("0.92"), "EUR": Decimal(1), "CHF": Decimal("1.05")}
GPT_4O_USD = (Decimal("2.5"), Decimal("10"))  # genai-prices' bundled figures for gpt-4o


def routable(spec: dict[str, Any], **overrides: Any) -> RoutableModel:
    values = {"infrastructure": None, "fallback_models": [], "review_overdue": False}
    values |= {"version": 1, **spec, **overrides}
    return RoutableModel.model_validate(values)


GPT_4O = model(
    vendor="openai",
    upstream_model="gpt-4o",
    endpoint={"base_url": "https://api.openai.com/v1"},
    energy=None,
)


def own(**overrides: Any) -> dict[str, Any]:
    """A self-hosted model (``self_hosted`` fixes its costs and energy; these may change)."""
    return {**self_hosted(), **overrides}


def openai_model(**overrides: Any) -> RoutableModel:
    spec = model(
        "gpt-4o-us",
        vendor="openai",
        upstream_model="gpt-4o",
        endpoint={"base_url": "https://api.openai.com/v1"},
        hosting="external_saas",
        region="eastus",
        pricing=None,
        energy=None,
    )
    return routable(spec, **overrides)


# --- prices -----------------------------------------------------------------------------------


def test_inventory_prices_per_token_in_euros() -> None:
    sheet = Prices(FX).price_sheet(routable(model()))
    assert sheet.source == "inventory"
    assert sheet.cost(1000, 500) == Decimal("0.0045")  # (1000 x 1.8 + 500 x 5.4) / 1e6


def test_inventory_override_wins_over_genai_prices() -> None:
    pricing = {
        "mode": "per_token",
        "currency": "USD",
        "input_per_million": 2,
        "output_per_million": 8,
    }
    sheet = Prices(FX).price_sheet(openai_model(pricing=pricing))
    assert sheet.source == "inventory"
    assert (sheet.input_per_million_eur, sheet.output_per_million_eur) == (
        Decimal("1.84"),
        Decimal("7.36"),
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"endpoint": {"base_url": "https://llm-egress.corp.example/v1"}},  # found by vendor
        {
            "vendor": "microsoft",
            "provider_kind": "azure_openai",
            "endpoint": {
                "base_url": "https://corp.openai.azure.com",
                "azure_deployment": "gpt4o",
                "azure_api_version": "2024-10-21",
            },
        },
    ],
    ids=["by endpoint", "by vendor", "azure"],
)
def test_genai_prices_in_dollars_converted_to_euros(overrides: dict[str, Any]) -> None:
    sheet = Prices(FX).price_sheet(openai_model(**overrides))
    assert sheet.source == "genai-prices"
    assert (sheet.input_per_million_eur, sheet.output_per_million_eur) == (
        GPT_4O_USD[0] * Decimal("0.92"),
        GPT_4O_USD[1] * Decimal("0.92"),
    )
    assert sheet.cost(1_000_000, 1_000_000) == Decimal("11.5")


@pytest.mark.parametrize(
    ("overrides", "cost"),
    [
        (
            {"monthly_fee": 2000, "overage_input_per_million": 1, "overage_output_per_million": 3},
            Decimal("0.004"),  # (1000 x 1 + 1000 x 3) / 1e6
        ),
        ({"monthly_fee": 2000, "included_tokens_per_month": 10**9}, Decimal(0)),
    ],
    ids=["overage", "included"],
)
def test_flat_rate_costs_its_marginal_price(overrides: dict[str, Any], cost: Decimal) -> None:
    pricing = {"mode": "flat_rate", "currency": "EUR", **overrides}
    sheet = Prices(FX).price_sheet(routable(model(pricing=pricing)))
    assert sheet.source == "flat_rate"
    assert sheet.cost(1000, 1000) == cost


def test_self_hosted_cost_comes_from_its_infrastructure() -> None:
    sheet = Prices(FX).price_sheet(routable(own(energy=None)))
    assert sheet.source == "infrastructure"
    # 4200 + 24 h x 95 + 30000 / 36 a month, over 1.5 billion tokens a month
    monthly = Decimal(4200) + 24 * Decimal(95) + Decimal(30000) / 36
    assert sheet.cost(1_500_000_000, 0).quantize(Decimal("0.01")) == monthly.quantize(
        Decimal("0.01")
    )
    assert sheet.input_per_million_eur == sheet.output_per_million_eur


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        (
            own(infrastructure={"currency": "EUR", "monthly_cost_per_instance": 4000}),
            "no monthly capacity",
        ),
        (own(infrastructure=None), "neither pricing nor infrastructure"),
        (
            model(upstream_model="our-private-fine-tune", pricing=None),
            "No price is known",
        ),
        (
            model(
                pricing={
                    "mode": "per_token",
                    "currency": "GBP",
                    "input_per_million": 1,
                    "output_per_million": 1,
                }
            ),
            "GBP",
        ),
    ],
    ids=["no capacity", "self-hosted without costs", "unknown model", "unknown currency"],
)
def test_an_unknown_price_is_refused_never_free(spec: dict[str, Any], says: str) -> None:
    with pytest.raises(UnknownPrice) as refused:
        Prices(FX).price_sheet(routable(spec))
    assert refused.value.model_name == spec["name"]
    assert says in refused.value.message
    assert refused.value.status == 403


def test_sheets_are_cached_per_model_version() -> None:
    prices = Prices(FX)
    first = prices.price_sheet(routable(model()))
    assert prices.price_sheet(routable(model())) is first
    cheaper = model(
        pricing={
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 1,
            "output_per_million": 1,
        }
    )
    assert prices.price_sheet(routable(cheaper, version=2)).input_per_million_eur == 1


@pytest.mark.parametrize(
    ("chars", "tokens"), [(0, 0), (1, 1), (3, 1), (4, 2), (3000, 1000), (-5, 0)]
)
def test_input_tokens_are_estimated_conservatively(chars: int, tokens: int) -> None:
    assert estimate_input_tokens(chars) == tokens


def test_a_reservation_costs_the_whole_answer_allowance() -> None:
    sheet = Prices(FX).price_sheet(routable(model()))
    assert reservation_cost(sheet, 1000, 4096) == sheet.cost(1000, 4096) == Decimal("0.0239184")


# --- energy and CO2 ---------------------------------------------------------------------------


def test_inventory_energy_figures_come_first() -> None:
    impact = Impacts().for_call(
        routable(model()), input_tokens=1000, output_tokens=500, latency_s=2.0
    )
    assert impact.source == "inventory"
    assert impact.energy_wh == pytest.approx(1.8)  # 1.2 Wh per 1k tokens x 1.5k
    assert impact.gco2e == pytest.approx(1.8 / 1000 * 56)


def test_ecologits_estimates_a_known_model_from_its_region(
    caplog: pytest.LogCaptureFixture,
) -> None:
    impacts = Impacts()
    caplog.set_level(logging.WARNING)
    us = impacts.for_call(openai_model(), input_tokens=100, output_tokens=400, latency_s=3.0)
    fr = impacts.for_call(
        openai_model(name="gpt-4o-fr", region="francecentral"),
        input_tokens=100,
        output_tokens=400,
        latency_s=3.0,
    )
    assert (us.source, us.zone, fr.zone) == ("ecologits", "USA", "FRA")
    assert us.energy_wh is not None
    assert us.energy_wh > 0
    assert us.gco2e is not None
    assert fr.gco2e is not None
    assert fr.energy_wh == pytest.approx(us.energy_wh)
    assert 0 < fr.gco2e < us.gco2e / 3  # French electricity is low-carbon
    assert not caplog.records


@pytest.mark.parametrize(
    ("spec", "zone"),
    [
        (own(upstream_model="meta-llama/Meta-Llama-3.1-70B-Instruct", energy=None), "FRA"),
        (
            model(upstream_model="mistral-large-latest", energy=None, region="swedencentral"),
            "SWE",
        ),
    ],
    ids=["open weights on our servers", "mistral"],
)
def test_ecologits_knows_other_providers(spec: dict[str, Any], zone: str) -> None:
    impact = Impacts().for_call(routable(spec), input_tokens=0, output_tokens=200, latency_s=2.0)
    assert (impact.source, impact.zone) == ("ecologits", zone)
    assert impact.energy_wh is not None
    assert impact.energy_wh > 0


@pytest.mark.parametrize(
    ("impacts", "spec", "output_tokens"),
    [
        (Impacts(), model(upstream_model="mistral-large-2411", energy=None), 10),  # unknown
        (Impacts(), own(energy=None, upstream_model="acme/secret-model"), 10),
        (Impacts(ecologits_enabled=False), GPT_4O, 10),
        (Impacts(), GPT_4O, 0),  # EcoLogits would say zero
    ],
    ids=["unknown model", "unknown open weights", "ecologits off", "no output"],
)
def test_no_estimate_is_never_zero(
    impacts: Impacts, spec: dict[str, Any], output_tokens: int
) -> None:
    impact = impacts.for_call(
        routable(spec), input_tokens=10, output_tokens=output_tokens, latency_s=1.0
    )
    assert (impact.energy_wh, impact.gco2e, impact.source) == (None, None, "no estimate")


@pytest.mark.parametrize(
    ("region", "zone"),
    [
        ("francecentral", "FRA"),
        ("westeurope", "NLD"),
        ("swedencentral", "SWE"),
        ("germanywestcentral", "DEU"),
        ("eastus", "USA"),
        ("eu-west-3", "FRA"),
        ("eu-central-1", "DEU"),
        ("us-east-1", "USA"),
        ("europe-west9", "FRA"),
        ("FR", "FRA"),
        ("de", "DEU"),
        ("SE", "SWE"),
        ("fr-lyon", "FRA"),
        ("FRA", "FRA"),
        ("eu-west", "EEE"),
        ("moon-base-1", "WOR"),
    ],
)
def test_regions_map_to_electricity_mix_zones(region: str, zone: str) -> None:
    assert zone_of(region) == zone
