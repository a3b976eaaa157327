"""Energy, CO2e and sobriety hints through the API and the CLI, on SQLite and PostgreSQL, with
real gateway calls through the fake providers: figures per use case, department and model
computed from known calls and the inventory's declarations; a hint for short calls on a large
model when a smaller approved model is allowed for the same use case and data class, and none
when no such model exists or the calls are long; who may read; bad periods."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.conftest import invoke
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in

from gouvernail.gateway.models import RequestLog
from gouvernail.registry.schemas import UseCasePatch

ROOT = "/api/v1/observatory/environment"
PROMPT = "Bonjour le monde"  # 3 tokens for the fake providers (words)
ANSWER_TOKENS = 7  # "Bonjour, ceci est une réponse de test."
TOKENS = 3 + ANSWER_TOKENS
GRID = 56  # gCO2e per kWh declared for every model of the test inventory


def call(gw: TestClient, key: str, request_id: str, model: str, text: str = PROMPT) -> None:
    answer = gw.post(
        "/v1/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": request_id},
    )
    assert answer.status_code == 200, answer.text


def add_models(world: World) -> None:
    """A large model (12 Wh per 1k tokens, dear) and a small one for internal data at most."""
    common: dict[str, Any] = {
        "vendor": "fakeai",
        "upstream_model": "gpt-4o-mini",
        "endpoint": {"base_url": world.openai.base_url},
        "credential_ref": "FAKE_PROVIDER_KEY",
        "capabilities": ["chat"],
        "hosting": "eu_cloud",
    }
    world.add_model(
        "big-eu",
        max_data_class="confidential",
        energy={"wh_per_1k_tokens": 12, "grid_gco2e_per_kwh": GRID, "source": "vendor sheet"},
        pricing={
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 10,
            "output_per_million": 30,
        },
        **common,
    )
    world.add_model(
        "mini-eu",
        max_data_class="internal",
        energy={"wh_per_1k_tokens": 0.3, "grid_gco2e_per_kwh": GRID},
        pricing={
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 0.1,
            "output_per_million": 0.3,
        },
        **common,
    )


@pytest.fixture
def readers(world: World, make_user: Callable[..., int]) -> World:
    add_models(world)
    make_user("cm", "committee_member")
    make_user("aud", "auditor")
    drafting = world.use_cases["drafting"]  # the regulatory-affairs team's, so R&D's
    version = world.rt.use_cases.get(drafting).version
    world.rt.use_cases.update(
        world.ctx,
        drafting,
        UseCasePatch(version=version, department="reg-affairs", reason="owned by the team"),
    )
    return world


def tokens_of(world: World, request_id: str) -> tuple[int, int]:
    with world.rt.database.read() as session:
        row = session.execute(
            select(RequestLog.prompt_tokens, RequestLog.completion_tokens).where(
                RequestLog.request_id == request_id
            )
        ).one()
    return int(row[0]), int(row[1])


def test_energy_and_co2_per_use_case_department_and_model(gw: TestClient, readers: World) -> None:
    world = readers
    key = world.key("alice", "drafting")
    for i in range(3):
        call(gw, key, f"req-env-gpt-{i}", "gpt-eu")
    call(gw, key, "req-env-big", "big-eu")
    world.rt.directory.create_team(world.ctx, slug="quality", name="Quality", kind="department")
    other = world.use_case("inspections", "bob")
    world.rt.use_cases.update(
        world.ctx,
        other,
        UseCasePatch(
            version=world.rt.use_cases.get(other).version, department="quality", reason="QA's"
        ),
    )
    call(gw, world.key("bob", "inspections"), "req-env-other", "gpt-eu")
    assert tokens_of(world, "req-env-big") == (3, ANSWER_TOKENS)

    report = gw.get(ROOT, headers=signed_in(gw, "cm"))
    assert report.status_code == 200, report.text
    r = report.json()
    gpt_kwh = 4 * 1.2 * TOKENS / 1000 / 1000  # Wh per 1k tokens x tokens, in kWh
    big_kwh = 12 * TOKENS / 1000 / 1000
    total = r["total"]
    assert (total["calls"], total["calls_estimated"], total["tokens"]) == (5, 5, 5 * TOKENS)
    assert total["energy_kwh"] == pytest.approx(gpt_kwh + big_kwh)
    assert total["co2e_kg"] == pytest.approx((gpt_kwh + big_kwh) * GRID / 1000)

    models = {m["model"]: m["footprint"] for m in r["by_model"]}
    assert models["gpt-eu"]["energy_kwh"] == pytest.approx(gpt_kwh)
    assert models["big-eu"]["energy_kwh"] == pytest.approx(big_kwh)
    assert models["big-eu"]["co2e_kg"] == pytest.approx(big_kwh * GRID / 1000)
    assert [m["model"] for m in r["by_model"]] == ["big-eu", "gpt-eu"]  # heaviest first

    use_cases = {u["use_case_id"]: u["footprint"] for u in r["by_use_case"]}
    drafting = use_cases[world.use_cases["drafting"]]
    assert drafting["calls"] == 4
    assert drafting["energy_kwh"] == pytest.approx(3 * 1.2 * TOKENS / 1e6 + big_kwh)
    assert use_cases[world.use_cases["inspections"]]["energy_kwh"] == pytest.approx(
        1.2 * TOKENS / 1e6
    )
    departments = {d["department"]: d["footprint"] for d in r["by_department"]}
    assert departments["R&D"]["calls"] == 4
    assert departments["Quality"]["calls"] == 1

    factors = {f["model"]: f for f in r["factors"]}
    assert factors["big-eu"]["method"] == "inventory"
    assert factors["big-eu"]["wh_per_1k_tokens"] == 12
    assert factors["big-eu"]["grid_gco2e_per_kwh"] == GRID
    assert factors["big-eu"]["source"] == "vendor sheet"
    assert factors["big-eu"]["calls_by_source"] == {"inventory": 1}
    assert "grid factor" in r["method"]

    # one department: its use cases only
    rd = gw.get(ROOT, params={"department": "rd"}, headers=signed_in(gw, "aud")).json()
    assert rd["department"] == "rd"
    assert rd["total"]["calls"] == 4
    assert rd["total"]["energy_kwh"] == pytest.approx(drafting["energy_kwh"])

    # a period before the calls has none
    old = gw.get(
        ROOT,
        params={"since": "2026-01-01", "until": "2026-01-31"},
        headers=signed_in(gw, "cm"),
    ).json()
    assert old["total"]["calls"] == 0
    assert old["since"].startswith("2026-01-01")


def test_a_sobriety_hint_names_the_smaller_approved_model(gw: TestClient, readers: World) -> None:
    world = readers
    key = world.key("alice", "drafting")
    for i in range(2):
        call(gw, key, f"req-short-{i}", "big-eu")
    call(gw, key, "req-long", "big-eu", " ".join(["mot"] * 250))  # not short: no hint
    call(gw, key, "req-small", "mini-eu")  # already the smallest

    hints = gw.get(f"{ROOT}/sobriety", headers=signed_in(gw, "cm"))
    assert hints.status_code == 200, hints.text
    found = hints.json()
    assert found["thresholds"] == {
        "short_prompt_tokens": 200,
        "short_answer_tokens": 200,
        "max_energy_ratio": 0.5,
    }
    (hint,) = found["hints"]
    assert (hint["use_case_id"], hint["model"], hint["alternative"]) == (
        world.use_cases["drafting"],
        "big-eu",
        "mini-eu",
    )
    assert (hint["calls"], hint["tokens"], hint["data_class"]) == (2, 2 * TOKENS, None)
    assert hint["energy_kwh"] == pytest.approx(2 * 12 * TOKENS / 1e6)
    assert hint["energy_kwh_if_switched"] == pytest.approx(2 * 0.3 * TOKENS / 1e6)
    assert hint["energy_saved_kwh"] == pytest.approx(2 * 11.7 * TOKENS / 1e6)
    assert hint["co2e_saved_kg"] == pytest.approx(2 * 11.7 * TOKENS / 1e6 * GRID / 1000)
    big_cost = (10 * 3 + 30 * ANSWER_TOKENS) / 1e6
    mini_cost = (0.1 * 3 + 0.3 * ANSWER_TOKENS) / 1e6
    assert hint["cost_eur"] == pytest.approx(2 * big_cost)
    assert hint["cost_saved_eur"] == pytest.approx(2 * (big_cost - mini_cost))
    assert sorted(hint["examples"]) == ["req-short-0", "req-short-1"]
    assert "would have used 2% of the energy" in hint["reason"]
    assert found["energy_saved_kwh"] == pytest.approx(hint["energy_saved_kwh"])

    # confidential data may not go to mini-eu (internal at most): the next smaller model
    with world.rt.database.write() as session:  # as if the detectors had found it
        session.execute(
            update(RequestLog)
            .where(RequestLog.request_id.in_(["req-short-0", "req-short-1"]))
            .values(data_class="confidential")
        )
    (hint,) = gw.get(f"{ROOT}/sobriety", headers=signed_in(gw, "cm")).json()["hints"]
    assert (hint["data_class"], hint["alternative"]) == ("confidential", "claude-eu")
    assert hint["energy_kwh_if_switched"] == pytest.approx(2 * 1.2 * TOKENS / 1e6)


def test_no_hint_without_a_smaller_approved_model(gw: TestClient, readers: World) -> None:
    world = readers
    world.use_case("big-only", "alice", allowed_models=["big-eu"])
    call(gw, world.key("alice", "big-only"), "req-big-only", "big-eu")
    world.use_case("big-or-gpt", "alice", allowed_models=["big-eu", "gpt-eu"])
    call(gw, world.key("alice", "big-or-gpt"), "req-big-or-gpt", "big-eu")
    found = world.rt.environment.sobriety(_period())
    assert [(h.use_case_id, h.alternative) for h in found.hints] == [
        (world.use_cases["big-or-gpt"], "gpt-eu")
    ]
    # a suspended model is no alternative
    from gouvernail.inventory.values import ModelStatus

    world.rt.inventory.set_status(
        world.ctx, "gpt-eu", ModelStatus.SUSPENDED, reason="vendor incident"
    )
    assert world.rt.environment.sobriety(_period()).hints == []


def _period() -> Any:
    from gouvernail.observatory.environment.service import Period

    return Period()


def test_who_may_read_and_bad_periods(gw: TestClient, readers: World) -> None:
    for path in (ROOT, f"{ROOT}/sobriety"):
        assert gw.get(path).status_code == 401
        assert gw.get(path, headers=signed_in(gw, "alice")).status_code == 403  # an owner
        assert gw.get(path, headers=signed_in(gw, "ref")).status_code == 200
        assert gw.get(path, headers=signed_in(gw, "aud")).status_code == 200
    cm = signed_in(gw, "cm")
    backwards = gw.get(ROOT, params={"since": "2026-03-01", "until": "2026-02-01"}, headers=cm)
    assert backwards.status_code == 400
    assert backwards.json()["error"]["field"] == "since"
    unknown = gw.get(ROOT, params={"department": "nowhere"}, headers=cm)
    assert unknown.status_code == 404
    assert "no team 'nowhere'" in unknown.json()["error"]["message"]
    assert gw.get(ROOT, params={"days": 0}, headers=cm).status_code == 422
    assert gw.get(ROOT, params={"since": "yesterday"}, headers=cm).status_code == 422


def test_the_cli_prints_the_footprint_and_the_hints(
    gw: TestClient, readers: World, cli_env: Any
) -> None:
    world = readers
    call(gw, world.key("alice", "drafting"), "req-cli-env", "big-eu")
    code, output = invoke("environment", "report", "--json")
    assert code == 0, output
    assert json.loads(output)["total"]["calls"] == 1
    code, output = invoke("environment", "report", "--department", "rd")
    assert code == 0, output
    assert "model big-eu: " in output
    assert "factors big-eu: inventory (12 Wh per 1k tokens, grid 56 gCO2e/kWh)" in output
    code, output = invoke("environment", "sobriety")
    assert code == 0, output
    assert "1 short calls on big-eu -> mini-eu" in output
    code, output = invoke("environment", "sobriety", "--since", "2026-13-01")
    assert code == 2
    assert "YYYY-MM-DD" in output
