"""Use-case intake, qualification, duplicates, editing, curation and the catalogue."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from tests.conftest import PASSWORD, invoke
from tests.registry_helpers import QUALIFICATION, idea, move, people, put, submit

from gouvernail.audit.models import AuditRecord
from gouvernail.registry.qualification import AutomationAnswers, Verdict, automation_verdict
from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]


@pytest.fixture
def cast(make_user: Callable[..., int]) -> dict[str, int]:
    return people(make_user)


def actions(rt: Runtime, object_id: int) -> list[str]:
    with rt.database.read() as session:
        return list(
            session.scalars(
                select(AuditRecord.action)
                .where(
                    AuditRecord.object_type == "use_case", AuditRecord.object_id == str(object_id)
                )
                .order_by(AuditRecord.seq)
            )
        )


def test_intake_records_everything_and_audits_it(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    alice = login("alice")
    uc = submit(client, alice, members=["eve"], sponsor="rita")
    assert uc["reference"] == f"UC-{uc['id']:04d}"
    assert uc["status"] == "idea"
    assert uc["requester"]["username"] == "alice"
    assert uc["sponsor"]["username"] == "rita"
    assert {(m["username"], m["role"]) for m in uc["members"]} == {
        ("alice", "owner"),
        ("eve", "member"),
    }
    assert uc["data_sources"][0]["owner"]["username"] == "olivia"
    assert uc["key_results"][0]["baseline"] == 21
    assert uc["target_process"].startswith("CVs are ranked")
    assert uc["priority_score"] is None  # not qualified yet: no made-up score
    assert actions(rt, uc["id"]) == ["use_case.submitted"]
    log = client.get(f"/api/v1/use-cases/{uc['id']}/history", headers=alice).json()
    assert [entry["action"] for entry in log] == ["use_case.submitted"]
    assert log[0]["new"]["title"] == uc["title"]
    assert client.get("/api/v1/use-cases/999/history", headers=alice).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "AI"}, "title"),
        ({"sourcing": "rented"}, "sourcing"),
        ({"department": "nowhere"}, "department"),
        ({"sponsor": "ghost"}, "sponsor"),
        ({"members": ["ghost"]}, "members"),
        ({"unknown_field": 1}, "unknown_field"),
        (
            {
                "key_results": [
                    {
                        "description": "x hours",
                        "unit": "h",
                        "baseline": 1,
                        "target": 1,
                        "due_on": "2027-01-01",
                    }
                ]
            },
            "key_results.0",
        ),
        (
            {"data_sources": [{"name": "ERP", "data_class": "internal", "relevance": 9}]},
            "data_sources.0.relevance",
        ),
    ],
)
def test_bad_intake_names_the_field_and_writes_nothing(
    client: TestClient,
    cast: dict[str, int],
    login: Login,
    change: dict[str, Any],
    field: str,
) -> None:
    response = client.post("/api/v1/use-cases", json=idea(**change), headers=login("alice"))
    assert response.status_code in {400, 422}, response.text
    error = response.json()["error"]
    assert (error["field"] or "").startswith(field), error
    assert client.get("/api/v1/use-cases", headers=login("alice")).json() == []


def test_duplicate_suggested_at_intake_then_join_or_justify(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    alice, eve = login("alice"), login("eve")
    first = submit(client, alice)
    typed = {
        "title": "Sorting CVs of lab technician candidates",
        "description": "Rank the applications received for laboratory technicians so recruiters "
        "see the best profiles first.",
    }
    similar = client.post("/api/v1/use-cases/similar", json=typed, headers=eve).json()
    assert similar
    assert similar[0]["id"] == first["id"]
    assert 0 < similar[0]["similarity"] <= 1
    assert similar[0]["matched_terms"]

    refused = client.post("/api/v1/use-cases", json=idea(**typed), headers=eve)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "possible_duplicate"
    assert first["reference"] in refused.json()["error"]["message"]

    joined = client.post(f"/api/v1/use-cases/{first['id']}/join", json={}, headers=eve)
    assert joined.status_code == 200
    assert "eve" in {m["username"] for m in joined.json()["members"]}
    again = client.post(f"/api/v1/use-cases/{first['id']}/join", json={}, headers=eve)
    assert again.status_code == 409

    justified = client.post(
        "/api/v1/use-cases",
        json=idea(**typed, duplicate_justification="Ours covers interns, a separate process."),
        headers=eve,
    )
    assert justified.status_code == 201
    assert justified.json()["duplicate_justification"].startswith("Ours covers")

    unrelated = client.post(
        "/api/v1/use-cases/similar",
        json={"title": "Forecast electricity use of the Lyon plant", "description": ""},
        headers=eve,
    )
    assert unrelated.json() == []


def test_concurrent_edits_never_lose_an_update(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    alice = login("alice")
    uc = submit(client, alice)
    url = f"/api/v1/use-cases/{uc['id']}"
    first = client.patch(url, json={"version": uc["version"], "objective": "A"}, headers=alice)
    assert first.status_code == 200
    assert first.json()["version"] == uc["version"] + 1
    assert first.json()["revision"] == uc["revision"] + 1
    second = client.patch(url, json={"version": uc["version"], "objective": "B"}, headers=alice)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "version_conflict"
    assert client.get(url, headers=alice).json()["objective"] == "A"
    same = client.patch(
        url, json={"version": first.json()["version"], "objective": "A"}, headers=alice
    )
    assert same.json()["version"] == first.json()["version"]  # nothing changed, nothing bumped
    assert actions(rt, uc["id"]).count("use_case.updated") == 1


def test_only_members_or_the_ai_referent_edit(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    uc = submit(client, login("alice"))
    url = f"/api/v1/use-cases/{uc['id']}"
    body = {"version": uc["version"], "objective": "Hijacked"}
    refused = client.patch(url, json=body, headers=login("eve"))
    assert refused.status_code == 403
    with rt.database.read() as session:
        denied = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "auth.access_denied")
        ).all()
    assert denied, "a refusal is audited"
    assert client.patch(url, json=body, headers=login("rita")).status_code == 200


def test_qualification_gaps_and_automation_verdict(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    uc = submit(client, alice)
    refused = move(client, alice, uc, "qualified")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "prerequisites_missing"
    assert "qualification" in refused.json()["error"]["message"]

    rules_do = {
        **QUALIFICATION,
        "automation": {
            "rules_expressible": True,
            "learns_from_data": False,
            "needs_adaptation": False,
            "needs_autonomy": False,
            "unstructured_inputs": False,
        },
    }
    uc = put(client, alice, uc, "qualification", rules_do)
    assert uc["automation_verdict"]["verdict"] == "automation"
    check = client.get(f"/api/v1/use-cases/{uc['id']}/transitions/qualified", headers=alice).json()
    assert not check["allowed"]
    assert [m["code"] for m in check["missing"]] == ["automation_recommended"]

    uc = put(client, alice, uc, "qualification", QUALIFICATION)
    assert uc["automation_verdict"]["verdict"] == "ai"
    assert uc["priority_score"] is not None
    moved = move(client, alice, uc, "qualified")
    assert moved.status_code == 200, moved.text
    assert moved.json()["history"][-1]["to_status"] == "qualified"


def test_low_data_scores_and_missing_owner_block_qualification(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    sources = [{"name": "Old shared drive", "data_class": "internal", "available": 2}]
    uc = submit(client, alice, data_sources=sources)
    uc = put(client, alice, uc, "qualification", QUALIFICATION)
    gaps = uc["qualification_result"]["gaps"]
    assert any("no named data owner" in g for g in gaps)
    assert any("available scores 2/5" in g for g in gaps)
    assert any("relevance is not scored" in g for g in gaps)
    assert move(client, alice, uc, "qualified").status_code == 409


@pytest.mark.parametrize(
    ("answers", "verdict"),
    [
        ({"rules_expressible": True}, Verdict.AUTOMATION),
        ({"rules_expressible": False}, Verdict.AUTOMATION),
        ({"rules_expressible": True, "unstructured_inputs": True}, Verdict.HYBRID),
        ({"rules_expressible": False, "learns_from_data": True}, Verdict.AI),
        ({"rules_expressible": False, "needs_autonomy": True}, Verdict.AI),
        ({"rules_expressible": False, "needs_adaptation": True}, Verdict.AI),
    ],
)
def test_automation_verdicts(answers: dict[str, bool], verdict: Verdict) -> None:
    full = {
        "learns_from_data": False,
        "needs_adaptation": False,
        "needs_autonomy": False,
        "unstructured_inputs": False,
        **answers,
    }
    result = automation_verdict(AutomationAnswers.model_validate(full))
    assert result.verdict is verdict
    assert result.explanation
    overridden = automation_verdict(
        AutomationAnswers.model_validate({**full, "ai_justification": "Regulator asks for it"})
    )
    assert overridden.overridden is (verdict is Verdict.AUTOMATION)


def test_link_and_merge_by_the_committee(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    alice, eve, cm1 = login("alice"), login("eve"), login("cm1")
    kept = submit(client, alice)
    other = submit(
        client,
        eve,
        title="Chatbot answering questions of healthcare professionals",
        description="A medical information chatbot for doctors and pharmacists about our drugs.",
    )
    body = {"target_id": kept["id"], "kind": "related", "reason": "same recruiters"}
    assert (
        client.post(f"/api/v1/use-cases/{other['id']}/links", json=body, headers=eve).status_code
        == 403
    )
    linked = client.post(f"/api/v1/use-cases/{other['id']}/links", json=body, headers=cm1)
    assert linked.status_code == 200
    assert linked.json()["links"][0]["other_id"] == kept["id"]
    assert (
        client.post(f"/api/v1/use-cases/{other['id']}/links", json=body, headers=cm1).status_code
        == 409
    )

    merged = client.post(
        f"/api/v1/use-cases/{other['id']}/merge",
        json={"into": kept["id"], "reason": "one initiative"},
        headers=cm1,
    )
    assert merged.status_code == 200, merged.text
    assert "eve" in {m["username"] for m in merged.json()["members"]}
    gone = client.get(f"/api/v1/use-cases/{other['id']}", headers=alice).json()
    assert gone["status"] == "retired"
    assert any(link["kind"] == "merged_into" for link in gone["links"])
    patch = client.patch(
        f"/api/v1/use-cases/{other['id']}",
        json={"version": gone["version"], "objective": "x"},
        headers=eve,
    )
    assert patch.status_code == 409
    assert "use_case.merged" in actions(rt, other["id"])


def test_catalogue_filters_search_and_exports(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    uc = submit(client, alice, title='=HYPERLINK("http://evil") CV ranking')
    put(client, alice, uc, "qualification", QUALIFICATION)
    submit(
        client,
        alice,
        title="Predict supply chain disruptions of active ingredients",
        description="Forecast shortages of active pharmaceutical ingredients from supplier data.",
        duplicate_justification="different",
    )
    rows = client.get("/api/v1/use-cases", headers=alice).json()
    assert [r["priority_score"] is not None for r in rows] == [True, False]  # scored first
    found = client.get("/api/v1/use-cases", params={"q": "supply shortages"}, headers=alice).json()
    assert next(r["title"] for r in found).startswith("Predict supply")
    assert client.get("/api/v1/use-cases", params={"status": "pilot"}, headers=alice).json() == []
    assert (
        client.get("/api/v1/use-cases", params={"status": "nonsense"}, headers=alice).status_code
        == 422
    )

    exported = client.get("/api/v1/use-cases/export", params={"format": "csv"}, headers=alice)
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][0] == "reference"
    assert len(table) == 3
    assert table[1][1].startswith("'=")  # formula neutralised

    xlsx = client.get("/api/v1/use-cases/export", params={"format": "xlsx"}, headers=alice)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet.max_row == 3

    searched = client.get(
        "/api/v1/use-cases/export",
        params={"format": "csv", "q": "supply shortages", "sort": "title"},
        headers=alice,
    )
    found_rows = list(csv.reader(io.StringIO(searched.content.decode("utf-8-sig"))))
    assert found_rows[1][1].startswith("Predict supply")  # the export follows the list's search


def test_cli_lists_moves_and_exports(
    client: TestClient, cast: dict[str, int], login: Login, cli_env: Any, tmp_path: Any
) -> None:
    submit(client, login("alice"))
    code, output = invoke("use-case", "list")
    assert code == 0
    assert "UC-0001" in output
    code, output = invoke("use-case", "move", "1", "qualified", "--reason", "ready")
    assert code == 1
    assert "qualification" in output
    target = tmp_path / "catalogue.xlsx"
    code, output = invoke("use-case", "export", str(target))
    assert code == 0
    assert target.stat().st_size > 0

    intake = tmp_path / "idea.yaml"
    intake.write_text(
        "title: Pharmacovigilance case intake triage\n"
        "description: Sort incoming adverse event reports by seriousness for the PV team.\n",
        encoding="utf-8",
    )
    code, output = invoke("use-case", "submit", str(intake), "--requester", "eve")
    assert code == 0, output
    assert "UC-0002 submitted" in output
    code, output = invoke("use-case", "show", "2")
    assert '"requester"' in output
    assert "eve" in output
    intake.write_text("title: [broken\n", encoding="utf-8")
    assert invoke("use-case", "submit", str(intake), "--requester", "eve")[0] == 2

    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "title,description,requester\n"
        "Contract clause review,Flag unusual clauses in supplier contracts for legal.,eve\n"
        "Bad row,short,ghost\n",
        encoding="utf-8",
    )
    code, output = invoke("use-case", "import", str(inventory))
    assert code == 1
    assert "line 3" in output
    code, output = invoke("use-case", "import", str(inventory), "--partial")
    assert code == 0, output
    assert "1 of 2 rows imported" in output


def test_use_cases_are_not_signed_through_the_generic_route(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    uc = submit(client, login("alice"))
    response = client.post(
        "/api/v1/signatures",
        json={
            "object_type": "use_case",
            "object_id": str(uc["id"]),
            "meaning": "approved",
            "password": PASSWORD,
        },
        headers=login("rita"),
    )
    assert response.status_code == 400
    assert "/approvals" in response.json()["error"]["message"]


def test_import_reports_every_bad_row_and_is_all_or_nothing(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    rita = login("rita")
    existing = submit(client, login("alice"))
    rows = [
        "titre;description;demandeur;sourcing",
        "Chatbot RH;Répondre aux questions des salariés sur les congés et la paie.;alice;snackable",
        f"{existing['title']};A second copy of an existing use case.;alice;strategic",
        "Forecast demand;Forecast demand of generics per country and month.;ghost;strategic",
        "X;short;alice;rented",
        "Chatbot RH;Le même titre une seconde fois dans le fichier.;alice;snackable",
    ]
    data = ("\n".join(rows) + "\n").encode("latin-1")
    files = {"file": ("inventaire.csv", data, "text/csv")}
    refused = client.post("/api/v1/use-cases/import", files=files, headers=rita)
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert {(d["line"], d["field"]) for d in details} >= {
        (3, "title"),
        (4, "requester"),
        (5, "title"),
        (5, "sourcing"),
        (6, "title"),
    }
    assert len(client.get("/api/v1/use-cases", headers=rita).json()) == 1

    forbidden = client.post("/api/v1/use-cases/import", files=files, headers=login("eve"))
    assert forbidden.status_code == 403

    partial = client.post(
        "/api/v1/use-cases/import", files=files, data={"partial": "true"}, headers=rita
    )
    assert partial.status_code == 200, partial.text
    assert len(partial.json()["imported"]) == 1
    imported = client.get("/api/v1/use-cases", params={"q": "chatbot congés"}, headers=rita)
    assert imported.json()[0]["title"] == "Chatbot RH"
    again = client.post(
        "/api/v1/use-cases/import", files=files, data={"partial": "true"}, headers=rita
    )
    assert again.json()["imported"] == []  # importing twice adds nothing


def test_priority_score_weighs_value_feasibility_and_risk() -> None:
    from datetime import date

    from gouvernail.registry.lifecycle import Facts
    from gouvernail.registry.models import Sourcing, Status
    from gouvernail.registry.portfolio import Weights, priority_score
    from gouvernail.registry.qualification import QualificationResult

    def facts(
        value: int, readiness: float, skills: int, tier: str | None, worst: int | None
    ) -> Facts:
        return Facts(
            status=Status.QUALIFIED,
            previous_status=None,
            tier=tier,
            sourcing=Sourcing.STRATEGIC,
            preferred_hosting=None,
            qualification=QualificationResult(
                answered=True, gaps=[], data_readiness=readiness, value=value, skills=skills
            ),
            verdict=None,
            deployment=None,
            sources_without_owner=[],
            key_results=[],
            pilot_started_on=None,
            approvals=None,
            risk_gaps=[],
            today=date(2026, 11, 21),
            worst_risk_score=worst,
        )

    weights = Weights()
    assert priority_score(facts(5, 5, 5, "minimal", None), weights) == 100.0
    assert priority_score(facts(1, 1, 1, "prohibited", None), weights) == 0.0
    # value 3 -> 0.5, feasibility 0.5, risk from the register (20/25) beats the tier (limited)
    assert priority_score(facts(3, 3, 3, "limited", 20), weights) == round(
        100 * (0.4 * 0.5 + 0.35 * 0.5 + 0.25 * 0.2), 1
    )
    only_value = Weights(value=1, feasibility=0, risk=0)
    assert priority_score(facts(4, 1, 1, "high", 25), only_value) == 75.0
    with pytest.raises(ValueError, match="positive"):
        Weights(value=0, feasibility=0, risk=0)


def test_only_members_get_keys_bound_to_a_use_case(
    client: TestClient,
    cast: dict[str, int],
    login: Login,
    compliant_user: Callable[..., None],
) -> None:
    for name in ("alice", "eve", "rita"):
        compliant_user(cast[name])
    uc = submit(client, login("alice"))

    def key(who: str, use_case_id: int) -> Any:
        return client.post(
            "/api/v1/keys",
            json={"name": "notebook", "use_case_id": use_case_id},
            headers=login(who),
        )

    created = key("alice", uc["id"])
    assert created.status_code == 201, created.text
    refused = key("eve", uc["id"])
    assert refused.status_code == 403
    assert refused.json()["error"]["field"] == "use_case_id"
    assert key("eve", 999).status_code == 404
    client.post(f"/api/v1/use-cases/{uc['id']}/join", json={}, headers=login("eve"))
    assert key("eve", uc["id"]).status_code == 201
