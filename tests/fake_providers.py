"""Fake model providers at the HTTP boundary, speaking their real wire formats.

``FakeOpenAI`` (Chat Completions, Embeddings, Responses, with SSE and ``data: [DONE]``),
``FakeAzure`` (deployment paths, ``api-version``, ``api-key``) and ``FakeAnthropic``
(Messages, its SSE event sequence) each check the authentication header, record every request
they receive in ``requests`` (so a test can assert what left the company) and are scripted
through plain attributes:

- ``reply``: the answer text; ``echo = True`` answers the last user message instead (to test
  placeholder restoration); ``tool_calls``: answer with these calls instead of text;
- ``chunk_size``: characters per streamed text or argument fragment (1 splits everything);
- ``fail(429, 503, retry_after=1)``: the next requests fail with these statuses, in order;
- ``hang``: seconds to wait before answering (for timeouts);
- ``garbage = True``: an HTML page instead of JSON, or a broken SSE line mid-stream;
- ``cut_after``: end a stream after that many events, without its end marker;
- ``stream_error_after``: send the provider's error event after that many events.
- ``persona = Persona(...)``: the model behind the endpoint, to swap it without the caller
  knowing (canary tests): how it answers, the ``system_fingerprint`` and ``model`` name its chat
  completions carry, how long it takes; ``None`` (the default) changes nothing above.

The same fake works in-process, ``httpx.MockTransport(fake.handle)`` (or ``route(*fakes)``
for several, which fails on any call to an unknown host), and behind a real local HTTP server,
``with serve_fake(fake) as base_url:``, for end-to-end tests across processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gouvernail.charter.rules import Hosting
from gouvernail.inventory.routing import RoutableModel
from gouvernail.inventory.values import Capability, Endpoint, PerTokenPricing, ProviderKind
from oidc_provider import ServerThread

HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str = "call_fake_1"


@dataclass(frozen=True)
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.raw) if self.raw else None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes | AsyncIterator[bytes]


@dataclass
class Persona:
    """A model served behind a fake's endpoint. ``answer(question) -> text``;
    ``system_fingerprint`` and ``model`` (the name the provider returns; None: the name asked
    for) go into chat completions; ``latency()``: seconds to wait before each answer."""

    answer: Callable[[str], str]
    system_fingerprint: str | None = None
    model: str | None = None
    latency: Callable[[], float] | None = None


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _text_of(content: Any) -> str:
    """The text of OpenAI or Anthropic message content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") in ("text", "input_text")
        )
    return ""


def _last_user_text(messages: Any) -> str:
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status, {"content-type": "application/json", **(headers or {})}, orjson.dumps(body)
    )


def _sse(event: str | None, data: Any) -> bytes:
    payload = data if isinstance(data, bytes) else orjson.dumps(data)
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + payload + b"\n\n"


