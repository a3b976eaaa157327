"""The aiohttp transport of ``Upstreams`` over real HTTP on 127.0.0.1: answers, streaming,
content decoding, connection reuse, and how each network failure maps onto httpx's errors."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import aiohttp
import httpx
import orjson
import pytest

from fake_providers import FakeOpenAI, serve_fake
from gouvernail.gateway.providers.transport import AiohttpTransport

pytestmark = pytest.mark.anyio

TIMEOUT = httpx.Timeout(connect=2.0, read=2.0, write=2.0, pool=2.0).as_dict()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Seen:
    """One request as the raw server read it."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


Respond = Callable[[asyncio.StreamWriter, Seen], Awaitable[bool]]


@dataclass
class RawServer:
    """A scripted HTTP/1.1 server in the test's own event loop: ``respond(writer, seen)``
    writes the answer to each request and returns whether to keep the connection open."""

    respond: Respond
    port: int = 0
    connections: int = 0
    seen: list[Seen] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/chat/completions"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                method, target, _ = line.split(" ")
                headers = [
                    (k.strip().lower(), v.strip()) for k, v in (h.split(":", 1) for h in lines)
                ]
                length = int(dict(headers).get("content-length", "0"))
                seen = Seen(method, target, headers, await reader.readexactly(length))
                self.seen.append(seen)
                if not await self.respond(writer, seen):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away
        finally:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()


@asynccontextmanager
async def raw_server(respond: Respond) -> AsyncIterator[RawServer]:
    raw = RawServer(respond)
    server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
    raw.port = server.sockets[0].getsockname()[1]
    try:
        yield raw
    finally:
        server.close()
        for task in raw.tasks:
            task.cancel()
        await asyncio.gather(*raw.tasks, return_exceptions=True)
        await server.wait_closed()


@asynccontextmanager
async def transport() -> AsyncIterator[AiohttpTransport]:
    opened = AiohttpTransport(max_connections=10, keepalive_expiry=5.0)
    try:
        yield opened
    finally:
        await opened.aclose()


def post(url: str, body: bytes = b'{"q": 1}', **timeouts: float) -> httpx.Request:
    return httpx.Request(
        "POST",
        url,
        headers={"content-type": "application/json", "user-agent": "gouvernail-gateway"},
        content=body,
        extensions={"timeout": {**TIMEOUT, **timeouts}},
    )


