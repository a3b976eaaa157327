"""Provider adapters: each provider's wire format both ways, whole and streamed, checked against
fakes that speak it (what left for the provider, what came back in OpenAI's format)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from fake_providers import FakeAnthropic, FakeAzure, FakeOpenAI, ToolCall, route, serve_fake
from gouvernail.gateway.providers import Anthropic, UpstreamError, Upstreams, default_adapters

pytestmark = pytest.mark.anyio

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def collect(chunks: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk async for chunk in chunks]


def chat(text: str = "Bonjour ?", **fields: Any) -> dict[str, Any]:
    return {"model": "fake-model", "messages": [{"role": "user", "content": text}], **fields}


# --- OpenAI chat → Anthropic Messages ----------------------------------------------------------

TOOL_TURNS = [
    {"role": "user", "content": "Weather in Paris and Lyon?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
    {"role": "user", "content": "Thanks"},
]

TRANSLATIONS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "system messages become system, max_tokens defaults",
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                {"role": "user", "content": "Hello"},
            ]
        },
        {
            "system": "Be brief.\n\nAnswer in French.",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
        },
    ),
    (
        "text and image parts",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                        {"type": "image_url", "image_url": {"url": "https://x.test/a.jpg"}},
                    ],
                }
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
                        },
                        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}},
                    ],
                }
            ]
        },
    ),
    (
        "tool calls and consecutive tool results merged into one user turn",
        {"messages": TOOL_TURNS, "tools": [WEATHER], "tool_choice": "required"},
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Weather in Paris and Lyon?"}],
                },
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "call_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        },
                        {
                            "type": "tool_use",
                            "id": "call_2",
                            "name": "get_weather",
                            "input": {"city": "Lyon"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "call_2",
                            "content": [{"type": "text", "text": "rain"}],
                        },
                        {"type": "text", "text": "Thanks"},
                    ],
                },
            ],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Weather of a city",
                    "input_schema": WEATHER["function"]["parameters"],
                }
            ],
            "tool_choice": {"type": "any"},
        },
    ),
    (
        "a named tool, no parallel calls",
        {
            "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "parallel_tool_calls": False,
        },
        {
            "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {}}}],
            "tool_choice": {"type": "tool", "name": "f", "disable_parallel_tool_use": True},
        },
    ),
    (
        "sampling, stop, user, max_completion_tokens first",
        {
            "messages": [{"role": "user", "content": "x"}],
            "max_completion_tokens": 50,
            "max_tokens": 99,
            "stop": "END",
            "temperature": 0.2,
            "top_p": 0.9,
            "user": "u-42",
        },
        {
            "max_tokens": 50,
            "stop_sequences": ["END"],
            "temperature": 0.2,
            "top_p": 0.9,
            "metadata": {"user_id": "u-42"},
        },
    ),
    (
        "tool_choice none, stop list",
        {
            "messages": [{"role": "user", "content": "x"}],
            "max_tokens": 7,
            "stop": ["a", "b"],
            "tool_choice": "none",
        },
        {"max_tokens": 7, "stop_sequences": ["a", "b"], "tool_choice": {"type": "none"}},
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "expected"), TRANSLATIONS, ids=[t[0] for t in TRANSLATIONS]
)
async def test_anthropic_request_translation(
    case: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    fake = FakeAnthropic()
    model = fake.model("claude")
    adapters = default_adapters(default_max_tokens=1024)
    async with _upstreams(fake, adapters=adapters) as upstreams:
        await upstreams.send(model, "chat", {"model": "claude", **body}, api_key=fake.api_key)
    sent = fake.requests[0].json
    assert sent["model"] == "claude-upstream"
    for key, value in expected.items():
        assert sent[key] == value, key


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (chat(n=2), "n must be 1"),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{x"}}],
                    }
                ]
            },
            "arguments must be a JSON object",
        ),
        ({"messages": [{"role": "function", "content": "x"}]}, "unsupported message role"),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "unsupported content part 'input_audio'",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "data:,abc"}}],
                    }
                ]
            },
            "data URL",
        ),
        (chat(tools=[{"type": "code_interpreter"}]), "unsupported tool type"),
        (chat(tool_choice="sometimes"), "unsupported tool_choice"),
        ({"messages": ["not a message"]}, "does not follow the chat format"),
    ],
)
async def test_anthropic_refuses_what_it_cannot_translate(
    body: dict[str, Any], message: str
) -> None:
    fake = FakeAnthropic()
    async with _upstreams(fake) as upstreams:
        with pytest.raises(UpstreamError, match=message) as caught:
            await upstreams.send(fake.model(), "chat", body, api_key=fake.api_key)
    assert caught.value.status == 400
    assert fake.requests == []  # refused before anything left


@pytest.mark.parametrize("operation", ["embeddings", "responses"])
async def test_anthropic_has_chat_only(operation: Any) -> None:
    fake = FakeAnthropic()
    async with _upstreams(fake) as upstreams:
        with pytest.raises(UpstreamError, match="does not support") as caught:
            await upstreams.send(fake.model(), operation, {"input": "x"}, api_key="k")
    assert (caught.value.status, caught.value.code) == (400, "unsupported_operation")
    assert "embeddings" in str(caught.value) or "Responses API" in str(caught.value)


@pytest.mark.parametrize(
    ("base_url", "path"),
    [
        ("https://api.anthropic.fake", "/v1/messages"),
        ("https://api.anthropic.fake/v1", "/v1/messages"),
    ],
)
async def test_anthropic_url_with_or_without_v1(base_url: str, path: str) -> None:
    fake = FakeAnthropic()
    async with _upstreams(fake) as upstreams:
        await upstreams.send(fake.model(base_url=base_url), "chat", chat(), api_key=fake.api_key)
    received = fake.requests[0]
    assert received.path == path
    assert received.headers["x-api-key"] == fake.api_key
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in received.headers


# --- Anthropic Messages → OpenAI chat ----------------------------------------------------------


async def test_anthropic_answer_as_chat_completion() -> None:
    fake = FakeAnthropic()
    fake.reply = "Il fait beau."
    async with _upstreams(fake) as upstreams:
        answer = await upstreams.send(fake.model(), "chat", chat("a b c"), api_key=fake.api_key)
    assert answer.body["object"] == "chat.completion"
    choice = answer.body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Il fait beau."}
    assert choice["finish_reason"] == "stop"
    assert answer.body["usage"]["prompt_tokens"] == 3
    assert answer.body["usage"]["completion_tokens"] == 3
    assert (answer.usage.prompt_tokens, answer.usage.total_tokens) == (3, 6)  # type: ignore[union-attr]


async def test_anthropic_tool_use_as_tool_calls() -> None:
    fake = FakeAnthropic()
    fake.tool_calls = [ToolCall("get_weather", {"city": "Paris"}, id="toolu_1")]
    async with _upstreams(fake) as upstreams:
        answer = await upstreams.send(
            fake.model(), "chat", chat(tools=[WEATHER]), api_key=fake.api_key
        )
    choice = answer.body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"] == "toolu_1"
    assert call["function"]["name"] == "get_weather"
    assert orjson.loads(call["function"]["arguments"]) == {"city": "Paris"}


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        (None, "stop"),
    ],
)
def test_anthropic_stop_reasons(stop_reason: str | None, finish: str) -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "model": "claude-x",
        "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "ok"}],
        "stop_reason": stop_reason,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }
    answer = Anthropic().parse(FakeAnthropic().model(), "chat", message)
    assert answer["choices"][0]["finish_reason"] == finish
    assert answer["choices"][0]["message"]["content"] == "ok"
    assert answer["usage"] == {
        "prompt_tokens": 130,
        "completion_tokens": 5,
        "total_tokens": 135,
        "prompt_tokens_details": {"cached_tokens": 100},
    }


async def test_anthropic_stream_as_chunks() -> None:
    fake = FakeAnthropic()
    fake.reply = "Le chiffre d'affaires a augmenté."
    fake.chunk_size = 3
    async with _upstreams(fake) as upstreams:
        chunks = await collect(
            upstreams.stream(fake.model(), "chat", chat("un deux"), api_key=fake.api_key)
        )
    assert fake.requests[0].json["stream"] is True
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == fake.reply
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) > 5
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 2
    assert chunks[-1]["usage"]["completion_tokens"] == 5


async def test_anthropic_streamed_tool_calls() -> None:
    fake = FakeAnthropic()
    fake.chunk_size = 4
    fake.tool_calls = [
        ToolCall("get_weather", {"city": "Paris"}, id="toolu_1"),
        ToolCall("get_weather", {"city": "Saint-Étienne"}, id="toolu_2"),
    ]
    async with _upstreams(fake) as upstreams:
        chunks = await collect(
            upstreams.stream(fake.model(), "chat", chat(tools=[WEATHER]), api_key=fake.api_key)
        )
    deltas = [
        call
        for c in chunks
        if c["choices"]
        for call in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    starts = [d for d in deltas if "id" in d]
    assert starts == [
        {
            "index": i,
            "id": f"toolu_{i + 1}",
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        }
        for i in (0, 1)
    ]
    for index, city in ((0, "Paris"), (1, "Saint-Étienne")):
        fragments = [d["function"]["arguments"] for d in deltas if d["index"] == index]
        assert len(fragments) > 2
        assert orjson.loads("".join(fragments)) == {"city": city}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "tool_calls"


# --- OpenAI-compatible ---------------------------------------------------------------------------


async def test_openai_chat_sends_the_upstream_name_and_the_key() -> None:
    fake = FakeOpenAI()
    fake.echo = True
    async with _upstreams(fake) as upstreams:
        answer = await upstreams.send(
            fake.model("gpt-x"),
            "chat",
            chat("Écho ?", stream=True, stream_options={"include_usage": False}),
            api_key=fake.api_key,
        )
    received = fake.requests[0]
    assert received.path == "/v1/chat/completions"
    assert received.headers["authorization"] == f"Bearer {fake.api_key}"
    assert received.json["model"] == "gpt-x-upstream"
    assert received.json["stream"] is False
    assert "stream_options" not in received.json
    assert answer.body["choices"][0]["message"]["content"] == "Écho ?"
    assert answer.status == 200
    assert answer.attempts == 1
    assert answer.usage is not None
    assert answer.latency_ms > 0


async def test_openai_compatible_without_key() -> None:
    fake = FakeOpenAI(api_key=None, host="ollama.local")
    async with _upstreams(fake) as upstreams:
        await upstreams.send(fake.model(), "chat", chat(), api_key=None)
    assert "authorization" not in fake.requests[0].headers


@pytest.mark.parametrize("include_usage", [None, False, True])
async def test_openai_stream_always_asks_for_usage(include_usage: bool | None) -> None:
    fake = FakeOpenAI()
    fake.chunk_size = 2
    body = (
        chat() if include_usage is None else chat(stream_options={"include_usage": include_usage})
    )
    async with _upstreams(fake) as upstreams:
        chunks = await collect(upstreams.stream(fake.model(), "chat", body, api_key=fake.api_key))
    assert fake.requests[0].json["stream_options"] == {"include_usage": True}
    assert fake.requests[0].headers["accept"] == "text/event-stream"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == fake.reply
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] > 0


async def test_openai_streamed_tool_calls_pass_through() -> None:
    fake = FakeOpenAI()
    fake.chunk_size = 3
    fake.tool_calls = [ToolCall("get_weather", {"city": "Nice"})]
    async with _upstreams(fake) as upstreams:
        chunks = await collect(
            upstreams.stream(fake.model(), "chat", chat(tools=[WEATHER]), api_key=fake.api_key)
        )
    calls = [
        call
        for c in chunks
        if c["choices"]
        for call in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert calls[0]["id"] == "call_fake_1"
    assert orjson.loads("".join(c["function"]["arguments"] for c in calls)) == {"city": "Nice"}


async def test_openai_embeddings() -> None:
    fake = FakeOpenAI()
    async with _upstreams(fake) as upstreams:
        answer = await upstreams.send(
            fake.model(),
            "embeddings",
            {"model": "fake-model", "input": ["a b", "c"]},
            api_key=fake.api_key,
        )
        with pytest.raises(UpstreamError, match="streamed embeddings"):
            upstreams.stream(fake.model(), "embeddings", {"input": "x"}, api_key=fake.api_key)
    assert fake.requests[0].path == "/v1/embeddings"
    assert "stream" not in fake.requests[0].json
    assert len(answer.body["data"]) == 2
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (3, 0)


async def test_openai_responses_whole_and_streamed() -> None:
    fake = FakeOpenAI()
    fake.echo = True
    fake.chunk_size = 4
    body = {"model": "fake-model", "input": "Résume ceci."}
    async with _upstreams(fake) as upstreams:
        answer = await upstreams.send(fake.model(), "responses", body, api_key=fake.api_key)
        events = await collect(
            upstreams.stream(fake.model(), "responses", body, api_key=fake.api_key)
        )
    assert fake.requests[0].path == "/v1/responses"
    assert answer.body["output"][0]["content"][0]["text"] == "Résume ceci."
    assert answer.usage is not None
    assert answer.usage.completion_tokens == 2
    assert events[0]["type"] == "response.created"
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert deltas == "Résume ceci."
    assert events[-1]["type"] == "response.completed"


# --- Azure OpenAI ---------------------------------------------------------------------------------


async def test_azure_paths_version_and_key() -> None:
    fake = FakeAzure(deployment="gpt4o-prod", api_version="2024-10-21")
    model = fake.model("gpt-4o-azure")
    async with _upstreams(fake) as upstreams:
        await upstreams.send(model, "chat", chat(), api_key=fake.api_key)
        await upstreams.send(model, "embeddings", {"input": "x"}, api_key=fake.api_key)
        await collect(upstreams.stream(model, "chat", chat(), api_key=fake.api_key))
        await upstreams.send(model, "responses", {"input": "x"}, api_key=fake.api_key)
    paths = [(r.path, r.query) for r in fake.requests]
    version = {"api-version": "2024-10-21"}
    assert paths == [
        ("/openai/deployments/gpt4o-prod/chat/completions", version),
        ("/openai/deployments/gpt4o-prod/embeddings", version),
        ("/openai/deployments/gpt4o-prod/chat/completions", version),
        ("/openai/v1/responses", {}),
    ]
    assert all(r.headers["api-key"] == fake.api_key for r in fake.requests)
    assert all("authorization" not in r.headers for r in fake.requests)
    assert fake.requests[3].json["model"] == "gpt4o-prod"


@pytest.mark.parametrize(
    ("deployment", "version", "said"),
    [("other", "2024-10-21", "does not exist"), ("gpt-4o-eu", "2023-01-01", "Resource not found")],
)
async def test_azure_misconfiguration_is_ours(deployment: str, version: str, said: str) -> None:
    fake = FakeAzure()
    model = fake.model()
    model = model.model_copy(
        update={
            "endpoint": model.endpoint.model_copy(
                update={"azure_deployment": deployment, "azure_api_version": version}
            )
        }
    )
    async with _upstreams(fake) as upstreams:
        with pytest.raises(UpstreamError, match=said) as caught:
            await upstreams.send(model, "chat", chat(), api_key=fake.api_key)
    assert (caught.value.status, caught.value.code) == (502, "upstream_misconfigured")
    assert caught.value.upstream_status == 404


async def test_azure_base_url_ending_with_openai() -> None:
    fake = FakeAzure()
    async with _upstreams(fake) as upstreams:
        model = fake.model(base_url=fake.base_url + "/openai")
        await upstreams.send(model, "chat", chat(), api_key=fake.api_key)
    assert fake.requests[0].path == "/openai/deployments/gpt-4o-eu/chat/completions"


# --- the same fakes behind a real HTTP server -----------------------------------------------


@pytest.mark.parametrize("fake_type", [FakeOpenAI, FakeAzure, FakeAnthropic])
async def test_fakes_over_real_http(fake_type: type[FakeOpenAI | FakeAnthropic]) -> None:
    fake = fake_type()
    fake.echo = True
    fake.chunk_size = 1
    with serve_fake(fake) as base_url:
        model = fake.model(base_url=base_url)
        upstreams = Upstreams(retries=0)
        try:
            answer = await upstreams.send(model, "chat", chat("Réel ?"), api_key=fake.api_key)
            chunks = await collect(
                upstreams.stream(model, "chat", chat("Réel ?"), api_key=fake.api_key)
            )
        finally:
            await upstreams.aclose()
    assert answer.body["choices"][0]["message"]["content"] == "Réel ?"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Réel ?"
    assert chunks[-1]["usage"]["total_tokens"] > 0


# --- helpers --------------------------------------------------------------------------------------


class _upstreams:  # noqa: N801 (used as a context manager, like a function)
    """``async with _upstreams(*fakes) as upstreams``: no retries, no sleeping."""

    def __init__(self, *fakes: FakeOpenAI | FakeAnthropic, **options: Any) -> None:
        self._upstreams = Upstreams(transport=route(*fakes), retries=0, **options)

    async def __aenter__(self) -> Upstreams:
        return self._upstreams

    async def __aexit__(self, *_: object) -> None:
        await self._upstreams.aclose()
