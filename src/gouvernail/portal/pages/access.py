"""Signing in and out, the language, and "my AI access": the charter to accept (signed),
required trainings, my API keys, my usage this month."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gouvernail.api.deps import (
    SESSION_COOKIE,
    Rt,
    audit_context,
    client_of,
    enforce,
    request_id,
)
from gouvernail.errors import GouvernailError
from gouvernail.gateway.spend import month_start
from gouvernail.gateway.usage import usage
from gouvernail.identity.principal import Principal
from gouvernail.portal import i18n, once
from gouvernail.portal.forms import safe_next, text_of
from gouvernail.portal.guards import Anyone, Form, PageRequire, PortalRoute, SignedIn
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.settings import Environment

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

KeyHolder = Annotated[Principal, Depends(PageRequire("keys", "manage_own"))]
Accepter = Annotated[Principal, Depends(PageRequire("charter", "accept"))]


@router.get("/", dependencies=[Anyone])
def home(request: Request, runtime: Rt) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    signed = token is not None and runtime.authenticator.resolve(token) is not None
    return RedirectResponse("/me" if signed else "/sign-in", 303)


@router.get("/language/{code}", dependencies=[Anyone])
def choose_language(code: str, runtime: Rt, next: str = "/") -> RedirectResponse:
    """Remember the user's language (a cookie) and go back to the page."""
    response = RedirectResponse(safe_next(next) if next != "/" else "/", 303)
    if code in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            code,
            max_age=365 * 86400,
            samesite="lax",
            secure=runtime.settings.env is Environment.PROD,
        )
    return response


