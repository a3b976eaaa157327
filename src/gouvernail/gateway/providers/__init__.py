"""Model providers: the adapters that speak each provider's wire format and ``Upstreams``,
which forwards calls to them (pooled connections, retries, circuit breakers, streaming).

Everything is in OpenAI's format on the gateway side: plain dicts in, plain dicts out.
"""

from gouvernail.gateway.providers.adapter import Adapter, PreparedRequest, StreamDecoder
from gouvernail.gateway.providers.anthropic import Anthropic
from gouvernail.gateway.providers.azure import AzureOpenAI
from gouvernail.gateway.providers.breaker import BreakerState
from gouvernail.gateway.providers.errors import CircuitOpen, UpstreamError
from gouvernail.gateway.providers.exchange import Operation, UpstreamResponse, UpstreamUsage
from gouvernail.gateway.providers.openai import OpenAICompatible
from gouvernail.gateway.providers.registry import default_adapters
from gouvernail.gateway.providers.upstreams import Upstreams

__all__ = [
    "Adapter",
    "Anthropic",
    "AzureOpenAI",
    "BreakerState",
    "CircuitOpen",
    "OpenAICompatible",
    "Operation",
    "PreparedRequest",
    "StreamDecoder",
    "UpstreamError",
    "UpstreamResponse",
    "UpstreamUsage",
    "Upstreams",
    "default_adapters",
]
