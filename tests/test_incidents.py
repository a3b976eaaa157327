"""The AI incident register through the API and the CLI, on SQLite and PostgreSQL: reporting,
the AI Act serious-incident flag with each reporting deadline (Art. 73(2), (3), (4)) on a
high-risk use case and none on a minimal-risk one, the GDPR note on data leaks, the timeline,
optimistic versions, linking real gateway calls, corrective actions and their overdue flag,
bad input naming its field, who may do what, and the audit records."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import invoke
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.observatory.incidents.rules import SeriousIncidentRules
from gouvernail.registry.models import UseCase
from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DETECTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
OCCURRED = "2026-11-19T16:00:00+01:00"
URL = "/api/v1/incidents"


def use_case(rt: Runtime, requester: int, tier: str | None) -> int:
    """A use case in production with this AI Act tier (the classification itself is tested in
    tests/test_registry_lifecycle.py)."""
    with rt.database.write() as session:
        row = UseCase(
            title=f"Assistant ({tier or 'unclassified'})",
            description="A use case of the incident tests.",
            requester_id=requester,
            sourcing="snackable",
            status="production",
            ai_act_tier=tier,
        )
        session.add(row)
        session.flush()
        return row.id


def report(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    body: dict[str, Any] = {
        "title": "The assistant summarised a dosage wrongly",
        "kind": "wrong_answer",
        "severity": "high",
        "occurred_at": OCCURRED,
        "detected_at": DETECTED.isoformat(),
    }
    body.update(fields)
    return client.post(URL, json=body, headers=headers)


def records(rt: Runtime, prefix: str = "incident.") -> list[AuditRecord]:
    with rt.database.read() as session:
        return list(
            session.scalars(
                select(AuditRecord)
                .where(AuditRecord.action.startswith(prefix))
                .order_by(AuditRecord.seq)
            )
        )


@pytest.fixture
def people(rt: Runtime, make_user: Callable[..., int]) -> dict[str, int]:
    rt.incidents.now = lambda: NOW
    return {
        "emp": make_user("emp"),
        "other": make_user("other"),
        "ref": make_user("ref", "ai_referent"),
        "sec": make_user("sec", "security_referent"),
        "aud": make_user("aud", "auditor"),
        "cm": make_user("cm", "committee_member"),
    }


# --- the rules --------------------------------------------------------------------------------


def test_the_shipped_rules_cite_the_regulation() -> None:
    rules = SeriousIncidentRules.builtin()
    assert rules.version == "serious-incidents-2024.1"
    assert rules.source == "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
    assert {(d.article, d.days) for d in rules.deadlines} == {
        ("Art. 73(2)", 15),
        ("Art. 73(3)", 2),
        ("Art. 73(4)", 10),
    }
    assert (rules.gdpr.article, rules.gdpr.hours) == ("Art. 33 GDPR", 72)
    broken = "version: x\nsource: s\ntitle: t\nhigh_risk_tiers: [high]\n"
    with pytest.raises(ValueError, match="invalid serious-incident rules"):
        SeriousIncidentRules.load(broken)


# --- the serious-incident flag ----------------------------------------------------------------


def test_serious_incident_deadlines_on_a_high_risk_use_case(
    client: TestClient, rt: Runtime, login: Login, people: dict[str, int]
) -> None:
    high = use_case(rt, people["emp"], "high")
    minimal = use_case(rt, people["emp"], "minimal")
    emp = login("emp")
    cases = [  # harms, widespread, death -> days, article of the earliest deadline
        (["fundamental_rights_infringement"], False, False, 15, "Art. 73(2)"),
        (["fundamental_rights_infringement"], True, False, 2, "Art. 73(3)"),
        (["critical_infrastructure_disruption"], False, False, 2, "Art. 73(3)"),
        (["death_or_serious_health_harm"], False, True, 10, "Art. 73(4)"),
        (["death_or_serious_health_harm"], False, False, 15, "Art. 73(2)"),
    ]
    flagged = []
    for harms, widespread, death, days, article in cases:
        made = report(
            client, emp, use_case_id=high, harms=harms, widespread=widespread, death=death
        )
        assert made.status_code == 201, made.text
        view = made.json()
        a = view["assessment"]
        assert view["possibly_serious"] is True, (harms, widespread, death)
        assert (a["deadlines"][0]["article"], a["deadlines"][0]["days"]) == ("Art. 73(2)", 15)
        earliest = min(a["deadlines"], key=lambda d: d["due_at"])
        assert (a["report_within_days"], earliest["article"]) == (days, article)
        assert datetime.fromisoformat(a["report_by"]) == DETECTED + timedelta(days=days)
        assert view["report_by"] == a["report_by"]
        assert article in a["articles"]
        assert "Art. 3(49)" in a["articles"]
        assert article in a["explanation"]
        assert "serious-incidents-2024.1" in a["explanation"]
        assert "eur-lex.europa.eu/eli/reg/2024/1689" in a["explanation"]
        assert a["gdpr"] is None
        flagged.append(view["id"])

    # the same harms on a minimal-risk use case, without a use case, or no harm: not flagged
    not_serious = [
        report(client, emp, use_case_id=minimal, harms=["death_or_serious_health_harm"]),
        report(client, emp, harms=["fundamental_rights_infringement"]),
        report(client, emp, use_case_id=high),
    ]
    explanations = []
    for made in not_serious:
        assert made.status_code == 201, made.text
        a = made.json()["assessment"]
        assert (a["possibly_serious"], a["report_by"], a["deadlines"]) == (False, None, [])
        explanations.append(a["explanation"])
    assert "is not high-risk (AI Act tier minimal)" in explanations[0]
    assert "no use case is linked" in explanations[1]
    assert "no harm recorded" in explanations[2]

    ref = login("ref")
    listed = client.get(URL, params={"possibly_serious": "true"}, headers=ref).json()
    assert sorted(s["id"] for s in listed) == sorted(flagged)
    by_uc = client.get(URL, params={"use_case_id": minimal}, headers=ref).json()
    assert [s["id"] for s in by_uc] == [not_serious[0].json()["id"]]


def test_the_deadline_per_rule(
    client: TestClient, rt: Runtime, login: Login, people: dict[str, int]
) -> None:
    """Each deadline, when it is the only special one, is the one to meet."""
    high = use_case(rt, people["emp"], "high")
    emp = login("emp")
    for fields, days in [
        ({"harms": ["property_or_environment_harm"]}, 15),
        ({"harms": ["property_or_environment_harm"], "widespread": True}, 2),
        ({"harms": ["death_or_serious_health_harm"], "death": True}, 10),
    ]:
        a = report(client, emp, use_case_id=high, **fields).json()["assessment"]
        assert a["report_within_days"] == days, fields
        assert datetime.fromisoformat(a["report_by"]) == DETECTED + timedelta(days=days)


def test_data_leaks_carry_the_gdpr_note(
    client: TestClient, rt: Runtime, login: Login, people: dict[str, int]
) -> None:
    minimal = use_case(rt, people["emp"], "minimal")
    made = report(client, login("emp"), kind="data_leak", use_case_id=minimal)
    assert made.status_code == 201, made.text
    a = made.json()["assessment"]
    assert a["possibly_serious"] is False
    assert a["gdpr"]["article"] == "Art. 33 GDPR"
    assert datetime.fromisoformat(a["gdpr"]["notify_by"]) == DETECTED + timedelta(hours=72)
    assert (
        "GDPR personal-data breach notification within 72 hours (Art. 33 GDPR)"
        in (a["explanation"])
    )
    other = report(client, login("emp"), kind="bias").json()["assessment"]
    assert other["gdpr"] is None


# --- input, timeline, versions ----------------------------------------------------------------


def test_bad_input_names_the_field(
    client: TestClient, rt: Runtime, login: Login, people: dict[str, int]
) -> None:
    emp = login("emp")
    early = report(client, emp, detected_at="2026-11-19T14:00:00+00:00")  # occurred 15:00 UTC
    assert early.status_code == 400
    assert early.json()["error"]["field"] == "detected_at"
    assert "before occurred_at" in early.json()["error"]["message"]
    unknown = report(client, emp, use_case_id=99999)
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (400, "use_case_id")
    assert "no use case with id 99999" in unknown.json()["error"]["message"]
    mixed = report(client, emp, harms=["none", "fundamental_rights_infringement"])
    assert (mixed.status_code, mixed.json()["error"]["field"]) == (400, "harms")
    death = report(client, emp, death=True)
    assert (death.status_code, death.json()["error"]["field"]) == (400, "death")
    future = report(client, emp, occurred_at="2026-12-01T00:00:00+00:00", detected_at=None)
    assert (future.status_code, future.json()["error"]["field"]) == (400, "occurred_at")
    kind = report(client, emp, kind="typo")
    assert (kind.status_code, kind.json()["error"]["field"]) == (422, "kind")
    naive = report(client, emp, occurred_at="2026-11-19T16:00:00")
    assert (naive.status_code, naive.json()["error"]["field"]) == (422, "occurred_at")
    assert records(rt) == []  # nothing refused was recorded

    # detected_at defaults to now
    made = report(client, emp, detected_at=None)
    assert datetime.fromisoformat(made.json()["detected_at"]) == NOW


def test_timeline_versions_and_status(
    client: TestClient, rt: Runtime, login: Login, people: dict[str, int]
) -> None:
    high = use_case(rt, people["emp"], "high")
    made = report(client, login("emp"), use_case_id=high, severity="medium").json()
    url = f"{URL}/{made['id']}"
    assert made["status"] == "open"
    assert made["reporter"] == "Emp"
    ref = login("ref")

    rt.incidents.now = lambda: NOW + timedelta(hours=1)
    changed = client.patch(
        url,
        json={
            "version": 1,
            "reason": "a patient was harmed",
            "severity": "critical",
            "harms": ["death_or_serious_health_harm"],
        },
        headers=ref,
    )
    assert changed.status_code == 200, changed.text
    view = changed.json()
    assert (view["version"], view["severity"], view["possibly_serious"]) == (2, "critical", True)

    stale = client.patch(
        url, json={"version": 1, "reason": "again", "severity": "low"}, headers=ref
    )
    assert stale.status_code == 409
    assert (stale.json()["error"]["code"], stale.json()["error"]["field"]) == (
        "version_conflict",
        "version",
    )
    no_reason = client.patch(url, json={"version": 2, "severity": "low"}, headers=ref)
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (422, "reason")
    same = client.patch(
        url, json={"version": 2, "reason": "r", "severity": "critical"}, headers=ref
    )
    assert same.status_code == 400
    assert "nothing to change" in same.json()["error"]["message"]

    rt.incidents.now = lambda: NOW + timedelta(hours=2)
    client.post(f"{url}/notes", json={"text": "Called the pharmacist."}, headers=ref)
    rt.incidents.now = lambda: NOW + timedelta(hours=3)
    for version, status in ((2, "mitigated"), (3, "closed"), (4, "open")):
        moved = client.patch(
            url, json={"version": version, "reason": f"now {status}", "status": status}, headers=ref
        )
        assert moved.status_code == 200, moved.text
    wrong = client.patch(url, json={"version": 5, "reason": "r", "status": "open"}, headers=ref)
    assert wrong.status_code == 400  # already open: nothing to change
    client.patch(url, json={"version": 5, "reason": "closing", "status": "closed"}, headers=ref)
    skip = client.patch(url, json={"version": 6, "reason": "r", "status": "mitigated"}, headers=ref)
    assert (skip.status_code, skip.json()["error"]["field"]) == (409, "status")
    assert "can become open" in skip.json()["error"]["message"]

    timeline = client.get(url, headers=ref).json()["timeline"]
    assert [(e["kind"], e["author"]) for e in timeline] == [
        ("reported", "Emp"),
        ("severity", "Ref"),
        ("harms", "Ref"),
        ("assessment", "Ref"),
        ("note", "Ref"),
        ("status", "Ref"),
        ("status", "Ref"),
        ("status", "Ref"),
        ("status", "Ref"),
    ]
    times = [datetime.fromisoformat(e["at"]) for e in timeline]
    assert times == sorted(times)
    assert times[0] == NOW
    assert timeline[1]["text"] == "Severity: medium → critical. a patient was harmed"
    assert "Art. 73(2)" in timeline[3]["text"]
    assert timeline[7]["text"] == "Reopened: closed → open. now open"

    trail = records(rt)
    assert [r.action for r in trail] == [
        "incident.reported",
        "incident.changed",
        "incident.note_added",
        *["incident.changed"] * 4,
    ]
    first_change = trail[1]
    assert json.loads(first_change.old_values)["possibly_serious"] is False
    new = json.loads(first_change.new_values)
    assert (new["severity"], new["possibly_serious"]) == ("critical", True)
    assert new["harms"] == ["death_or_serious_health_harm"]
    assert first_change.reason == "a patient was harmed"
    assert first_change.object_version == 2
    assert json.loads(trail[0].new_values)["rules"] == "serious-incidents-2024.1"


# --- corrective actions -----------------------------------------------------------------------


def test_corrective_actions_and_overdue(
    client: TestClient,
    rt: Runtime,
    ctx: AuditContext,
    login: Login,
    people: dict[str, int],
    make_user: Callable[..., int],
) -> None:
    made = report(client, login("emp")).json()
    url = f"{URL}/{made['id']}"
    ref = login("ref")
    due = (NOW + timedelta(days=7)).date().isoformat()
    body = {"description": "Add a dosage check to the prompt", "owner_id": people["sec"]}
    added = client.post(f"{url}/actions", json={**body, "due_on": due}, headers=ref)
    assert added.status_code == 201, added.text
    (action,) = added.json()["actions"]
    assert (action["status"], action["owner"], action["overdue"]) == ("open", "Sec", False)
    past = client.post(f"{url}/actions", json={**body, "due_on": "2026-11-01"}, headers=ref)
    assert (past.status_code, past.json()["error"]["field"]) == (400, "due_on")
    gone = make_user("gone")
    rt.directory.set_active(ctx, gone, active=False, reason="left")
    inactive = client.post(
        f"{url}/actions", json={**body, "owner_id": gone, "due_on": due}, headers=ref
    )
    assert (inactive.status_code, inactive.json()["error"]["field"]) == (400, "owner_id")

    rt.incidents.now = lambda: NOW + timedelta(days=10)
    view = client.get(url, headers=ref).json()
    assert view["actions"][0]["overdue"] is True
    assert view["overdue_actions"] == 1
    assert client.get(URL, headers=ref).json()[0]["overdue_actions"] == 1
    close = client.patch(
        url, json={"version": 1, "reason": "done", "status": "closed"}, headers=ref
    )
    assert (close.status_code, close.json()["error"]["field"]) == (409, "status")
    assert f"action {action['id']} of incident" in close.json()["error"]["message"]

    done_url = f"{url}/actions/{action['id']}/done"
    done = client.post(done_url, json={"note": "Check deployed"}, headers=login("sec"))
    assert done.status_code == 200, done.text
    finished = done.json()["actions"][0]
    assert (finished["status"], finished["done_by"], finished["overdue"]) == ("done", "Sec", False)
    assert datetime.fromisoformat(finished["done_at"]) == NOW + timedelta(days=10)
    assert done.json()["timeline"][-1]["text"] == (
        f"Corrective action {action['id']} done (3 days late): Check deployed."
    )
    assert client.post(done_url, headers=ref).status_code == 409
    assert client.post(f"{url}/actions/99999/done", headers=ref).status_code == 404
    closed = client.patch(
        url, json={"version": 1, "reason": "done", "status": "closed"}, headers=ref
    )
    assert closed.status_code == 200, closed.text
    late = client.post(f"{url}/actions", json={**body, "due_on": "2026-12-31"}, headers=ref)
    assert late.status_code == 409
    actions = [r for r in records(rt) if "action" in r.action]
    assert [r.action for r in actions] == ["incident.action_added", "incident.action_done"]
    assert json.loads(actions[1].new_values)["overdue"] is True


# --- rights -----------------------------------------------------------------------------------


def test_who_may_do_what(
    client: TestClient, rt: Runtime, login: Login, people: dict[str, int]
) -> None:
    emp, other = login("emp"), login("other")
    mine = report(client, emp).json()
    theirs = report(client, other, title="Outage of the assistant", kind="outage").json()
    assert client.post(URL, json={}).status_code == 401

    # an employee lists and reads only what they reported
    assert [s["id"] for s in client.get(URL, headers=emp).json()] == [mine["id"]]
    assert client.get(f"{URL}/{mine['id']}", headers=emp).status_code == 200
    denied_before = len(records(rt, "auth.access_denied"))
    assert client.get(f"{URL}/{theirs['id']}", headers=emp).status_code == 403
    assert len(records(rt, "auth.access_denied")) == denied_before + 1
    assert client.get(f"{URL}/99999", headers=emp).status_code == 404
    # ... annotates their own, not another's, and manages none
    assert (
        client.post(f"{URL}/{mine['id']}/notes", json={"text": "More"}, headers=emp).status_code
        == 201
    )
    assert (
        client.post(f"{URL}/{theirs['id']}/notes", json={"text": "x"}, headers=emp).status_code
        == 403
    )
    patch = {"version": 1, "reason": "r", "status": "mitigated"}
    assert client.patch(f"{URL}/{mine['id']}", json=patch, headers=emp).status_code == 403
    action = {"description": "d", "owner_id": people["emp"], "due_on": "2026-12-31"}
    assert client.post(f"{URL}/{mine['id']}/actions", json=action, headers=emp).status_code == 403
    link = {"request_ids": ["r-1"]}
    assert client.post(f"{URL}/{mine['id']}/requests", json=link, headers=emp).status_code == 403

    # readers see everything; auditors and committee members change nothing
    for reader in ("aud", "cm", "ref", "sec"):
        headers = login(reader)
        assert len(client.get(URL, headers=headers).json()) == 2, reader
        assert client.get(f"{URL}/{theirs['id']}", headers=headers).status_code == 200
    for reader in ("aud", "cm"):
        headers = login(reader)
        assert client.patch(f"{URL}/{mine['id']}", json=patch, headers=headers).status_code == 403
        note = client.post(f"{URL}/{mine['id']}/notes", json={"text": "x"}, headers=headers)
        assert note.status_code == 403
    # AI and security referents manage
    sec = login("sec")
    moved = client.patch(f"{URL}/{theirs['id']}", json=patch, headers=sec)
    assert moved.status_code == 200, moved.text
    assert (
        client.post(f"{URL}/{theirs['id']}/notes", json={"text": "ok"}, headers=sec).status_code
        == 201
    )
    assert (
        client.get(URL, params={"status": "mitigated"}, headers=sec).json()[0]["id"] == theirs["id"]
    )


# --- linked gateway calls ---------------------------------------------------------------------


def call(gw: TestClient, key: str, request_id: str) -> None:
    answer = gw.post(
        "/v1/chat/completions",
        json={
            "model": "gpt-eu",
            "messages": [{"role": "user", "content": "Résume la réunion qualité de mardi"}],
        },
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": request_id},
    )
    assert answer.status_code == 200, answer.text


def test_linking_gateway_calls(gw: TestClient, world: World) -> None:
    key = world.key("alice", "drafting")
    call(gw, key, "req-inc-1")
    call(gw, key, "req-inc-2")
    alice, ref = signed_in(gw, "alice"), signed_in(gw, "ref")
    made = report(
        gw, alice, use_case_id=world.use_cases["drafting"], detected_at=None, occurred_at=None
    )
    assert made.status_code == 422  # occurred_at is required
    made = gw.post(
        URL,
        json={
            "title": "A confidential dosage left in an answer",
            "kind": "data_leak",
            "severity": "medium",
            "use_case_id": world.use_cases["drafting"],
            "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        },
        headers=alice,
    )
    assert made.status_code == 201, made.text
    url = f"{URL}/{made.json()['id']}/requests"
    assert gw.post(url, json={"request_ids": ["req-inc-1"]}, headers=alice).status_code == 403

    linked = gw.post(
        url, json={"request_ids": ["req-inc-1", "req-inc-2", "req-inc-1"]}, headers=ref
    )
    assert linked.status_code == 200, linked.text
    calls = linked.json()["requests"]
    assert [c["request_id"] for c in calls] == ["req-inc-1", "req-inc-2"]
    assert {(c["model"], c["status"], c["decision"], c["operation"]) for c in calls} == {
        ("gpt-eu", 200, "allow", "chat")
    }
    assert all(c["use_case_id"] == world.use_cases["drafting"] for c in calls)
    assert "réunion qualité" not in linked.text  # never the content of a call

    again = gw.post(url, json={"request_ids": ["req-inc-2"]}, headers=ref)
    assert len(again.json()["requests"]) == 2
    unknown = gw.post(url, json={"request_ids": ["req-inc-1", "req-nobody"]}, headers=ref)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "no gateway call with request id req-nobody"
    assert unknown.json()["error"]["field"] == "request_ids"

    view = gw.get(f"{URL}/{made.json()['id']}", headers=ref).json()
    assert [e["kind"] for e in view["timeline"]] == ["reported", "requests"]
    assert view["timeline"][1]["text"] == "Linked gateway calls req-inc-1, req-inc-2."
    linked_records = records(world.rt, "incident.requests_linked")
    assert len(linked_records) == 1
    assert json.loads(linked_records[0].new_values) == {"request_ids": ["req-inc-1", "req-inc-2"]}


# --- the console ------------------------------------------------------------------------------


def test_the_cli(rt: Runtime, people: dict[str, int], cli_env: Any) -> None:
    high = use_case(rt, people["emp"], "high")
    code, output = invoke(
        "incident",
        "report",
        "Wrong triage advice",
        "--kind",
        "wrong_answer",
        "--severity",
        "critical",
        "--use-case",
        str(high),
        "--harm",
        "death_or_serious_health_harm",
        "--death",
        "--as",
        "emp",
    )
    assert code == 0, output
    assert "incident 1 reported (critical, open)" in output
    assert "Art. 73(4)" in output
    code, output = invoke(
        "incident", "report", "x", "--kind", "bias", "--severity", "low", "--as", "nobody"
    )
    assert (code, "no user 'nobody'" in output) == (1, True)

    code, output = invoke("incident", "note", "1", "The patient is followed up.", "--as", "emp")
    assert code == 0, output
    code, output = invoke("incident", "note", "1", "Not mine", "--as", "other")
    assert code == 1
    assert "only the reporter" in output
    code, output = invoke(
        "incident", "status", "1", "mitigated", "--reason", "fixed", "--as", "emp"
    )
    assert code == 1
    assert "may not manage incidents" in output
    code, output = invoke(
        "incident", "status", "1", "mitigated", "--reason", "fixed", "--as", "ref"
    )
    assert code == 0, output
    assert "incident 1: mitigated" in output

    code, output = invoke("incident", "list", "--serious", "--json")  # tables wrap
    assert code == 0, output
    (listed,) = json.loads(output)
    assert listed["title"] == "Wrong triage advice"
    assert listed["possibly_serious"] is True
    assert listed["report_by"] is not None
    code, output = invoke("incident", "list", "--json", "--not-serious")
    assert json.loads(output) == []
    code, output = invoke("incident", "show", "1")
    assert code == 0, output
    assert "The patient is followed up." in output
    assert (
        "[rules serious-incidents-2024.1, https://eur-lex.europa.eu/eli/reg/2024/1689/oj]" in output
    )
    assert "Status: open → mitigated. fixed" in output
    code, output = invoke("incident", "show", "1", "--json")
    assert json.loads(output)["assessment"]["report_within_days"] == 10
    code, output = invoke("incident", "show", "42")
    assert code == 1
    assert "no incident with id 42" in output