def answer(body: bytes, *, status: str = "200 OK", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def json_ok(writer: asyncio.StreamWriter, seen: Seen) -> bool:
    writer.write(answer(b'{"ok": true}', headers={"content-type": "application/json"}))
    await writer.drain()
    return True


async def hang(writer: asyncio.StreamWriter, seen: Seen) -> bool:
    await asyncio.sleep(3600)  # cancelled when the test ends
    return False


# --- answers -------------------------------------------------------------------------------------


async def test_json_answer_from_the_fake_provider() -> None:
    fake = FakeOpenAI()
    body = {"model": "m", "messages": [{"role": "user", "content": "Bonjour"}]}
    with serve_fake(fake) as base_url:
        async with transport() as client:
            request = httpx.Request(
                "POST",
                base_url + "/chat/completions",
                headers={
                    "authorization": f"Bearer {fake.api_key}",
                    "content-type": "application/json",
                    "user-agent": "gouvernail-gateway",
                },
                content=orjson.dumps(body),
                extensions={"timeout": TIMEOUT},
            )
            response = await client.handle_async_request(request)
            content = await response.aread()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.extensions["http_version"] == b"HTTP/1.1"
    assert response.extensions["reason_phrase"] == b"OK"
    assert response.request is request
    assert orjson.loads(content)["choices"][0]["message"]["content"] == fake.reply
    received = fake.requests[0]
    assert (received.method, received.path, received.json) == ("POST", "/v1/chat/completions", body)
    assert received.headers["user-agent"] == "gouvernail-gateway"


async def test_exactly_the_request_headers_are_sent() -> None:
    async with raw_server(json_ok) as server, transport() as client:
        request = httpx.Request(
            "POST",
            server.url,
            headers=[("content-type", "application/json"), ("x-twice", "1"), ("x-twice", "2")],
            content=b'{"a": 1}',
            extensions={"timeout": TIMEOUT},
        )
        response = await client.handle_async_request(request)
        await response.aread()
    seen = server.seen[0]
    # aiohttp adds no accept, accept-encoding, user-agent or content-type of its own
    assert sorted(seen.headers) == sorted(
        [
            ("host", f"127.0.0.1:{server.port}"),
            ("content-length", "8"),
            ("content-type", "application/json"),
            ("x-twice", "1"),
            ("x-twice", "2"),
        ]
    )
    assert (seen.method, seen.target, seen.body) == ("POST", "/v1/chat/completions", b'{"a": 1}')


async def test_no_content_type_is_invented() -> None:
    async with raw_server(json_ok) as server, transport() as client:
        request = httpx.Request("POST", server.url, content=b"x", extensions={"timeout": TIMEOUT})
        response = await client.handle_async_request(request)
        await response.aread()
    assert sorted(name for name, _ in server.seen[0].headers) == ["content-length", "host"]


async def test_the_url_is_not_requoted() -> None:
    async with raw_server(json_ok) as server, transport() as client:
        url = f"http://127.0.0.1:{server.port}/v1/deployments/a%2Fb%7e/chat?api-version=2024%2D10"
        response = await client.handle_async_request(post(url))
        await response.aread()
    assert server.seen[0].target == "/v1/deployments/a%2Fb%7e/chat?api-version=2024%2D10"


async def test_error_statuses_are_answers() -> None:
    async def teapot(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        writer.write(answer(b"no", status="418 I'm a teapot", headers={"retry-after": "3"}))
        await writer.drain()
        return True

    async with raw_server(teapot) as server, transport() as client:
        response = await client.handle_async_request(post(server.url))
        assert await response.aread() == b"no"
    assert response.status_code == 418
    assert response.headers["retry-after"] == "3"
    assert response.extensions["reason_phrase"] == b"I'm a teapot"


async def test_streamed_answer_arrives_chunk_by_chunk() -> None:
    go_on = asyncio.Event()

    async def sse(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for event in (b'data: {"n": 1}\n\n', b'data: {"n": 2}\n\n'):
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
            await go_on.wait()  # the second event only once the client has the first
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async with raw_server(sse) as server, transport() as client:
        response = await client.handle_async_request(post(server.url))
        chunks = []
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
            go_on.set()
        await response.aclose()
    assert chunks == [b'data: {"n": 1}\n\n', b'data: {"n": 2}\n\n']
    assert response.headers["content-type"] == "text/event-stream"


async def test_streamed_answer_from_the_fake_provider() -> None:
    fake = FakeOpenAI()
    fake.chunk_size = 1
    body = {"model": "m", "messages": [{"role": "user", "content": "Bonjour"}], "stream": True}
    with serve_fake(fake) as base_url:
        async with transport() as client:
            request = post(base_url + "/chat/completions", orjson.dumps(body))
            request.headers["authorization"] = f"Bearer {fake.api_key}"
            response = await client.handle_async_request(request)
            lines = [line async for line in response.aiter_lines() if line]
            await response.aclose()
    assert lines[-1] == "data: [DONE]"
    text = "".join(
        orjson.loads(line[6:])["choices"][0]["delta"].get("content", "")
        for line in lines[:-1]
        if orjson.loads(line[6:])["choices"]
    )
    assert text == fake.reply


async def test_gzip_body_is_decoded_by_httpx() -> None:
    plain = b'{"text": "' + b"bonjour " * 500 + b'"}'

    async def gzipped(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        writer.write(answer(gzip.compress(plain), headers={"content-encoding": "gzip"}))
        await writer.drain()
        return True

    async with raw_server(gzipped) as server, transport() as client:
        response = await client.handle_async_request(post(server.url))
        assert await response.aread() == plain
    assert response.headers["content-encoding"] == "gzip"


# --- connections ---------------------------------------------------------------------------------


async def test_sequential_requests_reuse_one_connection() -> None:
    async with raw_server(json_ok) as server, transport() as client:
        for _ in range(3):
            response = await client.handle_async_request(post(server.url))
            assert await response.aread() == b'{"ok": true}'
    assert server.connections == 1
    assert len(server.seen) == 3


async def test_closing_an_unread_answer_does_not_reuse_its_connection() -> None:
    async def partial_then_ok(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        if len(seen.body) == 1:  # the first request: a body announced, partly sent, then silence
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + b"x" * 10)
            await writer.drain()
            await asyncio.sleep(3600)
        return await json_ok(writer, seen)

    async with raw_server(partial_then_ok) as server, transport() as client:
        first = await client.handle_async_request(post(server.url, b"1"))
        await first.aclose()  # nothing read
        async with asyncio.timeout(2):
            second = await client.handle_async_request(post(server.url, b"22"))
            assert await second.aread() == b'{"ok": true}'
    assert server.connections == 2


async def test_requests_share_the_pool_concurrently() -> None:
    async with raw_server(json_ok) as server, transport() as client:

        async def call() -> bytes:
            response = await client.handle_async_request(post(server.url))
            return await response.aread()

        answers = await asyncio.gather(*(call() for _ in range(20)))
    assert answers == [b'{"ok": true}'] * 20
    assert server.connections <= 10  # max_connections


async def test_aclose_is_idempotent_and_the_pool_reopens() -> None:
    never_used = AiohttpTransport(max_connections=1, keepalive_expiry=1.0)
    await never_used.aclose()
    async with raw_server(json_ok) as server:
        client = AiohttpTransport(max_connections=1, keepalive_expiry=1.0)
        response = await client.handle_async_request(post(server.url))
        await response.aread()
        await client.aclose()
        await client.aclose()
        response = await client.handle_async_request(post(server.url))  # a new pool
        assert await response.aread() == b'{"ok": true}'
        await client.aclose()
    assert server.connections == 2


# --- failures ------------------------------------------------------------------------------------


async def test_connection_refused_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    async with transport() as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.handle_async_request(post(f"http://127.0.0.1:{port}/v1"))
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert str(port) not in str(caught.value)  # no address in what the caller may see
    assert caught.value.request.url.port == port


async def test_connect_timeout() -> None:
    # a listening socket that accepts nothing, its backlog full: further SYNs go unanswered
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                filler = socket.socket()
                fillers.append(filler)
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            await asyncio.sleep(0.05)
            async with transport() as client:
                started = time.monotonic()
                with pytest.raises(httpx.ConnectTimeout) as caught:
                    await client.handle_async_request(
                        post(f"http://127.0.0.1:{port}/v1", connect=0.2, pool=0.2)
                    )
        finally:
            for filler in fillers:
                filler.close()
    assert time.monotonic() - started < 1.5
    assert isinstance(caught.value.__cause__, aiohttp.ConnectionTimeoutError)


async def test_silent_server_is_a_read_timeout() -> None:
    async with raw_server(hang) as server, transport() as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout) as caught:
            await client.handle_async_request(post(server.url, read=0.2))
    assert 0.15 < time.monotonic() - started < 1.5
    assert isinstance(caught.value.__cause__, aiohttp.SocketTimeoutError)


async def test_silence_mid_body_is_a_read_timeout() -> None:
    async def stall(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()
        await asyncio.sleep(3600)
        return False

    async with raw_server(stall) as server, transport() as client:
        response = await client.handle_async_request(post(server.url, read=0.2))
        with pytest.raises(httpx.ReadTimeout):
            await response.aread()
        await response.aclose()


async def test_connection_cut_mid_body_is_a_read_error() -> None:
    async def cut(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()
        return False  # closes the connection

    async with raw_server(cut) as server, transport() as client:
        response = await client.handle_async_request(post(server.url))
        with pytest.raises(httpx.ReadError) as caught:
            await response.aread()
        await response.aclose()
    assert isinstance(caught.value.__cause__, aiohttp.ClientPayloadError)


async def test_connection_closed_before_the_answer_is_a_read_error() -> None:
    async def close(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        return False

    async with raw_server(close) as server, transport() as client:
        with pytest.raises(httpx.ReadError) as caught:
            await client.handle_async_request(post(server.url))
    assert isinstance(caught.value.__cause__, aiohttp.ServerDisconnectedError)


async def test_garbage_answer_is_a_protocol_error() -> None:
    async def garbage(writer: asyncio.StreamWriter, seen: Seen) -> bool:
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        return False

    async with raw_server(garbage) as server, transport() as client:
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await client.handle_async_request(post(server.url))
    assert isinstance(caught.value.__cause__, aiohttp.ClientResponseError)
    assert server.url not in str(caught.value)


async def test_non_http_url_is_unsupported() -> None:
    async with transport() as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.handle_async_request(post("ftp://127.0.0.1/v1"))
