"""The EU AI Act classifier over HTTP: any signed-in user may use it; bad answers are 422 with
the question named; the API answers exactly what the library does; nothing is written."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.aiact_cases import CASES, ON, answers

from gouvernail.audit.models import AuditRecord
from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]
MakeUser = Callable[..., int]
BASE = "/api/v1/ai-act"


def audit_count(rt: Runtime) -> int:
    with rt.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_sign_in_is_required(client: TestClient) -> None:
    for response in (
        client.get(f"{BASE}/questionnaire"),
        client.get(f"{BASE}/rulesets"),
        client.post(f"{BASE}/classify", json={"answers": answers()}),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_every_employee_may_read_and_classify(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    make_user("emma")  # no role beyond employee
    me = client.get("/api/v1/me", headers=login("emma")).json()
    assert {"ai_act:read", "ai_act:classify"} <= set(me["permissions"])


def test_questionnaire_in_french_for_a_date(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    make_user("emma")
    headers = login("emma")
    response = client.get(
        f"{BASE}/questionnaire", params={"lang": "fr", "on": "2025-01-01"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ruleset"], body["lang"], body["effective_from"]) == (
        "eu-ai-act-2024.1",
        "fr",
        "2024-08-01",
    )
    first = body["questions"][0]
    assert first["id"] == "role"
    assert first["text"].startswith("Quel est le rôle")
    assert first["allowed"] == [
        "provider",
        "provider_deployer",
        "deployer",
        "importer",
        "distributor",
    ]
    follow_up = next(q for q in body["questions"] if q["id"] == "third_party_conformity")
    assert follow_up["allowed"] == [True, False]
    assert follow_up["ask_when"] == {"not": {"answer": "annex_i_product", "is": "none"}}
    current = client.get(f"{BASE}/questionnaire", headers=headers).json()
    assert current["lang"] == "en"
    assert current["ruleset"] == "eu-ai-act-2026.1"
    for params, field in (({"lang": "de"}, "lang"), ({"on": "yesterday"}, "on")):
        refused = client.get(f"{BASE}/questionnaire", params=params, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["error"]["field"] == field
    unknown = client.get(f"{BASE}/questionnaire", params={"ruleset": "x"}, headers=headers)
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (422, "ruleset")


def test_rulesets_list_dates_with_their_sources(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    make_user("emma")
    response = client.get(f"{BASE}/rulesets", params={"on": ON.isoformat()}, headers=login("emma"))
    assert response.status_code == 200, response.text
    views = {view["version"]: view for view in response.json()}
    assert set(views) == {"eu-ai-act-2024.1", "eu-ai-act-2026.1"}
    assert views["eu-ai-act-2026.1"]["in_force"]
    assert views["eu-ai-act-2026.1"]["extends"] == "eu-ai-act-2024.1"
    dates = {d["key"]: d for d in views["eu-ai-act-2026.1"]["application_dates"]}
    assert dates["annex_iii_high_risk"]["date"] == "2027-12-02"
    assert dates["annex_iii_high_risk"]["amended"] is True
    assert dates["annex_iii_high_risk"]["superseded"][0]["date"] == "2026-08-02"
    assert dates["annex_i_high_risk"]["date"] == "2028-08-02"
    assert "2026/1744" in dates["annex_i_high_risk"]["source"]
    assert dates["prohibitions"]["source"].endswith("point (a)")


def test_the_api_answers_what_the_library_does(
    client: TestClient, make_user: MakeUser, login: Login, rt: Runtime
) -> None:
    make_user("emma")
    headers = login("emma")
    written = audit_count(rt)
    for case in CASES:
        body = {"answers": case.answers, "on": case.on.isoformat(), "ruleset": case.ruleset}
        response = client.post(f"{BASE}/classify", json=body, headers=headers)
        assert response.status_code == 200, (case.name, response.text)
        expected = rt.aiact.classify(case.answers, on=case.on, ruleset=case.ruleset)
        assert response.json() == expected.model_dump(mode="json"), case.name
    assert audit_count(rt) == written  # a classification is a computation: nothing is written


def test_bad_answers_are_422_naming_the_question(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    make_user("emma")
    headers = login("emma")
    profiling = answers(
        annex_iii_areas=["employment"],
        annex_iii_employment=["recruitment_selection"],
        profiles_natural_persons=True,
        deployer_sector="private",
    )
    for body, field, code in (
        ({"answers": answers(colour="blue")}, "colour", "unknown_question"),
        ({"answers": answers(role="owner")}, "role", "invalid_answer"),
        ({"answers": answers(role=None)}, "role", "missing_answer"),
        (
            {"answers": {**profiling, "art_6_3_condition": "narrow_procedural_task"}},
            "art_6_3_condition",
            "contradictory_answers",
        ),
        (
            {"answers": answers(prohibited_practices=["none", "social_scoring"])},
            "prohibited_practices",
            "contradictory_answers",
        ),
        ({"answers": answers(), "on": "2024-07-31"}, "on", "no_ruleset"),
        ({"answers": answers(), "ruleset": "eu-ai-act-1999"}, "ruleset", "unknown_ruleset"),
        ({"answers": answers(), "on": "soon"}, "on", "invalid_input"),
        ({"answers": answers(), "lang": "fr"}, "lang", "invalid_input"),
        ({}, "answers", "invalid_input"),
    ):
        response = client.post(f"{BASE}/classify", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert (error["field"], error["code"]) == (field, code), error
        assert error["message"]
