"""Forwarding: retries and back-off, Retry-After, the circuit breaker, timeouts, upstream
garbage, error mapping, and that a provider key never shows in an error."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fake_providers import FakeAnthropic, FakeAzure, FakeOpenAI, FakeProvider, route, serve_fake
from gouvernail.gateway.providers import CircuitOpen, UpstreamError, Upstreams

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """Injected time: ``sleep`` records the waits and advances the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def upstreams(*fakes: FakeProvider, clock: Clock | None = None, **options: Any) -> Upstreams:
    clock = clock or Clock()
    options = {"retries": 2, "backoff_base": 0.2, "backoff_max": 4.0, **options}
    return Upstreams(
        transport=route(*fakes), clock=clock, sleep=clock.sleep, jitter=lambda: 1.0, **options
    )


def chat(text: str = "Bonjour") -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


async def collect(
    chunks: AsyncIterator[dict[str, Any]], into: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every chunk, also appended to ``into`` as they come (to see those before a failure)."""
    into = [] if into is None else into
    async for chunk in chunks:
        into.append(chunk)
    return into


# --- retries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 408])
async def test_retried_statuses_then_success(status: int) -> None:
    fake, clock = FakeOpenAI(), Clock()
    fake.fail(status, status)
    client = upstreams(fake, clock=clock)
    answer = await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert answer.attempts == 3
    assert len(fake.requests) == 3
    assert clock.sleeps == [0.2, 0.4]  # exponential (jitter pinned to its maximum)


async def test_anthropic_overloaded_529_is_retried() -> None:
    fake = FakeAnthropic()
    fake.fail(529)
    client = upstreams(fake)
    answer = await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert answer.attempts == 2


@pytest.mark.parametrize(
    ("retry_after", "waited"), [(1.5, 1.5), (0, 0.0), (60, 4.0)], ids=["honoured", "zero", "capped"]
)
async def test_retry_after_is_honoured_up_to_the_maximum(retry_after: float, waited: float) -> None:
    fake, clock = FakeOpenAI(), Clock()
    fake.fail(429, retry_after=retry_after)
    client = upstreams(fake, clock=clock)
    await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert clock.sleeps == [waited]


async def test_backoff_is_capped_and_jittered() -> None:
    fake, clock = FakeOpenAI(), Clock()
    fake.fail(500, 500, 500, 500)
    client = Upstreams(
        transport=fake.transport(),
        retries=4,
        backoff_base=1.0,
        backoff_max=3.0,
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda: 0.0,
    )
    await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert clock.sleeps == [0.5, 1.0, 1.5, 1.5]  # half of min(base * 2^n, max)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
async def test_other_4xx_are_never_retried(status: int) -> None:
    fake, clock = FakeOpenAI(), Clock()
    fake.fail(status)
    client = upstreams(fake, clock=clock)
    with pytest.raises(UpstreamError) as caught:
        await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert len(fake.requests) == 1
    assert clock.sleeps == []
    assert caught.value.upstream_status == status


async def test_retries_exhausted() -> None:
    fake = FakeOpenAI()
    fake.fail(503, 503, 503, 503, retry_after=2)
    client = upstreams(fake)
    with pytest.raises(UpstreamError) as caught:
        await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert len(fake.requests) == 3
    error = caught.value
    assert (error.status, error.code, error.retryable) == (503, "upstream_unavailable", True)
    assert error.retry_after == 2
    assert "fake failure 503" in error.message
    assert error.provider == "openai"


async def test_stream_is_retried_before_its_first_chunk() -> None:
    fake = FakeAnthropic()
    fake.fail(503)
    client = upstreams(fake)
    chunks = await collect(client.stream(fake.model(), "chat", chat(), api_key=fake.api_key))
    await client.aclose()
    assert len(fake.requests) == 2
    assert chunks[-1]["usage"]["total_tokens"] > 0


async def test_stream_is_never_retried_after_its_first_chunk() -> None:
    fake = FakeOpenAI()
    fake.cut_after = 3
    client = upstreams(fake)
    seen: list[dict[str, Any]] = []
    stream = client.stream(fake.model(), "chat", chat(), api_key=fake.api_key)
    with pytest.raises(UpstreamError, match="truncated") as caught:
        await collect(stream, seen)
    await client.aclose()
    assert len(seen) == 3
    assert len(fake.requests) == 1
    assert (caught.value.status, caught.value.code) == (502, "upstream_bad_response")


# --- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fake_type", "status", "expected_status", "code"),
    [
        (FakeOpenAI, 400, 400, "upstream_invalid_request"),
        (FakeOpenAI, 422, 422, "upstream_invalid_request"),
        (FakeOpenAI, 401, 502, "upstream_misconfigured"),
        (FakeOpenAI, 429, 429, "upstream_rate_limited"),
        (FakeOpenAI, 500, 502, "upstream_unavailable"),
        (FakeAzure, 503, 503, "upstream_unavailable"),
        (FakeAnthropic, 400, 400, "upstream_invalid_request"),
        (FakeAnthropic, 529, 502, "upstream_unavailable"),
    ],
)
async def test_error_mapping_keeps_the_providers_message(
    fake_type: type[FakeProvider], status: int, expected_status: int, code: str
) -> None:
    fake = fake_type()
    fake.fail(*[status] * 3)
    client = upstreams(fake)
    with pytest.raises(UpstreamError) as caught:
        await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert (caught.value.status, caught.value.code) == (expected_status, code)
    assert f"fake failure {status}" in caught.value.message


async def test_wrong_key_is_our_misconfiguration() -> None:
    fake = FakeAnthropic()
    client = upstreams(fake)
    with pytest.raises(UpstreamError, match="invalid x-api-key") as caught:
        await client.send(fake.model(), "chat", chat(), api_key="sk-ant-wrong")
    await client.aclose()
    assert (caught.value.status, caught.value.code) == (502, "upstream_misconfigured")
    assert len(fake.requests) == 1


# --- garbage --------------------------------------------------------------------------------------


async def test_html_instead_of_json() -> None:
    fake = FakeOpenAI()
    fake.garbage = True
    client = upstreams(fake)
    with pytest.raises(UpstreamError, match="not a JSON object") as caught:
        await client.send(fake.model(), "chat", chat(), api_key=fake.api_key)
    await client.aclose()
    assert (caught.value.status, caught.value.code) == (502, "upstream_bad_response")


@pytest.mark.parametrize("fake_type", [FakeOpenAI, FakeAnthropic])
async def test_broken_sse_line(fake_type: type[FakeProvider]) -> None:
    fake = fake_type()
    fake.garbage = True
    client = upstreams(fake)
    with pytest.raises(UpstreamError, match="not a server-sent event") as caught:
        await collect(client.stream(fake.model(), "chat", chat(), api_key=fake.api_key))
    await client.aclose()
    assert caught.value.status == 502


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"data: {not json\n\n", "not JSON"),
        (b"data: [1, 2]\n\n", "not a JSON object"),
        (b"data: \xff\xfe\n\n", "not JSON"),
        (b"", "truncated"),
        (b'event: message_start\ndata: {"type": "message_start"}\n\n', "malformed"),
    ],
)
async def test_garbage_streams(content: bytes, message: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=content)

    fake = FakeAnthropic() if b"message_start" in content else FakeOpenAI()
    client = Upstreams(transport=httpx.MockTransport(handler), retries=0)
    with pytest.raises(UpstreamError, match=message):
        await collect(client.stream(fake.model(), "chat", chat(), api_key="k"))
    await client.aclose()


@pytest.mark.parametrize("fake_type", [FakeOpenAI, FakeAnthropic])
async def test_error_event_midstream(fake_type: type[FakeProvider]) -> None:
    fake = fake_type()
    fake.stream_error_after = 2
    client = upstreams(fake)
    seen: list[dict[str, Any]] = []
    stream = client.stream(fake.model(), "chat", chat(), api_key=fake.api_key)
    with pytest.raises(UpstreamError) as caught:
        await collect(stream, seen)
    await client.aclose()
    assert seen  # the first chunks went through, the error came after
    assert caught.value.code == "upstream_stream_error"
    assert caught.value.retryable


async def test_truncated_anthropic_stream() -> None:
    fake = FakeAnthropic()
    fake.cut_after = 5
    client = upstreams(fake)
    with pytest.raises(UpstreamError, match="before message_stop"):
        await collect(client.stream(fake.model(), "chat", chat(), api_key=fake.api_key))
    await client.aclose()


# --- timeouts and connections ------------------------------------------------------------------


async def test_read_timeout_over_real_http_is_not_retried() -> None:
    fake = FakeOpenAI()
    fake.hang = 2.0
    with serve_fake(fake) as base_url:
        client = Upstreams(read_timeout=0.2, retries=2, backoff_base=0.01)
        with pytest.raises(UpstreamError) as caught:
            await client.send(fake.model(base_url=base_url), "chat", chat(), api_key=fake.api_key)
        await client.aclose()
        fake.hang = 0
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")
    assert caught.value.retryable  # elsewhere: the gateway may fail over
    assert len(fake.requests) == 1


async def test_connection_refused_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    fake, clock = FakeOpenAI(), Clock()
    client = Upstreams(retries=2, clock=clock, sleep=clock.sleep, connect_timeout=1.0)
    with pytest.raises(UpstreamError) as caught:
        await client.send(
            fake.model(base_url=f"http://127.0.0.1:{port}/v1"), "chat", chat(), api_key="k"
        )
    await client.aclose()
    assert (caught.value.status, caught.value.code) == (502, "upstream_unreachable")
    assert len(clock.sleeps) == 2


# --- circuit breaker -----------------------------------------------------------------------------


async def test_breaker_opens_after_consecutive_failures_then_half_opens() -> None:
    fake, clock = FakeOpenAI(), Clock()
    client = upstreams(fake, clock=clock, retries=0, breaker_failures=3, breaker_cooldown=30)
    model = fake.model()
    fake.fail(500, 500, 500)
    for _ in range(3):
        assert client.breaker_state(model) == "closed"
        with pytest.raises(UpstreamError):
            await client.send(model, "chat", chat(), api_key=fake.api_key)
    assert client.breaker_state(model) == "open"

    with pytest.raises(CircuitOpen) as caught:
        await client.send(model, "chat", chat(), api_key=fake.api_key)
    assert len(fake.requests) == 3  # nothing sent while open
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (
        503,
        "circuit_open",
        True,
    )
    assert caught.value.retry_after == 30
    with pytest.raises(CircuitOpen):
        await collect(client.stream(model, "chat", chat(), api_key=fake.api_key))

    clock.now += 30
    assert client.breaker_state(model) == "half_open"
    fake.fail(503)  # the trial fails: open again for a full cool-down
    with pytest.raises(UpstreamError, match="fake failure"):
        await client.send(model, "chat", chat(), api_key=fake.api_key)
    assert client.breaker_state(model) == "open"
    clock.now += 29
    with pytest.raises(CircuitOpen):
        await client.send(model, "chat", chat(), api_key=fake.api_key)

    clock.now += 1
    await client.send(model, "chat", chat(), api_key=fake.api_key)  # the trial succeeds
    assert client.breaker_state(model) == "closed"
    await client.aclose()


async def test_breaker_lets_one_trial_through_at_a_time() -> None:
    fake, clock = FakeAnthropic(), Clock()
    client = upstreams(fake, clock=clock, retries=0, breaker_failures=1, breaker_cooldown=5)
    model = fake.model()
    fake.fail(500)
    with pytest.raises(UpstreamError):
        await client.send(model, "chat", chat(), api_key=fake.api_key)
    clock.now += 5
    trial = client.stream(model, "chat", chat(), api_key=fake.api_key)
    first = await anext(trial)  # the trial is open-ended while it streams...
    assert first["choices"][0]["delta"]["role"] == "assistant"
    assert client.breaker_state(model) == "closed"  # ...but its first chunk proves health
    await trial.aclose()  # type: ignore[attr-defined]
    await client.aclose()


async def test_refusals_and_successes_do_not_open_the_breaker() -> None:
    fake = FakeOpenAI()
    client = upstreams(fake, retries=0, breaker_failures=2)
    model = fake.model()
    for status in (500, 400, 500, 422):  # a refused request proves the provider is up
        fake.fail(status)
        with pytest.raises(UpstreamError):
            await client.send(model, "chat", chat(), api_key=fake.api_key)
    assert client.breaker_state(model) == "closed"
    await client.aclose()


async def test_one_breaker_per_endpoint() -> None:
    first, second = FakeOpenAI(host="one.fake"), FakeOpenAI(host="two.fake")
    client = upstreams(first, second, retries=0, breaker_failures=1)
    first.fail(500)
    with pytest.raises(UpstreamError):
        await client.send(first.model("a"), "chat", chat(), api_key=first.api_key)
    assert client.breaker_state(first.model("b")) == "open"  # same endpoint, other model
    assert client.breaker_state(second.model("a")) == "closed"
    await client.send(second.model("a"), "chat", chat(), api_key=second.api_key)
    await client.aclose()


# --- secrets --------------------------------------------------------------------------------------

SECRET = "sk-live-0123456789abcdef-secret"


def echoing_key(status: int) -> httpx.MockTransport:
    """A provider that quotes the key it received in its error (some do)."""

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers.get("authorization", request.headers.get("x-api-key", ""))
        body = {"error": {"message": f"key {key} is not valid for this model", "type": "x"}}
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("status", [400, 401, 429, 500])
@pytest.mark.parametrize("streamed", [False, True])
async def test_the_key_never_appears_in_errors(status: int, streamed: bool) -> None:
    client = Upstreams(transport=echoing_key(status), retries=0)
    model = FakeOpenAI().model()
    with pytest.raises(UpstreamError) as caught:
        await (
            collect(client.stream(model, "chat", chat(), api_key=SECRET))
            if streamed
            else client.send(model, "chat", chat(), api_key=SECRET)
        )
    await client.aclose()
    error = caught.value
    assert "is not valid" in error.message
    for rendering in (str(error), repr(error), error.message, repr(error.args)):
        assert SECRET not in rendering


@pytest.mark.parametrize(
    "fault", ["timeout", "connect", "garbage", "circuit"], ids=lambda fault: str(fault)
)
async def test_the_key_never_appears_in_transport_errors(fault: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if fault == "timeout":
            raise httpx.ReadTimeout(f"timed out {request.headers}", request=request)
        if fault == "connect":
            raise httpx.ConnectError(f"refused {request.headers}", request=request)
        if fault == "garbage":
            return httpx.Response(200, content=str(request.headers).encode())
        return httpx.Response(500, content=str(request.headers).encode())

    client = Upstreams(transport=httpx.MockTransport(handler), retries=0, breaker_failures=1)
    model = FakeAnthropic().model()
    errors = []
    for _ in range(2 if fault == "circuit" else 1):
        with pytest.raises(UpstreamError) as caught:
            await client.send(model, "chat", chat(), api_key=SECRET)
        errors.append(caught.value)
    await client.aclose()
    for error in errors:
        assert SECRET not in str(error)
        assert SECRET not in repr(error)


# --- provider dialects ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            b'{"error": {"message": "Invalid model", "type": "invalid_request_error"}}',
            "Invalid model",
        ),
        (b'{"type": "error", "error": {"type": "x", "message": "Bad block"}}', "Bad block"),
        (b'{"object": "error", "message": "vLLM says no", "code": 400}', "vLLM says no"),
        (b'{"error": "model \\"llama\\" not found"}', 'model "llama" not found'),
        (b'{"detail": "Not allowed"}', "Not allowed"),
        (b"[1, 2]", r"non-JSON error body \(HTTP 400\)"),
        (b"<html>Bad request</html>", r"non-JSON error body \(HTTP 400\)"),
    ],
)
async def test_error_bodies_of_every_dialect(body: bytes, said: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(400, content=body))
    client = Upstreams(transport=transport, retries=0)
    with pytest.raises(UpstreamError, match=said):
        await client.send(FakeOpenAI().model(), "chat", chat(), api_key="k")
    await client.aclose()


@pytest.mark.parametrize(
    ("headers", "waited"),
    [
        ({"retry-after-ms": "250", "retry-after": "3"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # in the past
        ({"retry-after": "in a while"}, 0.2),  # unreadable: back-off
    ],
)
async def test_retry_after_formats(headers: dict[str, str], waited: float) -> None:
    answers = [httpx.Response(429, headers=headers, json={}), httpx.Response(200, json={})]
    transport = httpx.MockTransport(lambda request: answers.pop(0))
    clock = Clock()
    client = Upstreams(transport=transport, clock=clock, sleep=clock.sleep, jitter=lambda: 1.0)
    await client.send(FakeOpenAI().model(), "chat", chat(), api_key="k")
    await client.aclose()
    assert clock.sleeps == [waited]


async def test_sse_framing_details() -> None:
    content = (
        b": keep-alive\r\n\r\n"
        b"id: 1\r\nretry: 100\r\n"
        b'data: {"choices": [{"delta": {"content": "a"}}],\r\n'
        b'data: "object": "chat.completion.chunk"}\r\n\r\n'
        b'data:{"choices": [{"delta": {"content": "b"}}]}\n\n'
        b"data: [DONE]"  # the last event, without a blank line after it
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=content))
    client = Upstreams(transport=transport)
    chunks = await collect(client.stream(FakeOpenAI().model(), "chat", chat(), api_key="k"))
    await client.aclose()
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["a", "b"]
    assert chunks[0]["object"] == "chat.completion.chunk"


async def test_a_cancelled_trial_frees_the_half_open_slot() -> None:
    fake, clock = FakeOpenAI(), Clock()
    arrived = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        arrived.set()
        return await fake.handle(request)

    client = Upstreams(
        transport=httpx.MockTransport(handle),
        retries=0,
        breaker_failures=1,
        breaker_cooldown=5,
        clock=clock,
    )
    model = fake.model()
    fake.fail(500)
    with pytest.raises(UpstreamError):
        await client.send(model, "chat", chat(), api_key=fake.api_key)
    clock.now += 5
    fake.hang = 30
    arrived.clear()
    trial = asyncio.create_task(client.send(model, "chat", chat(), api_key=fake.api_key))
    await arrived.wait()
    with pytest.raises(CircuitOpen):  # one trial at a time
        await client.send(model, "chat", chat(), api_key=fake.api_key)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    fake.hang = 0
    await client.send(model, "chat", chat(), api_key=fake.api_key)  # a new trial may go
    assert client.breaker_state(model) == "closed"
    await client.aclose()
