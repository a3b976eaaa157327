"""A small but real OpenID provider for the tests, served over HTTP on 127.0.0.1.

It speaks the authorization code flow as Authlib expects it: discovery, an ``/authorize`` that
approves a configurable user without any page (or answers ``access_denied``), a ``/token``
endpoint that authenticates the client (``client_secret_basic`` or ``client_secret_post``),
checks the code, the redirect URI and the PKCE verifier, and returns an RS256 ID token signed
with a key generated at start, a ``/jwks`` and a ``/userinfo``. Knobs let a test make it
misbehave the way real providers can (refuse, ignore ``prompt=login``, sign with another key,
put wrong claims in the ID token).

``ServerThread`` serves any ASGI application with uvicorn in a background thread on a socket
bound before start, so that its URL is known before the application is built.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import socket
import threading
import time
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CODE_LIFETIME = 60
ID_TOKEN_LIFETIME = 300


def bind_loopback() -> socket.socket:
    """A TCP socket bound to a free port of 127.0.0.1 (uvicorn listens on it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """Serve an ASGI application with uvicorn in a daemon thread on 127.0.0.1."""

    def __init__(self, app: Any, sock: socket.socket | None = None) -> None:
        self.sock = sock or bind_loopback()
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            log_config=None,
            access_log=False,
            loop="asyncio",
            ws="none",
            lifespan="auto",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"the server on {self.url} did not start")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} took over 10 s to start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.sock.close()


