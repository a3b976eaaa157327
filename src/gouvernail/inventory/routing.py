"""What the gateway reads from the inventory: the approved models and how to reach them.

The registry is the gateway's configuration: only ``approved`` models are routable, and a
``RoutableModel`` carries everything needed to forward a call (adapter, upstream name, endpoint,
the *name* of the key variable), to enforce the data-class ceiling, to account cost and energy,
and to fail over. Values are frozen: the gateway may cache them and compare ``version``s.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gouvernail.charter.rules import Hosting
from gouvernail.inventory.values import (
    Capability,
    Endpoint,
    Energy,
    Infrastructure,
    Pricing,
    ProviderKind,
)
from gouvernail.inventory.views import ModelView


class RoutableModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    vendor: str
    provider_kind: ProviderKind
    upstream_model: str
    endpoint: Endpoint
    credential_ref: str | None
    capabilities: frozenset[Capability]
    hosting: Hosting
    region: str
    retention_days: int
    no_training: bool
    max_data_class: str
    pricing: Pricing | None
    infrastructure: Infrastructure | None
    energy: Energy | None
    context_window: int | None
    fallback_models: tuple[str, ...]
    """Names to try in order; the gateway skips any that is not routable when it fails over."""
    review_overdue: bool
    version: int

    @classmethod
    def of(cls, model: ModelView) -> RoutableModel:
        return cls(
            name=model.name,
            vendor=model.vendor,
            provider_kind=model.provider_kind,
            upstream_model=model.upstream_model,
            endpoint=model.endpoint,
            credential_ref=model.credential_ref,
            capabilities=frozenset(model.capabilities),
            hosting=model.hosting,
            region=model.region,
            retention_days=model.retention_days,
            no_training=model.no_training,
            max_data_class=model.max_data_class,
            pricing=model.pricing,
            infrastructure=model.infrastructure,
            energy=model.energy,
            context_window=model.context_window,
            fallback_models=tuple(model.fallback_models),
            review_overdue=model.review_overdue,
            version=model.version,
        )
