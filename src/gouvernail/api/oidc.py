"""OpenID Connect single sign-on (authorization code flow with PKCE, through Authlib).

``GET /auth/oidc/login`` sends the browser to the provider; ``GET /auth/oidc/callback``
exchanges the code (server to provider, over HTTP), checks the ID token (signature against the
provider's JWKS, issuer, audience, expiry, nonce), provisions a local user on first sign-on if
allowed, opens a session and sets the session cookie. ``GET /auth/oidc/reauth`` asks the
provider to authenticate the signed-in user again (``prompt=login``, ``max_age=0``): a recent
``auth_time`` then lets an SSO user sign electronically without a local password.

The Authlib client is built on first use and kept on ``app.state`` (nothing at module level);
the state, nonce and PKCE verifier live in the short-lived ``gouvernail_sso`` session cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import unicodedata
import warnings
from collections.abc import Mapping
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from gouvernail.api.deps import (
    SESSION_COOKIE,
    CurrentUser,
    Public,
    Rt,
    client_of,
    credential_of,
    request_id,
)
from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.errors import ConflictError, GouvernailError, UnauthenticatedError
from gouvernail.identity.directory import USERNAME
from gouvernail.identity.models import AuthSession, User
from gouvernail.identity.signin import SignedIn
from gouvernail.runtime import Runtime
from gouvernail.settings import Environment, OidcSettings

with warnings.catch_warnings():
    # Authlib 1.9 prefers the ``httpx2`` package and warns once, at import, when it falls back
    # to ``httpx``; both work. The filter is scoped to this import.
    import authlib.deprecate

    warnings.filterwarnings(
        "ignore",
        message="The httpx module is deprecated",
        category=authlib.deprecate.AuthlibDeprecationWarning,
    )
    from authlib.integrations.starlette_client import OAuth, OAuthError

log = structlog.get_logger(__name__)

router = APIRouter(tags=["identity"])

CALLBACK_PATH = "/auth/oidc/callback"
FLOW_KEY = "gouvernail_oidc"  # in the Starlette session: the flow under way (state, next, ...)
CLOCK_SKEW = 60  # seconds of clock difference tolerated with the provider
PROVISION_ATTEMPTS = 9  # alice, alice-2, ... alice-9 when a username is already taken
NOT_USERNAME = re.compile(r"[^a-z0-9._@-]+")

NextParam = Annotated[
    str, Query(alias="next", max_length=2000, description="Where to go afterwards (a path).")
]


# --- helpers ------------------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """A local path to redirect to: ``target`` if it is a relative path, else ``/``."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return "/"
    return target


def _sanitise(value: str) -> str:
    ascii_only = (
        unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    )
    return NOT_USERNAME.sub("-", ascii_only.strip()).lstrip("._@-")[:64]


def derive_username(claims: Mapping[str, Any]) -> str:
    """A valid local username from the ID token: ``preferred_username``, else the e-mail's local
    part, lowercased and reduced to ``[a-z0-9._@-]``; else one derived from the identity."""
    candidates = [claims.get("preferred_username")]
    email = claims.get("email")
    if isinstance(email, str) and "@" in email:
        candidates.append(email.rsplit("@", 1)[0])
    for candidate in candidates:
        if isinstance(candidate, str):
            username = _sanitise(candidate)
            if USERNAME.match(username):
                return username
    identity = f"{claims.get('iss', '')}|{claims.get('sub', '')}".encode()
    return "sso-" + hashlib.sha256(identity).hexdigest()[:12]


def _display_name(claims: Mapping[str, Any], username: str) -> str:
    name = claims.get("name")
    if not (isinstance(name, str) and name.strip()):
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return (name or username).strip()[:200]


def _email(claims: Mapping[str, Any]) -> str | None:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        return None
    if claims.get("email_verified") is False:
        return None  # the provider says it is not the user's: do not claim it
    return email.strip()


def _failed(message: str, code: str = "sso_failed") -> UnauthenticatedError:
    log.warning("single sign-on refused", reason=message, code=code)
    return UnauthenticatedError(message, code=code)


def _unavailable(message: str) -> GouvernailError:
    log.warning("single sign-on provider unavailable", reason=message)
    return GouvernailError(message, status=502, code="sso_unavailable")


def _enabled(runtime: Runtime) -> OidcSettings:
    oidc = runtime.settings.oidc
    if not oidc.enabled:
        raise GouvernailError(
            "single sign-on is not configured on this server (GOUVERNAIL_OIDC__ISSUER, "
            "GOUVERNAIL_OIDC__CLIENT_ID); sign in with a username and password",
            status=404,
            code="sso_disabled",
        )
    return oidc


def _client(request: Request, runtime: Runtime) -> Any:
    """This application's Authlib client, registered on first use."""
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        oidc = runtime.settings.oidc
        oauth = OAuth()
        client = oauth.register(
            name="gouvernail",
            client_id=oidc.client_id,
            client_secret=oidc.client_secret.get_secret_value(),
            server_metadata_url=f"{oidc.issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={"scope": oidc.scopes, "code_challenge_method": "S256", "timeout": 10},
        )
        request.app.state.oidc_client = client
    return client


