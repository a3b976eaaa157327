"""Forwarding to model providers: one pooled HTTP client, the adapter of each provider kind,
retries with back-off, a circuit breaker per provider endpoint, and streaming passthrough.

Retries: on 408, 429, 5xx and connection failures, up to ``retries`` more attempts, waiting
``Retry-After`` (capped at ``backoff_max``) or an exponential back-off with jitter; never on
other 4xx, never on a read timeout (the caller's deadline is spent), and never once a stream
has yielded its first chunk. Every outcome feeds the endpoint's breaker; an open breaker
answers ``CircuitOpen`` at once, for the gateway to fail over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
import orjson

from gouvernail.gateway.providers.adapter import Adapter, PreparedRequest, StreamDecoder
from gouvernail.gateway.providers.backoff import Backoff, retry_after
from gouvernail.gateway.providers.breaker import Breaker, BreakerState
from gouvernail.gateway.providers.errors import (
    RETRY_IN_PLACE,
    UpstreamError,
    bad_response,
    from_status,
    scrubbed,
)
from gouvernail.gateway.providers.exchange import Operation, UpstreamResponse, UpstreamUsage
from gouvernail.gateway.providers.registry import default_adapters
from gouvernail.gateway.providers.sse import sse_events
from gouvernail.gateway.providers.transport import AiohttpTransport
from gouvernail.inventory.routing import RoutableModel

USER_AGENT = "gouvernail-gateway"


def _transport_error(provider: str, error: httpx.TransportError) -> UpstreamError:
    if isinstance(error, httpx.ReadTimeout | httpx.WriteTimeout):
        return UpstreamError(
            f"{provider} did not answer in time",
            status=504,
            provider=provider,
            code="upstream_timeout",
            retryable=True,
        )
    if isinstance(error, httpx.TimeoutException | httpx.ConnectError):
        what = "could not be reached"
    else:
        what = "broke the connection"
    detail = str(error) or type(error).__name__
    return UpstreamError(
        f"{provider} {what}: {detail}",
        status=502,
        provider=provider,
        code="upstream_unreachable",
        retryable=True,
    )


def _in_place(error: UpstreamError) -> bool:
    """Whether to retry on the same endpoint (as opposed to failing over)."""
    if error.upstream_status is not None:
        return error.upstream_status in RETRY_IN_PLACE or error.upstream_status >= 500
    return error.code == "upstream_unreachable"


def _breaker_failure(error: UpstreamError) -> bool:
    """Whether the outcome says the endpoint is unhealthy (a refused request does not)."""
    return error.retryable and error.code != "upstream_misconfigured"


class Upstreams:
    """Sends OpenAI-format calls to the model of the inventory that serves them."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        retries: int = 2,
        backoff_base: float = 0.2,
        backoff_max: float = 4.0,
        breaker_failures: int = 5,
        breaker_cooldown: float = 30.0,
        max_connections: int = 200,
        adapters: Mapping[str, Adapter] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        """``adapters`` maps a ``ProviderKind`` to its adapter (``default_adapters()``
        unless given); ``clock``, ``sleep`` and ``jitter`` are for tests."""
        # The transport is called directly: httpx.AsyncClient's layers (auth, cookies,
        # redirects, hooks) cost ~100 µs per call and we need none of them. By default it is
        # aiohttp's: httpcore's pool polls every pooled connection on each request, which
        # halved the gateway's throughput (see transport.py); tests plug httpx.MockTransport.
        self._transport = transport or AiohttpTransport(
            max_connections=max_connections, keepalive_expiry=30.0
        )
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ).as_dict()
        self._urls: dict[str, httpx.URL] = {}  # parsed once per endpoint and operation
        self._retries = retries
        self._backoff = (
            Backoff(base=backoff_base, maximum=backoff_max)
            if jitter is None
            else Backoff(base=backoff_base, maximum=backoff_max, jitter=jitter)
        )
        self._breaker_failures = breaker_failures
        self._breaker_cooldown = breaker_cooldown
        self._adapters = dict(adapters) if adapters is not None else default_adapters()
        self._clock = clock
        self._sleep = sleep
        self._breakers: dict[tuple[str, str], Breaker] = {}

    # --- state -------------------------------------------------------------------------------

    def _breaker(self, model: RoutableModel) -> Breaker:
        key = (model.provider_kind.value, model.endpoint.base_url)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = self._breakers[key] = Breaker(
                model.vendor,
                failures=self._breaker_failures,
                cooldown=self._breaker_cooldown,
                clock=self._clock,
            )
        return breaker

    def breaker_state(self, model: RoutableModel) -> BreakerState:
        """``closed``, ``open`` or ``half_open``: the breaker of the model's endpoint."""
        return self._breaker(model).state

    async def aclose(self) -> None:
        await self._transport.aclose()

    # --- calls -------------------------------------------------------------------------------

    def _prepare(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        api_key: str | None,
        stream: bool,
    ) -> tuple[Adapter, httpx.Request]:
        adapter = self._adapters.get(model.provider_kind)
        if adapter is None:
            raise UpstreamError(
                f"no adapter for provider kind {model.provider_kind!r}",
                status=500,
                provider=model.vendor,
                code="no_adapter",
            )
        prepared: PreparedRequest = adapter.prepare(model, operation, body, api_key, stream=stream)
        url = self._urls.get(prepared.url)
        if url is None:
            url = self._urls[prepared.url] = httpx.URL(prepared.url)
        prepared.headers["user-agent"] = USER_AGENT
        request = httpx.Request(
            "POST",
            url,
            headers=prepared.headers,
            content=prepared.content,
            extensions={"timeout": self._timeout},
        )
        return adapter, request

    async def send(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        *,
        api_key: str | None,
    ) -> UpstreamResponse:
        """Call ``model`` and return its whole answer in OpenAI's format; ``UpstreamError``
        when it fails after retries (``CircuitOpen`` when its endpoint is paused)."""
        adapter, request = self._prepare(model, operation, body, api_key, False)
        breaker = self._breaker(model)
        provider = model.vendor
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            trial = breaker.enter()
            try:
                response = await self._transport.handle_async_request(request)
                try:
                    content = await response.aread()
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                error = _transport_error(provider, exc)
            except BaseException:
                breaker.abandon(trial)
                raise
            else:
                status = response.status_code
                if status < 300:
                    try:
                        answer = orjson.loads(content)
                    except orjson.JSONDecodeError:
                        answer = None
                    if not isinstance(answer, dict):
                        error = bad_response(provider, "the body is not a JSON object")
                    else:
                        try:
                            answer = adapter.parse(model, operation, answer)
                        except UpstreamError as exc:
                            error = exc
                        else:
                            breaker.success()
                            return UpstreamResponse(
                                status=status,
                                body=answer,
                                usage=UpstreamUsage.of(answer.get("usage")),
                                latency_ms=(time.perf_counter() - started) * 1000,
                                attempts=attempt,
                            )
                else:
                    wait = retry_after(response.headers)
                    error = from_status(provider, status, content, retry_after=wait)
            error = scrubbed(error, api_key)
            if _breaker_failure(error):
                breaker.failure()
            else:
                breaker.success()
            if attempt > self._retries or not _in_place(error):
                raise error
            await self._sleep(self._backoff.delay(attempt, error.retry_after))

    def stream(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        *,
        api_key: str | None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Call ``model`` streaming: OpenAI ``chat.completion.chunk`` dicts (for chat, the
        last one carries ``usage`` and no choices), or Responses events as they come.
        Translation errors raise here, before anything is sent."""
        adapter, request = self._prepare(model, operation, body, api_key, True)
        return self._stream(model, operation, adapter, request, api_key)

    async def _stream(
        self,
        model: RoutableModel,
        operation: Operation,
        adapter: Adapter,
        request: httpx.Request,
        api_key: str | None,
    ) -> AsyncIterator[dict[str, Any]]:
        breaker = self._breaker(model)
        provider = model.vendor
        response, chunks, first = await self._open(model, operation, adapter, request, api_key)
        # from here on, no retry: the caller has (or is about to have) part of the answer
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        except httpx.TransportError as exc:
            breaker.failure()
            raise scrubbed(_transport_error(provider, exc), api_key) from None
        except UpstreamError as exc:
            if _breaker_failure(exc):
                breaker.failure()
            raise scrubbed(exc, api_key) from None
        finally:
            await chunks.aclose()
            await response.aclose()

    async def _open(
        self,
        model: RoutableModel,
        operation: Operation,
        adapter: Adapter,
        request: httpx.Request,
        api_key: str | None,
    ) -> tuple[httpx.Response, AsyncGenerator[dict[str, Any]], dict[str, Any]]:
        """Send the streamed call, retrying until the first chunk has arrived."""
        breaker = self._breaker(model)
        provider = model.vendor
        attempt = 0
        while True:
            attempt += 1
            trial = breaker.enter()
            response: httpx.Response | None = None
            chunks: AsyncGenerator[dict[str, Any]] | None = None
            try:
                response = await self._transport.handle_async_request(request)
                if response.status_code >= 300:
                    content = await response.aread()
                    wait = retry_after(response.headers)
                    raise from_status(provider, response.status_code, content, retry_after=wait)
                chunks = _chunks(response, adapter.decoder(model, operation), provider)
                first = await anext(chunks, None)
                if first is None:
                    raise bad_response(provider, "the stream is empty")
            except (httpx.TransportError, UpstreamError) as exc:
                await _close(response, chunks)
                error = exc if isinstance(exc, UpstreamError) else _transport_error(provider, exc)
                error = scrubbed(error, api_key)
                if _breaker_failure(error):
                    breaker.failure()
                else:
                    breaker.success()
                if attempt > self._retries or not _in_place(error):
                    raise error from None
                await self._sleep(self._backoff.delay(attempt, error.retry_after))
                continue
            except BaseException:
                breaker.abandon(trial)
                await _close(response, chunks)
                raise
            breaker.success()  # the provider is answering
            return response, chunks, first


async def _close(
    response: httpx.Response | None, chunks: AsyncGenerator[dict[str, Any]] | None
) -> None:
    if chunks is not None:
        await chunks.aclose()
    if response is not None:
        await response.aclose()


async def _chunks(
    response: httpx.Response, decoder: StreamDecoder, provider: str
) -> AsyncGenerator[dict[str, Any]]:
    """The decoded chunks of a streamed answer, pulled one server-sent event at a time."""
    async for event, data in sse_events(response.aiter_lines(), provider):
        for chunk in decoder.decode(event, data):
            yield chunk
    for chunk in decoder.finish():
        yield chunk
