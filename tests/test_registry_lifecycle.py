"""The lifecycle from idea to production through every gate, approvals signed stage by stage,
prohibited practices, the fast path, stale approvals, endless pilots, suspension."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry_helpers import (
    DEPLOYMENT,
    QUALIFICATION,
    TODAY,
    approve,
    move,
    people,
    put,
    submit,
)

from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]

BASE = {
    "role": "provider_deployer",
    "prohibited_practices": ["none"],
    "annex_i_product": "none",
    "annex_iii_areas": ["none"],
    "transparency_features": ["none"],
    "general_purpose": "none",
}
HIGH = {
    **BASE,
    "annex_iii_areas": ["employment"],
    "annex_iii_employment": ["recruitment_selection"],
    "profiles_natural_persons": False,
    "art_6_3_condition": "none",
    "deployer_sector": "private",
}
PROHIBITED = {**BASE, "prohibited_practices": ["social_scoring"]}


@pytest.fixture
def cast(make_user: Callable[..., int]) -> dict[str, int]:
    return people(make_user)


def get(client: TestClient, headers: dict[str, str], uc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"/api/v1/use-cases/{uc['id']}", headers=headers).json()
    return result


def codes(response: Any) -> list[str]:
    assert response.status_code == 409, response.text
    return [item["code"] for item in response.json()["error"]["details"]]


def add_risk(client: TestClient, headers: dict[str, str], uc: dict[str, Any], owner: int) -> None:
    response = client.post(
        f"/api/v1/use-cases/{uc['id']}/risks",
        json={
            "category": "bias",
            "title": "Ranking disadvantages some applicants",
            "likelihood": 3,
            "severity": 4,
            "mitigation": "Quarterly bias test; recruiters read beyond the shortlist.",
            "owner_id": owner,
            "residual_likelihood": 2,
            "residual_severity": 3,
            "review_on": (TODAY + timedelta(days=90)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    gxp = client.put(
        f"/api/v1/use-cases/{uc['id']}/gxp",
        json={"gxp_relevant": False, "rationale": "HR process, no GMP impact"},
        headers=headers,
    )
    assert gxp.status_code == 200, gxp.text


def assessed(
    client: TestClient,
    alice: dict[str, str],
    cast: dict[str, int],
    answers: dict[str, Any],
    **overrides: Any,
) -> dict[str, Any]:
    uc = submit(client, alice, **overrides)
    uc = put(client, alice, uc, "qualification", QUALIFICATION)
    assert move(client, alice, uc, "qualified").status_code == 200
    uc = get(client, alice, uc)
    assert "ai_act_classification" in codes(move(client, alice, uc, "assessed"))
    uc = put(client, alice, uc, "classification", {"answers": answers})
    add_risk(client, alice, uc, cast["alice"])
    uc = put(client, alice, uc, "deployment", {"deployment": DEPLOYMENT})
    moved = move(client, alice, uc, "assessed")
    assert moved.status_code == 200, moved.text
    return get(client, alice, uc)


def test_high_risk_idea_to_production(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    rt.use_cases.today = lambda: TODAY  # a run crossing midnight keeps one day
    alice = login("alice")
    uc = assessed(client, alice, cast, HIGH)
    assert uc["ai_act_tier"] == "high"
    assert uc["classification"]["result"]["articles"]
    state = client.get(f"/api/v1/use-cases/{uc['id']}/approvals", headers=alice).json()
    assert state["workflow"] == "high_risk"
    assert [s["id"] for s in state["stages"]] == [
        "ai_referent_review",
        "data_owner_review",
        "security_review",
        "committee_decision",
    ]
    assert "approval_pending" in codes(move(client, alice, uc, "approved"))

    # order, independence, role and quorum are enforced
    assert approve(client, login("sam"), uc["id"], "security_review").status_code == 409
    assert approve(client, login("eve"), uc["id"], "ai_referent_review").status_code == 403
    assert approve(client, login("olivia"), uc["id"], "ai_referent_review").status_code == 403
    refusals = client.get("/api/v1/notifications", headers=login("sam")).json()
    assert any("was refused stage ai_referent_review" in n["message"] for n in refusals)
    wrong = client.post(
        f"/api/v1/use-cases/{uc['id']}/approvals",
        json={"stage": "ai_referent_review", "decision": "approve", "password": "wrong"},
        headers=login("rita"),
    )
    assert wrong.status_code == 401
    assert approve(client, login("rita"), uc["id"], "ai_referent_review").status_code == 200
    assert approve(client, login("rita"), uc["id"], "ai_referent_review").status_code == 409
    assert approve(client, login("cm1"), uc["id"], "data_owner_review").status_code == 403
    assert approve(client, login("olivia"), uc["id"], "data_owner_review").status_code == 200
    assert approve(client, login("sam"), uc["id"], "security_review").status_code == 200
    for member in ("cm1", "cm2"):
        assert approve(client, login(member), uc["id"], "committee_decision").status_code == 200
    assert "approval_pending" in codes(move(client, alice, get(client, alice, uc), "approved"))
    done = approve(client, login("cm3"), uc["id"], "committee_decision").json()
    assert done["complete"] is True
    assert len(done["decisions"]) == 6
    signatures = client.get(
        "/api/v1/signatures",
        params={"object_type": "use_case", "object_id": uc["id"]},
        headers=alice,
    )
    assert signatures.status_code == 200, signatures.text
    manifestations = [s["manifestation"] for s in signatures.json()]
    assert len(manifestations) == 6
    assert all(" — approved — " in text for text in manifestations)

    uc = get(client, alice, uc)
    moved = move(client, alice, uc, "approved")
    assert moved.status_code == 200, moved.text
    uc = moved.json()

    assert "pilot_end_date" in codes(move(client, alice, uc, "pilot"))
    end = (TODAY + timedelta(days=60)).isoformat()
    uc = move(client, alice, uc, "pilot", pilot_end_date=end).json()
    assert uc["pilot_started_on"] == TODAY.isoformat()

    missing = codes(move(client, alice, uc, "production"))
    assert "results_missing" in missing
    assert "fallback_not_rehearsed" in missing
    kr = uc["key_results"][0]["id"]
    measured = client.post(
        f"/api/v1/use-cases/{uc['id']}/key-results/{kr}/measurements",
        json={"measured_value": 9, "measured_on": TODAY.isoformat(), "note": "pilot month 1"},
        headers=alice,
    )
    assert measured.status_code == 200
    rehearsed = {**DEPLOYMENT, "fallback_last_rehearsed": TODAY.isoformat()}
    uc = put(client, alice, measured.json(), "deployment", {"deployment": rehearsed})
    assert uc["revision"] == measured.json()["revision"], "a rehearsal is not a new revision"
    moved = move(client, alice, uc, "production")
    assert moved.status_code == 200, moved.text
    uc = moved.json()
    assert [h["to_status"] for h in uc["history"]] == [
        "qualified",
        "assessed",
        "approved",
        "pilot",
        "production",
    ]

    # suspension needs the right; resuming goes back where it was
    assert move(client, alice, uc, "suspended").status_code == 403
    uc = move(client, login("cm1"), uc, "suspended").json()
    assert uc["status"] == "suspended"
    assert "resume_target" in codes(move(client, login("cm1"), uc, "pilot"))
    uc = move(client, login("cm1"), uc, "production").json()
    assert uc["status"] == "production"

    # editing the approved content makes the approval stale
    patched = client.patch(
        f"/api/v1/use-cases/{uc['id']}",
        json={"version": uc["version"], "affected_people": "Applicants and employees"},
        headers=alice,
    ).json()
    assert "approval_stale" in patched["flags"]


def test_rejection_stops_the_round_until_revised(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    uc = assessed(client, alice, cast, HIGH)
    rejected = approve(client, login("rita"), uc["id"], "ai_referent_review", "reject")
    assert rejected.json()["rejected_stage"] == "ai_referent_review"
    assert "approval_rejected" in codes(move(client, alice, get(client, alice, uc), "approved"))
    assert approve(client, login("rita"), uc["id"], "ai_referent_review").status_code == 409
    uc = get(client, alice, uc)
    client.patch(
        f"/api/v1/use-cases/{uc['id']}",
        json={"version": uc["version"], "target_process": "Ranked, then a human reads all."},
        headers=alice,
    )
    again = client.get(f"/api/v1/use-cases/{uc['id']}/approvals", headers=alice).json()
    assert again["rejected_stage"] is None
    assert again["revision"] == uc["revision"] + 1
    assert approve(client, login("rita"), uc["id"], "ai_referent_review").status_code == 200


def test_prohibited_practice_goes_to_compliance_review_and_is_never_approved(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    uc = assessed(client, alice, cast, PROHIBITED)
    assert uc["ai_act_tier"] == "prohibited"
    state = client.get(f"/api/v1/use-cases/{uc['id']}/approvals", headers=alice).json()
    assert state["workflow"] == "compliance_review"
    assert state["approvable"] is False
    assert approve(client, login("cm1"), uc["id"], "compliance_review").status_code == 200
    assert codes(move(client, alice, get(client, alice, uc), "approved")) == ["prohibited"]


def test_minimal_risk_bought_tool_takes_the_fast_path(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    uc = assessed(
        client,
        alice,
        cast,
        BASE,
        title="Translation tool for internal documents",
        description="Buy a machine translation service for internal, non-confidential memos.",
        sourcing="snackable",
        preferred_hosting="external_saas",
    )
    state = client.get(f"/api/v1/use-cases/{uc['id']}/approvals", headers=alice).json()
    assert state["workflow"] == "fast_path"
    assert len(state["stages"]) == 1
    assert approve(client, login("rita"), uc["id"], "ai_referent_review").status_code == 200
    assert move(client, alice, get(client, alice, uc), "approved").status_code == 200


def test_a_pilot_past_its_end_without_results_is_flagged(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    alice = login("alice")
    uc = assessed(
        client,
        alice,
        cast,
        BASE,
        title="Summaries of deviation reports",
        description="Summarise manufacturing deviation reports for the weekly quality review.",
        sourcing="snackable",
    )
    approve(client, login("rita"), uc["id"], "ai_referent_review")
    uc = move(client, alice, get(client, alice, uc), "approved").json()
    uc = move(client, alice, uc, "pilot", pilot_end_date=(TODAY + timedelta(days=30)).isoformat())
    uc = uc.json()
    assert uc["flags"] == []
    rt.use_cases.today = lambda: TODAY + timedelta(days=45)
    later = get(client, alice, uc)
    assert later["flags"] == ["pilot_overdue"]
    overdue = client.get("/api/v1/use-cases", params={"flag": "pilot_overdue"}, headers=alice)
    assert [row["id"] for row in overdue.json()] == [uc["id"]]


def test_transition_errors_are_clear(
    client: TestClient, cast: dict[str, int], login: Login
) -> None:
    alice = login("alice")
    uc = submit(client, alice)
    unknown = move(client, alice, uc, "launched")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "to"
    skipping = move(client, alice, uc, "production")
    assert codes(skipping) == ["transition_not_allowed"]
    stale = client.post(
        f"/api/v1/use-cases/{uc['id']}/transitions",
        json={"to": "retired", "reason": "abandoned", "version": uc["version"] + 5},
        headers=alice,
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    retired = move(client, alice, uc, "retired").json()
    assert retired["status"] == "retired"
    final = move(client, alice, retired, "idea")
    assert final.status_code == 409
    assert "retired" in final.json()["error"]["message"]
