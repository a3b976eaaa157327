"""The charter: electronic signatures on its versions (re-authentication, binding to a
version, gates), its machine rules, effective dates and grace periods, roll-out tracking, the
default charters in French and English, and its CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import PASSWORD, invoke

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.charter.rules import CharterRules, Hosting
from gouvernail.db.base import utcnow
from gouvernail.identity.models import Notification
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
EXAMPLE = yaml.safe_load(Path("examples/charter.yaml").read_text(encoding="utf-8"))


def draft(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    response = client.post("/api/v1/charter/versions", json=EXAMPLE, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def sign(
    client: TestClient,
    headers: dict[str, str],
    charter_id: object,
    meaning: str,
    password: str | None = PASSWORD,
    **extra: object,
) -> TestClient | object:
    return client.post(
        "/api/v1/signatures",
        headers=headers,
        json={
            "object_type": "charter_version",
            "object_id": str(charter_id),
            "meaning": meaning,
            "reason": "reviewed in committee",
            "password": password,
            **extra,
        },
    )


def test_charter_signature_lifecycle(
    client: TestClient, make_user: Callable[..., int], login: Login, rt: Runtime
) -> None:
    make_user("ref", "ai_referent", display_name="Rita Ferreira")
    make_user("chair", "committee_member", display_name="Charles Hoarau")
    make_user("emp")
    ref, chair, emp = login("ref"), login("chair"), login("emp")
    version = draft(client, ref)
    approved = sign(client, chair, version["id"], "approved")
    assert approved.status_code == 201, approved.text  # type: ignore[union-attr]
    signature = approved.json()  # type: ignore[union-attr]
    assert signature["printed_name"] == "Charles Hoarau"
    assert signature["meaning"] == "approved"
    assert signature["current"] is True
    assert "Charles Hoarau — approved" in signature["manifestation"]

    # a revision makes the earlier approval visibly a signature of an older version
    revised = client.patch(
        f"/api/v1/charter/versions/{version['id']}",
        json={"title": "AI charter", "reason": "shorter title"},
        headers=ref,
    )
    assert revised.json()["revision"] == 2
    shown = client.get(f"/api/v1/charter/versions/{version['id']}", headers=emp).json()
    assert shown["signatures"][0]["current"] is False
    assert "not a signature of the current one" in shown["signatures"][0]["manifestation"]

    # activation is gated on an approval of the current revision
    gated = client.post(
        f"/api/v1/charter/versions/{version['id']}/activate",
        json={"reason": "adopted"},
        headers=chair,
    )
    assert gated.status_code == 409
    assert gated.json()["error"]["code"] == "approval_missing"
    stale = sign(client, chair, version["id"], "approved", version=1)
    assert stale.json()["error"]["code"] == "version_changed"  # type: ignore[union-attr]
    assert sign(client, chair, version["id"], "approved", version=2).status_code == 201  # type: ignore[union-attr]
    active = client.post(
        f"/api/v1/charter/versions/{version['id']}/activate",
        json={"reason": "adopted"},
        headers=chair,
    )
    assert active.json()["status"] == "active"

    # employees accept the charter in force with a signature
    assert client.get("/api/v1/me", headers=emp).json()["charter"]["accepted"] is False
    wrong = client.post("/api/v1/charter/accept", json={"password": "wrong"}, headers=emp)
    assert wrong.status_code == 401
    accepted = client.post("/api/v1/charter/accept", json={"password": PASSWORD}, headers=emp)
    assert accepted.status_code == 201
    assert accepted.json()["meaning"] == "accepted"
    assert client.get("/api/v1/me", headers=emp).json()["charter"] == {
        "number": "2026.1",
        "accepted": True,
    }
    again = client.post("/api/v1/charter/accept", json={"password": PASSWORD}, headers=emp)
    assert again.status_code == 409
    # an active charter is frozen
    frozen = client.patch(
        f"/api/v1/charter/versions/{version['id']}", json={"body": "x", "reason": "r"}, headers=ref
    )
    assert frozen.status_code == 409


def test_wrong_signing_password_counts_toward_lockout(
    client: TestClient,
    make_user: Callable[..., int],
    login: Login,
    rt: Runtime,
    ctx: AuditContext,
) -> None:
    make_user("ref", "ai_referent")
    headers = login("ref")
    version = draft(client, headers)
    for _ in range(rt.settings.lockout_threshold):
        refused = sign(client, headers, version["id"], "authored", password="guess")
        assert refused.status_code == 401  # type: ignore[union-attr]
    locked = sign(client, headers, version["id"], "authored")
    assert locked.json()["error"]["code"] == "account_locked"  # type: ignore[union-attr]
    assert rt.signatures.list_for("charter_version", str(version["id"])) == []


def test_signature_input_is_checked(
    client: TestClient, make_user: Callable[..., int], login: Login
) -> None:
    make_user("ref", "ai_referent", "committee_member")
    headers = login("ref")
    version = draft(client, headers)
    cases = [
        (sign(client, headers, version["id"], "blessed"), "meaning"),
        (sign(client, headers, version["id"], "accepted"), "meaning"),  # drafts are not accepted
        (sign(client, headers, "999", "approved"), None),
        (
            client.post(
                "/api/v1/signatures",
                headers=headers,
                json={
                    "object_type": "spaceship",
                    "object_id": "1",
                    "meaning": "approved",
                    "password": PASSWORD,
                },
            ),
            "object_type",
        ),
        (sign(client, headers, version["id"], "approved", password=None), "password"),
    ]
    for response, field in cases:
        assert response.status_code in (400, 401, 404), response.text  # type: ignore[union-attr]
        assert response.json()["error"]["field"] == field  # type: ignore[union-attr]


def test_bad_charter_rules_are_explained(
    client: TestClient, make_user: Callable[..., int], login: Login
) -> None:
    make_user("ref", "ai_referent")
    body = {**EXAMPLE, "number": "x", "rules": {"data_classes": [{"name": "Public!"}]}}
    response = client.post("/api/v1/charter/versions", json=body, headers=login("ref"))
    assert response.status_code == 400
    assert response.json()["error"]["field"].startswith("rules.data_classes")


# --- machine rules -------------------------------------------------------------------------------


def test_the_rules_helpers_the_gateway_uses() -> None:
    rules = CharterRules.model_validate(EXAMPLE["rules"])
    assert rules.class_names == ["public", "internal", "confidential", "secret"]
    assert rules.class_rank("public") == 0
    assert rules.class_rank("secret") == 3
    assert rules.most_sensitive(["internal", "confidential", "public"]) == "confidential"
    assert rules.most_sensitive([]) is None
    assert rules.classes_up_to("internal") == ["public", "internal"]
    table = [
        ("public", Hosting.EXTERNAL_SAAS, True),
        ("internal", "external_saas", True),
        ("confidential", "external_saas", False),
        ("confidential", "eu_cloud", True),
        ("secret", "eu_cloud", False),
        ("secret", "self_hosted", True),
    ]
    for data_class, hosting, expected in table:
        assert rules.may_receive(data_class, hosting) is expected, (data_class, hosting)
    with pytest.raises(KeyError):
        rules.class_rank("restricted")
    with pytest.raises(ValueError, match="moon"):
        rules.may_receive("public", "moon")
    # a charter written before model eligibility existed keeps its meaning
    legacy = CharterRules.model_validate(
        {
            "data_classes": [
                {"name": "public", "label": "Public", "may_leave_company": True},
                {"name": "confidential", "label": "Confidential", "may_leave_company": False},
            ],
            "forbidden_uses": ["Diagnosis"],
            "required_trainings": ["ai-literacy-basics"],
        }
    )
    assert legacy.values == []
    assert legacy.allowed_hosting("public") == tuple(Hosting)
    assert legacy.allowed_hosting("confidential") == (Hosting.SELF_HOSTED,)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"model_eligibility": {"restricted": ["self_hosted"]}},
            "rules.model_eligibility.restricted",
        ),
        ({"model_eligibility": {"secret": ["eu_cloud"]}}, "rules.model_eligibility.secret"),
        ({"model_eligibility": {"secret": ["moon"]}}, "rules.model_eligibility.secret.0"),
        ({"model_eligibility": {"public": ["self_hosted"]}}, "rules.model_eligibility.internal"),
        (
            {"model_eligibility": {"secret": ["self_hosted", "self_hosted"]}},
            "rules.model_eligibility.secret",
        ),
        ({"values": [" "]}, "rules.values.0"),
        ({"forbidden_uses": ["x" * 1001]}, "rules.forbidden_uses.0"),
        ({"required_trainings": ["Bad Code"]}, "rules.required_trainings.0"),
        ({"required_trainings": ["a-1", "a-1"]}, "rules.required_trainings"),
        ({"data_classes": []}, "rules.data_classes"),
        ({"colour": "red"}, "rules.colour"),
    ],
)
def test_inconsistent_rules_name_the_field(change: dict[str, Any], field: str) -> None:
    from gouvernail.charter.service import parse_rules
    from gouvernail.errors import GouvernailError

    with pytest.raises(GouvernailError) as refused:
        parse_rules({**EXAMPLE["rules"], **change})
    assert refused.value.field == field, refused.value.message


def test_text_limits_and_known_trainings(
    client: TestClient, make_user: Callable[..., int], login: Login, rt: Runtime, ctx: AuditContext
) -> None:
    make_user("ref", "ai_referent")
    ref = login("ref")
    huge = client.post(
        "/api/v1/charter/versions", json={**EXAMPLE, "body": "x" * 100_001}, headers=ref
    )
    assert huge.status_code == 400
    assert huge.json()["error"]["field"] == "body"
    blank = client.post("/api/v1/charter/versions", json={**EXAMPLE, "body": "  "}, headers=ref)
    assert blank.json()["error"]["field"] == "body"
    # without any module, the codes cannot be checked yet; once modules exist they must exist
    assert client.post("/api/v1/charter/versions", json=EXAMPLE, headers=ref).status_code == 201
    rt.literacy.load_modules(ctx)
    unknown = {**EXAMPLE, "number": "2026.9"}
    unknown["rules"] = {**EXAMPLE["rules"], "required_trainings": ["ai-literacy-basics", "yoga"]}
    refused = client.post("/api/v1/charter/versions", json=unknown, headers=ref)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "rules.required_trainings"
    assert "yoga" in refused.json()["error"]["message"]


def test_default_charters_in_french_and_english(rt: Runtime, ctx: AuditContext) -> None:
    from gouvernail.charter.service import default_path

    fr = rt.charters.load_default(ctx, "fr")
    english = yaml.safe_load(default_path("en").read_text(encoding="utf-8"))
    en = CharterRules.model_validate(english["rules"])
    # the same machine rules in both languages; only the words differ
    assert fr.rules.class_names == en.class_names
    assert fr.rules.model_eligibility == en.model_eligibility
    assert fr.rules.required_trainings == en.required_trainings
    assert len(fr.rules.forbidden_uses) == len(en.forbidden_uses)
    assert len(fr.rules.values) == len(en.values) >= 4
    for heading in ("Sobriété environnementale", "Biais cognitifs", "Anthropomorphisme"):
        assert heading in fr.body
    for heading in ("Environmental sobriety", "Cognitive biases", "Anthropomorphism", "Sanctions"):
        assert heading in english["body"]
    assert not en.may_receive("secret", "external_saas")
    # the example charter of `make serve` is the English default
    assert yaml.safe_load(Path("examples/charter.yaml").read_text(encoding="utf-8")) == english
    with pytest.raises(Exception, match="available"):
        rt.charters.load_default(ctx, "de")


# --- effective dates, grace periods, roll-out ----------------------------------------------------


def principal_of(rt: Runtime, user_id: int) -> Principal:
    user = rt.directory.get(user_id)
    return Principal(user.id, user.username, user.display_name, tuple(user.roles), None, "session")


def adopt(
    client: TestClient,
    author: dict[str, str],
    approver: dict[str, str],
    number: str,
    **activation: Any,
) -> dict[str, Any]:
    """Draft, approve and activate a version through the API."""
    version = client.post(
        "/api/v1/charter/versions", json={**EXAMPLE, "number": number}, headers=author
    ).json()
    assert sign(client, approver, version["id"], "approved").status_code == 201  # type: ignore[union-attr]
    activated = client.post(
        f"/api/v1/charter/versions/{version['id']}/activate",
        json={"reason": "adopted by the committee", **activation},
        headers=approver,
    )
    assert activated.status_code == 200, activated.text
    body: dict[str, Any] = activated.json()
    return body


def test_effective_date_and_grace_period(
    client: TestClient, make_user: Callable[..., int], login: Login, rt: Runtime
) -> None:
    make_user("ref", "ai_referent")
    make_user("chair", "committee_member")
    early, late, ahead = make_user("early"), make_user("late"), make_user("ahead")
    ref, chair = login("ref"), login("chair")
    first = adopt(client, ref, chair, "2026.1")
    assert first["status"] == "active"
    rt.charters.accept(principal_of(rt, early), password=PASSWORD)
    now = utcnow()
    start = now + timedelta(days=10)
    second = adopt(client, ref, chair, "2026.2", effective_at=start.isoformat(), grace_days=7)
    assert second["status"] == "scheduled"
    assert second["grace_ends_at"].startswith((start + timedelta(days=7)).date().isoformat())
    assert client.get("/api/v1/charter", headers=ref).json()["number"] == "2026.1"
    # accepting ahead of time: the newest activated version is the default
    ahead_auth = login("ahead")
    accepted = client.post(
        "/api/v1/charter/accept", json={"password": PASSWORD}, headers=ahead_auth
    )
    assert accepted.json()["object_id"] == str(second["id"])

    def state(user_id: int, at: Any) -> tuple[str, str | None, str | None]:
        status = rt.charters.acceptance_status(user_id, at=at)
        return status.state.value, status.in_force_number, status.accepted_number

    day = timedelta(days=1)
    assert state(early, now) == ("accepted", "2026.1", "2026.1")
    assert state(early, start - day) == ("accepted", "2026.1", "2026.1")
    assert state(early, start + day) == ("in_grace", "2026.2", "2026.1")
    assert rt.charters.acceptance_status(early, at=start + day).deadline == start + 7 * day
    assert state(early, start + 7 * day) == ("missing", "2026.2", None)  # the deadline is over
    assert state(late, now) == ("missing", "2026.1", None)
    assert state(late, start + day) == ("missing", "2026.2", None)  # no grace without 2026.1
    assert state(ahead, utcnow()) == ("accepted", "2026.1", "2026.2")  # a later one counts
    assert state(ahead, start + 30 * day) == ("accepted", "2026.2", "2026.2")
    mine = client.get("/api/v1/charter/status", headers=login("early")).json()
    assert mine["state"] == "accepted"
    assert (mine["upcoming_number"], mine["upcoming_accepted"]) == ("2026.2", False)
    # an acceptance counts only from when it was signed
    just_after = datetime.fromisoformat(first["effective_at"]) + timedelta(microseconds=1)
    assert state(ahead, just_after)[0] == "missing"
    assert state(ahead, just_after - timedelta(minutes=1))[0] == "no_charter"

    # scheduling mistakes are refused with the field named
    third = client.post(
        "/api/v1/charter/versions", json={**EXAMPLE, "number": "2026.3"}, headers=ref
    ).json()
    sign(client, chair, third["id"], "approved")
    path = f"/api/v1/charter/versions/{third['id']}/activate"
    for body, status, field in [
        ({"effective_at": (now - day).isoformat()}, 400, "effective_at"),
        ({"effective_at": "2030-01-01T00:00:00"}, 400, "effective_at"),
        ({}, 400, "effective_at"),  # before the scheduled 2026.2
        ({"grace_days": 400}, 422, "grace_days"),
        ({"reason": ""}, 422, "reason"),
    ]:
        refused = client.post(path, json={"reason": "r", **body}, headers=chair)
        assert refused.status_code == status, refused.text
        assert refused.json()["error"]["field"] == field
    # withdrawing the scheduled version clears the way; those told hear of it
    employee = client.post(
        f"/api/v1/charter/versions/{second['id']}/withdraw", json={"reason": "x"}, headers=ref
    )
    assert employee.status_code == 403
    withdrawn = client.post(
        f"/api/v1/charter/versions/{second['id']}/withdraw",
        json={"reason": "wording to be reviewed by legal"},
        headers=chair,
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert state(early, start + 30 * day) == ("accepted", "2026.1", "2026.1")
    with rt.database.read() as session:
        kinds = session.scalars(
            select(Notification.kind).where(Notification.user_id == early)
        ).all()
    assert sorted(kinds) == [
        "charter_rollout",
        "charter_rollout",
        "charter_withdrawn",
    ]
    again = client.post(
        f"/api/v1/charter/versions/{second['id']}/withdraw", json={"reason": "x"}, headers=chair
    )
    assert again.status_code == 409
    in_force = client.post(
        f"/api/v1/charter/versions/{first['id']}/withdraw", json={"reason": "x"}, headers=chair
    )
    assert in_force.status_code == 409
    assert (
        client.post(path, json={"reason": "now", "grace_days": 0}, headers=chair).json()["status"]
        == "active"
    )
    assert state(early, utcnow())[0] == "missing"  # no grace period this time
    assert rt.charters.get(first["id"]).status == "superseded"
    superseded = client.post(
        "/api/v1/charter/accept",
        json={"password": PASSWORD, "version_id": first["id"]},
        headers=login("late"),
    )
    assert superseded.status_code == 409
    assert superseded.json()["error"]["field"] == "version_id"


def notices(rt: Runtime, user_id: int) -> list[str]:
    with rt.database.read() as session:
        return list(
            session.scalars(
                select(Notification.kind).where(
                    Notification.user_id == user_id, Notification.kind == "charter_rollout"
                )
            )
        )


def test_rollout_tells_each_user_once_and_tracks_acceptance(
    client: TestClient, make_user: Callable[..., int], login: Login, rt: Runtime, ctx: AuditContext
) -> None:
    make_user("root", "admin")
    admin = login("root")
    for team in (
        {"slug": "rd", "name": "R&D"},
        {"slug": "onco", "name": "Oncology", "kind": "team", "parent": "rd"},
        {"slug": "ops", "name": "Operations"},
    ):
        assert client.post("/api/v1/teams", json=team, headers=admin).status_code == 201
    make_user("ref", "ai_referent")
    make_user("chair", "committee_member")
    make_user("aud", "auditor")
    anna = make_user("anna", team="onco")
    make_user("bert", team="rd")
    make_user("cleo", team="ops")
    gone = make_user("gone", team="ops")
    rt.directory.set_active(ctx, gone, active=False, reason="left")
    ref, chair = login("ref"), login("chair")
    version = adopt(client, ref, chair, "2026.1", grace_days=14)
    active_users = [u for u in rt.directory.list_users() if u.is_active]
    assert all(notices(rt, u.id) == ["charter_rollout"] for u in active_users)
    assert notices(rt, gone) == []
    rt.charters.accept(principal_of(rt, anna), password=PASSWORD)
    path = f"/api/v1/charter/versions/{version['id']}/rollout"
    report = client.get(path, headers=chair).json()
    assert report["counts"] == {
        "users": len(active_users),
        "told": len(active_users),
        "not_told": 0,
        "accepted": 1,
        "pending": len(active_users) - 1,
        "overdue": 0,
    }
    by_name = {u["username"]: u for u in report["users"]}
    assert by_name["anna"]["state"] == "accepted"
    assert by_name["anna"]["accepted_at"] is not None
    assert "gone" not in by_name
    rd = client.get(path, params={"team": "rd"}, headers=chair).json()
    assert [u["username"] for u in rd["users"]] == ["anna", "bert"]  # onco is under rd
    assert rd["counts"]["accepted"] == 1
    accepted = client.get(path, params={"state": "accepted"}, headers=chair).json()
    assert [u["username"] for u in accepted["users"]] == ["anna"]
    later = (utcnow() + timedelta(days=15)).isoformat()
    overdue = client.get(path, params={"at": later}, headers=login("aud")).json()
    assert overdue["counts"]["overdue"] == len(active_users) - 1
    assert overdue["counts"]["pending"] == 0
    # people who join later are told once, when asked
    dora = make_user("dora", team="ops")
    assert client.get(path, headers=chair).json()["counts"]["not_told"] == 1
    told = client.post(f"{path}/notify", headers=ref)
    assert told.json() == {"told": 1}
    assert client.post(f"{path}/notify", headers=ref).json() == {"told": 0}
    assert notices(rt, dora) == ["charter_rollout"]
    assert all(notices(rt, u.id) == ["charter_rollout"] for u in active_users)
    with rt.database.read() as session:
        told_events = session.scalars(
            select(AuditRecord.new_values).where(AuditRecord.action == "charter.told")
        ).all()
    assert len(told_events) == 2
    assert f'"user_ids":[{dora}]' in told_events[1].replace(" ", "")
    # who may see and act
    emp = login("bert")
    assert client.get(path, headers=emp).status_code == 403
    assert client.post(f"{path}/notify", headers=emp).status_code == 403
    for params, status, field in [
        ({"state": "late"}, 400, "state"),
        ({"team": "nowhere"}, 404, "team"),
        ({"at": "2030-01-01T00:00:00"}, 400, "at"),
    ]:
        refused = client.get(path, params=params, headers=chair)
        assert refused.status_code == status
        assert refused.json()["error"]["field"] == field
    draft = client.post(
        "/api/v1/charter/versions", json={**EXAMPLE, "number": "2027.1"}, headers=ref
    ).json()
    assert (
        client.get(f"/api/v1/charter/versions/{draft['id']}/rollout", headers=chair).status_code
        == 409
    )


# --- CLI -----------------------------------------------------------------------------------------


def test_charter_cli(cli_env: Settings, tmp_path: Path) -> None:
    code, output = invoke("charter", "load", "--default", "fr")
    assert code == 0, output
    assert "2026.1 drafted (id 1)" in output
    assert invoke("charter", "load")[0] == 2
    assert invoke("charter", "load", "examples/charter.yaml", "--default", "en")[0] == 2
    assert invoke("charter", "load", "--default", "de")[0] == 2
    code, output = invoke("charter", "activate", "1", "--reason", "adopted")
    assert code == 1
    assert "approved" in output
    mine = tmp_path / "charter.yaml"
    mine.write_text(yaml.safe_dump({**EXAMPLE, "number": "2027.1"}), encoding="utf-8")
    code, output = invoke("charter", "load", str(mine), "--activate", "--grace-days", "10")
    assert code == 0, output
    assert "is in force" in output
    code, output = invoke("charter", "rollout", "2", "--notify")
    assert code == 0, output
    assert "users 0" in output
    # an operator onboards a technical account: it signs the charter, then gets trained
    passphrase = "a long enough passphrase\n"
    assert (
        invoke("user", "add", "robot", "--name", "Robot", "--password-stdin", stdin=passphrase)[0]
        == 0
    )
    code, output = invoke("charter", "accept", "robot", "--password-stdin", stdin="wrong\n")
    assert code == 1
    code, output = invoke("charter", "accept", "robot", "--password-stdin", stdin=passphrase)
    assert code == 0, output
    assert "accepted" in output
    assert invoke("charter", "accept", "nobody", "--password-stdin", stdin=passphrase)[0] == 1
    code, output = invoke("key", "create", "robot", "--name", "batch")
    assert code == 1
    assert "ai-literacy-basics (not defined yet)" in " ".join(output.split())
    assert invoke("literacy", "module-load")[0] == 0
    for module in ("ai-literacy-basics", "ai-data-protection"):
        assert invoke("literacy", "record", "robot", module)[0] == 0
    code, output = invoke("key", "create", "robot", "--name", "batch")
    assert code == 0, output
    assert output.strip().splitlines()[-1].startswith("gk_")
    code, output = invoke("charter", "rollout", "2", "--state", "accepted")
    assert "accepted 1" in output
    assert "robot" in output
    listed = invoke("charter", "list")[1]
    assert "active" in listed
    assert "draft" in listed
    code, output = invoke("charter", "withdraw", "2", "--reason", "oops")
    assert code == 1
    assert "only a scheduled version" in output
    code, output = invoke("charter", "activate", "1", "--reason", "r", "--effective-at", "soon")
    assert code == 1
    assert "effective_at" in output


def test_only_who_may_activate_a_charter_approves_it(
    client: TestClient, make_user: Callable[..., int], login: Login
) -> None:
    make_user("ref", "ai_referent")
    headers = login("ref")
    version = draft(client, headers)
    assert sign(client, headers, version["id"], "reviewed").status_code == 201  # type: ignore[union-attr]
    refused = sign(client, headers, version["id"], "approved")
    assert refused.status_code == 403  # type: ignore[union-attr]
    assert "activate charter" in refused.json()["error"]["message"]  # type: ignore[union-attr]
