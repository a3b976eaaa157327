"""Feedback on gateway answers and the error rates it gives, through the API on SQLite and
PostgreSQL: who may judge which answer (the caller, use-case members, the use case's API key,
AI referents; not others), what cannot be judged, replacing a verdict, the rates per use case
and model over 7 and 90 days with Wilson intervals, and a worsening short-term rate."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.conftest import invoke
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in

from gouvernail.audit.models import AuditRecord
from gouvernail.db.base import utcnow
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.feedback.rates import wilson

Login = Callable[[str], dict[str, str]]


def call(gw: TestClient, key: str, request_id: str, text: str = "Bonjour") -> None:
    answer = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": request_id},
    )
    assert answer.status_code == 200, answer.text


def judge(
    gw: TestClient, headers: dict[str, str], request_id: str, verdict: str, comment: str = ""
) -> Any:
    return gw.post(
        "/api/v1/feedback",
        json={"request_id": request_id, "verdict": verdict, "comment": comment},
        headers=headers,
    )


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (1, 100, 0.0018, 0.0545),
    ],
)
def test_wilson_intervals(successes: int, trials: int, low: float, high: float) -> None:
    assert wilson(successes, trials) == pytest.approx((low, high), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)  # nothing known


@pytest.mark.parametrize("trials", [1, 3, 7, 10, 49, 1000])
def test_no_error_has_a_lower_bound_of_exactly_zero(trials: int) -> None:
    """Else "no error this week" (a float ~1e-17 above 0) would be worse than "no error in 90
    days" (exactly 0), and flagged as worsening."""
    assert wilson(0, trials)[0] == 0.0
    assert wilson(trials, trials)[1] == 1.0


def test_who_may_judge_an_answer(
    gw: TestClient, world: World, make_user: Callable[..., int]
) -> None:
    alice_key = world.key("alice", "drafting")
    call(gw, alice_key, "req-judge-1")
    make_user("outsider")
    # the caller, with the key she called with or signed in
    by_key = judge(gw, {"Authorization": f"Bearer {alice_key}"}, "req-judge-1", "useful")
    assert by_key.status_code == 201, by_key.text
    assert (by_key.json()["model"], by_key.json()["use_case_id"]) == (
        "gpt-eu",
        world.use_cases["drafting"],
    )
    assert judge(gw, signed_in(gw, "bob"), "req-judge-1", "wrong").status_code == 201  # member
    assert judge(gw, signed_in(gw, "ref"), "req-judge-1", "harmful").status_code == 201  # referent
    outsider = judge(gw, signed_in(gw, "outsider"), "req-judge-1", "wrong")
    assert outsider.status_code == 403
    assert "only the caller" in outsider.json()["error"]["message"]
    unknown = judge(gw, signed_in(gw, "bob"), "req-nobody-made", "wrong")
    assert unknown.status_code == 404
    bad = gw.post(
        "/api/v1/feedback",
        json={"request_id": "req-judge-1", "verdict": "meh"},
        headers=signed_in(gw, "bob"),
    )
    assert bad.status_code == 422
    assert (
        gw.post("/api/v1/feedback", json={"request_id": "x", "verdict": "wrong"}).status_code == 401
    )

    # a refused call has no answer to judge
    refused = gw.post(
        "/v1/chat/completions",
        json={"model": "no-such-model", "messages": [{"role": "user", "content": "Bonjour"}]},
        headers={"Authorization": f"Bearer {alice_key}", "X-Request-ID": "req-refused-1"},
    )
    assert refused.status_code >= 400
    conflict = judge(gw, signed_in(gw, "alice"), "req-refused-1", "wrong")
    assert conflict.status_code == 409

    # a second verdict of the same person replaces the first, both in the trail
    again = judge(gw, signed_in(gw, "alice"), "req-judge-1", "wrong", "the date is wrong")
    assert again.status_code == 201
    assert again.json()["replaced"] == "useful"
    with world.rt.database.read() as session:
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "feedback.given")
        ).all()
    assert len(records) == 4
    assert json.loads(records[-1].old_values) == {"verdict": "useful"}
    assert "the date is wrong" not in records[-1].new_values  # comments stay out of the trail


def test_error_rates_per_use_case_and_model(
    gw: TestClient, world: World, make_user: Callable[..., int]
) -> None:
    key = world.key("alice", "drafting")
    for i in range(12):
        call(gw, key, f"req-rate-{i}", f"Question {i}")
    old = [f"req-rate-{i}" for i in range(8)]
    with world.rt.database.write() as session:  # eight of the calls were made last month
        session.execute(
            update(RequestLog)
            .where(RequestLog.request_id.in_(old))
            .values(at=utcnow() - timedelta(days=30))
        )
    alice = signed_in(gw, "alice")
    for i, verdict in enumerate(["useful"] * 7 + ["wrong"] + ["wrong", "harmful", "useful"]):
        assert judge(gw, alice, f"req-rate-{i}", verdict).status_code == 201
    make_user("cm", "committee_member")
    assert (
        gw.get("/api/v1/observatory/error-rates", headers=signed_in(gw, "bob")).status_code == 403
    )
    rates = gw.get("/api/v1/observatory/error-rates", headers=signed_in(gw, "cm"))
    assert rates.status_code == 200, rates.text
    (group,) = rates.json()["groups"]
    assert group["use_case_id"] == world.use_cases["drafting"]
    assert group["use_case"].startswith("drafting")
    short, long = group["short"], group["long"]
    assert (short["calls"], short["rated"], short["flagged"]) == (4, 3, 2)
    assert (long["calls"], long["rated"], long["flagged"]) == (12, 11, 3)
    assert short["error_rate"]["value"] == pytest.approx(2 / 3)
    assert long["error_rate"]["value"] == pytest.approx(3 / 11)
    assert long["flag_rate"]["value"] == pytest.approx(3 / 12)
    assert (long["error_rate"]["low"], long["error_rate"]["high"]) == pytest.approx(wilson(3, 11))
    assert short["by_verdict"] == {"harmful": 1, "useful": 1, "wrong": 1}
    assert group["worsening"] is False  # 3 judged answers are too few to tell

    by_model = gw.get(
        "/api/v1/observatory/error-rates", params={"by": "model"}, headers=signed_in(gw, "cm")
    ).json()
    assert [g["model"] for g in by_model["groups"]] == ["gpt-eu"]


