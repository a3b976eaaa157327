"""What a provider adapter is: it turns an OpenAI-format call into the provider's HTTP request
and the provider's answers (whole or streamed) back into OpenAI's format. Adapters are pure:
no I/O, no state shared between calls; ``Upstreams`` does the sending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from gouvernail.gateway.providers.exchange import Operation
from gouvernail.inventory.routing import RoutableModel


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    url: str
    headers: dict[str, str]
    """Authentication included: never log them."""
    content: bytes


class StreamDecoder(Protocol):
    """Turns the events of one streamed answer into OpenAI-format dicts."""

    def decode(self, event: str, data: str) -> list[dict[str, Any]]:
        """The dicts one server-sent event yields (often one, sometimes none); raises
        ``UpstreamError`` on garbage or on an error event."""
        ...

    def finish(self) -> list[dict[str, Any]]:
        """At the end of the body: the last dicts, or ``UpstreamError`` if truncated."""
        ...


class Adapter(Protocol):
    def prepare(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        api_key: str | None,
        *,
        stream: bool,
    ) -> PreparedRequest:
        """The provider's request for ``body`` (OpenAI format); ``UpstreamError`` (400) when
        the provider cannot do ``operation`` or the body cannot be translated."""
        ...

    def parse(
        self, model: RoutableModel, operation: Operation, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The provider's successful answer, in OpenAI's format."""
        ...

    def decoder(self, model: RoutableModel, operation: Operation) -> StreamDecoder: ...
