"""The OpenAI-compatible adapter: OpenAI, Mistral, Gemini's OpenAI endpoint, vLLM, Ollama and
any server speaking Chat Completions, Embeddings and Responses under ``{base_url}``."""

from __future__ import annotations

from typing import Any

import orjson

from gouvernail.gateway.providers.adapter import PreparedRequest
from gouvernail.gateway.providers.errors import UpstreamError, bad_response, provider_message
from gouvernail.gateway.providers.exchange import Operation
from gouvernail.inventory.routing import RoutableModel

PATHS: dict[str, str] = {
    "chat": "/chat/completions",
    "embeddings": "/embeddings",
    "responses": "/responses",
}
_RESPONSES_END = frozenset({"response.completed", "response.failed", "response.incomplete"})
_JSON = "application/json"


def upstream_body(
    model: RoutableModel, operation: Operation, body: dict[str, Any], *, stream: bool
) -> dict[str, Any]:
    """The caller's body for upstream: the provider's model name, ``stream`` as asked, and
    for streamed chat always ``stream_options.include_usage`` (so streamed calls are
    accounted; the gateway removes the usage chunk if the caller did not ask for it)."""
    out = {**body, "model": model.upstream_model}
    if operation == "embeddings":
        out.pop("stream", None)
        out.pop("stream_options", None)
        if stream:
            raise not_supported(model, "streamed embeddings")
        return out
    out["stream"] = stream
    if operation == "chat":
        if stream:
            out["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        else:
            out.pop("stream_options", None)
    return out


def not_supported(model: RoutableModel, what: str) -> UpstreamError:
    return UpstreamError(
        f"model {model.name!r} does not support {what}",
        status=400,
        provider=model.vendor,
        code="unsupported_operation",
    )


def stream_failure(provider: str, message: str | None) -> UpstreamError:
    return UpstreamError(
        f"{provider} failed during the stream: {message or 'unknown error'}",
        status=502,
        provider=provider,
        code="upstream_stream_error",
        retryable=True,
    )


class OpenAIStream:
    """Chat chunks and Responses events pass through as they are; the end marker is
    ``data: [DONE]`` (chat) or a terminal ``response.*`` event (Responses)."""

    def __init__(self, provider: str, operation: Operation) -> None:
        self._provider = provider
        self._responses = operation == "responses"
        self._done = False

    def decode(self, event: str, data: str) -> list[dict[str, Any]]:
        if data == "[DONE]":
            self._done = True
            return []
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise bad_response(self._provider, "a stream event is not JSON") from None
        if not isinstance(chunk, dict):
            raise bad_response(self._provider, "a stream event is not a JSON object")
        if self._responses:
            kind = chunk.get("type")
            if kind == "error":
                raise stream_failure(self._provider, provider_message(data.encode()))
            if kind in _RESPONSES_END:
                self._done = True
        elif "error" in chunk:
            raise stream_failure(self._provider, provider_message(data.encode()))
        return [chunk]

    def finish(self) -> list[dict[str, Any]]:
        if not self._done:
            raise bad_response(self._provider, "the stream ended before its end (truncated)")
        return []


class OpenAICompatible:
    """``POST {base_url}/chat/completions`` (and ``/embeddings``, ``/responses``) with
    ``Authorization: Bearer``; no header at all when the model needs no key (Ollama, vLLM)."""

    def url(self, model: RoutableModel, operation: Operation) -> str:
        return model.endpoint.base_url + PATHS[operation]

    def headers(self, api_key: str | None) -> dict[str, str]:
        if api_key is None:
            return {"content-type": _JSON, "accept": _JSON}
        return {"content-type": _JSON, "accept": _JSON, "authorization": f"Bearer {api_key}"}

    def prepare(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        api_key: str | None,
        *,
        stream: bool,
    ) -> PreparedRequest:
        content = orjson.dumps(upstream_body(model, operation, body, stream=stream))
        headers = self.headers(api_key)
        if stream:
            headers["accept"] = "text/event-stream"
        return PreparedRequest(self.url(model, operation), headers, content)

    def parse(
        self, model: RoutableModel, operation: Operation, body: dict[str, Any]
    ) -> dict[str, Any]:
        return body

    def decoder(self, model: RoutableModel, operation: Operation) -> OpenAIStream:
        return OpenAIStream(model.vendor, operation)
