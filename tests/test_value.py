"""Value and ROI of use cases through the API and the CLI, on SQLite and PostgreSQL, with real
gateway calls through the fake providers: the value model (declared or measured time saved,
always labelled), adoption by department and hierarchy level from the request log, token costs
from the log, hours freed against savings realised, ROI and payback; who may read and set a
value model; refusals that write nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.conftest import invoke
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in
from tests.registry_helpers import DEPLOYMENT

from gouvernail.audit.models import AuditRecord
from gouvernail.db.base import utcnow
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.licences.schemas import ToolIn
from gouvernail.observatory.value import roi
from gouvernail.registry.models import UseCase
from gouvernail.registry.schemas import MeasurementIn, UseCaseIn

ROOT = "/api/v1/observatory/value"
TODAY = date.today()


def call(gw: TestClient, key: str, request_id: str, text: str = "Draft the summary") -> None:
    answer = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": request_id},
    )
    assert answer.status_code == 200, answer.text


def summaries(world: World) -> int:
    """A use case in production of the regulatory-affairs team (so in R&D), owned by alice,
    with two key results: minutes per dossier and a satisfaction score."""
    rt, ctx = world.rt, world.ctx
    view = rt.use_cases.submit(
        ctx,
        world.users["alice"],
        UseCaseIn.model_validate(
            {
                "title": "Summaries of regulatory dossiers",
                "description": "Drafts the summary of a regulatory dossier for review.",
                "objective": "Halve the time a dossier summary takes.",
                "department": "reg-affairs",
                "key_results": [
                    {
                        "description": "Minutes to summarise one dossier",
                        "unit": "minutes",
                        "baseline": 45,
                        "target": 20,
                        "due_on": (TODAY + timedelta(days=90)).isoformat(),
                    },
                    {
                        "description": "Reviewer satisfaction",
                        "unit": "score out of 5",
                        "baseline": 3,
                        "target": 4,
                        "due_on": (TODAY + timedelta(days=90)).isoformat(),
                    },
                ],
                "duplicate_justification": "test fixture",
            }
        ),
    )
    with rt.database.write() as session:  # the lifecycle gates are tested elsewhere
        session.execute(
            update(UseCase)
            .where(UseCase.id == view.id)
            .values(status="production", deployment=orjson.dumps(DEPLOYMENT).decode())
        )
    world.use_cases["summaries"] = view.id
    return view.id


def key_results(world: World, use_case_id: int) -> list[int]:
    return [kr.id for kr in world.rt.use_cases.get(use_case_id).key_results]


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "baseline_minutes_per_task": 45,
        "tasks_per_month": 200,
        "hourly_cost_eur": 60,
        "time_saved": {"method": "declared", "minutes_saved_per_task": 30},
        "redeployed_share": 0.5,
        "redeployment_note": "half the freed time goes to the backlog of variations",
        "target_users": 10,
        "licence_eur_per_month": 500,
        "hosting_eur_per_month": 200,
        "support_eur_per_month": 300,
        "build_cost_eur": 12000,
        "reason": "first business case",
    }
    values.update(overrides)
    return values


@pytest.fixture
def people(
    world: World, make_user: Callable[..., int], compliant_user: Callable[..., None]
) -> World:
    """Two more members of the summaries use case: a manager of regulatory affairs (R&D) and
    a staff member of the Quality department; the world's alice and bob have no level."""
    rt, ctx = world.rt, world.ctx
    rt.directory.create_team(ctx, slug="quality", name="Quality", kind="department")
    world.users["carol"] = make_user("carol", team="reg-affairs", level="manager")
    world.users["dan"] = make_user("dan", team="quality", level="staff")
    for name in ("carol", "dan"):
        compliant_user(world.users[name])
    use_case = summaries(world)
    for name in ("bob", "carol", "dan"):
        rt.curation.add_member(ctx, use_case, world.users[name], reason="joins the summaries")
    make_user("cm", "committee_member")
    make_user("aud", "auditor")
    return world


