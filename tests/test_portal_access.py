"""The portal's sign-in, language, CSRF protection and "my AI access" page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import PASSWORD
from tests.gateway_helpers import sdk
from tests.portal_helpers import csrf_of, form_id_of, post, sign_in

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


def test_create_use_and_revoke_a_key_and_see_my_usage(gw: TestClient, world: Any) -> None:
    token = sign_in(gw, "alice")
    page = gw.get("/me")
    assert "You may use AI through the gateway." in page.text
    form_id = form_id_of(page.text)
    drafting = str(world.use_cases["drafting"])
    unnamed = post(gw, "/me/keys", token, name="", use_case_id=drafting, form_id=form_id)
    assert unnamed.status_code == 422
    assert 'id="e-name"' in unnamed.text
    created = post(gw, "/me/keys", token, name="notebook", use_case_id=drafting, form_id=form_id)
    assert created.status_code == 201
    secret = re.search(r'id="new-key-secret">([^<]+)<', created.text)
    assert secret is not None
    again = post(gw, "/me/keys", token, name="notebook", use_case_id=drafting, form_id=form_id)
    assert again.status_code == 303  # the same form again: no second key
    assert len(world.rt.keys.list(user_id=world.users["alice"])) == 1
    gw.cookies.clear()
    sdk(gw, secret.group(1)).chat.completions.create(
        model="gpt-eu", messages=[{"role": "user", "content": "Bonjour"}]
    )
    token = sign_in(gw, "alice")
    mine = gw.get("/me").text
    assert re.search(r'<div class="figure">1</div>\s*calls', mine)
    key_id = world.rt.keys.list(user_id=world.users["alice"])[0].id
    assert post(gw, f"/me/keys/{key_id}/revoke", token).status_code == 303
    assert world.rt.keys.get(key_id).revoked_at is not None
    gw.cookies.clear()
    refused = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "Bonjour"}]},
        headers={"Authorization": f"Bearer {secret.group(1)}"},
    )
    assert refused.status_code == 401


def test_someone_else_s_key_cannot_be_revoked(gw: TestClient, world: Any) -> None:
    world.key("bob", "drafting")
    bob_key = world.rt.keys.list(user_id=world.users["bob"])[0].id
    token = sign_in(gw, "alice")
    assert post(gw, f"/me/keys/{bob_key}/revoke", token).status_code == 403
    assert world.rt.keys.get(bob_key).revoked_at is None


def test_an_unknown_page_is_a_page_and_an_unknown_api_route_json(client: TestClient) -> None:
    page = client.get("/no-such-page", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert page.status_code == 404
    assert "Page introuvable" in page.text
    api = client.get("/api/v1/no-such-route", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
