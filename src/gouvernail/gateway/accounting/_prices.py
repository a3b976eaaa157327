"""What a call costs, in euros, before (an estimate to reserve) and after (the real usage).

The price of a model comes, in order, from the inventory (``per_token``, or a subscription's
overage price: ``flat_rate``), from its own infrastructure (self-hosted: the monthly cost with
operations and amortised set-up, over the monthly capacity of an instance), or from
genai-prices (bundled data, read offline). A model without a known price is refused, never
counted as free.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from gouvernail.charter.rules import Hosting
from gouvernail.errors import GouvernailError
from gouvernail.inventory.routing import RoutableModel
from gouvernail.inventory.values import FlatRatePricing, Infrastructure, ProviderKind

if TYPE_CHECKING:
    from genai_prices import Usage

PriceSource = Literal["inventory", "genai-prices", "flat_rate", "infrastructure"]

CHARS_PER_TOKEN = 3
"""Conservative: most tokenisers average 3.5 to 4.5 characters per token in French and English."""

_MILLION = Decimal(1_000_000)
_GENAI_CURRENCY = "USD"
_VENDOR_PROVIDERS = {
    "openai": "openai",
    "mistral": "mistral",
    "mistralai": "mistral",
    "anthropic": "anthropic",
    "google": "google",
    "gemini": "google",
    "azure": "azure",
    "microsoft": "azure",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "x-ai": "x-ai",
    "xai": "x-ai",
    "aws": "aws",
    "bedrock": "aws",
}
"""Inventory vendor slug → genai-prices provider id, when the endpoint's host says nothing."""


class UnknownPrice(GouvernailError):  # noqa: N818 (the gateway's contract names it)
    """No price is known for a model: calls to it are refused rather than counted as free."""

    def __init__(self, model_name: str, message: str) -> None:
        super().__init__(message, code="model_price_unknown", status=403)
        self.model_name = model_name


@dataclass(frozen=True, slots=True)
class PriceSheet:
    """Euros per million tokens of one model, and where the figures come from."""

    model: str
    source: PriceSource
    input_per_million_eur: Decimal
    output_per_million_eur: Decimal

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        spent = input_tokens * self.input_per_million_eur
        return (spent + output_tokens * self.output_per_million_eur) / _MILLION


def estimate_input_tokens(chars: int) -> int:
    """An upper estimate of the tokens of ``chars`` characters of prompt."""
    return math.ceil(max(chars, 0) / CHARS_PER_TOKEN)


def reservation_cost(sheet: PriceSheet, input_tokens: int, max_tokens: int) -> Decimal:
    """What to reserve before a call: every input token and the whole ``max_tokens`` answer."""
    return sheet.cost(input_tokens, max_tokens)


class Prices:
    """Price sheets of the routable models, cached per model name and inventory version."""

    def __init__(self, fx_to_eur: Mapping[str, Decimal]) -> None:
        self._fx = {"EUR": Decimal(1), **{k.upper(): Decimal(v) for k, v in fx_to_eur.items()}}
        self._sheets: dict[tuple[str, int], PriceSheet] = {}
        self._lock = threading.Lock()

    def price_sheet(self, model: RoutableModel) -> PriceSheet:
        key = (model.name, model.version)
        sheet = self._sheets.get(key)
        if sheet is None:
            sheet = self._build(model)
            with self._lock:
                self._sheets = {
                    **{k: v for k, v in self._sheets.items() if k[0] != model.name},
                    key: sheet,
                }
        return sheet

    def _build(self, model: RoutableModel) -> PriceSheet:
        pricing = model.pricing
        if isinstance(pricing, FlatRatePricing):
            rate = self._rate(model, pricing.currency)
            return PriceSheet(
                model.name,
                "flat_rate",
                (pricing.overage_input_per_million or Decimal(0)) * rate,
                (pricing.overage_output_per_million or Decimal(0)) * rate,
            )
        if pricing is not None:
            rate = self._rate(model, pricing.currency)
            return PriceSheet(
                model.name,
                "inventory",
                pricing.input_per_million * rate,
                pricing.output_per_million * rate,
            )
        if model.infrastructure is not None:
            per_million = _infrastructure_per_million(model, model.infrastructure)
            per_million *= self._rate(model, model.infrastructure.currency)
            return PriceSheet(model.name, "infrastructure", per_million, per_million)
        if model.hosting is Hosting.SELF_HOSTED:
            raise UnknownPrice(
                model.name,
                f"The self-hosted model '{model.name}' has neither pricing nor infrastructure "
                "costs in the inventory; add them before routing calls to it.",
            )
        input_usd, output_usd = _genai_prices(model)
        rate = self._rate(model, _GENAI_CURRENCY)
        return PriceSheet(model.name, "genai-prices", input_usd * rate, output_usd * rate)

    def _rate(self, model: RoutableModel, currency: str) -> Decimal:
        rate = self._fx.get(currency.upper())
        if rate is None:
            raise UnknownPrice(
                model.name,
                f"The price of '{model.name}' is in {currency}, which has no exchange rate to "
                "EUR in the gateway settings.",
            )
        return rate


def _infrastructure_per_million(model: RoutableModel, infra: Infrastructure) -> Decimal:
    if infra.tokens_per_month_per_instance is None:
        raise UnknownPrice(
            model.name,
            f"The model '{model.name}' has infrastructure costs but no monthly capacity "
            "(tokens_per_month_per_instance): its cost per token cannot be derived.",
        )
    monthly = (
        infra.monthly_cost_per_instance
        + Decimal(str(infra.ops_hours_per_month)) * infra.ops_hourly_rate
        + infra.setup_cost / infra.amortisation_months
    )
    return monthly * _MILLION / infra.tokens_per_month_per_instance


def _genai_prices(model: RoutableModel) -> tuple[Decimal, Decimal]:
    """USD per million input and output tokens (the tier a million-token call falls in:
    conservative for models priced by tier)."""
    from genai_prices import Usage  # 0.15 s to import: only when needed

    providers: list[str | None] = []
    if model.provider_kind is ProviderKind.AZURE_OPENAI:
        providers.append("azure")
    providers.append(None)  # None: recognise the provider by the endpoint's URL
    if model.vendor in _VENDOR_PROVIDERS:
        providers.append(_VENDOR_PROVIDERS[model.vendor])
    for provider in providers:
        try:
            return (
                _per_million(model, provider, Usage(input_tokens=1_000_000, output_tokens=0)),
                _per_million(model, provider, Usage(input_tokens=0, output_tokens=1_000_000)),
            )
        except LookupError:
            continue
    raise UnknownPrice(
        model.name,
        f"No price is known for '{model.name}' ({model.upstream_model} at "
        f"{model.endpoint.base_url}): add its pricing to the inventory.",
    )


def _per_million(model: RoutableModel, provider: str | None, usage: Usage) -> Decimal:
    from genai_prices import calc_price

    if provider is None:
        price = calc_price(usage, model.upstream_model, provider_api_url=model.endpoint.base_url)
    else:
        price = calc_price(usage, model.upstream_model, provider_id=provider)
    return Decimal(price.total_price)