def test_a_significant_rise_is_flagged_worsening(gw: TestClient, world: World) -> None:
    key = world.key("alice", "drafting")
    for i in range(40):
        call(gw, key, f"req-w-{i}", f"Q{i}")
    with world.rt.database.write() as session:
        session.execute(
            update(RequestLog)
            .where(RequestLog.request_id.in_([f"req-w-{i}" for i in range(30)]))
            .values(at=utcnow() - timedelta(days=40))
        )
    alice = signed_in(gw, "alice")
    for i in range(30):  # last month: 1 bad answer in 30
        assert judge(gw, alice, f"req-w-{i}", "wrong" if i == 0 else "useful").status_code == 201
    for i in range(30, 40):  # this week: 8 in 10
        assert judge(gw, alice, f"req-w-{i}", "wrong" if i < 38 else "useful").status_code == 201
    rates = world.rt.feedback.rates("use_case")
    (group,) = rates.groups
    assert group.short.error_rate.low > group.long.error_rate.value  # type: ignore[operator]
    assert group.worsening is True


def test_the_cli_records_a_verdict_and_prints_the_rates(
    gw: TestClient, world: World, cli_env: Any
) -> None:
    call(gw, world.key("alice", "drafting"), "req-cli-1")
    code, output = invoke("observatory", "feedback", "req-cli-1", "wrong", "--as", "bob")
    assert code == 0, output
    assert "req-cli-1: wrong" in output
    code, output = invoke("observatory", "feedback", "req-cli-1", "wrong", "--as", "nobody")
    assert code == 1
    assert "no user 'nobody'" in output
    code, output = invoke("observatory", "error-rates", "--by", "model")
    assert code == 0, output
    assert "gpt-eu" in output
    assert "100.0%" in output
    code, output = invoke("observatory", "error-rates", "--json")
    assert json.loads(output)["groups"][0]["long"]["flagged"] == 1


def test_error_rates_per_prompt_version(
    gw: TestClient, world: World, make_user: Callable[..., int], cli_env: Any
) -> None:
    alice = signed_in(gw, "alice")
    prompts = f"/api/v1/use-cases/{world.use_cases['drafting']}/prompts"
    v1 = gw.post(prompts, json={"text": "Version une."}, headers=alice).json()
    v2 = gw.post(prompts, json={"text": "Version deux."}, headers=alice).json()
    key = world.key("alice", "drafting")
    plan = [(v1, "useful"), (v1, "useful"), (v1, "wrong"), (v2, "wrong"), (v2, "harmful")]
    for i, (version, _) in enumerate(plan):
        answer = gw.post(
            "/v1/chat/completions",
            json={"model": "gpt-eu", "messages": [{"role": "user", "content": f"Q{i}"}]},
            headers={
                "Authorization": f"Bearer {key}",
                "X-Request-ID": f"req-pv-{i}",
                "x-gouvernail-prompt-version": str(version["id"]),
            },
        )
        assert answer.status_code == 200, answer.text
    call(gw, key, "req-pv-none")  # no prompt version recorded
    for i, (version, verdict) in enumerate(plan):
        given = judge(gw, alice, f"req-pv-{i}", verdict)
        assert given.json()["prompt_version_id"] == version["id"]
    assert judge(gw, alice, "req-pv-none", "useful").json()["prompt_version_id"] is None

    make_user("cm", "committee_member")
    rates = gw.get(
        "/api/v1/observatory/error-rates",
        params={"by": "prompt_version"},
        headers=signed_in(gw, "cm"),
    )
    assert rates.status_code == 200, rates.text
    groups = rates.json()["groups"]
    assert [
        (g["prompt_version_id"], g["prompt_name"], g["prompt_version"], g["use_case_id"])
        for g in groups
    ] == [
        (v1["id"], "system", 1, world.use_cases["drafting"]),
        (v2["id"], "system", 2, world.use_cases["drafting"]),
        (None, None, None, None),
    ]
    assert [(g["long"]["calls"], g["long"]["rated"], g["long"]["flagged"]) for g in groups] == [
        (3, 3, 1),
        (2, 2, 2),
        (1, 1, 0),
    ]
    assert groups[0]["use_case"].startswith("drafting")
    assert groups[1]["long"]["error_rate"]["value"] == 1.0

    code, output = invoke("observatory", "error-rates", "--by", "prompt_version")
    assert code == 0, output
    code, output = invoke("observatory", "error-rates", "--by", "prompt_version", "--json")
    assert [
        (g["prompt_name"], g["prompt_version"], g["long"]["flagged"])
        for g in json.loads(output)["groups"]
    ] == [("system", 1, 1), ("system", 2, 2), (None, None, 0)]
    code, output = invoke("observatory", "error-rates", "--by", "prompt")
    assert code == 2
