"""Identity through the HTTP API: sign-in, Part 11 account controls, keys, authorisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tests.conftest import PASSWORD

from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError, RateLimitedError
from gouvernail.identity.models import User
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
MakeUser = Callable[..., int]
Comply = Callable[..., None]


def actions(rt: Runtime) -> list[str]:
    with rt.database.read() as session:
        return list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


def test_sign_in_me_and_sign_out(
    client: TestClient, make_user: MakeUser, login: Login, rt: Runtime
) -> None:
    make_user("alice", "auditor")
    headers = login("alice")
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["user"]["username"] == "alice"
    assert "audit:read" in me["permissions"]
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert actions(rt)[-3:] == ["auth.sign_in", "auth.sign_out", "auth.access_denied"]


def test_wrong_password_locks_and_reports_to_security(
    client: TestClient, make_user: MakeUser, rt: Runtime, login: Login
) -> None:
    make_user("bob")
    make_user("sec", "security_referent")
    for _ in range(rt.settings.lockout_threshold):
        response = client.post("/api/v1/auth/login", json={"username": "bob", "password": "nope"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"
    response = client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_locked"
    assert "user.locked" in actions(rt)
    notes = client.get("/api/v1/notifications", headers=login("sec")).json()
    kinds = [n["kind"] for n in notes]
    assert "account_locked" in kinds
    assert kinds.count("sign_in_failed") == rt.settings.lockout_threshold + 1
    # a security referent unlocks, with a reason
    bob = next(u for u in rt.directory.list_users() if u.username == "bob")
    sec = login("sec")
    assert (
        client.post(f"/api/v1/users/{bob.id}/unlock", json={"reason": ""}, headers=sec).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/users/{bob.id}/unlock", json={"reason": "called the user"}, headers=sec
        ).status_code
        == 200
    )
    login("bob")


def test_unknown_user_gets_the_same_answer(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid username or password"


def test_password_ageing_forces_a_change(
    client: TestClient, make_user: MakeUser, rt: Runtime
) -> None:
    user_id = make_user("carol")
    with rt.database.write() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.password_changed_at = utcnow() - timedelta(days=rt.settings.password_max_age_days + 1)
    response = client.post("/api/v1/auth/login", json={"username": "carol", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"
    change = {"username": "carol", "current_password": PASSWORD, "new_password": "short"}
    bad = client.post("/api/v1/auth/password", json=change)
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "new_password"
    change["new_password"] = "a brand new passphrase"
    assert client.post("/api/v1/auth/password", json=change).status_code == 204
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "carol", "password": "a brand new passphrase"}
        ).status_code
        == 200
    )


def test_login_is_throttled_per_client(
    client: TestClient, make_settings: Callable[..., object], rt: Runtime
) -> None:
    for _ in range(rt.settings.login_rate_per_minute):
        client.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    response = client.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    assert response.status_code == 429


def test_api_key_lifecycle(
    client: TestClient, make_user: MakeUser, login: Login, rt: Runtime, compliant_user: Comply
) -> None:
    compliant_user(make_user("dave"))
    headers = login("dave")
    created = client.post("/api/v1/keys", json={"name": "notebook"}, headers=headers)
    assert created.status_code == 201
    secret = created.json()["secret"]
    key = created.json()["key"]
    assert secret.startswith(key["prefix"] + "_")
    key_auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=key_auth).json()["via"] == "api_key"
    listed = client.get("/api/v1/keys", headers=headers).json()
    assert listed[0]["last_used_at"] is not None
    assert "secret" not in listed[0]
    # the secret is stored only as a hash and never appears in the audit trail
    with rt.database.read() as session:
        stored = session.execute(text("SELECT secret_hash FROM api_keys")).scalar_one()
        trail = " ".join(session.execute(text("SELECT new_values FROM audit_records")).scalars())
    assert secret not in stored
    assert secret not in trail
    revoked = client.post(
        f"/api/v1/keys/{key['id']}/revoke", json={"reason": "lost laptop"}, headers=headers
    )
    assert revoked.json()["revoked_reason"] == "lost laptop"
    assert client.get("/api/v1/me", headers=key_auth).status_code == 401


def test_expired_key_is_refused(
    client: TestClient, make_user: MakeUser, rt: Runtime, compliant_user: Comply
) -> None:
    user_id = make_user("erin")
    compliant_user(user_id)
    created = rt.keys.create(AuditContext(SYSTEM), user_id=user_id, name="k", days=1)
    with rt.database.write() as session:
        session.execute(text("UPDATE api_keys SET expires_at = created_at"))
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created.secret}"})
    assert response.status_code == 401


def test_forbidden_actions_are_refused_audited_and_reported(
    client: TestClient, make_user: MakeUser, login: Login, rt: Runtime, compliant_user: Comply
) -> None:
    make_user("emp")
    other = make_user("other")
    compliant_user(other)
    make_user("sec", "security_referent")
    emp = login("emp")
    refused = [
        client.get("/api/v1/users", headers=emp),
        client.post("/api/v1/teams", json={"slug": "x1", "name": "X"}, headers=emp),
        client.get("/api/v1/audit/records", headers=emp),
        client.get("/api/v1/audit/export", headers=emp),
        client.post(f"/api/v1/users/{other}/deactivate", json={"reason": "r"}, headers=emp),
        client.get("/api/v1/keys?all_users=true", headers=emp),
        client.post("/api/v1/keys", json={"name": "k", "user_id": other}, headers=emp),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all(r.json()["error"]["code"] == "forbidden" for r in refused)
    assert actions(rt).count("auth.access_denied") == len(refused)
    notes = client.get("/api/v1/notifications", headers=login("sec")).json()
    assert sum(n["kind"] == "access_denied" for n in notes) == len(refused)
    # someone else's key cannot be revoked by an employee
    other_key = rt.keys.create(AuditContext(SYSTEM), user_id=other, name="theirs")
    response = client.post(
        f"/api/v1/keys/{other_key.key.id}/revoke", json={"reason": "x"}, headers=emp
    )
    assert response.status_code == 403


def test_unauthenticated_calls_are_refused(client: TestClient) -> None:
    for method, path in (
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/keys"),
        ("GET", "/api/v1/audit/verify"),
    ):
        response = client.request(method, path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"


def test_admin_manages_users_and_users_are_never_deleted(
    client: TestClient, make_user: MakeUser, login: Login, rt: Runtime, compliant_user: Comply
) -> None:
    make_user("root", "admin")
    admin = login("root")
    assert (
        client.post("/api/v1/teams", json={"slug": "rd", "name": "R&D"}, headers=admin).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/teams",
            json={"slug": "onco", "name": "Oncology", "kind": "team", "parent": "rd"},
            headers=admin,
        ).status_code
        == 201
    )
    created = client.post(
        "/api/v1/users",
        json={
            "username": "fanny",
            "display_name": "Fanny Dupont",
            "team": "onco",
            "level": "manager",
            "roles": ["data_owner"],
            "password": "initial passphrase 1",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    fanny = created.json()
    assert fanny["must_change_password"] is True
    assert fanny["level"] == "manager"
    duplicate = client.post(
        "/api/v1/users", json={"username": "fanny", "display_name": "F"}, headers=admin
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["field"] == "username"
    bad_role = client.patch(
        f"/api/v1/users/{fanny['id']}", json={"roles": ["pope"], "reason": "r"}, headers=admin
    )
    assert bad_role.status_code == 400
    patched = client.patch(
        f"/api/v1/users/{fanny['id']}",
        json={"display_name": "Fanny Martin", "reason": "married"},
        headers=admin,
    ).json()
    assert patched["display_name"] == "Fanny Martin"
    assert patched["version"] == 2
    bad_level = client.patch(
        f"/api/v1/users/{fanny['id']}", json={"level": "pope", "reason": "r"}, headers=admin
    )
    assert bad_level.status_code == 400
    assert bad_level.json()["error"]["field"] == "level"
    promoted = client.patch(
        f"/api/v1/users/{fanny['id']}",
        json={"level": "executive", "reason": "promoted"},
        headers=admin,
    ).json()
    assert (promoted["level"], promoted["version"]) == ("executive", 3)
    cleared = client.patch(
        f"/api/v1/users/{fanny['id']}",
        json={"level": "", "reason": "reorganisation"},
        headers=admin,
    ).json()
    assert cleared["level"] is None
    compliant_user(fanny["id"], "initial passphrase 1")
    key = rt.keys.create(AuditContext(SYSTEM), user_id=fanny["id"], name="k")
    gone = client.post(
        f"/api/v1/users/{fanny['id']}/deactivate", json={"reason": "left"}, headers=admin
    ).json()
    assert gone["is_active"] is False
    assert rt.keys.get(key.key.id).revoked_at is not None
    assert client.delete(f"/api/v1/users/{fanny['id']}", headers=admin).status_code == 405
    # the database itself refuses deletion and renaming; the username stays taken
    with pytest.raises(DBAPIError), rt.database.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM users WHERE id = {fanny['id']}"))
    with pytest.raises(DBAPIError), rt.database.engine.begin() as conn:
        conn.execute(text(f"UPDATE users SET username = 'x' WHERE id = {fanny['id']}"))
    again = client.post(
        "/api/v1/users", json={"username": "fanny", "display_name": "New Fanny"}, headers=admin
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "A B", "name": "x"}, "slug"),
        ({"slug": "ok", "name": " "}, "name"),
        ({"slug": "ok", "name": "x", "kind": "tribe"}, "kind"),
        ({"slug": "ok", "name": "x", "parent": "nope"}, "parent"),
        ({"slug": "ok", "name": "x", "colour": "red"}, "colour"),
        ({"slug": "x" * 100, "name": "x"}, "slug"),
    ],
)
def test_bad_team_input_is_explained(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    rt: Runtime,
    body: dict[str, str],
    field: str,
) -> None:
    make_user("root", "admin")
    admin = login("root")
    before = len(actions(rt))
    response = client.post("/api/v1/teams", json=body, headers=admin)
    assert response.status_code in (400, 404, 422)
    assert response.json()["error"]["field"] == field
    assert len(actions(rt)) == before  # a refused change leaves no record
    assert client.get("/api/v1/teams", headers=admin).json() == []


def test_redis_backed_throttle(make_settings: Callable[..., object], redis_url: str) -> None:
    settings = make_settings(redis_url=redis_url, login_rate_per_minute=3)
    assert isinstance(settings, Settings)
    first, second = Runtime.build(settings), Runtime.build(settings)
    try:
        first.authenticator.throttle("10.0.0.1")
        second.authenticator.throttle("10.0.0.1")
        first.authenticator.throttle("10.0.0.1")
        with pytest.raises(RateLimitedError):
            second.authenticator.throttle("10.0.0.1")  # shared across replicas
    finally:
        first.close()
        second.close()


def test_e_mails_stay_unique_and_the_last_admin_stays(
    rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]
) -> None:
    first = make_user("ann", "admin", email="ann@example.com")
    other = make_user("ben", email="ben@example.com")
    with pytest.raises(ConflictError, match="in use"):
        rt.directory.update_user(ctx, other, reason="typo", email="ann@example.com")
    with pytest.raises(GouvernailError, match="not an e-mail"):
        rt.directory.update_user(ctx, other, reason="typo", email="ben")
    with pytest.raises(ConflictError, match="last active administrator"):
        rt.directory.update_user(ctx, first, reason="leaving", roles=[])
    with pytest.raises(ConflictError, match="last active administrator"):
        rt.directory.set_active(ctx, first, active=False, reason="leaving")
    rt.directory.update_user(ctx, other, reason="successor", roles=["admin"])
    assert rt.directory.update_user(ctx, first, reason="leaving", roles=[]).roles == []
