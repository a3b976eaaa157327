"""Agents: the registry (rights, refusals, versions, audit), agents' keys and the attribution
of their gateway calls, the kill switch, runs with their trace ids and per-run limits (steps,
tokens, cost, time), ending a run, and the run counters under concurrency.

The agent's client is the official OpenAI SDK; providers are the fakes of tests/fake_providers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.gateway_helpers import World, sdk
from tests.inventory_helpers import records

from gouvernail.agents.models import AgentRun, AgentStatus
from gouvernail.audit import AuditContext
from gouvernail.db.base import utcnow
from gouvernail.gateway.accounting import (
    MemoryRunCounters,
    RedisRunCounters,
    RunCaps,
    RunCounters,
    RunLimitReached,
)
from gouvernail.gateway.governance import UseCaseGatewayIn
from gouvernail.gateway.models import RequestLog
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
HELLO = [{"role": "user", "content": "Prépare le résumé de la réunion."}]


def agent_body(world: World, slug: str = "minutes-bot", **fields: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Minutes bot",
        "use_case_id": world.use_cases["drafting"],
        "owner_id": world.users["bob"],
        "purpose": "Drafts meeting minutes for the regulatory affairs team.",
        "allowed_models": ["gpt-eu"],
        "allowed_tools": ["sharepoint.search", "budget.move"],
        "data_classes": ["internal"],
        "approval_rule": {"actions": ["budget.move"], "approver": "owner"},
        "reason": "pilot of the minutes agent",
        **fields,
    }


def register(gw: TestClient, login: Login, world: World, **fields: Any) -> dict[str, Any]:
    response = gw.post("/api/v1/agents", json=agent_body(world, **fields), headers=login("alice"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def agent_key(gw: TestClient, login: Login, slug: str = "minutes-bot") -> str:
    response = gw.post(
        f"/api/v1/agents/{slug}/keys", json={"name": "minutes bot key"}, headers=login("bob")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


def start_run(gw: TestClient, key: str, **body: Any) -> dict[str, Any]:
    response = gw.post("/api/v1/agents/runs", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def ask(client: openai.OpenAI, run_id: str | None, **fields: Any) -> Any:
    headers = {"x-gouvernail-agent-run": run_id} if run_id else {}
    return client.chat.completions.create(
        model=fields.pop("model", "gpt-eu"),
        messages=HELLO,  # type: ignore[arg-type]
        max_tokens=fields.pop("max_tokens", 50),
        extra_headers=headers,
    )


def rows(rt: Runtime) -> list[RequestLog]:
    with rt.database.read() as session:
        return list(session.scalars(select(RequestLog).order_by(RequestLog.id)))


def error_of(excinfo: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, Any]:
    body = excinfo.value.body
    assert isinstance(body, dict)
    return body


# --- the registry ---------------------------------------------------------------------------


def test_register_read_edit_with_versions_and_audit(
    gw: TestClient, world: World, rt: Runtime, login: Login, make_user: Callable[..., int]
) -> None:
    created = register(gw, login, world)
    assert created["status"] == "active"
    assert created["owner"] == "bob"
    assert created["approval_rule"] == {"actions": ["budget.move"], "approver": "owner"}
    assert (created["max_steps"], created["max_seconds"]) == (50, 900)

    make_user("aud", "auditor")
    make_user("emp")
    assert gw.get("/api/v1/agents/minutes-bot", headers=login("aud")).status_code == 200
    assert gw.get("/api/v1/agents/minutes-bot", headers=login("bob")).status_code == 200
    refused = gw.get("/api/v1/agents/minutes-bot", headers=login("emp"))
    assert refused.status_code == 403
    assert gw.get("/api/v1/agents", headers=login("emp")).json() == []
    assert [a["slug"] for a in gw.get("/api/v1/agents", headers=login("aud")).json()] == [
        "minutes-bot"
    ]

    edit = {"version": 1, "reason": "tighter loop", "max_steps": 10, "allowed_tools": []}
    edited = gw.patch("/api/v1/agents/minutes-bot", json=edit, headers=login("alice"))
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["max_steps"]) == (2, 10)
    stale = gw.patch("/api/v1/agents/minutes-bot", json=edit, headers=login("alice"))
    assert stale.status_code == 409
    assert (
        gw.patch(
            "/api/v1/agents/minutes-bot", json={**edit, "version": 2}, headers=login("bob")
        ).status_code
        == 403
    ), "the accountable owner does not edit the registry entry"
    versions = gw.get("/api/v1/agents/minutes-bot/versions", headers=login("aud")).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["reason"] == "tighter loop"
    assert versions[1]["snapshot"]["allowed_tools"] == ["sharepoint.search", "budget.move"]

    (registered,) = records(rt, "agent.registered")
    assert registered["new"]["slug"] == "minutes-bot"
    assert registered["reason"] == "pilot of the minutes agent"
    (changed,) = records(rt, "agent.changed")
    assert changed["old"] == {
        "allowed_tools": ["sharepoint.search", "budget.move"],
        "max_steps": 50,
    }
    assert changed["new"] == {"allowed_tools": [], "max_steps": 10}


def test_registry_refusals(gw: TestClient, world: World, rt: Runtime, login: Login) -> None:
    rt.governance.configure(
        world.ctx,
        world.use_cases["drafting"],
        UseCaseGatewayIn.model_validate(
            {"reason": "test", "allowed_models": ["gpt-eu"], "data_class_ceiling": "internal"}
        ),
    )
    alice, bob, ref = login("alice"), login("bob"), login("ref")

    def refusal(headers: dict[str, str], **fields: Any) -> tuple[int, str | None]:
        response = gw.post("/api/v1/agents", json=agent_body(world, **fields), headers=headers)
        return response.status_code, response.json().get("error", {}).get("field")

    assert refusal(bob) == (403, None), "a use-case owner role, but not this use case's owner"
    assert len(records(rt, "auth.access_denied")) == 1
    assert refusal(alice, owner_id=world.users["nora"]) == (403, "owner_id")
    assert refusal(alice, allowed_models=["claude-eu"]) == (403, "allowed_models")
    assert refusal(alice, allowed_models=["no-such-model"]) == (400, "allowed_models")
    assert refusal(alice, data_classes=["confidential"]) == (403, "data_classes")
    assert refusal(alice, data_classes=["top-secret"]) == (400, "data_classes")
    assert refusal(alice, peer_agents=["nobody"]) == (404, "peer_agents")
    assert refusal(alice, slug="Bad Slug")[0] == 422
    assert refusal(alice, max_steps=0)[0] == 422
    assert refusal(alice, approval_rule={"actions": ["move the budget"]})[0] == 422
    assert refusal(ref) == (201, None), "an AI referent registers for any use case"
    assert refusal(alice) == (409, "slug")
    assert refusal(alice, slug="peer-bot", peer_agents=["minutes-bot"]) == (201, None)
    assert records(rt, "agent.registered")[-1]["new"]["peer_agents"] == ["minutes-bot"]


# --- keys, attribution, allowed models ------------------------------------------------------


def test_agent_calls_are_attributed_to_the_agent_and_its_owner(
    gw: TestClient, world: World, rt: Runtime, login: Login
) -> None:
    agent = register(gw, login, world)
    key = agent_key(gw, login)
    (created,) = [r for r in records(rt, "api_key.created") if r["new"].get("agent_id")]
    assert created["new"]["agent_id"] == agent["id"]
    assert created["new"]["user_id"] == world.users["bob"], "the key is the owner's"
    assert key not in str(created)

    run = start_run(gw, key, trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    assert run["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert run["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    client = sdk(gw, key)
    answer = ask(client, run["run_id"])
    assert answer.choices[0].message.content == world.openai.reply

    (row,) = rows(rt)
    assert (row.agent_id, row.user_id, row.api_key_id is not None) == (
        agent["id"],
        world.users["bob"],
        True,
    )
    with rt.database.read() as session:
        run_pk = session.scalar(select(AgentRun.id).where(AgentRun.run_id == run["run_id"]))
    assert row.agent_run_id == run_pk
    (event,) = records(rt, "gateway.call_completed")
    assert event["new"]["agent"] == "minutes-bot"
    assert event["new"]["agent_run"] == run["run_id"]
    assert event["new"]["trace_id"] == run["trace_id"]
    assert event["actor"] == "Bob", "the accountable owner answers for the call"

    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(client, run["run_id"], model="claude-eu")
    assert error_of(refused)["code"] == "agent_model_not_allowed"
    assert "gpt-eu" in error_of(refused)["message"]
    (refusal,) = records(rt, "gateway.call_refused")
    assert refusal["new"]["error_code"] == "agent_model_not_allowed"
    assert refusal["new"]["agent"] == "minutes-bot"
    assert [m.id for m in client.models.list()] == ["gpt-eu"]

    other = gw.get("/api/v1/agents", headers={"Authorization": f"Bearer {key}"})
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "agent_key_not_allowed"
    person = gw.post("/api/v1/agents/runs", json={}, headers=login("bob"))
    assert person.status_code == 403, "runs are started with the agent's key"


def test_calls_need_a_run_and_a_new_run_id_starts_one(
    gw: TestClient, world: World, rt: Runtime, login: Login
) -> None:
    register(gw, login, world)
    register(gw, login, world, slug="other-bot")
    key, other = agent_key(gw, login), agent_key(gw, login, "other-bot")
    client = sdk(gw, key)
    with pytest.raises(openai.BadRequestError) as missing:
        ask(client, None)
    assert error_of(missing)["code"] == "agent_run_required"
    with pytest.raises(openai.BadRequestError) as bad:
        ask(client, "no")
    assert error_of(bad)["code"] == "agent_run_invalid"

    ask(client, "loop-2026-11-22")
    ask(client, "loop-2026-11-22")
    (started,) = records(rt, "agent.run_started")
    assert started["object_id"] == "loop-2026-11-22"
    assert started["new"]["implicit"] is True
    assert len(started["new"]["trace_id"]) == 32
    with pytest.raises(openai.PermissionDeniedError) as theirs:
        ask(sdk(gw, other), "loop-2026-11-22")
    assert error_of(theirs)["code"] == "agent_run_not_yours"


# --- kill switch ----------------------------------------------------------------------------


def test_suspending_the_agent_or_its_use_case_stops_its_next_call(
    gw: TestClient, world: World, rt: Runtime, login: Login, make_user: Callable[..., int]
) -> None:
    register(gw, login, world)
    key = agent_key(gw, login)
    client = sdk(gw, key)
    run = start_run(gw, key)["run_id"]
    ask(client, run)
    make_user("emp")
    reason = {"reason": "it loops on the budget tool"}
    assert (
        gw.post("/api/v1/agents/minutes-bot/suspend", json=reason, headers=login("emp")).status_code
        == 403
    )
    suspended = gw.post("/api/v1/agents/minutes-bot/suspend", json=reason, headers=login("bob"))
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    with pytest.raises(openai.PermissionDeniedError) as stopped:  # at once: no cache wait
        ask(client, run)
    assert error_of(stopped)["code"] == "agent_suspended"
    assert "loops on the budget tool" in error_of(stopped)["message"]
    assert len(world.openai.requests) == 1
    (event,) = records(rt, "agent.suspended")
    assert event["reason"] == "it loops on the budget tool"
    refused = gw.post("/api/v1/agents/minutes-bot/keys", json={"name": "k"}, headers=login("bob"))
    assert refused.status_code == 409, "no new keys for a suspended agent"

    resumed = gw.post(
        "/api/v1/agents/minutes-bot/resume", json={"reason": "fixed"}, headers=login("alice")
    )
    assert resumed.status_code == 200
    ask(client, run)
    assert len(records(rt, "agent.resumed")) == 1

    switch = gw.put(
        f"/api/v1/kill-switches/use-case/{world.use_cases['drafting']}",
        json={"engaged": True, "reason": "incident"},
        headers=login("ref"),
    )
    assert switch.status_code == 200, switch.text
    with pytest.raises(openai.InternalServerError) as off:
        ask(client, run)
    assert off.value.status_code == 503
    assert error_of(off)["code"] == "kill_switch_use_case"


def test_another_replica_sees_a_suspension_within_the_cache_time(
    gw: TestClient, world: World, rt: Runtime, login: Login
) -> None:
    """Suspended through another runtime (another replica) on the same database: this one
    refuses once its admission snapshot is older than ``gateway.admission_cache_seconds``."""
    register(gw, login, world)
    key = agent_key(gw, login)
    client = sdk(gw, key)
    run = start_run(gw, key)["run_id"]
    ask(client, run)
    other = Runtime.build(rt.settings)
    try:
        other.agents.set_status(
            AuditContext(world.ctx.actor, "other"),
            "minutes-bot",
            AgentStatus.SUSPENDED,
            reason="seen elsewhere",
            by=world.users["ref"],
        )
    finally:
        other.close()
    admission = rt.gateway.admission
    admission.clock = lambda: 10**9  # the snapshot is now older than the cache time
    with pytest.raises(openai.PermissionDeniedError) as stopped:
        ask(client, run)
    assert error_of(stopped)["code"] == "agent_suspended"


# --- runs and limits -----------------------------------------------------------------------


def loop_until_refused(client: openai.OpenAI, run: str, limit: int = 30) -> tuple[int, Any]:
    for done in range(limit):
        try:
            ask(client, run)
        except openai.PermissionDeniedError as error:
            return done, error.body
    raise AssertionError("the runaway loop was never stopped")


@pytest.mark.parametrize(
    ("limits", "limit"),
    [
        ({"max_steps": 3}, "steps"),
        ({"max_tokens": 400}, "tokens"),
        ({"max_cost_eur": "0.001"}, "cost"),
    ],
)
def test_a_runaway_loop_stops_at_its_run_limit(
    gw: TestClient,
    world: World,
    rt: Runtime,
    login: Login,
    limits: dict[str, Any],
    limit: str,
) -> None:
    register(gw, login, world, **limits)
    key = agent_key(gw, login)
    client = sdk(gw, key)
    run = start_run(gw, key)["run_id"]
    done, body = loop_until_refused(client, run)
    assert done >= 1, "the first calls go through"
    assert isinstance(body, dict)
    assert (body["code"], body["param"], body["limit"]) == ("agent_run_limit", limit, limit)
    assert run in body["message"]
    assert len(world.openai.requests) == done, "the refused call never left"
    answered = [r for r in rows(rt) if r.status == 200]
    assert len(answered) == done
    if limit == "steps":
        assert done == 3
    if limit == "tokens":
        assert sum(r.prompt_tokens + r.completion_tokens for r in answered) <= 400
    if limit == "cost":
        assert sum(r.cost_eur for r in answered) <= Decimal("0.001")
    refused = records(rt, "gateway.call_refused")
    assert refused[-1]["new"]["error_code"] == "agent_run_limit"

    ended = gw.post(
        f"/api/v1/agents/runs/{run}/end",
        json={"reason": "stopped by its limit"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert ended.status_code == 200
    assert ended.json()["steps"] == done
    fresh = start_run(gw, key)["run_id"]
    ask(client, fresh)  # a new run starts from zero


def test_a_run_older_than_its_time_limit_is_refused(
    gw: TestClient, world: World, rt: Runtime, login: Login
) -> None:
    register(gw, login, world, max_seconds=60)
    key = agent_key(gw, login)
    client = sdk(gw, key)
    run = start_run(gw, key)["run_id"]
    ask(client, run)
    with rt.database.write() as session:
        session.execute(
            update(AgentRun)
            .where(AgentRun.run_id == run)
            .values(started_at=utcnow() - timedelta(seconds=61))
        )
    rt.gateway.forget()
    with pytest.raises(openai.PermissionDeniedError) as late:
        ask(client, run)
    assert (error_of(late)["code"], error_of(late)["limit"]) == ("agent_run_limit", "seconds")
    assert len(world.openai.requests) == 1


def test_ending_a_run(gw: TestClient, world: World, rt: Runtime, login: Login) -> None:
    register(gw, login, world)
    key = agent_key(gw, login)
    client = sdk(gw, key)
    run = start_run(gw, key)["run_id"]
    ask(client, run)
    ask(client, run)
    agent_auth = {"Authorization": f"Bearer {key}"}
    seen = gw.get(f"/api/v1/agents/runs/{run}", headers=agent_auth)
    assert seen.status_code == 200
    assert seen.json()["status"] == "running"
    ended = gw.post(f"/api/v1/agents/runs/{run}/end", json={}, headers=login("bob"))
    assert ended.status_code == 200, ended.text
    body = ended.json()
    answered = [r for r in rows(rt) if r.status == 200]
    assert (body["status"], body["steps"]) == ("ended", 2)
    assert body["tokens"] == sum(r.prompt_tokens + r.completion_tokens for r in answered)
    assert Decimal(str(body["cost_eur"])) == sum(r.cost_eur for r in answered)
    with pytest.raises(openai.ConflictError) as over:
        ask(client, run)
    assert error_of(over)["code"] == "agent_run_ended"
    again = gw.post(f"/api/v1/agents/runs/{run}/end", json={}, headers=agent_auth)
    assert again.status_code == 409
    (event,) = records(rt, "agent.run_ended")
    assert event["new"]["steps"] == 2
    assert event["reason"] == "finished"
    listed = gw.get("/api/v1/agents/minutes-bot/runs", headers=login("ref")).json()
    assert [r["run_id"] for r in listed] == [run]


# --- counters under concurrency -------------------------------------------------------------


async def _race(counters: RunCounters) -> tuple[int, set[str]]:
    caps = RunCaps(max_steps=10, max_tokens=10_000, max_cost_eur=Decimal("1"))

    async def one() -> str:
        try:
            await counters.charge("run-race", caps, tokens=100, cost_eur=Decimal("0.01"))
        except RunLimitReached as reached:
            return reached.limit
        return "ok"

    outcomes = await asyncio.gather(*(one() for _ in range(40)))
    usage = await counters.usage("run-race")
    await counters.aclose()
    assert (usage.steps, usage.tokens, usage.cost_eur) == (10, 1000, Decimal("0.1"))
    return outcomes.count("ok"), set(outcomes) - {"ok"}


def test_memory_run_counters_never_overshoot() -> None:
    assert asyncio.run(_race(MemoryRunCounters())) == (10, {"steps"})


def test_redis_run_counters_never_overshoot(redis_url: str) -> None:
    assert asyncio.run(_race(RedisRunCounters(redis_url))) == (10, {"steps"})


# --- the CLI --------------------------------------------------------------------------------


def test_cli(cli_env: Settings, world: World, rt: Runtime, tmp_path: Any) -> None:
    import orjson
    from tests.conftest import invoke

    file = tmp_path / "agent.json"
    file.write_bytes(orjson.dumps(agent_body(world)))
    code, output = invoke("agent", "register", str(file), "--as", "alice")
    assert code == 0, output
    assert "minutes-bot: Minutes bot [active]" in output
    code, output = invoke("agent", "list")
    assert "minutes-bot" in output
    assert "per run: 50 steps" in output
    code, output = invoke("agent", "key", "minutes-bot", "--name", "cli key")
    assert code == 0, output
    assert "gk_" in output
    code, output = invoke("agent", "suspend", "minutes-bot", "--reason", "cli test", "--as", "ref")
    assert code == 0, output
    assert "[suspended]" in output
    code, output = invoke("agent", "show", "nobody")
    assert code == 1, output
    assert "no agent" in output
    code, output = invoke("agent", "runs", "minutes-bot")
    assert code == 0, output
    assert "no run" in output