class FakeProvider:
    """What every fake shares: knobs, recording, failure injection and serving."""

    kind: ProviderKind
    base_path = ""

    def __init__(self, *, api_key: str | None = "sk-fake-secret-key", host: str) -> None:
        self.api_key = api_key
        self.host = host
        self.requests: list[Received] = []
        self.reply = "Bonjour, ceci est une réponse de test."
        self.echo = False
        self.tool_calls: list[ToolCall] = []
        self.chunk_size = 8
        self.failures: list[int] = []
        self.retry_after: float | None = None
        self.hang = 0.0
        self.garbage = False
        self.cut_after: int | None = None
        self.stream_error_after: int | None = None
        self.embedding_dims = 8
        self.persona: Persona | None = None

    # --- scripting ---------------------------------------------------------------------------

    def fail(self, *statuses: int, retry_after: float | None = None) -> None:
        self.failures.extend(statuses)
        self.retry_after = retry_after

    @property
    def base_url(self) -> str:
        """The base URL to put in the inventory for in-process use (``handle``)."""
        return f"https://{self.host}{self.base_path}"

    def model(
        self, name: str = "fake-model", *, base_url: str | None = None, **fields: Any
    ) -> RoutableModel:
        """A routable inventory model served by this fake (fields override the defaults)."""
        values: dict[str, Any] = {
            "name": name,
            "vendor": self.kind.value.split("_")[0],
            "provider_kind": self.kind,
            "upstream_model": f"{name}-upstream",
            "endpoint": Endpoint(base_url=base_url or self.base_url),
            "credential_ref": "FAKE_PROVIDER_KEY",
            "capabilities": frozenset(
                {Capability.CHAT, Capability.EMBEDDINGS, Capability.TOOLS, Capability.RESPONSES}
            ),
            "hosting": Hosting.EU_CLOUD,
            "region": "francecentral",
            "retention_days": 0,
            "no_training": True,
            "max_data_class": "confidential",
            "pricing": PerTokenPricing(currency="EUR", input_per_million=1, output_per_million=2),
            "infrastructure": None,
            "energy": None,
            "context_window": 128_000,
            "fallback_models": (),
            "review_overdue": False,
            "version": 1,
        }
        values.update(fields)
        return RoutableModel(**values)

    def answer_text(self, request_text: str) -> str:
        if self.persona is not None:
            return self.persona.answer(request_text)
        return request_text if self.echo else self.reply

    # --- serving -----------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """An ``httpx.MockTransport`` handler."""
        raw = await request.aread()
        reply = await self.respond(
            request.method,
            request.url.path,
            dict(request.url.params),
            {k.lower(): v for k, v in request.headers.items()},
            raw,
        )
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def respond(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> Reply:
        self.requests.append(Received(method, path, query, headers, raw))
        if self.hang:
            await asyncio.sleep(self.hang)
        if self.persona is not None and self.persona.latency is not None:
            await asyncio.sleep(self.persona.latency())
        denied = self.check(path, query, headers)
        if denied is not None:
            return denied
        if self.failures:
            status = self.failures.pop(0)
            extra = {} if self.retry_after is None else {"retry-after": f"{self.retry_after:g}"}
            return self.error(status, f"fake failure {status}", extra)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return self.error(400, "We could not parse the JSON body of your request.")
        if self.garbage and not body.get("stream"):
            return Reply(200, {"content-type": "text/html"}, HTML_PAGE)
        return self.route(path, body)

    async def stream(self, events: list[bytes]) -> AsyncIterator[bytes]:
        for number, event in enumerate(events):
            if self.cut_after is not None and number >= self.cut_after:
                return
            if self.stream_error_after is not None and number == self.stream_error_after:
                yield self.stream_error()
                return
            if self.garbage and number == 1:
                yield b"<html>upstream proxy error</html>\n\n"
                return
            yield event
            await asyncio.sleep(0)

    def sse(self, events: list[bytes]) -> Reply:
        return Reply(200, {"content-type": "text/event-stream"}, self.stream(events))

    # --- per provider ------------------------------------------------------------------------

    def check(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        raise NotImplementedError

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        raise NotImplementedError

    def route(self, path: str, body: dict[str, Any]) -> Reply:
        raise NotImplementedError

    def stream_error(self) -> bytes:
        raise NotImplementedError


class FakeOpenAI(FakeProvider):
    """An OpenAI-compatible server under ``/v1`` (``api_key=None``: no key, like Ollama)."""

    kind = ProviderKind.OPENAI_COMPATIBLE
    base_path = "/v1"

    def __init__(self, *, api_key: str | None = "sk-fake-secret-key", host: str = "") -> None:
        super().__init__(api_key=api_key, host=host or "api.openai.fake")

    def check(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401, "Incorrect API key provided.", code="invalid_api_key")
        return None

    def error(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> Reply:
        kind = "invalid_request_error" if status < 500 else "server_error"
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return _json(status, body, headers)

    def stream_error(self) -> bytes:
        return _sse(None, {"error": {"message": "The server had an error", "type": "server_error"}})

    def route(self, path: str, body: dict[str, Any]) -> Reply:
        if path.endswith("/chat/completions"):
            return self.chat(body)
        if path.endswith("/embeddings"):
            return self.embeddings(body)
        if path.endswith("/responses"):
            return self.responses(body)
        return self.error(404, f"Unknown path {path}")

    # chat -----------------------------------------------------------------------------------

    def chat(self, body: dict[str, Any]) -> Reply:
        question = _last_user_text(body.get("messages"))
        text = self.answer_text(question)
        prompt = sum(_tokens(_text_of(m.get("content"))) for m in body.get("messages") or [])
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": _tokens(text),
            "total_tokens": prompt + _tokens(text),
        }
        head = {"id": "chatcmpl-fake", "created": int(time.time()), "model": body.get("model")}
        if self.persona is not None:
            head["model"] = self.persona.model or body.get("model")
            if self.persona.system_fingerprint is not None:
                head["system_fingerprint"] = self.persona.system_fingerprint
        finish = "tool_calls" if self.tool_calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
            if self.tool_calls:
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": orjson.dumps(call.arguments).decode(),
                        },
                    }
                    for call in self.tool_calls
                ]
            choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            return _json(
                200,
                {**head, "object": "chat.completion", "choices": [choice], "usage": usage},
            )

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            return _sse(None, {**head, "object": "chat.completion.chunk", "choices": [choice]})

        events = [chunk({"role": "assistant", "content": ""})]
        if self.tool_calls:
            for index, call in enumerate(self.tool_calls):
                start = {"name": call.name, "arguments": ""}
                events.append(
                    chunk(
                        {
                            "tool_calls": [
                                {
                                    "index": index,
                                    "id": call.id,
                                    "type": "function",
                                    "function": start,
                                }
                            ]
                        }
                    )
                )
                arguments = orjson.dumps(call.arguments).decode()
                for piece in _pieces(arguments, self.chunk_size):
                    fragment = {"index": index, "function": {"arguments": piece}}
                    events.append(chunk({"tool_calls": [fragment]}))
        else:
            events += [chunk({"content": piece}) for piece in _pieces(text, self.chunk_size)]
        events.append(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            last = {**head, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            events.append(_sse(None, last))
        events.append(b"data: [DONE]\n\n")
        return self.sse(events)

    # embeddings -----------------------------------------------------------------------------

    def embeddings(self, body: dict[str, Any]) -> Reply:
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = []
        for index, item in enumerate(items):
            digest = hashlib.sha256(str(item).encode()).digest()
            vector = [b / 255 for b in digest[: self.embedding_dims]]
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(_tokens(str(item)) for item in items)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return _json(
            200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
        )

    # responses ------------------------------------------------------------------------------

    def responses(self, body: dict[str, Any]) -> Reply:
        given = body.get("input")
        question = given if isinstance(given, str) else _last_user_text(given)
        text = self.answer_text(question)
        usage = {
            "input_tokens": _tokens(question),
            "output_tokens": _tokens(text),
            "total_tokens": _tokens(question) + _tokens(text),
        }
        item = {
            "type": "message",
            "id": "msg_fake",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        response = {
            "id": "resp_fake",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": body.get("model"),
            "output": [item],
            "usage": usage,
        }
        if not body.get("stream"):
            return _json(200, response)
        started = {**response, "status": "in_progress", "output": [], "usage": None}
        events = [_sse("response.created", {"type": "response.created", "response": started})]
        for piece in _pieces(text, self.chunk_size):
            delta = {
                "type": "response.output_text.delta",
                "item_id": "msg_fake",
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
            }
            events.append(_sse("response.output_text.delta", delta))
        done = {"type": "response.output_text.done", "item_id": "msg_fake", "text": text}
        events.append(_sse("response.output_text.done", done))
        events.append(
            _sse("response.completed", {"type": "response.completed", "response": response})
        )
        for number, event in enumerate(events):  # sequence numbers, as OpenAI sends them
            events[number] = event.replace(b'{"type"', b'{"sequence_number":%d,"type"' % number, 1)
        return self.sse(events)


class FakeAzure(FakeOpenAI):
    """Azure OpenAI: ``/openai/deployments/{deployment}/...?api-version=`` with ``api-key``,
    and the v1 surface ``/openai/v1/responses``."""

    kind = ProviderKind.AZURE_OPENAI
    base_path = ""

    def __init__(
        self,
        *,
        api_key: str | None = "azure-fake-secret-key",
        host: str = "",
        deployment: str = "gpt-4o-eu",
        api_version: str = "2024-10-21",
    ) -> None:
        super().__init__(api_key=api_key, host=host or "fake-resource.openai.azure.com")
        self.deployment = deployment
        self.api_version = api_version

    def model(
        self, name: str = "fake-model", *, base_url: str | None = None, **fields: Any
    ) -> RoutableModel:
        endpoint = Endpoint(
            base_url=base_url or self.base_url,
            azure_deployment=self.deployment,
            azure_api_version=self.api_version,
        )
        return super().model(name, **{"endpoint": endpoint, **fields})

    def check(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if self.api_key is not None and headers.get("api-key") != self.api_key:
            return _json(
                401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription key or wrong API "
                        "endpoint. Make sure to provide a valid key for an active subscription "
                        "and use a correct regional API endpoint for your resource.",
                    }
                },
            )
        if path == "/openai/v1/responses":
            return None
        prefix = f"/openai/deployments/{self.deployment}/"
        if not path.startswith(prefix):
            message = (
                "The API deployment for this resource does not exist. If you created the "
                "deployment within the last 5 minutes, please wait a moment and try again."
            )
            return _json(404, {"error": {"code": "DeploymentNotFound", "message": message}})
        if query.get("api-version") != self.api_version:
            return _json(404, {"error": {"code": "404", "message": "Resource not found"}})
        return None


class FakeAnthropic(FakeProvider):
    """Anthropic's Messages API at ``/v1/messages`` (``x-api-key``, ``anthropic-version``)."""

    kind = ProviderKind.ANTHROPIC

    def __init__(self, *, api_key: str | None = "sk-ant-fake-secret-key", host: str = "") -> None:
        super().__init__(api_key=api_key, host=host or "api.anthropic.fake")

    def check(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if self.api_key is not None and headers.get("x-api-key") != self.api_key:
            return self.error(401, "invalid x-api-key", kind="authentication_error")
        if headers.get("anthropic-version") != "2023-06-01":
            return self.error(400, "anthropic-version: header is required")
        if path != "/v1/messages":
            return self.error(404, "Not found", kind="not_found_error")
        return None

    def error(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        kind: str | None = None,
    ) -> Reply:
        kinds = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error"}
        kind = kind or kinds.get(status, "invalid_request_error" if status < 500 else "api_error")
        return _json(
            status, {"type": "error", "error": {"type": kind, "message": message}}, headers
        )

    def stream_error(self) -> bytes:
        error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        return _sse("error", error)

    def route(self, path: str, body: dict[str, Any]) -> Reply:
        if not isinstance(body.get("max_tokens"), int):
            return self.error(400, "max_tokens: Field required")
        messages = body.get("messages") or []
        text = self.answer_text(_last_user_text(messages))
        prompt = sum(_tokens(_text_of(m.get("content"))) for m in messages)
        stop = "tool_use" if self.tool_calls else "end_turn"
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "stop_reason": stop,
            "stop_sequence": None,
        }
        blocks: list[dict[str, Any]] = [] if self.tool_calls else [{"type": "text", "text": text}]
        for call in self.tool_calls:
            blocks.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
            )
        usage = {"input_tokens": prompt, "output_tokens": _tokens(text)}
        if not body.get("stream"):
            return _json(200, {**message, "content": blocks, "usage": usage})
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": prompt, "output_tokens": 1},
        }
        events = [_sse("message_start", {"type": "message_start", "message": start})]
        events.append(_sse("ping", {"type": "ping"}))
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                opening: dict[str, Any] = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": p} for p in _pieces(text, self.chunk_size)]
            else:
                opening = {**block, "input": {}}
                arguments = orjson.dumps(block["input"]).decode()
                deltas = [
                    {"type": "input_json_delta", "partial_json": p}
                    for p in _pieces(arguments, self.chunk_size)
                ]
            events.append(
                _sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": opening},
                )
            )
            for delta in deltas:
                payload = {"type": "content_block_delta", "index": index, "delta": delta}
                events.append(_sse("content_block_delta", payload))
            events.append(
                _sse("content_block_stop", {"type": "content_block_stop", "index": index})
            )
        end = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        }
        events.append(_sse("message_delta", end))
        events.append(_sse("message_stop", {"type": "message_stop"}))
        return self.sse(events)


