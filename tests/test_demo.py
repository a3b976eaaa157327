"""`gouvernail demo load`, driven like an operator would, then explored through the API as the
demo's people see it. One load per backend: it plays some 300 units of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PASSWORD
from tests.conftest import invoke as invoke_cli

from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
CHATBOT = "Medical-information assistant for healthcare professionals"
CV = "Screening of applications for manufacturing and laboratory roles"
DEVIATIONS = "Summaries of manufacturing deviation reports"
EMOTIONS = "Emotion analysis of employees in video meetings"
MARKET = "Insight search across market studies"


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """The command's exit code and output, with the console's line wrapping undone."""
    code, output = invoke_cli(*args, stdin=stdin)
    return code, " ".join(output.split())


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_refused_in_prod_and_with_a_bad_password_writing_nothing(
    cli_env: Settings, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOUVERNAIL_ENV", "prod")
    monkeypatch.setenv("GOUVERNAIL_SECRET_KEY", "a production secret of more than 32 characters")
    monkeypatch.setenv("GOUVERNAIL_AUDIT_SIGNING_KEY_FILE", str(cli_env.signing_key_path))
    code, output = invoke("demo", "load", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1, output
    assert "refuses to run when env is prod" in output
    monkeypatch.setenv("GOUVERNAIL_ENV", "test")
    code, output = invoke("demo", "load", "--password-stdin", stdin="short\n")
    assert code == 1, output
    assert "(password)" in output
    assert "at least 12 characters" in output
    assert rt.directory.list_users() == []
    assert rt.directory.list_teams() == []


def test_demo_load_on_an_empty_installation(
    cli_env: Settings, client: TestClient, login: Login, rt: Runtime
) -> None:
    code, output = invoke("bootstrap")  # the bootstrap admin does not count as data
    assert code == 0, output
    code, output = invoke("demo", "load", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, output
    assert "Helvia Pharma" in output
    assert PASSWORD in output
    assert "not production" in output
    assert "12 use cases" in output

    auditor, referent = login("marc.lefevre"), login("amelie.laurent")
    rows = get(client, "/api/v1/use-cases", auditor)
    by_title = {row["title"]: row for row in rows}
    assert len(rows) == 12
    assert {row["status"] for row in rows} == {
        "idea",
        "qualified",
        "assessed",
        "approved",
        "pilot",
        "production",
        "suspended",
    }
    assert {row["ai_act_tier"] for row in rows} == {
        None,
        "minimal",
        "limited",
        "high",
        "prohibited",
    }

    # the pilot past its end date without results is flagged and awaits the committee
    overdue = get(client, "/api/v1/use-cases", auditor, flag="pilot_overdue")
    assert [row["title"] for row in overdue] == [CHATBOT]
    chatbot = get(client, f"/api/v1/use-cases/{overdue[0]['id']}", auditor)
    assert chatbot["pilot_started_on"] < chatbot["pilot_end_date"] < date.today().isoformat()
    assert all(result["measured_value"] is None for result in chatbot["key_results"])
    assert "Art. 50(1)" in chatbot["classification"]["result"]["articles"]

    # the prohibited practice goes to the compliance review and can never be approved
    emotions = get(client, f"/api/v1/use-cases/{by_title[EMOTIONS]['id']}", auditor)
    assert emotions["ai_act_tier"] == "prohibited"
    assert "Art. 5(1)(f)" in emotions["classification"]["result"]["articles"]
    review = get(client, f"/api/v1/use-cases/{emotions['id']}/approvals", auditor)
    assert (review["workflow"], review["approvable"], review["next_stage"]) == (
        "compliance_review",
        False,
        "compliance_review",
    )
    gate = get(client, f"/api/v1/use-cases/{emotions['id']}/transitions/approved", auditor)
    assert [item["code"] for item in gate["missing"]] == ["prohibited"]

    # every use case past assessment holds a complete approval of its current revision
    live = [
        row for row in rows if row["status"] in {"approved", "pilot", "production", "suspended"}
    ]
    assert len(live) == 6
    for row in live:
        approvals = get(client, f"/api/v1/use-cases/{row['id']}/approvals", auditor)
        assert approvals["complete"], row["title"]
        assert all(decision["current"] for decision in approvals["decisions"])
    cv = get(client, f"/api/v1/use-cases/{by_title[CV]['id']}/approvals", auditor)
    assert cv["workflow"] == "high_risk"
    assert [d["stage"] for d in cv["decisions"]] == [
        "ai_referent_review",
        "data_owner_review",
        "security_review",
        *["committee_decision"] * 3,
    ]
    assert by_title[CV]["ai_act_tier"] == "high"
    market = get(client, f"/api/v1/use-cases/{by_title[MARKET]['id']}", auditor)
    assert [h["to_status"] for h in market["history"]] == [
        "qualified",
        "assessed",
        "approved",
        "pilot",
        "production",
    ]
    assert all(result["measured_value"] is not None for result in market["key_results"])
    duplicate = next(row for row in rows if row["title"].startswith("Search engine"))
    links = get(client, f"/api/v1/use-cases/{duplicate['id']}", auditor)["links"]
    assert [(link["kind"], link["other_id"]) for link in links] == [("duplicate", market["id"])]
    forecast = next(row for row in rows if "sales forecast" in row["title"])
    verdict = get(client, f"/api/v1/use-cases/{forecast['id']}", auditor)["automation_verdict"]
    assert (forecast["status"], verdict["verdict"]) == ("idea", "automation")

    # risks rated from the library, a portfolio heat map, GxP per draft Annex 22
    heatmap = get(client, "/api/v1/risks/heatmap", auditor)
    assert heatmap["use_cases"] == 9
    assert heatmap["inherent"]["total"] == heatmap["residual"]["total"] >= 25
    assert heatmap["inherent"]["by_level"]["high"] > heatmap["residual"]["by_level"]["high"]
    gxp = get(client, f"/api/v1/use-cases/{by_title[DEVIATIONS]['id']}/gxp", auditor)
    assert (gxp["gmp_criticality"], gxp["human_in_the_loop"], gxp["annex22"]["allowed"]) == (
        "non_critical",
        True,
        True,
    )

    # training coverage with people expired, expiring and missing; the charter accepted by most
    coverage = get(client, "/api/v1/literacy/coverage", referent)["total"]
    assert coverage["people"] == 27
    assert (coverage["expired"], coverage["expiring"], coverage["missing"]) == (3, 1, 3)
    charter = get(client, "/api/v1/charter", referent)
    rollout = get(client, f"/api/v1/charter/versions/{charter['id']}/rollout", referent)
    assert (rollout["counts"]["accepted"], rollout["counts"]["pending"]) == (22, 5)

    # the committee: a past meeting held with its quorum, its decisions signed and its
    # minutes approved; the next one with its agenda proposed from what awaits a decision
    meetings = {m["status"]: m for m in get(client, "/api/v1/committee/meetings", auditor)}
    assert set(meetings) == {"minutes_approved", "planned"}
    held = get(client, f"/api/v1/committee/meetings/{meetings['minutes_approved']['id']}", auditor)
    decided = [item for item in held["agenda"] if item["use_case_id"]]
    assert {item["use_case_id"] for item in decided} == {
        by_title[CV]["id"],
        by_title[DEVIATIONS]["id"],
    }
    assert all(item["outcome"] == "approved" and item["approval_decision_id"] for item in decided)
    assert held["minutes"]["approved"] is True
    planned = get(client, f"/api/v1/committee/meetings/{meetings['planned']['id']}", auditor)
    awaiting = {item["use_case_id"] for item in planned["agenda"]}
    assert {by_title[EMOTIONS]["id"], by_title[CHATBOT]["id"]} <= awaiting
    assert len(awaiting) == 4
    models = get(client, "/api/v1/inventory/models", auditor)
    assert {m["status"] for m in models} == {"approved", "candidate"}

    # the audit trail records the demo as the console operator's doing, signatures as each
    # signer's, and verifies
    submitted = get(client, "/api/v1/audit/records", auditor, action="use_case.submitted")
    assert len(submitted) == 12
    assert all(r["actor_id"].startswith("console:") for r in submitted)
    assert {r["request_id"] for r in submitted} == {"demo-load"}
    signed = get(client, "/api/v1/audit/records", auditor, action="signature.applied", limit=1000)
    assert len(signed) == 48
    assert all(r["actor_id"].isdigit() for r in signed)
    code, output = invoke("audit", "verify")
    assert code == 0, output
    assert "OK:" in output

    # a second run is refused; --force adds nothing twice, and needs the same password
    code, output = invoke("demo", "load", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1
    assert "already holds 26 user(s) besides the bootstrap admin and 12 use case(s)" in output
    code, output = invoke("demo", "load", "--force", "--password-stdin", stdin="another one!!\n")
    assert code == 1
    assert "another password" in output
    code, output = invoke("demo", "load", "--force", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, output
    assert "nothing (already loaded)" in output, output
    assert len(get(client, "/api/v1/use-cases", auditor)) == 12
    assert len(rt.directory.list_users()) == 27
    code, output = invoke("audit", "verify")
    assert code == 0, output