def _sign_in_page(
    request: Request,
    runtime: Rt,
    *,
    next_: str,
    username: str = "",
    error: str | None = None,
    change_password: bool = False,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    oidc = runtime.settings.oidc
    return render(
        request,
        "sign_in.html",
        {
            "title": _("Change your password") if change_password else _("Sign in"),
            "next": next_,
            "username": username,
            "error": error,
            "change_password": change_password,
            "sso_label": oidc.display_name if oidc.enabled else None,
            "notice": notice,
        },
        status=status,
    )


@router.get("/sign-in", dependencies=[Anyone])
def sign_in_page(request: Request, runtime: Rt, next: str = "/me") -> HTMLResponse:
    return _sign_in_page(request, runtime, next_=safe_next(next))


@router.post("/sign-in", dependencies=[Anyone])
def sign_in(request: Request, runtime: Rt, form: Form) -> Response:
    username = text_of(form, "username", 200)
    password = form.get("password")
    next_ = safe_next(text_of(form, "next", 500))
    if not username or not isinstance(password, str) or not password:
        return _sign_in_page(
            request,
            runtime,
            next_=next_,
            username=username,
            error=_("Enter your username and your password."),
            status=422,
        )
    try:
        signed = runtime.authenticator.sign_in(
            username, password[:1024], client=client_of(request), request_id=request_id(request)
        )
    except GouvernailError as error:
        changing = error.code == "password_change_required"
        message = (
            _("Your password must be changed before you continue.")
            if changing
            else _("Invalid username or password.")
            if error.status == 401
            else error.message
        )
        return _sign_in_page(
            request,
            runtime,
            next_=next_,
            username=username,
            error=message,
            change_password=changing,
            status=200 if changing else error.status,
        )
    response = RedirectResponse(next_, 303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.env is Environment.PROD,
        max_age=runtime.settings.session_hours * 3600,
    )
    return response


@router.post("/password", dependencies=[Anyone])
def change_password(request: Request, runtime: Rt, form: Form) -> Response:
    """The way out of a password that must be changed; then sign in with the new one."""
    username = text_of(form, "username", 200)
    current, new = form.get("current_password"), form.get("new_password")
    next_ = safe_next(text_of(form, "next", 500))
    if not isinstance(current, str) or not isinstance(new, str) or not current or not new:
        return _sign_in_page(
            request,
            runtime,
            next_=next_,
            username=username,
            change_password=True,
            error=_("Enter your current password and a new one."),
            status=422,
        )
    try:
        runtime.authenticator.change_password(
            username,
            current[:1024],
            new[:1024],
            client=client_of(request),
            request_id=request_id(request),
        )
    except GouvernailError as error:
        return _sign_in_page(
            request,
            runtime,
            next_=next_,
            username=username,
            change_password=True,
            error=error.message,
            status=error.status,
        )
    notice = _("Password changed. Sign in with your new password.")
    return _sign_in_page(request, runtime, next_=next_, username=username, notice=notice)


@router.post("/sign-out")
def sign_out(request: Request, principal: SignedIn, runtime: Rt, form: Form) -> Response:
    runtime.authenticator.sign_out(principal, request_id=request_id(request))
    response = RedirectResponse("/sign-in", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _access_page(
    request: Request,
    runtime: Rt,
    principal: Principal,
    *,
    created: object = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = datetime.now(UTC)
    with runtime.database.read() as session:
        mine = usage(session, month_start(now), now, user_id=principal.user_id)
    return render(
        request,
        "access.html",
        {
            "title": _("My AI access"),
            "charter": runtime.charters.active(),
            "acceptance": runtime.charters.acceptance_status(principal.user_id),
            "trainings": runtime.literacy.trainings(principal.user_id),
            "keys": runtime.keys.list(user_id=principal.user_id),
            "use_cases": runtime.use_cases.memberships(principal.user_id),
            "usage": mine,
            "created": created,
            "errors": errors or {},
            "notice": notice,
            "form_id": once.new_form_id(),
        },
        principal=principal,
        status=status,
    )


@router.get("/me")
def access(request: Request, principal: SignedIn, runtime: Rt) -> HTMLResponse:
    notice = {"accepted": _("Charter accepted and signed."), "revoked": _("Key revoked.")}.get(
        request.query_params.get("done", "")
    )
    return _access_page(request, runtime, principal, notice=notice)


@router.post("/me/charter")
def accept_charter(request: Request, principal: Accepter, runtime: Rt, form: Form) -> Response:
    """Accept the charter in force: an electronic signature, re-authenticated by password."""
    password = form.get("password")
    if form.get("agree") != "yes":
        errors = {"agree": _("Tick the box to confirm you have read the charter.")}
        return _access_page(request, runtime, principal, errors=errors, status=422)
    if not isinstance(password, str) or not password:
        errors = {"password": _("Enter your password to sign.")}
        return _access_page(request, runtime, principal, errors=errors, status=422)
    try:
        runtime.charters.accept(principal, password=password[:1024], request_id=request_id(request))
    except GouvernailError as error:
        errors = {"password" if error.status in (401, 403) else "__all__": error.message}
        return _access_page(request, runtime, principal, errors=errors, status=error.status)
    return RedirectResponse("/me?done=accepted", 303)


@router.post("/me/keys")
def create_key(request: Request, principal: KeyHolder, runtime: Rt, form: Form) -> Response:
    """Create an API key for one of my use cases; its secret is shown on this page only."""
    name = text_of(form, "name", 100)
    raw_use_case = text_of(form, "use_case_id", 20)
    raw_days = text_of(form, "days", 5)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the key a name (what it is for).")
    if not raw_use_case.isdigit():
        errors["use_case_id"] = _("Choose the use case the key is for.")
    if raw_days and (not raw_days.isdigit() or not 1 <= int(raw_days) <= 365):
        errors["days"] = _("A key lives between 1 and 365 days.")
    if errors:
        return _access_page(request, runtime, principal, errors=errors, status=422)
    created: list[object] = []

    def create() -> str:
        key = runtime.keys.create(
            audit_context(request, principal),
            user_id=principal.user_id,
            name=name,
            days=int(raw_days) if raw_days else None,
            use_case_id=int(raw_use_case),
        )
        created.append(key)
        return "/me"

    def refused(error: GouvernailError) -> Response:
        field = error.field if error.field in ("name", "use_case_id", "days") else "__all__"
        return _access_page(
            request, runtime, principal, errors={field: error.message}, status=error.status
        )

    done = once.submit(runtime.database, form, principal.user_id, create, refused)
    if isinstance(done, Response):
        return done
    return _access_page(request, runtime, principal, created=created[0], status=201)


@router.post("/me/keys/{key_id}/revoke")
def revoke_key(
    key_id: int, request: Request, principal: KeyHolder, runtime: Rt, form: Form
) -> Response:
    key = runtime.keys.get(key_id)
    if key.user_id != principal.user_id:
        enforce(runtime, request, principal, "keys", "revoke_any")
    reason = text_of(form, "reason", 500) or _("revoked by its owner in the portal")
    runtime.keys.revoke(audit_context(request, principal), key_id, reason=reason)
    return RedirectResponse("/me?done=revoked", 303)