# --- routing and serving --------------------------------------------------------------------


def route(*fakes: FakeProvider) -> httpx.MockTransport:
    """One transport for several fakes, by host; any call elsewhere fails the test."""
    by_host = {fake.host: fake for fake in fakes}

    async def handle(request: httpx.Request) -> httpx.Response:
        fake = by_host.get(request.url.host)
        if fake is None:
            raise AssertionError(f"unexpected outbound call to {request.url.host}")
        return await fake.handle(request)

    return httpx.MockTransport(handle)


def asgi_app(fake: FakeProvider) -> Starlette:
    """The fake as an ASGI application (every path and method goes to ``fake.respond``)."""

    async def endpoint(request: Request) -> Response:
        reply = await fake.respond(
            request.method,
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
        )
        if isinstance(reply.body, bytes):
            return Response(reply.body, reply.status, headers=reply.headers)
        return StreamingResponse(reply.body, reply.status, headers=reply.headers)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


@contextmanager
def serve_fake(fake: FakeProvider) -> Iterator[str]:
    """Serve ``fake`` over real HTTP on 127.0.0.1; yields the base URL for the inventory."""
    server = ServerThread(asgi_app(fake))
    server.start()
    try:
        yield server.url + fake.base_path
    finally:
        server.stop()


__all__ = [
    "FakeAnthropic",
    "FakeAzure",
    "FakeOpenAI",
    "FakeProvider",
    "Persona",
    "Received",
    "ToolCall",
    "asgi_app",
    "route",
    "serve_fake",
]
