"""The portal's sign-in, language, CSRF protection and "my AI access" page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.conftest import PASSWORD
from tests.portal_helpers import csrf_of, post, sign_in

from gouvernail.runtime import Runtime


def test_pages_need_a_sign_in_and_come_back_after_it(
    client: TestClient, make_user: Callable[..., int]
) -> None:
    make_user("alice")
    first = client.get("/me", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/sign-in?next=%2Fme"
    page = client.get(first.headers["location"])
    assert page.status_code == 200
    assert 'name="next" value="/me"' in page.text
    token = csrf_of(page.text)
    wrong = post(client, "/sign-in", token, username="alice", password="nope", next="/me")
    assert wrong.status_code == 401
    assert "Invalid username or password." in wrong.text
    assert 'value="alice"' in wrong.text  # the form keeps what was typed
    ok = post(client, "/sign-in", token, username="alice", password=PASSWORD, next="/me")
    assert ok.status_code == 303
    assert ok.headers["location"] == "/me"
    assert "Alice" in client.get("/me").text


def test_forms_refuse_a_missing_or_forged_csrf_token(
    client: TestClient, make_user: Callable[..., int], rt: Runtime
) -> None:
    make_user("alice")
    client.get("/sign-in")
    missing = client.post("/sign-in", data={"username": "alice", "password": PASSWORD})
    assert missing.status_code == 403
    assert "expired or did not come from this site" in missing.text
    forged = client.post(
        "/sign-in", data={"username": "alice", "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403


def test_open_redirects_are_refused(client: TestClient, make_user: Callable[..., int]) -> None:
    make_user("alice")
    page = client.get("/sign-in?next=//evil.example/x")
    assert 'name="next" value="/me"' in page.text
    token = csrf_of(page.text)
    answer = post(
        client, "/sign-in", token, username="alice", password=PASSWORD, next="https://evil.example"
    )
    assert answer.headers["location"] == "/me"


def test_language_from_browser_or_choice(client: TestClient) -> None:
    french = client.get("/sign-in", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in french.text
    assert "Se connecter" in french.text
    client.get("/language/en?next=/sign-in")
    english = client.get("/sign-in", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text


def test_accept_the_charter_and_create_then_revoke_a_key(
    client: TestClient,
    rt: Runtime,
    make_user: Callable[..., int],
    charter_in_force: object,
) -> None:
    user_id = make_user("alice")
    token = sign_in(client, "alice")
    page = client.get("/me")
    assert "not accepted" in page.text
    unticked = post(client, "/me/charter", token, password=PASSWORD)
    assert unticked.status_code == 422
    assert "Tick the box" in unticked.text
    bad = post(client, "/me/charter", token, agree="yes", password="wrong")
    assert bad.status_code in (401, 403)
    assert rt.charters.acceptance_status(user_id).state != "accepted"
    ok = post(client, "/me/charter", token, agree="yes", password=PASSWORD)
    assert ok.status_code == 303
    assert rt.charters.acceptance_status(user_id).state == "accepted"
    assert "Charter accepted and signed." in client.get(ok.headers["location"]).text
