"""Single sign-on end to end over real HTTP on 127.0.0.1.

A browser (``httpx.Client`` following redirects by hand) talks to Gouvernail and to a local
OpenID provider, each served by uvicorn in a thread; Gouvernail talks to the provider's
discovery, token and JWKS endpoints itself, through Authlib.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import select

from gouvernail.api.oidc import derive_username, safe_next
from gouvernail.app import create_app
from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.db.migrate import upgrade
from gouvernail.identity.models import User
from gouvernail.runtime import Runtime
from gouvernail.settings import OidcSettings, Settings
from oidc_provider import OidcProvider, ProviderUser, ServerThread, bind_loopback

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that would leave 127.0.0.1 (the app's and the browser's alike)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in LOOPBACK and not host.startswith("/"):
            raise AssertionError(f"a test tried to connect outside loopback: {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(client_id="gouvernail", client_secret="s3cret") as running:
        yield running


@dataclass
class Served:
    url: str
    rt: Runtime
    browser: httpx.Client
    provider: OidcProvider

    def new_browser(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False, trust_env=False, timeout=10)

    def sign_on(
        self,
        path: str = "/auth/oidc/login",
        browser: httpx.Client | None = None,
        callback_url: Callable[[str], str] | None = None,
    ) -> httpx.Response:
        """Browse ``path`` on Gouvernail, through the provider and back; return the answer of
        Gouvernail's callback (not followed)."""
        browser = browser or self.browser
        start = browser.get(self.url + path)
        assert start.status_code == 302, start.text
        authorize = start.headers["location"]
        assert authorize.startswith(self.provider.issuer + "/authorize?")
        approved = browser.get(authorize)
        assert approved.status_code == 302, approved.text
        callback = approved.headers["location"]
        assert callback.startswith(self.url + "/auth/oidc/callback?")
        if callback_url is not None:
            callback = callback_url(callback)
        return browser.get(callback)

    def users(self) -> list[User]:
        with self.rt.database.read() as session:
            return list(session.scalars(select(User).order_by(User.id)).unique())

    def audit(self, action: str) -> list[AuditRecord]:
        with self.rt.database.read() as session:
            return list(
                session.scalars(
                    select(AuditRecord)
                    .where(AuditRecord.action == action)
                    .order_by(AuditRecord.seq)
                )
            )


@pytest.fixture
def serve(tmp_path: Path, provider: OidcProvider) -> Iterator[Callable[..., Served]]:
    """Start Gouvernail (its own runtime and database) with the given settings."""
    started: list[tuple[ServerThread, Runtime, httpx.Client]] = []

    def start(oidc: OidcSettings | None = None, **overrides: Any) -> Served:
        sock = bind_loopback()
        port = sock.getsockname()[1]
        if oidc is None:
            oidc = OidcSettings(
                issuer=provider.issuer, client_id="gouvernail", client_secret="s3cret"
            )
        data_dir = tmp_path / f"app-{len(started)}"
        data_dir.mkdir()
        settings = Settings(
            data_dir=data_dir,
            env="test",
            port=port,
            public_url=f"http://127.0.0.1:{port}",
            oidc=oidc,
            log_json=False,
            **overrides,
        )
        rt = Runtime.build(settings)
        upgrade(rt.database)
        server = ServerThread(create_app(settings, rt), sock)
        browser = httpx.Client(follow_redirects=False, trust_env=False, timeout=10)
        started.append((server, rt, browser))
        server.start()
        provider.redirect_uris.add(f"{server.url}/auth/oidc/callback")
        return Served(server.url, rt, browser, provider)

    yield start
    for server, rt, browser in reversed(started):
        browser.close()
        server.stop()
        rt.close()


@pytest.fixture
def app(serve: Callable[..., Served]) -> Served:
    return serve()


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


def draft_charter(rt: Runtime) -> str:
    charter = rt.charters.load_file(AuditContext(SYSTEM), ROOT / "examples" / "charter.yaml")
    return str(charter.id)


def sign(app: Served, charter_id: str, meaning: str = "authored") -> httpx.Response:
    return app.browser.post(
        app.url + "/api/v1/signatures",
        json={
            "object_type": "charter_version",
            "object_id": charter_id,
            "meaning": meaning,
            "reason": "reviewed in committee",
        },
    )


# --- sign-on ------------------------------------------------------------------------------------


