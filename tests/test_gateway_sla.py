"""Provider SLA measured from the request log: availability (failovers count against the model
that failed), latency percentiles, and breaches of the SLA recorded in the inventory."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.conftest import invoke
from tests.gateway_helpers import World, sdk

from gouvernail.gateway.sla import percentile
from gouvernail.settings import Settings

HELLO = [{"role": "user", "content": "Bonjour"}]


def test_availability_latency_and_breaches_per_model(
    gw: TestClient, world: World, login: Callable[[str], dict[str, str]]
) -> None:
    client = sdk(gw, world.key("alice", "drafting"))
    for _ in range(3):
        client.chat.completions.create(model="gpt-eu", messages=HELLO, max_tokens=10)
    world.openai.fail(503, 503, 503, 503)  # retries exhausted: failover to claude-eu
    client.chat.completions.create(model="gpt-eu", messages=HELLO, max_tokens=10)

    answer = gw.get("/api/v1/gateway/sla", params={"days": 7}, headers=login("ref"))
    assert answer.status_code == 200, answer.text
    rows = {row["model"]: row for row in answer.json()["models"]}
    gpt, claude = rows["gpt-eu"], rows["claude-eu"]
    assert (gpt["calls"], gpt["failures"], gpt["availability_pct"]) == (4, 1, 75.0)
    assert gpt["provider"] == "fakeai"
    assert gpt["latency_p50_ms"] is not None
    assert gpt["latency_p50_ms"] <= gpt["latency_p95_ms"] <= gpt["latency_p99_ms"]
    assert gpt["contracted_availability_pct"] == 99.9
    assert gpt["breaches"] == ["availability 75.0 % below the contracted 99.9 %"]
    assert (claude["calls"], claude["failures"], claude["availability_pct"]) == (1, 0, 100.0)
    assert claude["breaches"] == []


def test_sla_report_is_for_readers_of_the_gateway_and_days_are_bounded(
    gw: TestClient, world: World, login: Callable[[str], dict[str, str]]
) -> None:
    assert gw.get("/api/v1/gateway/sla", headers=login("alice")).status_code == 403
    assert gw.get("/api/v1/gateway/sla").status_code == 401
    ref = login("ref")
    for days in (0, 91, "week"):
        answer = gw.get("/api/v1/gateway/sla", params={"days": days}, headers=ref)
        assert answer.status_code == 422, days
    empty = gw.get("/api/v1/gateway/sla", headers=ref).json()
    assert empty["models"] == []


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0


def test_sla_from_the_command_line(cli_env: Settings) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, output = invoke("gateway", "sla", "--days", "7")
    assert code == 0, output
    assert "no model calls in the last 7 days" in output