async def _metadata(client: Any, oidc: OidcSettings) -> dict[str, Any]:
    """The provider's discovery document (fetched once), checked to name our issuer."""
    try:
        metadata: dict[str, Any] = await client.load_server_metadata()
    except (httpx.HTTPError, ValueError) as error:
        raise _unavailable(
            f"the single sign-on provider cannot be reached ({type(error).__name__}); "
            "try again later"
        ) from None
    issuer = str(metadata.get("issuer", ""))
    if issuer.rstrip("/") != oidc.issuer.rstrip("/"):
        raise GouvernailError(
            f"the provider's discovery document names the issuer {issuer!r}, not the "
            f"configured {oidc.issuer!r}",
            status=502,
            code="sso_misconfigured",
        )
    return metadata


def _forget_flow(request: Request) -> None:
    """Clear the flow data (ours and Authlib's): a state is good for one callback."""
    for key in [k for k in request.session if k == FLOW_KEY or k.startswith("_state_")]:
        request.session.pop(key, None)


async def _start(
    request: Request, runtime: Runtime, target: str, *, reauth_session: int | None
) -> RedirectResponse:
    oidc = _enabled(runtime)
    client = _client(request, runtime)
    await _metadata(client, oidc)
    _forget_flow(request)
    state = secrets.token_urlsafe(32)
    extra: dict[str, Any] = {} if reauth_session is None else {"prompt": "login", "max_age": 0}
    redirect_uri = runtime.settings.effective_public_url + CALLBACK_PATH
    try:
        response: RedirectResponse = await client.authorize_redirect(
            request, redirect_uri, state=state, **extra
        )
    except httpx.HTTPError as error:
        raise _unavailable(f"the single sign-on provider failed: {type(error).__name__}") from None
    request.session[FLOW_KEY] = {
        "state": state,
        "next": safe_next(target),
        "reauth_session": reauth_session,
        "started": int(time.time()),
    }
    return response


async def _verified_claims(
    request: Request, client: Any, oidc: OidcSettings, flow: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The flow under way and the claims of the provider's ID token, checked; or 401."""
    error = request.query_params.get("error")
    if error:
        description = request.query_params.get("error_description")
        detail = f"{error}: {description}" if description else error
        raise _failed(f"the single sign-on provider refused the sign-on ({detail[:200]})")
    state = request.query_params.get("state")
    if not isinstance(flow, dict) or not state or flow.get("state") != state:
        raise _failed(
            "the sign-on state is missing, expired or does not match this browser; "
            "start again from /auth/oidc/login"
        )
    metadata = await _metadata(client, oidc)
    claims_options = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": oidc.client_id},
        "sub": {"essential": True},
    }
    try:
        token = await client.authorize_access_token(request, claims_options=claims_options)
    except OAuthError as refused:
        raise _failed(
            f"the single sign-on provider refused the code ({refused.error}"
            + (f": {refused.description}" if refused.description else "")
            + ")"
        ) from None
    except JoseError as invalid:
        detail = invalid.error + (f": {invalid.description}" if invalid.description else "")
        raise _failed(f"the provider's ID token is invalid ({detail})") from None
    except httpx.HTTPStatusError as failed:
        raise _failed(
            f"the provider's token endpoint answered HTTP {failed.response.status_code}"
        ) from None
    except httpx.HTTPError as failed:
        raise _unavailable(
            f"the single sign-on provider cannot be reached ({type(failed).__name__}); "
            "try again later"
        ) from None
    userinfo = token.get("userinfo")
    if not userinfo or not isinstance(userinfo.get("sub"), str) or not userinfo["sub"]:
        raise _failed("the provider returned no ID token with a subject")
    return flow, dict(userinfo)


# --- local accounts -----------------------------------------------------------------------------


def _local_user(runtime: Runtime, issuer: str, subject: str) -> tuple[int, str] | None:
    with runtime.database.read() as session:
        row = session.execute(
            select(User.id, User.username).where(
                User.oidc_issuer == issuer, User.oidc_subject == subject
            )
        ).first()
    return (row[0], row[1]) if row else None


def _provision(
    runtime: Runtime, claims: Mapping[str, Any], issuer: str, subject: str, rid: str
) -> str:
    """Create the local user of a new SSO identity (role employee); return its username."""
    base = derive_username(claims)
    ctx = AuditContext(SYSTEM, rid)
    for attempt in range(1, PROVISION_ATTEMPTS + 1):
        username = base if attempt == 1 else f"{base[:61]}-{attempt}"
        try:
            user = runtime.directory.create_user(
                ctx,
                username=username,
                display_name=_display_name(claims, username),
                email=_email(claims),
                oidc=(issuer, subject),
                roles=["employee"],
            )
        except ConflictError as conflict:
            existing = _local_user(runtime, issuer, subject)
            if existing is not None:  # provisioned meanwhile by a concurrent sign-on
                return existing[1]
            if conflict.field != "username":
                raise ConflictError(
                    f"single sign-on cannot create your account: {conflict.message}; "
                    "ask an administrator",
                    field=conflict.field,
                ) from None
            continue
        log.info("single sign-on user provisioned", user_id=user.id, username=user.username)
        return user.username
    raise ConflictError(
        f"single sign-on cannot create your account: the usernames {base!r} to "
        f"'{base[:61]}-{PROVISION_ATTEMPTS}' are taken; ask an administrator",
        field="username",
    )


