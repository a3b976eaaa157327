"""Admission: live use cases only (the personal sandbox excepted), kill switches with the
fallback procedure, charter and training, revoked keys; limits and budgets answered with 429."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

import openai
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update
from tests.gateway_helpers import (
    World,
    sdk,
    transport_for,
)
from tests.inventory_helpers import records
from tests.registry_helpers import DEPLOYMENT

from gouvernail.audit import AuditContext
from gouvernail.db.base import utcnow
from gouvernail.gateway.accounting import Scope
from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.spend import month_start
from gouvernail.registry.models import UseCase
from gouvernail.runtime import Runtime

HELLO = [{"role": "user", "content": "Bonjour"}]


def refusal(gw: TestClient, key: str) -> tuple[int, dict[str, str]]:
    response = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": HELLO},
        headers={"Authorization": f"Bearer {key}"},
    )
    return response.status_code, response.json().get("error", {})


def test_only_live_use_cases_are_served(gw: TestClient, world: World, rt: Runtime) -> None:
    world.use_case("early", "alice", status="qualified")
    key = world.key("alice", "early")
    status, error = refusal(gw, key)
    assert (status, error["code"]) == (403, "use_case_not_live")
    assert "pilot or production" in error["message"]
    with rt.database.write() as session:
        session.execute(
            update(UseCase).where(UseCase.id == world.use_cases["early"]).values(status="pilot")
        )
    rt.gateway.forget()
    assert refusal(gw, key)[0] == 200


def test_sandbox_from_the_idea_stage(
    gw: TestClient, world: World, rt: Runtime, login: Callable[[str], dict[str, str]]
) -> None:
    alice = login("alice")
    opened = gw.post("/api/v1/sandbox", headers=alice)
    assert opened.status_code == 200, opened.text
    sandbox = opened.json()["use_case_id"]
    assert opened.json()["created"] is True
    assert gw.post("/api/v1/sandbox", headers=alice).json() == {
        "use_case_id": sandbox,
        "created": False,
    }
    created = gw.post(
        "/api/v1/keys", json={"name": "prototype", "use_case_id": sandbox}, headers=alice
    )
    assert created.status_code == 201, created.text
    client = sdk(gw, created.json()["secret"])
    answer = client.chat.completions.create(model="gpt-eu", messages=HELLO)
    assert answer.choices[0].message.content
    # the sandbox sees the lowest data class: an e-mail address is not sent as it is
    world.openai.echo = True
    echoed = client.chat.completions.create(
        model="gpt-eu",
        messages=[{"role": "user", "content": "Écris à jeanne.martin@example.com demain."}],
    )
    assert "jeanne.martin@example.com" not in world.openai.requests[-1].raw.decode()
    assert echoed.choices[0].message.content == "Écris à jeanne.martin@example.com demain."
    # a budget it cannot exceed
    configure = gw.put(
        f"/api/v1/use-cases/{sandbox}/gateway",
        json={"reason": "more room", "data_class_ceiling": "secret"},
        headers=login("ref"),
    )
    assert configure.status_code == 409


def test_kill_switches_turn_ai_off_with_the_fallback(
    gw: TestClient, world: World, rt: Runtime, login: Callable[[str], dict[str, str]]
) -> None:
    key = world.key("alice", "drafting")
    use_case = world.use_cases["drafting"]
    ref = login("ref")
    assert (
        gw.put(
            f"/api/v1/kill-switches/use-case/{use_case}",
            json={"engaged": True, "reason": "hallucinated references"},
            headers=login("alice"),
        ).status_code
        == 403
    ), "a use-case owner is not a kill-switch operator"
    engaged = gw.put(
        f"/api/v1/kill-switches/use-case/{use_case}",
        json={"engaged": True, "reason": "hallucinated references"},
        headers=ref,
    )
    assert engaged.status_code == 200, engaged.text
    status, error = refusal(gw, key)
    assert (status, error["code"]) == (503, "kill_switch_use_case")
    assert "hallucinated references" in error["message"]
    assert DEPLOYMENT["fallback_procedure"] in error["message"]
    with pytest.raises(openai.InternalServerError):
        sdk(gw, key).chat.completions.create(model="gpt-eu", messages=HELLO)
    gw.put(
        f"/api/v1/kill-switches/use-case/{use_case}",
        json={"engaged": False, "reason": "references fixed"},
        headers=ref,
    )
    assert refusal(gw, key)[0] == 200
    teams = gw.get("/api/v1/teams", headers=ref).json()
    rd_id = next(t["id"] for t in teams if t["slug"] == "rd")
    gw.put(
        f"/api/v1/kill-switches/team/{rd_id}",
        json={"engaged": True, "reason": "department audit"},
        headers=ref,
    )
    assert refusal(gw, key)[1]["code"] == "kill_switch_department", "teams under it too"
    gw.put(
        "/api/v1/kill-switches/global", json={"engaged": True, "reason": "incident"}, headers=ref
    )
    assert refusal(gw, key)[1]["code"] == "kill_switch_global"
    assert len(records(rt, "kill_switch.changed")) == 4
    switches = gw.get("/api/v1/kill-switches", headers=ref).json()
    assert {(s["scope"], s["engaged"]) for s in switches} == {
        ("global", True),
        ("team", True),
        ("use_case", False),
    }


def test_suspension_and_people_not_allowed(
    gw: TestClient, world: World, rt: Runtime, login: Callable[[str], dict[str, str]]
) -> None:
    key = world.key("alice", "drafting")
    with rt.database.write() as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == world.use_cases["drafting"])
            .values(status="suspended")
        )
    rt.gateway.forget()
    status, error = refusal(gw, key)
    assert (status, error["code"]) == (503, "use_case_suspended")
    assert DEPLOYMENT["fallback_procedure"] in error["message"]
    with rt.database.write() as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == world.use_cases["drafting"])
            .values(status="production")
        )
    rt.gateway.forget()
    revoked = gw.post(
        "/api/v1/keys/" + str(rt.keys.list(user_id=world.users["alice"])[0].id) + "/revoke",
        json={"reason": "left the project"},
        headers=login("alice"),
    )
    assert revoked.status_code == 200, revoked.text
    status, error = refusal(gw, key)
    assert (status, error["code"]) == (401, "revoked_api_key")
    unbound = world.key("bob", None)
    assert refusal(gw, unbound)[1]["code"] == "no_use_case"


def test_budget_and_rate_limits_answer_429(
    gw: TestClient, world: World, rt: Runtime, login: Callable[[str], dict[str, str]]
) -> None:
    key = world.key("alice", "drafting")
    ref = login("ref")
    limited = gw.put(
        f"/api/v1/gateway/limits/use_case/{world.use_cases['drafting']}",
        json={"requests_per_minute": 2, "reason": "pilot with two calls a minute"},
        headers=ref,
    )
    assert limited.status_code == 200, limited.text
    assert refusal(gw, key)[0] == 200
    assert refusal(gw, key)[0] == 200
    response = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": HELLO},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    world.use_case("bobs", "bob")
    gw.put(
        f"/api/v1/gateway/limits/user/{world.users['bob']}",
        json={"monthly_budget_eur": "0.000001", "reason": "no budget left"},
        headers=ref,
    )
    with pytest.raises(openai.RateLimitError) as exceeded:
        sdk(gw, world.key("bob", "bobs")).chat.completions.create(model="gpt-eu", messages=HELLO)
    assert exceeded.value.code == "insufficient_quota"
    assert gw.get("/api/v1/gateway/limits", headers=login("alice")).status_code == 403


def test_monthly_spend_survives_a_restart(gw: TestClient, world: World, rt: Runtime) -> None:
    """A replica starting up seeds its quota store from the month's request log: the user,
    key, use case and every team above the caller count what was already spent."""
    key = world.key("alice", "drafting")
    for _ in range(2):
        assert refusal(gw, key)[0] == 200
    now = utcnow()
    with rt.database.write() as session:  # last month's spend does not count
        last_month = month_start(now) - timedelta(days=2)
        session.execute(
            insert(RequestLog).values(
                at=last_month,
                request_id="old",
                user_id=world.users["alice"],
                operation="chat",
                stream=False,
                model_requested="gpt-eu",
                decision="allow",
                status=200,
                cost_eur=Decimal("5"),
            )
        )
        spent = session.scalar(
            select(func.sum(RequestLog.cost_eur)).where(RequestLog.at >= month_start(now))
        )
        teams = [t.id for t in rt.directory.list_teams()]
    assert spent is not None
    assert spent > 0
    restarted = rt.build_gateway(transport_for(world))

    async def usage() -> dict[Scope, Decimal]:
        assert await restarted.seed_spend() >= 5
        month = now.strftime("%Y-%m")
        scopes = [
            Scope("user", str(world.users["alice"])),
            Scope("use_case", str(world.use_cases["drafting"])),
            *(Scope("team", str(team)) for team in teams),
        ]
        return {s: (await restarted.quotas.usage(s, month)).spent_eur for s in scopes}

    # the store counts whole micro-euros, rounded up
    assert set(asyncio.run(usage()).values()) == {
        spent.quantize(Decimal("0.000001"), ROUND_CEILING)
    }


def test_a_new_charter_not_accepted_closes_access(
    gw: TestClient, world: World, rt: Runtime, ctx: AuditContext
) -> None:
    key = world.key("alice", "drafting")
    assert refusal(gw, key)[0] == 200
    rules = rt.charters.rules_in_force()
    assert rules is not None
    draft = rt.charters.draft(
        ctx,
        number="2026.2",
        title="Charter, second version",
        body="Same rules, new wording.",
        rules=rules.model_dump(mode="json"),
    )
    rt.charters.activate(ctx, draft.id, reason="new version", grace_days=0, require_approval=False)
    rt.gateway.forget()
    status, error = refusal(gw, key)
    assert (status, error["code"]) == (403, "charter_not_accepted")
    assert "accept" in error["message"].lower()
    refused = records(rt, "gateway.call_refused")
    assert refused[-1]["new"]["error_code"] == "charter_not_accepted"
