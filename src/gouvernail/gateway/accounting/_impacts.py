"""Energy and CO2 of a call: the inventory's own figures, else an EcoLogits estimate.

EcoLogits models the energy of a generation from the model's size, the output tokens and the
latency, and its carbon from the electricity mix of the zone where the model runs (the model's
region, mapped to a country). Where EcoLogits does not know the model the answer is "no
estimate", never zero. EcoLogits gives ranges; we keep their midpoint.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog

from gouvernail.gateway.accounting._zones import WORLD, zone_of
from gouvernail.inventory.routing import RoutableModel
from gouvernail.inventory.values import ProviderKind

log = structlog.get_logger(__name__)

NO_ESTIMATE = "no estimate"

_HOST_PROVIDERS = (
    ("openai.com", "openai"),
    ("openai.azure.com", "openai"),
    ("mistral.ai", "mistralai"),
    ("googleapis.com", "google_genai"),
    ("anthropic.com", "anthropic"),
    ("cohere.com", "cohere"),
    ("cohere.ai", "cohere"),
)
_VENDOR_PROVIDERS = {
    "openai": "openai",
    "azure": "openai",
    "microsoft": "openai",
    "mistral": "mistralai",
    "mistralai": "mistralai",
    "google": "google_genai",
    "gemini": "google_genai",
    "anthropic": "anthropic",
    "cohere": "cohere",
}
_OPEN_WEIGHTS = "huggingface_hub"
"""Any other server (vLLM, Ollama, ...) runs open weights, which EcoLogits knows by their
Hugging Face id (e.g. ``meta-llama/Meta-Llama-3.1-70B-Instruct``)."""


@dataclass(frozen=True, slots=True)
class Impact:
    energy_wh: float | None
    gco2e: float | None
    source: str
    """"inventory", "ecologits" or "no estimate"."""
    zone: str | None = None
    """The electricity mix zone of an EcoLogits estimate (ISO 3166-1 alpha-3, WOR: world)."""


@dataclass(frozen=True, slots=True)
class _Target:
    provider: str
    model_name: str
    zone: str


class Impacts:
    def __init__(self, *, ecologits_enabled: bool = True) -> None:
        self._enabled = ecologits_enabled
        self._targets: dict[tuple[str, int], _Target | None] = {}
        self._lock = threading.Lock()
        if ecologits_enabled:
            # EcoLogits logs each unknown model or imprecise architecture once, as warnings:
            # our answer ("no estimate", or the figures) already says it. Its module must be
            # imported before its logger is touched: it installs its own logger class.
            from ecologits.log import logger

            logger.setLevel(logging.ERROR)

    def for_call(
        self, model: RoutableModel, *, input_tokens: int, output_tokens: int, latency_s: float
    ) -> Impact:
        if model.energy is not None:
            wh = model.energy.wh_per_1k_tokens * (input_tokens + output_tokens) / 1000
            return Impact(wh, wh / 1000 * model.energy.grid_gco2e_per_kwh, "inventory")
        if not self._enabled:
            return Impact(None, None, NO_ESTIMATE)
        target = self._target(model)
        if target is None or output_tokens <= 0:
            # EcoLogits models generation only: with no output it would say zero, and the
            # reading of the prompt did cost energy
            return Impact(None, None, NO_ESTIMATE)
        try:
            return _estimate(target, output_tokens, round(latency_s, 2))
        except Exception:  # an estimate must never fail the call it describes
            log.warning("ecologits_failed", model=model.name, exc_info=True)
            return Impact(None, None, NO_ESTIMATE, target.zone)

    def _target(self, model: RoutableModel) -> _Target | None:
        key = (model.name, model.version)
        if key in self._targets:
            return self._targets[key]
        target = _resolve(model)
        with self._lock:
            self._targets = {
                **{k: v for k, v in self._targets.items() if k[0] != model.name},
                key: target,
            }
        return target


@functools.lru_cache(maxsize=8192)
def _estimate(target: _Target, output_tokens: int, latency_s: float) -> Impact:
    """EcoLogits' estimate (~0.4 ms of CPU), memoised: calls with the same model, zone, output
    tokens and latency (to 10 ms, far inside the estimate's own range) get the same figures."""
    from ecologits.tracers.utils import llm_impacts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = llm_impacts(
            target.provider, target.model_name, output_tokens, latency_s, target.zone
        )
    if result.energy is None or result.gwp is None:
        return Impact(None, None, NO_ESTIMATE, target.zone)
    energy_wh = _midpoint(result.energy.value) * 1000  # kWh → Wh
    gco2e = _midpoint(result.gwp.value) * 1000  # kgCO2e → g
    return Impact(energy_wh, gco2e, "ecologits", target.zone)


def _resolve(model: RoutableModel) -> _Target | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ecologits.electricity_mix_repository import electricity_mixes
        from ecologits.model_repository import models

    provider = _provider(model)
    zone = zone_of(model.region)
    if electricity_mixes.find_electricity_mix(zone=zone) is None:
        zone = WORLD
    for name in dict.fromkeys((model.upstream_model, model.upstream_model.lower())):
        if models.find_model(provider=provider, model_name=name) is not None:
            return _Target(provider, name, zone)
    return None


def _provider(model: RoutableModel) -> str:
    if model.provider_kind is ProviderKind.ANTHROPIC:
        return "anthropic"
    if model.provider_kind is ProviderKind.AZURE_OPENAI:
        return "openai"
    host = urlsplit(model.endpoint.base_url).hostname or ""
    for suffix, provider in _HOST_PROVIDERS:
        if host == suffix or host.endswith("." + suffix):
            return provider
    return _VENDOR_PROVIDERS.get(model.vendor, _OPEN_WEIGHTS)


def _midpoint(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    return (float(value.min) + float(value.max)) / 2