def _session_method(runtime: Runtime, session_id: int) -> str | None:
    with runtime.database.read() as session:
        row = session.get(AuthSession, session_id)
        return row.method if row else None


# --- routes -------------------------------------------------------------------------------------


@router.get("/auth/oidc/login", dependencies=[Public])
async def oidc_login(request: Request, runtime: Rt, next_: NextParam = "/") -> RedirectResponse:
    """Sign in through the organisation's OpenID provider (redirects there)."""
    return await _start(request, runtime, next_, reauth_session=None)


@router.get("/auth/oidc/reauth")
async def oidc_reauth(
    request: Request, principal: CurrentUser, runtime: Rt, next_: NextParam = "/"
) -> RedirectResponse:
    """Authenticate again at the provider, so that an SSO user may sign a record next."""
    _enabled(runtime)
    method = (
        await run_in_threadpool(_session_method, runtime, principal.session_id)
        if principal.session_id is not None
        else None
    )
    if method != "sso":
        raise GouvernailError(
            "re-authentication through single sign-on is for sessions opened by single "
            "sign-on; sign with your password instead",
            code="not_sso_session",
        )
    return await _start(request, runtime, next_, reauth_session=principal.session_id)


@router.get(CALLBACK_PATH, dependencies=[Public])
async def oidc_callback(request: Request, runtime: Rt) -> RedirectResponse:
    """Where the provider sends the browser back: signs in (or re-authenticates) and
    redirects to the page asked for."""
    oidc = _enabled(runtime)
    client = _client(request, runtime)
    try:
        flow, claims = await _verified_claims(request, client, oidc, request.session.get(FLOW_KEY))
    finally:
        _forget_flow(request)
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    rid, client_address = request_id(request), client_of(request)
    target = safe_next(flow.get("next"))

    reauth_session = flow.get("reauth_session")
    if reauth_session is not None:
        await _reauthenticate(request, runtime, claims, flow)
        return RedirectResponse(target, status_code=303)

    existing = await run_in_threadpool(_local_user, runtime, issuer, subject)
    if existing is not None:
        username = existing[1]
    elif oidc.provision_users:
        username = await run_in_threadpool(_provision, runtime, claims, issuer, subject, rid)
    else:
        username = derive_username(claims)  # sso_sign_in refuses: no account

    def sign_in() -> SignedIn | None:
        return runtime.authenticator.sso_sign_in(
            issuer=issuer,
            subject=subject,
            username=username,
            display_name=_display_name(claims, username),
            email=_email(claims),
            client=client_address,
            request_id=rid,
        )

    signed = await run_in_threadpool(sign_in)
    if signed is None:  # pragma: no cover - only a re-authentication returns None
        raise GouvernailError("single sign-on did not open a session", status=500)
    response = RedirectResponse(target, status_code=303)
    settings = runtime.settings
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=settings.env is Environment.PROD,
        max_age=settings.session_hours * 3600,
    )
    return response


async def _reauthenticate(
    request: Request, runtime: Runtime, claims: Mapping[str, Any], flow: Mapping[str, Any]
) -> None:
    session_id = int(flow["reauth_session"])
    now = time.time()
    window = runtime.settings.signature_reauth_seconds
    auth_time = claims.get("auth_time")
    fresh = (
        isinstance(auth_time, int | float)
        and not isinstance(auth_time, bool)
        and auth_time >= float(flow.get("started", now)) - CLOCK_SKEW
        and now - window <= auth_time <= now + CLOCK_SKEW
    )
    if not fresh:
        when = (
            f"{round(now - auth_time)} s ago"
            if isinstance(auth_time, int | float) and not isinstance(auth_time, bool)
            else "at an unknown time"
        )
        raise _failed(
            f"the provider did not authenticate you again just now (it last did {when}); "
            f"a signature needs a re-authentication in the last {window} s",
            code="reauthentication_stale",
        )
    secret = credential_of(request)
    principal = await run_in_threadpool(runtime.authenticator.resolve, secret) if secret else None
    if principal is None or principal.session_id != session_id:
        raise _failed(
            "the session that asked for re-authentication is no longer signed in here",
            code="reauth_mismatch",
        )
    issuer, subject = str(claims["iss"]), str(claims["sub"])

    def reauth() -> None:
        runtime.authenticator.sso_sign_in(
            issuer=issuer,
            subject=subject,
            username=principal.username,
            display_name=principal.display_name,
            email=_email(claims),
            client=client_of(request),
            request_id=request_id(request),
            reauth_session=session_id,
        )

    await run_in_threadpool(reauth)
    log.info("single sign-on re-authentication", user_id=principal.user_id)
