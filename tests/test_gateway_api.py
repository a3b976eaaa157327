"""The gateway through the official OpenAI SDK: chat, streaming, tools, embeddings, models,
responses, errors in OpenAI's shape, and the audit record and request-log row of each call."""

from __future__ import annotations

from collections.abc import Callable

import openai
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.gateway_helpers import (
    PROVIDER_KEY,
    World,
    sdk,
)
from tests.inventory_helpers import records

from gouvernail.gateway.models import RequestLog
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings


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
    assert answer.usage is not None
    assert answer.usage.total_tokens > 0
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


def test_content_retention_and_purge(
    gw: TestClient, world: World, rt: Runtime, login: Callable[[str], dict[str, str]]
) -> None:
    from datetime import timedelta

    from gouvernail.db.base import utcnow
    from gouvernail.gateway.models import RequestContent
    from gouvernail.gateway.retention import purge_content

    world.use_case(
        "kept",
        "alice",
        data_class_ceiling="internal",
        content_retention="redacted",
        retention_days=30,
    )
    client = sdk(gw, world.key("alice", "kept"))
    world.openai.echo = True
    client.chat.completions.create(
        model="gpt-eu",
        messages=[{"role": "user", "content": "Écris à jeanne.martin@example.com."}],
    )
    with rt.database.read() as session:
        (stored,) = session.scalars(select(RequestContent)).all()
        assert "jeanne.martin@example.com" not in stored.prompt, "redacted: what left"
        assert "[EMAIL_ADDRESS_1]" in stored.prompt
        assert stored.mode == "redacted"
        assert "jeanne.martin@example.com" not in stored.answer, "the restored answer neither"
        assert "[EMAIL_ADDRESS_1]" in stored.answer
    world.use_case(
        "verbatim",
        "alice",
        data_class_ceiling="internal",
        content_retention="full",
        retention_days=60,
    )
    sdk(gw, world.key("alice", "verbatim")).chat.completions.create(
        model="gpt-eu",
        messages=[{"role": "user", "content": "Écris à jeanne.martin@example.com."}],
    )
    with rt.database.read() as session:
        full = session.scalars(select(RequestContent).where(RequestContent.mode == "full")).one()
        assert "jeanne.martin@example.com" in full.prompt, "full: what the caller sent"
        assert "jeanne.martin@example.com" in full.answer
    assert purge_content(rt.database, rt.trail, now=utcnow() + timedelta(days=29)) == 0
    assert purge_content(rt.database, rt.trail, now=utcnow() + timedelta(days=31)) == 1
    with rt.database.read() as session:
        assert [c.mode for c in session.scalars(select(RequestContent))] == ["full"]
    assert len(log_rows(rt)) == 2, "the log rows stay"
    assert records(rt, "gateway.content_purged")[0]["new"]["count"] == 1
    bad = gw.put(
        f"/api/v1/use-cases/{world.use_cases['kept']}/gateway",
        json={"reason": "keep", "content_retention": "full", "retention_days": 0},
        headers=login("ref"),
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "retention_days"
    unknown = gw.put(
        f"/api/v1/use-cases/{world.use_cases['kept']}/gateway",
        json={"reason": "keep", "data_class_ceiling": "top-secret"},
        headers=login("ref"),
    )
    assert unknown.status_code == 400
    assert (
        gw.put(
            f"/api/v1/use-cases/{world.use_cases['kept']}/gateway",
            json={"reason": "keep", "allowed_models": ["gpt-eu"]},
            headers=login("alice"),
        ).status_code
        == 403
    )


def test_oversized_body_and_missing_key(gw: TestClient, world: World, rt: Runtime) -> None:
    limit = rt.settings.gateway.max_body_bytes
    big = gw.post(
        "/v1/chat/completions",
        content=b"x" * (limit + 1),
        headers={"Authorization": f"Bearer {world.key('alice', 'drafting')}"},
    )
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "request_too_large"
    none = gw.post("/v1/chat/completions", json={"model": "gpt-eu", "messages": []})
    assert none.status_code == 401
    assert none.json()["error"]["code"] == "missing_api_key"
    assert rt.metrics.gateway_unauthenticated._value.get() >= 1


def test_cli_switch(cli_env: Settings, world: World, rt: Runtime) -> None:
    from tests.conftest import invoke

    code, output = invoke(
        "gateway",
        "switch",
        "use_case",
        str(world.use_cases["drafting"]),
        "--off",
        "--reason",
        "incident 42",
    )
    assert code == 0, output
    assert "AI is off" in output
    code, output = invoke("gateway", "purge")
    assert code == 0, output
    assert "purged the content of 0" in output


def test_the_runtime_gateway_inspects_unless_turned_off(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway ``make serve`` runs is the one the tests drive (``install_gateway`` only
    swaps the transport): it carries the detectors, and none when inspection is off."""
    assert rt.gateway.inspector is rt.inspector
    monkeypatch.setattr(rt.settings.gateway, "inspection", "off")
    assert rt.build_gateway().inspector is None


def test_the_fast_path_keeps_request_ids_metrics_and_other_routes(
    gw: TestClient, world: World
) -> None:
    """The OpenAI POST routes bypass FastAPI's routing, not the request context: the answer
    carries a request id, the metric is labelled with the route, other paths route as usual."""
    key = world.key("alice", "drafting")
    answer = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "Bonjour"}]},
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": "req-fast-path-1"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == "req-fast-path-1"
    metrics = gw.get("/metrics").text
    assert 'route="/v1/chat/completions"' in metrics
    assert gw.post("/v1/unknown", json={}).status_code == 404
    assert gw.get("/v1/chat/completions").status_code == 405
    listed = gw.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200
