"""The inventory's pure rules, table by table: cost and energy arithmetic, credential
references, lifecycle transitions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gouvernail.inventory.comparison import (
    Volume,
    convert,
    energy_use,
    flat_rate_cost,
    infrastructure_cost,
    per_token_cost,
    total_cost,
)
from gouvernail.inventory.credentials import credential_problem
from gouvernail.inventory.rules import transition_problem
from gouvernail.inventory.values import (
    Energy,
    FlatRatePricing,
    Infrastructure,
    ModelStatus,
    PerTokenPricing,
)

# 100,000 requests of 1,000 tokens in and 300 out: 100 M in, 30 M out, 130 M in all.
VOLUME = Volume(requests_per_month=100_000, avg_input_tokens=1000, avg_output_tokens=300, users=500)
EUR = PerTokenPricing(currency="EUR", input_per_million=Decimal("1.8"), output_per_million=5.4)


@pytest.mark.parametrize(
    ("pricing", "volume", "monthly", "yearly"),
    [
        (EUR, VOLUME, "342.00", "4104.00"),  # 100 x 1.8 + 30 x 5.4
        (EUR, VOLUME.model_copy(update={"requests_per_month": 0}), "0.00", "0.00"),
        (  # sub-cent prices are exact, rounded only at the end: 1 M x 0.15 + 1 M x 0.6
            PerTokenPricing(currency="EUR", input_per_million=0.15, output_per_million=0.6),
            Volume(requests_per_month=1000, avg_input_tokens=1000, avg_output_tokens=1000),
            "0.75",
            "9.00",
        ),
        (  # half a cent rounds up
            PerTokenPricing(currency="USD", input_per_million=0.005, output_per_million=0),
            Volume(requests_per_month=1, avg_input_tokens=1_000_000, avg_output_tokens=0),
            "0.01",
            "0.06",
        ),
    ],
)
def test_per_token_cost(
    pricing: PerTokenPricing, volume: Volume, monthly: str, yearly: str
) -> None:
    estimate = per_token_cost(pricing, volume)
    assert (estimate.monthly, estimate.yearly) == (Decimal(monthly), Decimal(yearly))
    assert estimate.currency == pricing.currency


@pytest.mark.parametrize(
    ("pricing", "monthly", "note"),
    [
        (FlatRatePricing(currency="EUR", monthly_fee=1000), "1000.00", None),
        (  # seats: 500 x 20
            FlatRatePricing(currency="EUR", monthly_fee=1000, per_seat_monthly=20),
            "11000.00",
            None,
        ),
        (  # 30 M beyond 100 M included, split 100:30 -> 23.08 M in x 2 + 6.92 M out x 6
            FlatRatePricing(
                currency="EUR",
                monthly_fee=1000,
                per_seat_monthly=20,
                included_tokens_per_month=100_000_000,
                overage_input_per_million=2,
                overage_output_per_million=6,
            ),
            "11087.69",
            None,
        ),
        (  # beyond the included volume without overage prices: understated, and said so
            FlatRatePricing(currency="EUR", monthly_fee=5000, included_tokens_per_month=10**8),
            "5000.00",
            "understated",
        ),
        (  # within the included volume: no overage
            FlatRatePricing(
                currency="EUR",
                monthly_fee=5000,
                included_tokens_per_month=200_000_000,
                overage_input_per_million=2,
                overage_output_per_million=6,
            ),
            "5000.00",
            None,
        ),
    ],
)
def test_flat_rate_cost(pricing: FlatRatePricing, monthly: str, note: str | None) -> None:
    estimate = flat_rate_cost(pricing, VOLUME)
    assert estimate.monthly == Decimal(monthly)
    if note:
        assert any(note in n for n in estimate.notes)
    else:
        assert estimate.notes == []


def test_seats_without_users_are_flagged() -> None:
    pricing = FlatRatePricing(currency="EUR", per_seat_monthly=30)
    estimate = flat_rate_cost(pricing, VOLUME.model_copy(update={"users": 0}))
    assert estimate.monthly == 0
    assert "no users" in estimate.notes[0]


INFRA = Infrastructure(
    currency="EUR",
    monthly_cost_per_instance=4200,
    tokens_per_month_per_instance=1_500_000_000,
    ops_hours_per_month=24,
    ops_hourly_rate=95,
    setup_cost=30000,
    amortisation_months=36,
)


@pytest.mark.parametrize(
    ("infra", "volume", "monthly", "instances"),
    [
        # 4200 + 24 x 95 + 30000 / 36 = 4200 + 2280 + 833.33
        (INFRA, VOLUME, "7313.33", "1 instance"),
        # 4 G tokens need 3 instances of 1.5 G
        (
            INFRA,
            Volume(requests_per_month=1_000_000, avg_input_tokens=3000, avg_output_tokens=1000),
            "15713.33",
            "3 instances",
        ),
        # no capacity declared: one instance whatever the volume, no setup line
        (
            Infrastructure(currency="EUR", monthly_cost_per_instance=900),
            Volume(requests_per_month=10**9, avg_input_tokens=1000, avg_output_tokens=1000),
            "900.00",
            "1 instance",
        ),
    ],
)
def test_infrastructure_cost(
    infra: Infrastructure, volume: Volume, monthly: str, instances: str
) -> None:
    estimate = infrastructure_cost(infra, volume)
    assert estimate.monthly == Decimal(monthly)
    assert estimate.lines[0].label == instances


def test_self_hosted_yearly_cost_is_not_twelve_rounded_months() -> None:
    # 7313.3333... x 12 = 87760.00 exactly, not 7313.33 x 12 = 87759.96
    assert infrastructure_cost(INFRA, VOLUME).yearly == Decimal("87760.00")


def test_total_cost_sums_price_and_infrastructure_or_is_unknown() -> None:
    both = total_cost(EUR, INFRA, VOLUME)
    assert both is not None
    assert both.monthly == Decimal("7655.33")  # 342.00 + 7313.33
    assert total_cost(None, None, VOLUME) is None


def test_conversion_uses_the_given_rate() -> None:
    usd = per_token_cost(
        PerTokenPricing(currency="USD", input_per_million=3, output_per_million=15), VOLUME
    )
    assert usd.monthly == Decimal("750.00")
    eur = convert(usd, "EUR", {"USD": Decimal("0.9")})
    assert (eur.currency, eur.monthly, eur.yearly) == ("EUR", Decimal("675.00"), Decimal("8100.00"))
    assert "converted from USD" in eur.notes[-1]
    assert convert(eur, "EUR", {}) is eur


@pytest.mark.parametrize(
    ("energy", "kwh", "kg"),
    [
        # 130 M tokens / 1000 x 1.2 Wh = 156 kWh; x 56 g = 8.736 kg
        (Energy(wh_per_1k_tokens=1.2, grid_gco2e_per_kwh=56), 156.0, 8.736),
        (Energy(wh_per_1k_tokens=0.02, grid_gco2e_per_kwh=380), 2.6, 0.988),
        (Energy(wh_per_1k_tokens=1.0, grid_gco2e_per_kwh=0), 130.0, 0.0),
    ],
)
def test_energy_and_carbon(energy: Energy, kwh: float, kg: float) -> None:
    estimate = energy_use(energy, VOLUME)
    assert estimate.kwh_per_month == pytest.approx(kwh)
    assert estimate.kg_co2e_per_month == pytest.approx(kg)
    assert estimate.kg_co2e_per_year == pytest.approx(kg * 12)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("MISTRAL_API_KEY", True),
        ("AZURE_OPENAI_API_KEY", True),
        ("GOUVERNAIL_PROVIDER_ANTHROPIC_KEY_2", True),
        ("VLLM_API_KEY", True),
        ("sk-proj-AbCdEf0123456789AbCdEf0123456789", False),  # an OpenAI key
        ("sk-ant-api03-abcdef0123456789", False),  # an Anthropic key
        ("AKIAIOSFODNN7EXAMPLE", False),  # an AWS access-key id
        ("AIzaSyA1234567890abcdefghijklmnopqrstu", False),  # a Google API key
        ("gk_live_0123456789abcdef", False),  # one of our own API keys
        ("Bearer abc", False),
        ("mistral_api_key", False),  # not an environment-variable name
        ("MISTRAL API KEY", False),
        ("KEY_8F3A9C2B7D1E", False),  # a random-looking run mixing letters and digits
        ("A" * 40, False),  # a very long run
        ("K", False),  # too short
    ],
)
def test_credential_references(value: str, accepted: bool) -> None:
    problem = credential_problem(value)
    assert (problem is None) is accepted, problem
    if problem and len(value) > 8:
        assert value not in problem  # a refused value is never echoed


S = ModelStatus


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.CANDIDATE, S.APPROVED, True),
        (S.CANDIDATE, S.RETIRED, True),
        (S.CANDIDATE, S.SUSPENDED, False),
        (S.APPROVED, S.SUSPENDED, True),
        (S.APPROVED, S.RETIRED, True),
        (S.APPROVED, S.CANDIDATE, False),
        (S.SUSPENDED, S.APPROVED, True),
        (S.SUSPENDED, S.RETIRED, True),
        (S.RETIRED, S.APPROVED, False),
        (S.RETIRED, S.CANDIDATE, False),
        (S.APPROVED, S.APPROVED, False),
    ],
)
def test_lifecycle_transitions(current: ModelStatus, target: ModelStatus, allowed: bool) -> None:
    problem = transition_problem(current, target)
    assert (problem is None) is allowed
    if current is S.RETIRED:
        assert problem is not None
        assert "final" in problem
