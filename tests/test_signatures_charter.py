"""Electronic signatures on charter versions: re-authentication, binding to a version, gates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from tests.conftest import PASSWORD

from gouvernail.audit import AuditContext
from gouvernail.runtime import Runtime

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
    make_user("ref", "ai_referent")
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