def tokens_cost(world: World, use_case_id: int) -> float:
    with world.rt.database.read() as session:
        return float(
            session.scalar(
                select(func.sum(RequestLog.cost_eur)).where(RequestLog.use_case_id == use_case_id)
            )
            or 0
        )


@pytest.mark.parametrize(
    ("inputs", "hours", "savings", "roi_value", "payback"),
    [
        # 200 tasks x 30 min = 100 h x 60 EUR = 6000; half redeployed = 3000; costs 1000
        ((30, 200.0, 30.0, 60.0, 0.5, 0.0, 500.0, 200.0, 300.0, 12000.0), 100, 3000, 2.0, 6.0),
        # a 60-day period: monthly costs double, build repaid by the monthly net
        ((60, 400.0, 30.0, 60.0, 0.5, 0.0, 500.0, 200.0, 300.0, 12000.0), 200, 6000, 2.0, 6.0),
        # nothing redeployed: hours freed but no savings, never repaid
        ((30, 200.0, 30.0, 60.0, 0.0, 10.0, 500.0, 0.0, 0.0, 12000.0), 100, 0, -1.0, None),
        # no cost at all: ROI undefined, payback immediate
        ((30, 10.0, 6.0, 50.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0), 1, 50, None, 0.0),
    ],
)
def test_roi_arithmetic(
    inputs: tuple[Any, ...], hours: float, savings: float, roi_value: float | None, payback: Any
) -> None:
    outcome = roi.compute(roi.Inputs(*inputs))
    assert outcome.hours_freed == pytest.approx(hours)
    assert outcome.savings_realised_eur == pytest.approx(savings)
    assert outcome.roi == (pytest.approx(roi_value) if roi_value is not None else None)
    assert outcome.payback_months == (pytest.approx(payback) if payback is not None else None)


def test_a_declared_value_model_gives_labelled_roi_and_adoption(
    gw: TestClient, people: World
) -> None:
    world = people
    use_case = world.use_cases["summaries"]
    for i, name in enumerate(("alice", "bob", "carol", "dan")):
        call(gw, world.key(name, "summaries"), f"req-value-{i}")
    call(gw, world.key("alice", "summaries"), "req-value-again")
    call(gw, world.key("alice", "drafting"), "req-other-use-case")
    with world.rt.database.write() as session:  # bob's call was two months ago: not active
        session.execute(
            update(RequestLog)
            .where(RequestLog.request_id == "req-value-1")
            .values(at=utcnow() - timedelta(days=60))
        )

    alice = signed_in(gw, "alice")
    created = gw.put(f"{ROOT}/{use_case}", json=body(), headers=alice)
    assert created.status_code == 200, created.text
    assert created.json()["version"] == 1
    assert created.json()["time_saved"] == {"method": "declared", "minutes_saved_per_task": 30}

    report = gw.get(f"{ROOT}/{use_case}", headers=signed_in(gw, "cm"))
    assert report.status_code == 200, report.text
    r = report.json()
    assert r["baseline_minutes_per_task"] == {"value": 45, "source": "declared"}
    assert r["baseline_cost_per_task_eur"] == pytest.approx(45.0)
    assert r["hourly_cost_eur"] == {"value": 60, "source": "declared on the use case"}
    assert r["tasks"]["value"] == pytest.approx(200)
    assert r["tasks"]["source"].startswith("declared")
    saved = r["time_saved"]
    assert (saved["label"], saved["method"], saved["by"]) == ("declared", "declared", "Alice")
    assert saved["minutes_per_task"] == 30

    adoption = r["adoption"]
    assert (adoption["days"], adoption["active_users"], adoption["target_users"]) == (30, 3, 10)
    assert adoption["rate"] == pytest.approx(0.3)
    assert adoption["by_department"] == [
        {"name": "R&D", "active_users": 2},
        {"name": "Quality", "active_users": 1},
    ]
    assert adoption["by_level"] == [
        {"name": "(no level)", "active_users": 1},
        {"name": "manager", "active_users": 1},
        {"name": "staff", "active_users": 1},
    ]

    tokens = tokens_cost(world, use_case)  # measured: the summaries' calls in the last 30 days
    with world.rt.database.read() as session:
        old = session.scalar(
            select(RequestLog.cost_eur).where(RequestLog.request_id == "req-value-1")
        )
    tokens -= float(old or 0)
    assert tokens > 0
    costs = r["costs"]
    assert costs["tokens_eur"] == pytest.approx(tokens)
    assert costs["calls"] == 4
    assert (costs["licences_eur"], costs["hosting_eur"], costs["support_eur"]) == (500, 200, 300)
    assert costs["total_eur"] == pytest.approx(1000 + tokens)
    results = r["results"]
    assert results["hours_freed"] == pytest.approx(100)
    assert results["hours_freed_value_eur"] == pytest.approx(6000)
    assert results["savings_realised_eur"] == pytest.approx(3000)
    assert results["net_eur"] == pytest.approx(2000 - tokens)
    assert results["roi"] == pytest.approx((3000 - (1000 + tokens)) / (1000 + tokens))
    assert results["payback_months"] == pytest.approx(12000 / (2000 - tokens))

    # the edit is in the trail, with who declared the time saved
    with world.rt.database.read() as session:
        (record,) = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "value.model_set")
        ).all()
    assert record.object_id == str(use_case)
    new = json.loads(record.new_values)
    assert new["time_saved"]["minutes_saved_per_task"] == 30
    assert new["time_saved_by"] == "Alice"
    assert record.reason == "first business case"