def test_first_sign_on_provisions_an_employee_and_opens_a_session(app: Served) -> None:
    response = app.sign_on("/auth/oidc/login?next=/charters/current")

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/charters/current"
    set_cookie = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    session_cookie = next(v for v in set_cookie if v.startswith("gouvernail_session="))
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()

    me = app.browser.get(app.url + "/api/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["via"] == "session"
    user = body["user"]
    assert user["username"] == "alice"
    assert user["display_name"] == "Alice Martin"
    assert user["email"] == "alice@example.test"
    assert user["sso"] is True
    assert user["roles"] == []  # every user is an employee; no role on top
    assert "signatures:sign" in body["permissions"]

    (stored,) = app.users()
    assert (stored.oidc_issuer, stored.oidc_subject) == (app.provider.issuer, "0f6c2a4e-alice")
    assert stored.password_hash is None
    (created,) = app.audit("user.created")
    assert created.actor_id == SYSTEM.id
    assert json.loads(created.new_values)["sso"] is True
    assert len(app.audit("auth.sign_in")) == 1
    # Gouvernail authenticated to the token endpoint and used PKCE.
    assert app.provider.token_auth_methods == ["client_secret_basic"]
    assert app.provider.authorize_requests[-1]["code_challenge_method"] == "S256"
    assert app.provider.authorize_requests[-1]["nonce"]


def test_second_sign_on_reuses_the_same_user(app: Served) -> None:
    first = app.sign_on()
    assert first.status_code == 303, first.text
    first_id = app.browser.get(app.url + "/api/v1/me").json()["user"]["id"]

    with app.new_browser() as other:
        second = app.sign_on(browser=other)
        assert second.status_code == 303, second.text
        assert other.get(app.url + "/api/v1/me").json()["user"]["id"] == first_id
    assert len(app.users()) == 1
    assert len(app.audit("user.created")) == 1
    assert len(app.audit("auth.sign_in")) == 2


def test_username_falls_back_to_the_email_local_part(
    serve: Callable[..., Served], provider: OidcProvider
) -> None:
    provider.user = ProviderUser(
        sub="s-42", preferred_username=None, name=None, email="Élodie.Dupont+AI@example.test"
    )
    app = serve()
    assert app.sign_on().status_code == 303
    (user,) = app.users()
    assert user.username == "elodie.dupont-ai"
    assert user.display_name == "elodie.dupont-ai"


def test_a_taken_username_gets_a_suffix_not_the_existing_account(
    app: Served,
) -> None:
    local = app.rt.directory.create_user(
        AuditContext(SYSTEM), username="alice", display_name="Alice Local"
    )
    response = app.sign_on()
    assert response.status_code == 303, response.text
    me = app.browser.get(app.url + "/api/v1/me").json()["user"]
    assert me["username"] == "alice-2"
    assert me["id"] != local.id


def test_no_account_without_provisioning(
    serve: Callable[..., Served], provider: OidcProvider
) -> None:
    app = serve(
        OidcSettings(
            issuer=provider.issuer,
            client_id="gouvernail",
            client_secret="s3cret",
            provision_users=False,
        )
    )
    response = app.sign_on()
    assert response.status_code == 403
    assert error_of(response)["code"] == "no_account"
    assert app.users() == []


# --- refusals -----------------------------------------------------------------------------------


def test_provider_error_is_401_and_creates_nothing(app: Served) -> None:
    app.provider.deny = True
    response = app.sign_on()
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "sso_failed"
    assert "access_denied" in error["message"]
    assert "gouvernail_session" not in response.cookies
    assert app.users() == []
    assert app.provider.token_auth_methods == []  # no code was exchanged


def test_tampered_state_is_401(app: Served) -> None:
    def tamper(url: str) -> str:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query["state"] = query["state"][::-1]
        return urlunsplit(parts._replace(query=urlencode(query)))

    response = app.sign_on(callback_url=tamper)
    assert response.status_code == 401
    assert "state" in error_of(response)["message"]
    assert app.users() == []
    assert app.provider.token_auth_methods == []


def test_callback_from_another_browser_is_401(app: Served) -> None:
    start = app.browser.get(app.url + "/auth/oidc/login")
    callback = app.browser.get(start.headers["location"]).headers["location"]
    with app.new_browser() as attacker:  # a login CSRF: no flow in this browser
        response = attacker.get(callback)
    assert response.status_code == 401
    assert app.users() == []


def test_wrong_client_secret_is_401(serve: Callable[..., Served], provider: OidcProvider) -> None:
    app = serve(
        OidcSettings(issuer=provider.issuer, client_id="gouvernail", client_secret="not-the-secret")
    )
    response = app.sign_on()
    assert response.status_code == 401
    assert "invalid_client" in error_of(response)["message"]
    assert app.users() == []


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("sign_with_foreign_key", True),
        ("id_token_claims", {"aud": "another-client"}),
        ("id_token_claims", {"iss": "http://127.0.0.1:1/elsewhere"}),
        ("id_token_claims", {"nonce": "replayed"}),
        ("id_token_claims", {"exp": 1_000_000_000}),
    ],
    ids=["foreign-key", "audience", "issuer", "nonce", "expired"],
)
def test_an_invalid_id_token_is_401(app: Served, knob: str, value: Any) -> None:
    setattr(app.provider, knob, value)
    response = app.sign_on()
    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "sso_failed"
    assert app.users() == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/charters?page=2", "/charters?page=2"),
    ],
)
def test_next_only_redirects_to_local_paths(app: Served, target: str, expected: str) -> None:
    response = app.sign_on("/auth/oidc/login?" + urlencode({"next": target}))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == expected


