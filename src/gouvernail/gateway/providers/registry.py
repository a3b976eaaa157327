"""The provider adapters, by ``ProviderKind``: a plain dict, so another adapter registers the
same way as the built-in ones (``Upstreams(adapters={**default_adapters(), kind: mine})``)."""

from __future__ import annotations

from gouvernail.gateway.providers.adapter import Adapter
from gouvernail.gateway.providers.anthropic import Anthropic
from gouvernail.gateway.providers.azure import AzureOpenAI
from gouvernail.gateway.providers.openai import OpenAICompatible
from gouvernail.inventory.values import ProviderKind


def default_adapters(*, default_max_tokens: int = 4096) -> dict[str, Adapter]:
    return {
        ProviderKind.OPENAI_COMPATIBLE: OpenAICompatible(),
        ProviderKind.AZURE_OPENAI: AzureOpenAI(),
        ProviderKind.ANTHROPIC: Anthropic(default_max_tokens=default_max_tokens),
    }
