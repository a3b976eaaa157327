"""What can go wrong upstream, as one exception type the gateway renders and fails over on.

``status`` is the HTTP status the gateway should answer its caller with (a provider's 401 is
our misconfiguration, so the caller sees 502); ``upstream_status`` is what the provider said.
``retryable`` means "another attempt, here later or on another model, may succeed": the
gateway fails over on it. Messages carry the provider's own words, never the API key.
"""

from __future__ import annotations

from typing import Any

import orjson

RETRY_IN_PLACE = frozenset({408, 429})
"""Statuses retried on the same endpoint, besides every 5xx (Anthropic's 529 included)."""


class UpstreamError(Exception):
    """A model provider failed or refused the call."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        provider: str,
        code: str = "upstream_error",
        retryable: bool = False,
        retry_after: float | None = None,
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.provider = provider
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.upstream_status = upstream_status

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"provider={self.provider!r}, message={self.message!r})"
        )


class CircuitOpen(UpstreamError):  # noqa: N818 (the name the gateway contract uses)
    """The provider endpoint failed too often lately: not called until its cool-down ends.
    Retryable elsewhere (failover), never here."""

    def __init__(self, provider: str, retry_after: float) -> None:
        super().__init__(
            f"{provider} is failing: calls to it are paused for {retry_after:.0f} s",
            status=503,
            provider=provider,
            code="circuit_open",
            retryable=True,
            retry_after=retry_after,
        )


def bad_response(provider: str, what: str) -> UpstreamError:
    """Upstream garbage: a body or stream the provider's protocol does not allow."""
    return UpstreamError(
        f"{provider} sent an invalid response: {what}",
        status=502,
        provider=provider,
        code="upstream_bad_response",
        retryable=True,
    )


def provider_message(content: bytes) -> str | None:
    """The message of an error body in any of the formats we speak: OpenAI and Azure
    (``{"error": {"message"}}``), Anthropic (``{"type": "error", "error": {...}}``), vLLM
    (``{"object": "error", "message"}``), Ollama (``{"error": "..."}``), FastAPI
    (``{"detail": ...}``). None when the body is not JSON (an HTML error page, say)."""
    try:
        body: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str) and error:
        return error
    for key in ("message", "detail"):
        if body.get(key):
            return str(body[key])
    return None


def from_status(
    provider: str, status: int, content: bytes, *, retry_after: float | None = None
) -> UpstreamError:
    """Map a provider's error answer to what the gateway's caller should see."""
    message = provider_message(content)
    said = message if message is not None else f"non-JSON error body (HTTP {status})"
    text = f"{provider} answered {status}: {said}"
    if status == 429:
        return UpstreamError(
            text,
            status=429,
            provider=provider,
            code="upstream_rate_limited",
            retryable=True,
            retry_after=retry_after,
            upstream_status=status,
        )
    if status >= 500 or status == 408:
        return UpstreamError(
            text,
            status=status if status in (503, 504) else 502,
            provider=provider,
            code="upstream_unavailable",
            retryable=True,
            retry_after=retry_after,
            upstream_status=status,
        )
    if status in (401, 403, 404):
        # our key, our deployment or our model name is wrong: the caller cannot fix it
        return UpstreamError(
            text,
            status=502,
            provider=provider,
            code="upstream_misconfigured",
            retryable=True,
            upstream_status=status,
        )
    return UpstreamError(
        text,
        status=status if 400 <= status < 500 else 502,
        provider=provider,
        code="upstream_invalid_request",
        upstream_status=status,
    )


def scrubbed(error: UpstreamError, secret: str | None) -> UpstreamError:
    """The error with every occurrence of ``secret`` masked (providers sometimes echo keys;
    a "key" shorter than 8 characters is no secret, and masking it would maul the message)."""
    if secret and len(secret) >= 8 and secret in error.message:
        error.message = error.message.replace(secret, "***")
        error.args = (error.message,)
    return error