def test_safe_next_and_derive_username() -> None:
    assert safe_next(None) == "/"
    assert safe_next("/a\r\nSet-Cookie: x") == "/"
    assert derive_username({"preferred_username": "DOMAIN\\J.Smith"}) == "domain-j.smith"
    assert derive_username({"iss": "i", "sub": "s"}).startswith("sso-")


def test_sso_disabled_is_404(serve: Callable[..., Served]) -> None:
    app = serve(OidcSettings())
    for path in ("/auth/oidc/login?next=/", "/auth/oidc/callback?code=x&state=y"):
        response = app.browser.get(app.url + path)
        assert response.status_code == 404
        assert error_of(response)["code"] == "sso_disabled"


def test_deactivated_user_cannot_sign_on_and_it_is_audited(app: Served) -> None:
    assert app.sign_on().status_code == 303
    user_id = app.browser.get(app.url + "/api/v1/me").json()["user"]["id"]
    app.rt.directory.set_active(AuditContext(SYSTEM), user_id, active=False, reason="left")

    with app.new_browser() as browser:
        response = app.sign_on(browser=browser)
        assert response.status_code == 403
        assert error_of(response)["code"] == "account_deactivated"
        assert "gouvernail_session" not in browser.cookies
    (failure,) = app.audit("auth.sign_in_failed")
    assert failure.object_id == str(user_id)
    assert json.loads(failure.new_values)["cause"] == "deactivated"


# --- re-authentication for electronic signatures -----------------------------------------------


def test_reauthentication_lets_an_sso_user_sign(app: Served) -> None:
    charter_id = draft_charter(app.rt)
    assert app.sign_on().status_code == 303
    # A fresh sign-on is itself a re-authentication: one signature.
    assert sign(app, charter_id, "reviewed").status_code == 201

    refused = sign(app, charter_id)
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "reauthentication_required"

    logins = app.provider.logins
    response = app.sign_on("/auth/oidc/reauth?next=/charters/" + charter_id)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/charters/" + charter_id
    assert app.provider.last_prompt == "login"
    assert app.provider.last_max_age == "0"
    assert app.provider.logins == logins + 1  # the provider asked for credentials again

    signed = sign(app, charter_id)
    assert signed.status_code == 201, signed.text
    assert signed.json()["meaning"] == "authored"
    assert sign(app, charter_id).status_code == 401  # one re-authentication, one signature
    reauths = [json.loads(r.new_values) for r in app.audit("auth.sign_in")]
    assert [r.get("reauthentication", False) for r in reauths] == [False, True]


def test_reauthentication_refused_when_the_provider_did_not_ask_again(app: Served) -> None:
    charter_id = draft_charter(app.rt)
    assert app.sign_on().status_code == 303
    assert sign(app, charter_id, "reviewed").status_code == 201
    # A provider that ignores prompt=login and max_age=0 vouches for an old authentication.
    app.provider.honour_prompt = False
    assert app.provider.authenticated_at is not None
    app.provider.authenticated_at -= 3600

    response = app.sign_on("/auth/oidc/reauth?next=/x")
    assert response.status_code == 401
    assert error_of(response)["code"] == "reauthentication_stale"
    assert error_of(sign(app, charter_id))["code"] == "reauthentication_required"


def test_reauthentication_needs_a_signed_in_sso_session(app: Served) -> None:
    anonymous = app.browser.get(app.url + "/auth/oidc/reauth")
    assert anonymous.status_code == 401

    app.rt.directory.create_user(
        AuditContext(SYSTEM), username="bob", display_name="Bob", password="correct horse battery"
    )
    login = app.browser.post(
        app.url + "/api/v1/auth/login",
        json={"username": "bob", "password": "correct horse battery"},
    )
    assert login.status_code == 200, login.text
    response = app.browser.get(app.url + "/auth/oidc/reauth")
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_sso_session"


def test_reauthentication_is_bound_to_the_session_that_asked(app: Served) -> None:
    assert app.sign_on().status_code == 303
    start = app.browser.get(app.url + "/auth/oidc/reauth")
    callback = app.browser.get(start.headers["location"]).headers["location"]
    app.browser.post(app.url + "/api/v1/auth/logout")  # the session ends meanwhile
    response = app.browser.get(callback)
    assert response.status_code == 401
    assert error_of(response)["code"] == "reauth_mismatch"


def test_the_portal_signs_in_through_single_sign_on(app: Served) -> None:
    page = app.browser.get(app.url + "/sign-in?next=/me")
    assert page.status_code == 200
    link = re.search(r'href="(/auth/oidc/login\?next=[^"]+)"', page.text)
    assert link is not None, "the sign-in page offers single sign-on"
    response = app.sign_on(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 303
    assert response.headers["location"] == "/me"
    me = app.browser.get(app.url + "/me")
    assert me.status_code == 200
    assert "Alice Martin" in me.text
