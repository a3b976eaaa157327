"""The gateway through the official OpenAI SDK: chat, streaming, tools, embeddings, models,
responses, errors in OpenAI's shape, and the audit record and request-log row of each call."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import openai
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gouvernail.app import create_app
from gouvernail.audit import AuditContext
from gouvernail.gateway.models import RequestLog
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings
from tests.gateway_helpers import (
    ANTHROPIC_KEY,
    PROVIDER_KEY,
    World,
    build_world,
    install_gateway,
    sdk,
    transport_for,
)
from tests.inventory_helpers import records


@pytest.fixture
def world(
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    compliant_user: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", PROVIDER_KEY)
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", ANTHROPIC_KEY)
    return build_world(rt, ctx, make_user, compliant_user)


@pytest.fixture
def gw(settings: Settings, rt: Runtime, world: World) -> Iterator[TestClient]:
    install_gateway(rt, transport_for(world))
    with TestClient(create_app(settings, rt)) as client:
        yield client


def log_rows(rt: Runtime) -> list[RequestLog]:
    with rt.database.read() as session:
        return list(session.scalars(select(RequestLog).order_by(RequestLog.id)))


def test_chat_completion_through_the_sdk(gw: TestClient, world: World, rt: Runtime) -> None:
    key = world.key("alice", "drafting")
    client = sdk(gw, key)
    answer = client.chat.completions.create(
        model="gpt-eu",
        messages=[{"role": "user", "content": "Résume la procédure de validation."}],
        max_tokens=100,
    )
    assert answer.choices[0].message.content == world.openai.reply
    assert answer.usage is not None and answer.usage.total_tokens > 0
    sent = world.openai.requests[-1]
    assert sent.json["model"] == "gpt-4o-mini"
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    (row,) = log_rows(rt)
    assert row.status == 200
    assert row.model == "gpt-eu"
    assert row.use_case_id == world.use_cases["drafting"]
    assert row.prompt_tokens > 0
    assert row.cost_eur > 0
    (event,) = records(rt, "gateway.call_completed")
    assert event["new"]["decision"] == "allow"
    assert PROVIDER_KEY not in orjson.dumps(event).decode()


def test_streamed_chat_with_usage_only_when_asked(
    gw: TestClient, world: World, rt: Runtime
) -> None:
    client = sdk(gw, world.key("alice", "drafting"))
    chunks = list(
        client.chat.completions.create(
            model="gpt-eu",
            messages=[{"role": "user", "content": "Bonjour"}],
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == world.openai.reply
    assert all(c.usage is None for c in chunks), "usage chunk removed: the caller did not ask"
    sent = world.openai.requests[-1].json
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["max_tokens"] == rt.settings.gateway.default_max_tokens
    with_usage = list(
        client.chat.completions.create(
            model="gpt-eu",
            messages=[{"role": "user", "content": "Bonjour"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert with_usage[-1].usage is not None
    rows = log_rows(rt)
    assert [r.stream for r in rows] == [True, True]
    assert all(r.completion_tokens > 0 for r in rows), "streamed calls are accounted"


def test_refusals_in_openai_shape(gw: TestClient, world: World, rt: Runtime) -> None:
    with pytest.raises(openai.AuthenticationError) as missing:
        sdk(gw, "gk_000000000000_nope").chat.completions.create(
            model="gpt-eu", messages=[{"role": "user", "content": "hi"}]
        )
    assert missing.value.status_code == 401
    body = missing.value.body
    assert isinstance(body, dict)
    assert set(body) >= {"message", "type", "param", "code"}
    client = sdk(gw, world.key("alice", "drafting"))
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}]
        )
    bad = gw.post(
        "/v1/chat/completions",
        content=b'{"model": "gpt-eu", "messages": [',
        headers={"Authorization": f"Bearer {world.keys['alice:drafting']}"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_json"
    wrong_utf8 = gw.post(
        "/v1/chat/completions",
        content=b'{"model": "gpt-eu", "messages": [{"role": "user", "content": "\xff"}]}',
        headers={"Authorization": f"Bearer {world.keys['alice:drafting']}"},
    )
    assert wrong_utf8.status_code == 400
    assert wrong_utf8.json()["error"]["code"] == "invalid_encoding"
    refused = records(rt, "gateway.call_refused")
    assert {r["new"]["error_code"] for r in refused} >= {"model_not_found", "invalid_json"}
    assert records(rt, "gateway.unauthenticated_sampled")
