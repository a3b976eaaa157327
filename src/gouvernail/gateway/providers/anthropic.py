"""The Anthropic Messages adapter: ``POST {base_url}/v1/messages`` (``/messages`` when the
base URL already ends with ``/v1``), ``x-api-key`` and ``anthropic-version`` headers. Chat
only: embeddings and the Responses API are refused with a 400."""

from __future__ import annotations

from typing import Any

import orjson

from gouvernail.gateway.providers.adapter import PreparedRequest
from gouvernail.gateway.providers.anthropic_answer import AnthropicStream, chat_completion
from gouvernail.gateway.providers.anthropic_request import invalid, messages_request
from gouvernail.gateway.providers.exchange import Operation
from gouvernail.gateway.providers.openai import not_supported
from gouvernail.inventory.routing import RoutableModel

API_VERSION = "2023-06-01"


class Anthropic:
    def __init__(self, *, default_max_tokens: int = 4096, api_version: str = API_VERSION) -> None:
        """``default_max_tokens`` is sent when the caller gave no ``max_tokens`` (Anthropic
        requires one; the gateway normally sets its capped default before this)."""
        self._default_max_tokens = default_max_tokens
        self._api_version = api_version

    def prepare(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        api_key: str | None,
        *,
        stream: bool,
    ) -> PreparedRequest:
        if operation != "chat":
            what = "embeddings" if operation == "embeddings" else "the Responses API"
            raise not_supported(model, what)
        try:
            request = messages_request(
                body,
                upstream_model=model.upstream_model,
                default_max_tokens=self._default_max_tokens,
                stream=stream,
                provider=model.vendor,
            )
        except (AttributeError, KeyError, TypeError):
            raise invalid(model.vendor, "the request does not follow the chat format") from None
        base = model.endpoint.base_url
        url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
            "anthropic-version": self._api_version,
        }
        if api_key is not None:
            headers["x-api-key"] = api_key
        return PreparedRequest(url, headers, orjson.dumps(request))

    def parse(
        self, model: RoutableModel, operation: Operation, body: dict[str, Any]
    ) -> dict[str, Any]:
        return chat_completion(body, model.vendor)

    def decoder(self, model: RoutableModel, operation: Operation) -> AnthropicStream:
        return AnthropicStream(model.vendor)