def test_measured_time_saved_from_a_key_result_or_a_study(gw: TestClient, people: World) -> None:
    world, rt, ctx = people, people.rt, people.ctx
    use_case = world.use_cases["summaries"]
    minutes, score = key_results(world, use_case)
    for i in range(6):
        call(gw, world.key("carol", "summaries"), f"req-kr-{i}")
    ref = signed_in(gw, "ref")

    # a key result without a measurement cannot give a measured time
    kr_body = body(
        baseline_minutes_per_task=None,
        key_result_id=minutes,
        time_saved={"method": "key_result"},
        tasks_per_month=None,
        calls_per_task=2,
        hourly_cost_eur=None,
    )
    early = gw.put(f"{ROOT}/{use_case}", json=kr_body, headers=ref)
    assert early.status_code == 409
    assert "no measured value yet" in early.json()["error"]["message"]
    rt.use_cases.measure(
        ctx,
        use_case,
        minutes,
        MeasurementIn(measured_value=18, measured_on=TODAY, note="timed on 12 dossiers"),
    )
    created = gw.put(f"{ROOT}/{use_case}", json=kr_body, headers=ref)
    assert created.status_code == 200, created.text
    r = gw.get(f"{ROOT}/{use_case}", headers=ref).json()
    assert r["baseline_minutes_per_task"] == {"value": 45, "source": f"key result #{minutes}"}
    assert r["hourly_cost_eur"] == {"value": 65, "source": "setting"}
    assert r["time_saved"]["label"] == "measured"
    assert r["time_saved"]["method"] == "key_result"
    assert r["time_saved"]["minutes_per_task"] == 27  # 45 - 18
    assert r["time_saved"]["by"] == "Ref"
    assert r["tasks"]["value"] == 3  # 6 answered calls, 2 per task
    assert r["tasks"]["source"].startswith("measured")
    assert r["results"]["hours_freed"] == pytest.approx(3 * 27 / 60)

    # a before/after study replaces it: measured too; the declarer changes with the method
    study = body(
        time_saved={
            "method": "study",
            "before_minutes": 44,
            "after_minutes": 20,
            "tasks_timed": 40,
            "note": "two weeks, four reviewers",
        },
        version=1,
    )
    replaced = gw.put(f"{ROOT}/{use_case}", json=study, headers=signed_in(gw, "alice"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2
    r = gw.get(f"{ROOT}/{use_case}", headers=ref).json()
    assert (r["time_saved"]["label"], r["time_saved"]["method"]) == ("measured", "study")
    assert r["time_saved"]["minutes_per_task"] == 24
    assert r["time_saved"]["by"] == "Alice"
    assert "40 tasks" in r["time_saved"]["detail"]

    # a key result in another unit, or another use case's, cannot give a baseline
    wrong_unit = gw.put(
        f"{ROOT}/{use_case}",
        json={**kr_body, "key_result_id": score, "version": 2},
        headers=ref,
    )
    assert wrong_unit.status_code == 400
    assert wrong_unit.json()["error"]["field"] == "key_result_id"
    assert "score out of 5" in wrong_unit.json()["error"]["message"]
    drafting = world.use_cases["drafting"]
    other = gw.put(f"{ROOT}/{drafting}", json={**kr_body, "version": None}, headers=ref)
    assert other.status_code == 400
    assert f"has no key result {minutes}" in other.json()["error"]["message"]


def test_bad_value_models_are_refused_and_write_nothing(gw: TestClient, people: World) -> None:
    world = people
    use_case = world.use_cases["summaries"]
    alice = signed_in(gw, "alice")
    cases = [
        (body(key_result_id=1), 422, "either key_result_id"),
        (body(tasks_per_month=None), 422, "either tasks_per_month"),
        (body(redeployment_note=""), 422, "redeployment_note"),
        (body(redeployed_share=1.5), 422, "less than or equal to 1"),
        (body(time_saved={"method": "declared", "minutes_saved_per_task": 50}), 400, "exceeds"),
        (body(time_saved={"method": "guess"}), 422, "method"),
        (body(reason=""), 422, "reason"),
    ]
    for sent, status, message in cases:
        answer = gw.put(f"{ROOT}/{use_case}", json=sent, headers=alice)
        assert answer.status_code == status, (sent, answer.text)
        assert message in answer.text, answer.text
    missing = gw.get(f"{ROOT}/{use_case}", headers=alice)
    assert missing.status_code == 404
    assert "no value model yet" in missing.json()["error"]["message"]
    assert gw.put(f"{ROOT}/99999", json=body(), headers=signed_in(gw, "ref")).status_code == 404

    assert gw.put(f"{ROOT}/{use_case}", json=body(), headers=alice).status_code == 200
    stale = gw.put(f"{ROOT}/{use_case}", json=body(), headers=alice)  # no version
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert gw.put(f"{ROOT}/{use_case}", json=body(version=5), headers=alice).status_code == 409
    assert gw.get(f"{ROOT}/{use_case}", params={"days": 0}, headers=alice).status_code == 422
    with world.rt.database.read() as session:
        records = session.scalar(
            select(func.count()).where(AuditRecord.action == "value.model_set")
        )
    assert records == 1


def test_who_may_read_and_set_value_models(gw: TestClient, people: World) -> None:
    world = people
    use_case, drafting = world.use_cases["summaries"], world.use_cases["drafting"]
    assert (
        gw.put(f"{ROOT}/{use_case}", json=body(), headers=signed_in(gw, "alice")).status_code == 200
    )
    # bob holds the use-case owner role but is only a member of summaries
    bob = signed_in(gw, "bob")
    assert gw.get(f"{ROOT}/{use_case}", headers=bob).status_code == 403
    assert gw.put(f"{ROOT}/{use_case}", json=body(version=1), headers=bob).status_code == 403
    assert gw.get(ROOT, headers=bob).json() == []  # he owns no use case with a value model
    nora = signed_in(gw, "nora")  # an employee
    assert gw.get(f"{ROOT}/{use_case}", headers=nora).status_code == 403
    assert gw.get(ROOT, headers=nora).status_code == 403
    for reader in ("cm", "aud"):
        headers = signed_in(gw, reader)
        assert gw.get(f"{ROOT}/{use_case}", headers=headers).status_code == 200
        listed = gw.get(ROOT, headers=headers).json()
        assert [r["use_case_id"] for r in listed] == [use_case]
        refused = gw.put(f"{ROOT}/{use_case}", json=body(version=1), headers=headers)
        assert refused.status_code == 403
    # the AI referent sets any use case's model; alice owns drafting too
    ref = signed_in(gw, "ref")
    assert gw.put(f"{ROOT}/{drafting}", json=body(), headers=ref).status_code == 200
    alice_list = gw.get(ROOT, headers=signed_in(gw, "alice")).json()
    assert sorted(r["use_case_id"] for r in alice_list) == sorted([use_case, drafting])
    assert gw.get(f"{ROOT}/{use_case}").status_code == 401
    with world.rt.database.read() as session:
        denied = session.scalar(
            select(func.count()).where(AuditRecord.action == "auth.access_denied")
        )
    assert denied == 6  # bob twice, nora twice, the committee member and the auditor


def test_the_cli_sets_and_prints_value_reports(
    gw: TestClient, people: World, cli_env: Any, tmp_path: Path
) -> None:
    world = people
    use_case = world.use_cases["summaries"]
    call(gw, world.key("dan", "summaries"), "req-cli-value")
    model = tmp_path / "value.yaml"
    model.write_text(
        "baseline_minutes_per_task: 45\ntasks_per_month: 200\nhourly_cost_eur: 60\n"
        "time_saved: {method: declared, minutes_saved_per_task: 30}\n"
        "redeployed_share: 0.5\nredeployment_note: backlog of variations\n"
        "licence_eur_per_month: 500\nhosting_eur_per_month: 200\nsupport_eur_per_month: 300\n"
        "build_cost_eur: 12000\nreason: business case from the console\n",
        encoding="utf-8",
    )
    code, output = invoke("value", "set", str(use_case), str(model), "--as", "bob")
    assert code == 1
    assert "bob may not set" in output
    code, output = invoke("value", "set", str(use_case), str(model), "--as", "alice")
    assert code == 0, output
    assert f"use case {use_case}: value model version 1" in output
    code, output = invoke("value", "show", str(use_case))
    assert code == 0, output
    assert "time saved: 30 min per task, DECLARED" in output
    assert "hours freed: 100.0 h" in output
    assert "savings realised: 3,000.00 EUR (50% of the freed hours redeployed" in output
    assert "by department: Quality 1" in output
    code, output = invoke("value", "show", str(use_case), "--json")
    assert code == 0, output
    assert json.loads(output)["results"]["payback_months"] == pytest.approx(6.0, abs=0.01)
    code, output = invoke("value", "list", "--json")
    assert [r["use_case_id"] for r in json.loads(output)] == [use_case]
    code, output = invoke("value", "list")
    assert f"UC-{use_case}" in output
    assert "time saved declared" in output
    model.write_text("tasks_per_month: 3\nreason: x\n", encoding="utf-8")
    code, output = invoke("value", "set", str(use_case), str(model), "--as", "alice")
    assert code == 2
    assert "time_saved" in output


def test_licences_tied_to_the_use_case_replace_the_declared_licence_cost(
    gw: TestClient, people: World
) -> None:
    world = people
    use_case = world.use_cases["summaries"]
    alice = signed_in(gw, "alice")
    assert gw.put(f"{ROOT}/{use_case}", json=body(), headers=alice).status_code == 200
    declared = gw.get(f"{ROOT}/{use_case}", headers=signed_in(gw, "cm")).json()
    assert declared["costs"]["licences_eur"] == 500
    assert "the licence cost is declared on the value model" in declared["notes"]

    for slug, price, currency in (("copilot", 30, "EUR"), ("us-tool", 20, "USD")):
        world.rt.licences.add_tool(
            world.ctx,
            ToolIn(
                slug=slug,
                name=slug,
                hosting="external_saas",
                max_data_class="internal",
                seat_price=Decimal(price),
                currency=currency,
                seats_bought=10,
                use_case_id=use_case,
            ),
        )
    report = gw.get(f"{ROOT}/{use_case}", headers=signed_in(gw, "cm")).json()
    assert report["costs"]["licences_eur"] == pytest.approx(300)  # 10 seats x 30 EUR, 30 days
    assert "the licence cost comes from the licence register: copilot (10 seats)" in report["notes"]
    assert "licensed tools without a seat price in EUR, not counted: us-tool" in report["notes"]
    assert report["costs"]["total_eur"] == pytest.approx(
        300 + 200 + 300 + report["costs"]["tokens_eur"]
    )
