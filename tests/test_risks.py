"""The risk register, the heat maps, the library, the GxP view and the approval gate's risk
prerequisites, through the API (and the CLI) on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.cli import app as cli_app
from gouvernail.errors import ConflictError
from gouvernail.registry.models import UseCase
from gouvernail.risk import GxpRules, RiskStatus, missing_for_approval
from gouvernail.risk.gxp import Facts, GmpCriticality, Grade
from gouvernail.risk.schemas import RiskPatch
from gouvernail.risk.scoring import Level, Rating
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
MakeUser = Callable[..., int]
Headers = dict[str, str]


def use_case(client: TestClient, headers: Headers, title: str, **fields: Any) -> dict[str, Any]:
    """A use case submitted through the registry; the submitter becomes its owner."""
    body = {
        "title": title,
        "description": f"{title}: an AI use case submitted by the risk register tests.",
        "duplicate_justification": "a separate test use case",
        **fields,
    }
    response = client.post("/api/v1/use-cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def risk_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "safety",
        "title": "Wrong dosage in an answer",
        "description": "The assistant states a wrong dosage.",
        "likelihood": 3,
        "severity": 5,
    }
    body.update(overrides)
    return body


def actions(rt: Runtime) -> list[str]:
    with rt.database.read() as session:
        return list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


def records(rt: Runtime, action: str) -> list[AuditRecord]:
    with rt.database.read() as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
            )
        )


ROLES = {
    "alice": (),
    "mia": (),
    "eve": (),
    "audrey": ("auditor",),
    "carl": ("committee_member",),
    "rita": ("ai_referent",),
}


class People(dict[str, int]):
    """Owner alice and member mia of use case 'uc'; outsiders eve, an auditor (audrey), a
    committee member (carl); rita the AI referent. Created on first use (hashing is slow)."""

    def __init__(self, make_user: MakeUser) -> None:
        super().__init__()
        self.make_user = make_user

    def __missing__(self, username: str) -> int:
        self[username] = self.make_user(username, *ROLES[username])
        return self[username]


class Sessions(dict[str, Headers]):
    """Signs a user in on first use only."""

    def __init__(self, people: People, login: Login) -> None:
        super().__init__()
        self.people = people
        self.login = login

    def __missing__(self, username: str) -> Headers:
        _ = self.people[username]
        self[username] = self.login(username)
        return self[username]


@pytest.fixture
def cast(make_user: MakeUser, login: Login) -> dict[str, Any]:
    people = People(make_user)
    return {"ids": people, "h": Sessions(people, login)}


@pytest.fixture
def uc(client: TestClient, cast: dict[str, Any]) -> dict[str, Any]:
    _ = cast["ids"]["mia"]
    return use_case(client, cast["h"]["alice"], "Medical information assistant", members=["mia"])


def url(uc: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/use-cases/{uc['id']}/risks{tail}"


# --- scoring ---------------------------------------------------------------------------------

L, M, H, C = Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL
# rows: severity 1..5; columns: likelihood 1..5 (the table in docs/risk-scoring.md)
EXPECTED = [
    [L, L, L, L, M],
    [L, L, M, M, H],
    [L, M, M, H, H],
    [L, M, H, H, C],
    [M, H, H, C, C],
]


@pytest.mark.parametrize(
    ("likelihood", "severity"), [(lk, s) for s in range(1, 6) for lk in range(1, 6)]
)
def test_scoring_rule_on_every_cell(likelihood: int, severity: int) -> None:
    rating = Rating(likelihood, severity)
    assert rating.score == likelihood * severity
    assert rating.level is EXPECTED[severity - 1][likelihood - 1]


def test_scoring_refuses_values_off_the_scale() -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        Rating(0, 3)
    with pytest.raises(ValueError, match="1 to 5"):
        Rating(3, 6)


# --- register ----------------------------------------------------------------------------------


def test_member_records_a_risk_and_every_employee_reads_it(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    h, ids = cast["h"], cast["ids"]
    review = (date.today() + timedelta(days=90)).isoformat()
    created = client.post(
        url(uc),
        json=risk_body(
            owner_id=ids["mia"],
            mitigation="Answers only from the approved leaflet",
            residual_likelihood=1,
            residual_severity=5,
            review_on=review,
        ),
        headers=h["mia"],
    )
    assert created.status_code == 201, created.text
    risk = created.json()
    assert (risk["number"], risk["score"], risk["level"]) == (1, 15, "high")
    assert (risk["residual_score"], risk["residual_level"]) == (5, "medium")
    assert (risk["status"], risk["version"], risk["owner_name"]) == ("open", 1, "Mia")
    assert risk["review_on"] == review
    second = client.post(url(uc), json=risk_body(title="Second"), headers=h["alice"]).json()
    assert second["number"] == 2
    for reader in ("eve", "audrey", "carl"):
        listed = client.get(url(uc), headers=h[reader])
        assert listed.status_code == 200
        assert [r["number"] for r in listed.json()] == [1, 2]
    assert (
        client.get(url(uc, "/1"), headers=h["eve"]).json()["title"] == "Wrong dosage in an answer"
    )
    assert client.get(url(uc, "/9"), headers=h["eve"]).status_code == 404
    assert client.get("/api/v1/use-cases/999/risks", headers=h["eve"]).status_code == 404
    created_records = records(rt, "risk.created")
    assert len(created_records) == 2
    assert '"level":"high"' in created_records[0].new_values
    assert created_records[0].actor_name.startswith("Mia")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (risk_body(likelihood=6), 422, "likelihood"),
        (risk_body(severity=0), 422, "severity"),
        (risk_body(category="astrology"), 422, "category"),
        (risk_body(title=""), 422, "title"),
        (risk_body(colour="red"), 422, "colour"),
        (risk_body(residual_likelihood=4, residual_severity=5), 400, "residual_likelihood"),
        (risk_body(residual_likelihood=2), 400, "residual_severity"),
        (risk_body(owner_id=9999), 400, "owner_id"),
    ],
)
def test_bad_risk_input_is_refused_naming_the_field(
    client: TestClient,
    cast: dict[str, Any],
    uc: dict[str, Any],
    rt: Runtime,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = client.post(url(uc), json=body, headers=cast["h"]["alice"])
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert client.get(url(uc), headers=cast["h"]["alice"]).json() == []
    assert "risk.created" not in actions(rt)


def test_a_deactivated_user_cannot_own_a_risk(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime, ctx: AuditContext
) -> None:
    rt.directory.set_active(ctx, cast["ids"]["mia"], active=False, reason="left the company")
    response = client.post(
        url(uc), json=risk_body(owner_id=cast["ids"]["mia"]), headers=cast["h"]["alice"]
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "owner_id"
    assert "deactivated" in response.json()["error"]["message"]


def test_edits_are_versioned_and_never_lost(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    h = cast["h"]
    client.post(url(uc), json=risk_body(), headers=h["alice"])
    first = client.patch(
        url(uc, "/1"),
        json={"version": 1, "mitigation": "Leaflet only", "reason": "workshop"},
        headers=h["alice"],
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = client.patch(url(uc, "/1"), json={"version": 1, "title": "Overwrite"}, headers=h["mia"])
    assert stale.status_code == 409
    assert stale.json()["error"] == {
        "code": "version_conflict",
        "message": stale.json()["error"]["message"],
        "field": "version",
    }
    assert client.get(url(uc, "/1"), headers=h["alice"]).json()["title"] == (
        "Wrong dosage in an answer"
    )
    updated = records(rt, "risk.updated")
    assert len(updated) == 1
    assert updated[0].reason == "workshop"
    assert '"mitigation":""' in updated[0].old_values
    # clearing a required field, or sending nothing new, is refused
    cleared = client.patch(url(uc, "/1"), json={"version": 2, "title": None}, headers=h["alice"])
    assert cleared.json()["error"]["field"] == "title"
    same = client.patch(
        url(uc, "/1"), json={"version": 2, "mitigation": "Leaflet only"}, headers=h["alice"]
    )
    assert same.status_code == 400
    # lowering the inherent rating below the residual one is refused
    client.patch(
        url(uc, "/1"),
        json={"version": 2, "residual_likelihood": 3, "residual_severity": 4},
        headers=h["alice"],
    )
    lowered = client.patch(url(uc, "/1"), json={"version": 3, "severity": 2}, headers=h["alice"])
    assert lowered.status_code == 400
    assert lowered.json()["error"]["field"] == "severity"


def test_concurrent_edits_of_one_version_let_exactly_one_win(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    client.post(url(uc), json=risk_body(), headers=cast["h"]["alice"])
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(index: int) -> None:
        patch = RiskPatch(version=1, mitigation=f"mitigation {index}")
        try:
            rt.risks.update(AuditContext(SYSTEM, f"t{index}"), uc["id"], 1, patch)
            outcome = "ok"
        except ConflictError:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert rt.risks.get(uc["id"], 1).version == 2
    assert len(records(rt, "risk.updated")) == 1


def test_status_changes_carry_reasons_and_respect_the_acceptance_ceiling(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    h = cast["h"]
    client.post(url(uc), json=risk_body(), headers=h["alice"])

    def move(status: str, version: int, reason: str = "reviewed") -> Any:
        return client.post(
            url(uc, "/1/status"),
            json={"status": status, "reason": reason, "version": version},
            headers=h["alice"],
        )

    assert move("mitigated", 1, reason="").status_code == 422
    no_residual = move("mitigated", 1)
    assert no_residual.status_code == 400
    assert "residual" in no_residual.json()["error"]["message"]
    client.patch(
        url(uc, "/1"),
        json={"version": 1, "residual_likelihood": 3, "residual_severity": 4},
        headers=h["alice"],
    )
    assert "no mitigation" in move("mitigated", 2).json()["error"]["message"]
    too_high = move("accepted", 2, reason="we live with it")
    assert too_high.status_code == 400
    assert "up to medium" in too_high.json()["error"]["message"]
    client.patch(
        url(uc, "/1"),
        json={"version": 2, "residual_likelihood": 2, "residual_severity": 4},
        headers=h["alice"],
    )
    accepted = move("accepted", 3, reason="residual risk borne by medical affairs")
    assert accepted.status_code == 200
    assert accepted.json()["status_reason"] == "residual risk borne by medical affairs"
    # an accepted risk cannot be edited into a level that may not be accepted
    raised = client.patch(
        url(uc, "/1"), json={"version": 4, "residual_likelihood": 3}, headers=h["alice"]
    )
    assert raised.status_code == 409
    assert move("closed", 4, reason="feature dropped").status_code == 200
    wrong = move("mitigated", 5)
    assert wrong.status_code == 409
    assert wrong.json()["error"]["field"] == "status"
    assert move("open", 5, reason="feature back").json()["status"] == "open"
    changes = records(rt, "risk.status_changed")
    assert [r.reason for r in changes] == [
        "residual risk borne by medical affairs",
        "feature dropped",
        "feature back",
    ]


def test_the_acceptance_ceiling_is_a_setting(
    make_settings: Callable[..., Settings], make_user: MakeUser, ctx: AuditContext
) -> None:
    from gouvernail.registry.models import UseCaseMember  # noqa: F401 (table of members)
    from gouvernail.risk.schemas import RiskIn

    runtime = Runtime.build(make_settings(risk_acceptance_max_level="high"))
    try:
        owner = runtime.directory.create_user(ctx, username="omar", display_name="Omar")
        with runtime.database.write() as session:
            row = UseCase(
                title="Batch record summaries",
                description="Summaries of batch records",
                requester_id=owner.id,
                sourcing="strategic",
            )
            session.add(row)
            session.flush()
            use_case_id = row.id
        body = RiskIn.model_validate(risk_body(residual_likelihood=3, residual_severity=4))
        runtime.risks.create(ctx, use_case_id, body)
        accepted = runtime.risks.change_status(
            ctx, use_case_id, 1, status=RiskStatus.ACCEPTED, reason="high accepted", version=1
        )
        assert accepted.status == "accepted"
    finally:
        runtime.close()


def test_a_retired_use_case_takes_no_more_risks(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    with rt.database.write() as session:
        row = session.get(UseCase, uc["id"])
        assert row is not None
        row.status = "retired"
    response = client.post(url(uc), json=risk_body(), headers=cast["h"]["alice"])
    assert response.status_code == 409


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["eve", "audrey", "carl"])
def test_only_members_and_the_ai_referent_edit(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime, outsider: str
) -> None:
    h = cast["h"]
    client.post(url(uc), json=risk_body(), headers=h["alice"])
    attempts = [
        client.post(url(uc), json=risk_body(), headers=h[outsider]),
        client.patch(url(uc, "/1"), json={"version": 1, "title": "x"}, headers=h[outsider]),
        client.post(
            url(uc, "/1/status"),
            json={"status": "closed", "reason": "x", "version": 1},
            headers=h[outsider],
        ),
        client.post(url(uc, "/from-library"), json={"ids": ["shadow-ai"]}, headers=h[outsider]),
        client.put(
            f"/api/v1/use-cases/{uc['id']}/gxp",
            json={"gxp_relevant": False, "rationale": "x"},
            headers=h[outsider],
        ),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    denied = records(rt, "auth.access_denied")
    assert len(denied) == len(attempts)
    assert '"action":"manage_any"' in denied[0].new_values
    assert client.get(url(uc, "/1"), headers=h["alice"]).json()["version"] == 1
    # the AI referent edits any use case's register
    referent = client.post(url(uc), json=risk_body(title="Referent's"), headers=h["rita"])
    assert referent.status_code == 201
    assert (
        client.post("/api/v1/use-cases/999/risks", json=risk_body(), headers=h["rita"]).status_code
        == 404
    )


# --- library -----------------------------------------------------------------------------------


def test_library_in_two_languages(client: TestClient, cast: dict[str, Any]) -> None:
    h = cast["h"]["eve"]
    english = client.get("/api/v1/risks/library", headers=h).json()
    french = client.get("/api/v1/risks/library?lang=fr", headers=h).json()
    assert len(english) >= 25
    assert {r["category"] for r in english} == {
        "reputation",
        "quality",
        "safety",
        "compliance",
        "security",
        "privacy",
        "bias",
        "intellectual_property",
        "vendor_dependency",
        "environment",
    }
    ids = [r["id"] for r in english]
    assert {"prompt-injection", "reidentification", "vendor-lock-in", "energy-use"} <= set(ids)
    assert [r["id"] for r in french] == ids
    injection = next(r for r in french if r["id"] == "prompt-injection")
    assert injection["title"] == "Injection de prompt"
    assert injection["mitigations"]
    unknown = client.get("/api/v1/risks/library?lang=de", headers=h)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "lang"


def test_register_starts_from_the_library(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    h = cast["h"]["alice"]
    unknown = client.post(
        url(uc, "/from-library"), json={"ids": ["prompt-injection", "nope"]}, headers=h
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "ids"
    assert client.get(url(uc), headers=h).json() == []
    created = client.post(
        url(uc, "/from-library"),
        json={"ids": ["medical-hallucination", "prompt-injection"], "lang": "fr"},
        headers=h,
    )
    assert created.status_code == 201, created.text
    first, second = created.json()
    assert (first["number"], first["source"], first["category"]) == (
        1,
        "medical-hallucination",
        "safety",
    )
    assert (first["likelihood"], first["severity"]) == (3, 5)
    assert first["title"] == "Hallucination dans l'information médicale"
    assert "Mesures suggérées" in first["description"]
    assert first["mitigation"] == ""  # to be stated, not assumed
    assert second["source"] == "prompt-injection"
    again = client.post(url(uc, "/from-library"), json={"ids": ["prompt-injection"]}, headers=h)
    assert again.status_code == 409
    assert [r.action for r in records(rt, "risk.created")] == ["risk.created"] * 2


def test_users_bring_their_own_library(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    own = tmp_path / "library.yaml"
    own.write_text(
        "version: ours-1\nrisks:\n  - id: lab-robot\n    category: safety\n"
        "    likelihood: 2\n    severity: 4\n    en:\n      title: Lab robot mishandles a sample\n"
        "      description: The agent drives a lab robot wrongly.\n"
        "      mitigations: [Interlocks]\n",
        encoding="utf-8",
    )
    runtime = Runtime.build(make_settings(risk_library_file=own))
    try:
        entries = runtime.risks.library.views("fr")
        assert [(e.id, e.title, e.level) for e in entries] == [
            ("lab-robot", "Lab robot mishandles a sample", "medium")
        ]
    finally:
        runtime.close()
    own.write_text("version: broken\nrisks: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="invalid risk library"):
        Runtime.build(make_settings(risk_library_file=own))


# --- heat maps ---------------------------------------------------------------------------------


def test_heat_maps_count_inherent_and_residual(
    client: TestClient,
    cast: dict[str, Any],
    make_user: MakeUser,
    login: Login,
    rt: Runtime,
    ctx: AuditContext,
) -> None:
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="business_unit")
    rt.directory.create_team(ctx, slug="rd-lab", name="Lab", kind="department", parent="rd")
    rt.directory.create_team(ctx, slug="hr", name="HR", kind="business_unit")
    make_user("lara", team="rd-lab")
    make_user("hugo", team="hr")
    lab = use_case(client, login("lara"), "Laboratory notebook search")
    hr = use_case(client, login("hugo"), "Screening of applications")
    lab_h, hr_h = login("lara"), login("hugo")
    for body in (
        risk_body(likelihood=3, severity=5, residual_likelihood=1, residual_severity=5),
        risk_body(likelihood=3, severity=5),
        risk_body(likelihood=5, severity=5, residual_likelihood=2, residual_severity=2),
        risk_body(likelihood=1, severity=1),
    ):
        assert client.post(url(lab), json=body, headers=lab_h).status_code == 201
    client.post(
        url(lab, "/4/status"),
        json={"status": "closed", "reason": "n/a", "version": 1},
        headers=lab_h,
    )
    client.post(url(hr), json=risk_body(category="bias", likelihood=4, severity=4), headers=hr_h)

    single = client.get(url(lab, "/heatmap"), headers=cast["h"]["eve"]).json()
    assert single["levels"][4][4] == "critical"
    assert single["inherent"]["cells"][4][2] == 2  # severity 5, likelihood 3
    assert single["inherent"]["cells"][4][4] == 1
    assert single["inherent"]["cells"][0][0] == 0  # closed risks are left out
    assert single["inherent"]["by_level"] == {"low": 0, "medium": 0, "high": 2, "critical": 1}
    assert single["residual"]["cells"][4][0] == 1
    assert single["residual"]["cells"][1][1] == 1
    assert single["residual"]["by_level"] == {"low": 1, "medium": 1, "high": 0, "critical": 0}
    assert (single["without_residual"], single["use_cases"]) == (1, 1)

    everything = client.get("/api/v1/risks/heatmap", headers=cast["h"]["audrey"]).json()
    assert everything["inherent"]["total"] == 4
    assert everything["use_cases"] == 2
    research = client.get("/api/v1/risks/heatmap?department=rd", headers=lab_h).json()
    assert research["inherent"]["total"] == 3
    people = client.get("/api/v1/risks/heatmap?department=hr", headers=lab_h).json()
    assert people["inherent"]["cells"][3][3] == 1
    assert people["inherent"]["total"] == 1
    ideas = client.get("/api/v1/risks/heatmap?status=idea&status=qualified", headers=lab_h)
    assert ideas.json()["inherent"]["total"] == 4
    live = client.get("/api/v1/risks/heatmap?status=production", headers=lab_h).json()
    assert live["inherent"]["total"] == 0
    bad_team = client.get("/api/v1/risks/heatmap?department=nowhere", headers=lab_h)
    assert (bad_team.status_code, bad_team.json()["error"]["field"]) == (400, "department")
    bad_status = client.get("/api/v1/risks/heatmap?status=dreaming", headers=lab_h)
    assert bad_status.status_code == 422
    assert bad_status.json()["error"]["field"].startswith("status")


# --- GxP ---------------------------------------------------------------------------------------

RULES = GxpRules.builtin()
G = Grade


@pytest.mark.parametrize(
    ("influence", "consequence", "expected"),
    [
        (G.LOW, G.LOW, G.LOW),
        (G.MEDIUM, G.LOW, G.LOW),
        (G.HIGH, G.LOW, G.MEDIUM),
        (G.LOW, G.MEDIUM, G.LOW),
        (G.MEDIUM, G.MEDIUM, G.MEDIUM),
        (G.HIGH, G.MEDIUM, G.HIGH),
        (G.LOW, G.HIGH, G.MEDIUM),
        (G.MEDIUM, G.HIGH, G.HIGH),
        (G.HIGH, G.HIGH, G.HIGH),
    ],
)
def test_fda_model_risk_matrix(influence: Grade, consequence: Grade, expected: Grade) -> None:
    assert RULES.model_risk_of(influence, consequence) is expected


def test_credibility_activities_grow_with_model_risk() -> None:
    low, medium, high = (RULES.activities_for(grade) for grade in Grade)
    assert low
    assert set(low) < set(medium) < set(high)


CRIT, NONCRIT, NOTGMP = GmpCriticality.CRITICAL, GmpCriticality.NON_CRITICAL, GmpCriticality.NOT_GMP


@pytest.mark.parametrize(
    ("gmp", "generative", "dynamic", "human", "allowed", "rule"),
    [
        (CRIT, True, False, True, False, "annex22.critical.generative"),
        (CRIT, True, False, False, False, "annex22.critical.generative"),
        (CRIT, False, False, True, True, "annex22.critical.static"),
        (CRIT, False, False, False, True, "annex22.critical.static"),
        (NONCRIT, True, False, True, True, "annex22.non_critical.human_in_the_loop"),
        (NONCRIT, True, False, False, False, "annex22.non_critical.generative_without_human"),
        (NONCRIT, False, False, True, True, "annex22.non_critical.human_in_the_loop"),
        (NONCRIT, False, False, False, True, "annex22.non_critical.static"),
        (CRIT, False, True, True, False, "annex22.critical.dynamic"),
        (NONCRIT, False, True, False, False, "annex22.non_critical.dynamic_without_human"),
        (NOTGMP, True, True, False, True, "annex22.out_of_scope"),
    ],
)
def test_annex22_rule(
    gmp: GmpCriticality, generative: bool, dynamic: bool, human: bool, allowed: bool, rule: str
) -> None:
    verdict = RULES.annex22_verdict(
        Facts(gmp=gmp, generative=generative, dynamic=dynamic, human_in_the_loop=human)
    )
    assert (verdict.allowed, verdict.rule) == (allowed, rule)
    assert verdict.reason


def test_a_rule_set_with_a_hole_is_refused(tmp_path: Path) -> None:
    text = Path("src/gouvernail/risk/gxp_rules.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "rules.yaml"
    broken.write_text(text.split("  - id: annex22.non_critical.static")[0], encoding="utf-8")
    with pytest.raises(ValueError, match="no annex22 rule decides"):
        GxpRules.load(broken)
    broken.write_text(text.replace("  high: {low: medium,", "  high: {"), encoding="utf-8")
    with pytest.raises(ValueError, match="lacks influence"):
        GxpRules.load(broken)


GXP = {
    "gxp_relevant": True,
    "question_of_interest": "Is the deviation description complete enough to classify it?",
    "context_of_use": "Drafts a deviation summary that a QA specialist reviews and signs; the "
    "classification decision stays with QA.",
    "model_influence": "medium",
    "decision_consequence": "high",
    "gmp_criticality": "non_critical",
    "generative_ai": True,
    "human_in_the_loop": True,
    "rationale": "Assessed with QA on 3 March",
}


def test_gxp_assessment_is_versioned_and_audited(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime
) -> None:
    h = cast["h"]
    gxp = f"/api/v1/use-cases/{uc['id']}/gxp"
    assert client.get(gxp, headers=h["eve"]).status_code == 404
    first = client.put(gxp, json=GXP, headers=h["alice"])
    assert first.status_code == 200, first.text
    view = first.json()
    assert (view["model_risk"], view["version"], view["ruleset_current"]) == ("high", 1, True)
    assert view["annex22"] == {
        "allowed": True,
        "rule": "annex22.non_critical.human_in_the_loop",
        "reason": view["annex22"]["reason"],
    }
    assert len(view["credibility_activities"]) == len(RULES.activities_for(Grade.HIGH))
    assert client.put(gxp, json=GXP, headers=h["alice"]).status_code == 409  # version omitted
    revised = client.put(
        gxp,
        json={**GXP, "gmp_criticality": "critical", "version": 1, "rationale": "QA review"},
        headers=h["mia"],
    )
    assert revised.status_code == 200
    assert revised.json()["annex22"]["allowed"] is False
    assert revised.json()["annex22"]["rule"] == "annex22.critical.generative"
    stale = client.put(gxp, json={**GXP, "version": 1}, headers=h["alice"])
    assert (stale.status_code, stale.json()["error"]["field"]) == (409, "version")
    assert client.get(gxp, headers=h["audrey"]).json()["version"] == 2
    assessed = records(rt, "gxp.assessed")
    assert [r.object_version for r in assessed] == [1, 2]
    assert assessed[1].reason == "QA review"
    assert '"gmp_criticality":"non_critical"' in assessed[1].old_values


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"context_of_use": " "}, "context_of_use"),
        ({"model_influence": None}, "model_influence"),
        ({"gmp_criticality": None}, "gmp_criticality"),
        ({"gxp_relevant": False}, "question_of_interest"),
        ({"model_influence": "huge"}, "model_influence"),
        ({"rationale": ""}, "rationale"),
    ],
)
def test_gxp_bad_input_names_the_field(
    client: TestClient,
    cast: dict[str, Any],
    uc: dict[str, Any],
    changes: dict[str, Any],
    field: str,
) -> None:
    response = client.put(
        f"/api/v1/use-cases/{uc['id']}/gxp", json={**GXP, **changes}, headers=cast["h"]["alice"]
    )
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["field"] == field


# --- approval gate -----------------------------------------------------------------------------


def gaps(rt: Runtime, use_case_id: int, tier: str | None, **kw: Any) -> list[str]:
    with rt.database.read() as session:
        return missing_for_approval(session, use_case_id, tier, **kw)


def test_gate_names_each_missing_item(
    client: TestClient, cast: dict[str, Any], uc: dict[str, Any], rt: Runtime, ctx: AuditContext
) -> None:
    h, ids = cast["h"]["alice"], cast["ids"]
    found = gaps(rt, uc["id"], "minimal")
    assert found[0].startswith("the risk register is empty")
    assert found[1].startswith("GxP assessment missing")

    client.post(url(uc), json=risk_body(category="quality", title="Vague"), headers=h)
    found = gaps(rt, uc["id"], "high")
    assert "risk #1 'Vague' has no mitigation" in found
    assert "risk #1 'Vague' has no owner" in found
    assert "risk #1 'Vague' has no residual score" in found
    assert "risk #1 'Vague' has no review date (required for a high-risk use case)" in found
    assert any(gap.startswith("no risk to health, safety or fundamental rights") for gap in found)
    assert not any("review date" in gap for gap in gaps(rt, uc["id"], "limited"))

    client.patch(
        url(uc, "/1"),
        json={
            "version": 1,
            "category": "safety",
            "mitigation": "Leaflet only",
            "owner_id": ids["mia"],
            "likelihood": 5,
            "severity": 5,
            "residual_likelihood": 4,
            "residual_severity": 5,
            "review_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=h,
    )
    client.put(
        f"/api/v1/use-cases/{uc['id']}/gxp", json={**GXP, "gmp_criticality": "critical"}, headers=h
    )
    found = gaps(rt, uc["id"], "high")
    assert found == [
        "critical residual risk #1 'Vague' is open: reduce it below critical or close it",
        "Annex 22: " + RULES.annex22[1].reason,
    ]

    client.patch(url(uc, "/1"), json={"version": 2, "residual_likelihood": 2}, headers=h)
    client.put(f"/api/v1/use-cases/{uc['id']}/gxp", json={**GXP, "version": 1}, headers=h)
    assert gaps(rt, uc["id"], "high") == []
    outdated = RULES.model_copy(update={"version": "gxp-2099.1"})
    assert gaps(rt, uc["id"], "high", rules=outdated) == [
        f"the GxP assessment was made under rule set {RULES.version}; reassess it under gxp-2099.1"
    ]

    rt.directory.set_active(ctx, ids["mia"], active=False, reason="left")
    assert gaps(rt, uc["id"], "high") == [
        "risk #1 'Vague': its owner Mia is deactivated; name another"
    ]
    client.post(
        url(uc, "/1/status"), json={"status": "closed", "reason": "gone", "version": 3}, headers=h
    )
    assert gaps(rt, uc["id"], "high") == []


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_lists_a_register_and_the_library(
    client: TestClient,
    cast: dict[str, Any],
    uc: dict[str, Any],
    cli_env: Settings,
) -> None:
    client.post(url(uc), json=risk_body(), headers=cast["h"]["alice"])
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["risk", "list", str(uc["id"])])
    assert listed.exit_code == 0, listed.output
    assert "Wrong dosage" in listed.output
    assert "15 high" in listed.output
    missing = runner.invoke(cli_app, ["risk", "list", "999"])
    assert missing.exit_code == 1
    library = runner.invoke(cli_app, ["risk", "library", "--lang", "fr"])
    assert library.exit_code == 0
    assert "prompt-injection" in library.output