@dataclass
class ProviderUser:
    """The person the provider vouches for (``None`` leaves a claim out)."""

    sub: str = "0f6c2a4e-alice"
    preferred_username: str | None = "alice"
    name: str | None = "Alice Martin"
    email: str | None = "alice@example.test"
    email_verified: bool | None = True

    def claims(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    auth_time: int
    user: dict[str, Any]
    expires_at: float


def _b64url_sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="test-provider"'
    return JSONResponse({"error": error, "error_description": description}, status, headers=headers)


class OidcProvider:
    """A test OpenID provider; ``with OidcProvider() as provider:`` starts and stops it."""

    def __init__(
        self,
        *,
        client_id: str = "gouvernail",
        client_secret: str = "s3cret",
        user: ProviderUser | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user = user or ProviderUser()
        # Redirect URIs registered for the client; any http://127.0.0.1 URI while empty.
        self.redirect_uris: set[str] = set()
        # Knobs a test turns to make the provider refuse or misbehave.
        self.deny = False
        self.honour_prompt = True
        self.sign_with_foreign_key = False
        self.id_token_claims: dict[str, Any] = {}  # merged into ID tokens; None removes
        # What the provider saw.
        self.authorize_requests: list[dict[str, str]] = []
        self.token_auth_methods: list[str] = []
        self.logins = 0
        # The user's session at the provider: when they last typed their credentials.
        self.authenticated_at: int | None = None

        kid = secrets.token_hex(8)
        params: Any = {"kid": kid, "use": "sig", "alg": "RS256"}
        self._key = RSAKey.generate_key(2048, parameters=params)
        self._foreign_key = RSAKey.generate_key(2048, parameters=params)
        self._codes: dict[str, _Grant] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ServerThread(self.app())

    # --- running ----------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self._server.url

    @property
    def last_prompt(self) -> str | None:
        return self.authorize_requests[-1].get("prompt") if self.authorize_requests else None

    @property
    def last_max_age(self) -> str | None:
        return self.authorize_requests[-1].get("max_age") if self.authorize_requests else None

    def start(self) -> OidcProvider:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
                Route("/userinfo", self.userinfo),
            ]
        )

    # --- endpoints --------------------------------------------------------------------------

    async def discovery(self, _: Request) -> Response:
        issuer = self.issuer
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256", "plain"],
                "grant_types_supported": ["authorization_code"],
                "claims_supported": [
                    "iss",
                    "sub",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "nonce",
                    "preferred_username",
                    "name",
                    "email",
                    "email_verified",
                ],
            }
        )

    async def authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        self.authorize_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        known_uri = (
            redirect_uri in self.redirect_uris
            if self.redirect_uris
            else redirect_uri.startswith("http://127.0.0.1:")
        )
        if query.get("client_id") != self.client_id or not known_uri:
            # Never redirect to a URI the client did not register.
            return _oauth_error("invalid_request", "unknown client_id or redirect_uri")

        def back(**params: str) -> Response:
            if "state" in query:
                params["state"] = query["state"]
            separator = "&" if "?" in redirect_uri else "?"
            return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", 302)

        if query.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in query.get("scope", "").split():
            return back(error="invalid_scope", error_description="openid is required")
        method = query.get("code_challenge_method", "plain")
        if method not in {"S256", "plain"}:
            return back(error="invalid_request", error_description="unknown PKCE method")
        try:
            max_age = int(query["max_age"]) if "max_age" in query else None
        except ValueError:
            return back(error="invalid_request", error_description="max_age is not a number")
        if self.deny:
            return back(error="access_denied", error_description="the user declined")

        now = int(time.time())
        wants_login = "login" in query.get("prompt", "").split() or (
            max_age is not None
            and self.authenticated_at is not None
            and now - self.authenticated_at >= max_age
        )
        if self.authenticated_at is None or (wants_login and self.honour_prompt):
            self.authenticated_at = now  # the user typed their credentials (auto-approved)
            self.logins += 1
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                scope=query.get("scope", ""),
                nonce=query.get("nonce"),
                code_challenge=query.get("code_challenge"),
                code_challenge_method=method,
                auth_time=self.authenticated_at,
                user=self.user.claims(),
                expires_at=time.time() + CODE_LIFETIME,
            )
        return back(code=code)

    def _client_credentials(
        self, request: Request, form: dict[str, str]
    ) -> tuple[str, str, str] | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            if "client_secret" in form:
                return None  # two ways at once: refused (RFC 6749, 2.3)
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None
            client_id, _, secret = decoded.partition(":")
            return unquote(client_id), unquote(secret), "client_secret_basic"
        if "client_id" in form and "client_secret" in form:
            return form["client_id"], form["client_secret"], "client_secret_post"
        return None

    async def token(self, request: Request) -> Response:
        async with request.form() as raw:
            form = {key: value for key, value in raw.items() if isinstance(value, str)}
        credentials = self._client_credentials(request, form)
        if credentials is None:
            return _oauth_error("invalid_client", "client authentication is required", 401)
        client_id, secret, method = credentials
        if client_id != self.client_id or not hmac.compare_digest(
            secret.encode(), self.client_secret.encode()
        ):
            return _oauth_error("invalid_client", "unknown client or wrong secret", 401)
        self.token_auth_methods.append(method)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "only authorization_code")
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or grant.expires_at < time.time() or grant.client_id != client_id:
            return _oauth_error("invalid_grant", "unknown, used or expired code")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri differs from the authorization")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            expected = (
                _b64url_sha256(verifier) if grant.code_challenge_method == "S256" else verifier
            )
            if not verifier or not hmac.compare_digest(expected, grant.code_challenge):
                return _oauth_error("invalid_grant", "PKCE verification failed")

        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client_id,
            "exp": now + ID_TOKEN_LIFETIME,
            "iat": now,
            "auth_time": grant.auth_time,
            **grant.user,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        for name, value in self.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self._foreign_key if self.sign_with_foreign_key else self._key
        header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
        id_token = jwt.encode(header, claims, key)
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._access_tokens[access_token] = grant.user
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": grant.scope,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def jwks(self, _: Request) -> Response:
        return JSONResponse({"keys": [self._key.as_dict(private=False)]})

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with self._lock:
            user = self._access_tokens.get(token)
        if user is None:
            return JSONResponse(
                {"error": "invalid_token"},
                401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return JSONResponse(user)


__all__ = ["OidcProvider", "ProviderUser", "ServerThread", "bind_loopback"]
