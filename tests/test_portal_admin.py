"""Administration in the portal, through its forms: users (create, roles, deactivate, unlock,
reset a password), teams and referents; every change audited, every refusal a 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from tests.conftest import PASSWORD
from tests.inventory_helpers import records
from tests.portal_helpers import form_id_of, sign_in

from gouvernail.audit import AuditContext
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.runtime import Runtime


def send(client: TestClient, url: str, token: str, **data: Any) -> Response:
    """Post a form as a browser does (lists are repeated fields)."""
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _users_named(rt: Runtime, username: str) -> int:
    with rt.database.read() as session:
        return int(
            session.scalar(select(func.count(User.id)).where(User.username == username)) or 0
        )


@pytest.fixture
def admin(client: TestClient, make_user: Callable[..., int]) -> str:
    """An administrator, signed in; the CSRF token of their forms."""
    make_user("root", "admin")
    return sign_in(client, "root")


def test_the_landing_lists_what_the_user_may_open(
    client: TestClient, make_user: Callable[..., int]
) -> None:
    make_user("root", "admin")
    sign_in(client, "root")
    page = client.get("/admin")
    assert page.status_code == 200
    for href in ("/admin/users", "/admin/teams", "/admin/referents", "/admin/charter"):
        assert f'href="{href}"' in page.text
    assert 'href="/admin"' in client.get("/me").text  # in the menu


def test_an_admin_creates_a_user_once_with_a_temporary_password(
    client: TestClient, rt: Runtime, ctx: AuditContext, admin: str
) -> None:
    rt.directory.create_team(ctx, slug="safety", name="Drug safety", kind="department")
    form = client.get("/admin/users/new")
    assert form.status_code == 200
    data = {
        "form_id": form_id_of(form.text),
        "username": "Bob",
        "display_name": "Bob Martin",
        "email": "bob@example.com",
        "team": "safety",
        "level": "staff",
        "roles": ["ai_referent", "data_owner"],
        "temporary": "yes",
    }
    created = send(client, "/admin/users", admin, **data)
    assert created.status_code == 201, created.text
    assert 'id="temporary-password"' in created.text
    again = send(client, "/admin/users", admin, **data)  # a double click
    assert again.status_code == 303
    assert _users_named(rt, "bob") == 1
    bob = rt.directory.by_username("bob")
    assert again.headers["location"] == f"/admin/users/{bob.id}"
    assert 'id="temporary-password"' not in client.get(again.headers["location"]).text
    assert bob.roles == ["ai_referent", "data_owner"]
    assert bob.team_slug == "safety"
    assert bob.must_change_password
    assert [r["new"]["username"] for r in records(rt, "user.created")][-1] == "bob"
    listed = client.get("/admin/users", params={"q": "martin", "role": "ai_referent"})
    assert "Bob Martin" in listed.text
    assert "Bob Martin" not in client.get("/admin/users", params={"role": "auditor"}).text


def test_wrong_fields_are_shown_next_to_them_with_the_input_kept(
    client: TestClient, rt: Runtime, make_user: Callable[..., int], admin: str
) -> None:
    make_user("alice", email="alice@example.com")
    form_id = form_id_of(client.get("/admin/users/new").text)
    good = {"form_id": form_id, "username": "carol", "display_name": "Carol Typed"}
    taken = send(client, "/admin/users", admin, **{**good, "username": "alice"})
    assert taken.status_code == 409
    assert 'id="e-username"' in taken.text
    assert 'value="Carol Typed"' in taken.text
    bad_mail = send(client, "/admin/users", admin, **{**good, "email": "not-an-address"})
    assert bad_mail.status_code == 422
    assert 'id="e-email"' in bad_mail.text
    assert 'value="not-an-address"' in bad_mail.text
    no_team = send(client, "/admin/users", admin, **{**good, "team": "nowhere"})
    assert no_team.status_code == 422
    assert 'id="e-team"' in no_team.text
    assert _users_named(rt, "carol") == 0
    fixed = send(client, "/admin/users", admin, **good)  # the same form, corrected
    assert fixed.status_code == 303  # without a password: straight to the account
    assert _users_named(rt, "carol") == 1


def test_roles_and_team_changes_are_audited(
    client: TestClient, rt: Runtime, ctx: AuditContext, make_user: Callable[..., int], admin: str
) -> None:
    rt.directory.create_team(ctx, slug="it", name="IT", kind="department")
    alice = make_user("alice")
    make_user("bob", email="bob@example.com")
    page = client.get(f"/admin/users/{alice}")
    assert "Change the profile and roles" in page.text
    stolen = {"display_name": "Alice", "email": "bob@example.com", "reason": "typo"}
    taken = send(client, f"/admin/users/{alice}", admin, **stolen)
    assert taken.status_code == 409  # like a username taken at creation
    assert 'id="e-email"' in taken.text
    assert "Another account uses this e-mail address." in taken.text
    change = {"display_name": "Alice", "roles": ["auditor"], "team": "it"}
    unexplained = send(client, f"/admin/users/{alice}", admin, **change)
    assert unexplained.status_code == 422
    assert 'id="e-reason"' in unexplained.text
    done = send(client, f"/admin/users/{alice}", admin, **change, reason="joins internal audit")
    assert done.status_code == 303
    assert "Changes saved." in client.get(done.headers["location"]).text
    after = rt.directory.get(alice)
    assert after.roles == ["auditor"]
    assert after.team_slug == "it"
    record = records(rt, "user.updated")[-1]
    assert record["new"]["roles"] == ["auditor"]
    assert record["reason"] == "joins internal audit"
    assert record["actor"].endswith("(root)")


def test_deactivate_with_a_reason_then_reactivate(
    client: TestClient, rt: Runtime, make_user: Callable[..., int], admin: str
) -> None:
    alice = make_user("alice")
    silent = send(client, f"/admin/users/{alice}/deactivate", admin, active_reason="")
    assert silent.status_code == 422
    assert 'id="e-active_reason"' in silent.text
    gone = send(client, f"/admin/users/{alice}/deactivate", admin, active_reason="left us")
    assert gone.status_code == 303
    assert not rt.directory.get(alice).is_active
    assert records(rt, "user.deactivated")[-1]["reason"] == "left us"
    assert "Reactivate the account" in client.get(f"/admin/users/{alice}").text
    back = send(client, f"/admin/users/{alice}/reactivate", admin, active_reason="came back")
    assert back.status_code == 303
    assert rt.directory.get(alice).is_active
    root = rt.directory.by_username("root").id
    self_off = send(client, f"/admin/users/{root}/deactivate", admin, active_reason="oops")
    assert self_off.status_code == 409
    assert "cannot deactivate your own account" in self_off.text


def test_unlock_and_reset_a_password(
    client: TestClient, rt: Runtime, make_user: Callable[..., int], admin: str
) -> None:
    alice = make_user("alice")
    with pytest.raises(GouvernailError, match="invalid username or password"):
        rt.authenticator.sign_in("alice", "wrong password", client="test", request_id="t")
    unlocked = send(client, f"/admin/users/{alice}/unlock", admin, unlock_reason="called")
    assert unlocked.status_code == 303
    assert rt.directory.get(alice).failed_logins == 0
    assert records(rt, "user.unlocked")
    form_id = form_id_of(client.get(f"/admin/users/{alice}").text)
    reset = send(
        client, f"/admin/users/{alice}/password", admin, form_id=form_id, password_reason="lost"
    )
    assert reset.status_code == 200
    assert 'id="temporary-password"' in reset.text
    again = send(
        client, f"/admin/users/{alice}/password", admin, form_id=form_id, password_reason="lost"
    )
    assert again.status_code == 303  # not reset twice
    assert len(records(rt, "user.password_changed")) == 1
    assert rt.directory.get(alice).must_change_password


def test_create_a_team_once_under_a_parent(
    client: TestClient, rt: Runtime, ctx: AuditContext, admin: str
) -> None:
    rt.directory.create_team(ctx, slug="rd", name="Research", kind="business_unit")
    page = client.get("/admin/teams")
    assert "Create a team" in page.text
    data = {
        "form_id": form_id_of(page.text),
        "slug": "chem",
        "name": "Chemistry",
        "kind": "team",
        "parent": "rd",
    }
    created = send(client, "/admin/teams", admin, **data)
    assert created.status_code == 303
    assert send(client, "/admin/teams", admin, **data).status_code == 303
    teams = {team.slug: team for team in rt.directory.list_teams()}
    assert teams["chem"].parent_slug == "rd"
    assert len(teams) == 2
    assert records(rt, "team.created")[-1]["new"]["slug"] == "chem"
    tree = client.get("/admin/teams").text
    assert tree.index("Research") < tree.index("Chemistry")
    form_id = form_id_of(tree)
    taken = send(client, "/admin/teams", admin, **{**data, "form_id": form_id, "name": "Other"})
    assert taken.status_code == 409
    assert 'id="e-slug"' in taken.text
    assert 'value="Other"' in taken.text
    orphan = {**data, "form_id": form_id, "slug": "bio", "parent": "nowhere"}
    missing = send(client, "/admin/teams", admin, **orphan)
    assert missing.status_code == 422
    assert 'id="e-parent"' in missing.text


def test_name_and_end_a_referent(
    client: TestClient,
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    admin: str,
) -> None:
    rt.directory.create_team(ctx, slug="rd", name="Research", kind="business_unit")
    make_user("ana", "ai_referent")
    make_user("dan", "data_owner")
    page = client.get("/admin/referents/rd")
    assert page.status_code == 200
    assert "Name a referent" in page.text
    assign = {"form_id": form_id_of(page.text), "kind": "ai_referent", "reason": "appointed"}
    wrong_role = send(client, "/admin/referents/rd", admin, **assign, username="dan")
    assert wrong_role.status_code == 422
    assert 'id="e-username"' in wrong_role.text
    named = send(client, "/admin/referents/rd", admin, **assign, username="ana")
    assert named.status_code == 303
    assert send(client, "/admin/referents/rd", admin, **assign, username="ana").status_code == 303
    current = rt.committee.referents.of_team("rd").current
    assert [(r.kind, r.username) for r in current] == [("ai_referent", "ana")]
    assert records(rt, "referent.assigned")
    overview = client.get("/admin/referents").text
    assert "Ana" in overview
    unexplained = send(client, "/admin/referents/rd/ai_referent/ana/end", admin, reason="")
    assert unexplained.status_code == 422
    assert 'class="field-error"' in unexplained.text
    ended = send(client, "/admin/referents/rd/ai_referent/ana/end", admin, reason="moved on")
    assert ended.status_code == 303
    assert rt.committee.referents.of_team("rd").current == []


def _admin_posts(user_id: int, charter_id: int) -> list[tuple[str, dict[str, Any]]]:
    reason = {"reason": "because"}
    return [
        ("/admin/users", {"username": "eve", "display_name": "Eve", "form_id": "x" * 20}),
        (f"/admin/users/{user_id}", {"display_name": "X", **reason}),
        (f"/admin/users/{user_id}/deactivate", {"active_reason": "because"}),
        (f"/admin/users/{user_id}/reactivate", {"active_reason": "because"}),
        (f"/admin/users/{user_id}/unlock", {"unlock_reason": "because"}),
        (f"/admin/users/{user_id}/password", {"password_reason": "x", "form_id": "y" * 20}),
        ("/admin/teams", {"slug": "x1", "name": "X", "kind": "team", "form_id": "z" * 20}),
        ("/admin/referents/rd", {"kind": "ai_referent", "username": "root", **reason}),
        ("/admin/referents/rd/ai_referent/root/end", reason),
        ("/admin/charter", {"number": "9", "title": "T", "body": "B", "rules": "{}"}),
        (f"/admin/charter/{charter_id}", {"title": "T", **reason}),
        (f"/admin/charter/{charter_id}/activate", {"activate_reason": "because"}),
        (f"/admin/charter/{charter_id}/withdraw", {"withdraw_reason": "because"}),
        (f"/admin/charter/{charter_id}/notify", {}),
    ]


@pytest.mark.parametrize("role", ["employee", "auditor"])
def test_others_are_refused_every_change_and_the_refusal_is_audited(
    client: TestClient,
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    charter_in_force: Any,
    role: str,
) -> None:
    rt.directory.create_team(ctx, slug="rd", name="Research", kind="business_unit")
    target = make_user("alice")
    make_user("mallory", *([] if role == "employee" else [role]))
    token = sign_in(client, "mallory")
    before = len(records(rt, "auth.access_denied"))
    posts = _admin_posts(target, charter_in_force.id)
    for url, data in posts:
        answer = send(client, url, token, **data)
        assert answer.status_code == 403, (url, answer.status_code)
        assert "Access refused" in answer.text
    closed = ["/admin/users/new", "/admin/charter/new"]
    if role == "employee":
        closed += ["/admin", "/admin/users", f"/admin/users/{target}", "/admin/teams"]
        closed += ["/admin/referents", "/admin/charter", f"/admin/charter/{charter_in_force.id}"]
    else:
        assert client.get("/admin/users").status_code == 200  # auditors read the directory
        assert "New user" not in client.get("/admin/users").text
        assert "Create a team" not in client.get("/admin/teams").text
    for url in closed:
        assert client.get(url).status_code == 403, url
    # approving a charter needs the right to activate it (the committee's)
    signing = send(
        client,
        f"/admin/charter/{charter_in_force.id}/sign",
        token,
        meaning="approved",
        password=PASSWORD,
    )
    assert signing.status_code == 403
    denied = records(rt, "auth.access_denied")[before:]
    assert len(denied) == len(posts) + len(closed) + 1
    assert all(r["actor"].endswith("(mallory)") for r in denied)
    assert rt.directory.get(target).is_active
    assert _users_named(rt, "eve") == 0


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, rt: Runtime, make_user: Callable[..., int], admin: str
) -> None:
    alice = make_user("alice")
    missing = client.post(f"/admin/users/{alice}/deactivate", data={"active_reason": "x"})
    assert missing.status_code == 403
    assert "expired or did not come from this site" in missing.text
    forged = send(client, f"/admin/users/{alice}/deactivate", "0" * 64, active_reason="x")
    assert forged.status_code == 403
    assert rt.directory.get(alice).is_active
