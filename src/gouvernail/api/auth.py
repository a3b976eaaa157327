"""Sign-in, sign-out, password change and the caller's own profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from gouvernail.api.deps import (
    SESSION_COOKIE,
    CurrentUser,
    Public,
    Rt,
    client_of,
    request_id,
)
from gouvernail.api.schemas import LoginIn, PasswordChangeIn
from gouvernail.identity.views import UserView
from gouvernail.settings import Environment

router = APIRouter(prefix="/api/v1", tags=["identity"])


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserView


class MeOut(BaseModel):
    user: UserView
    permissions: list[str]
    via: str
    charter: dict[str, Any]


@router.post("/auth/login", dependencies=[Public])
def login(body: LoginIn, request: Request, response: Response, runtime: Rt) -> LoginOut:
    """Sign in with a local account. Returns a session token (also set as a cookie)."""
    signed = runtime.authenticator.sign_in(
        body.username, body.password, client=client_of(request), request_id=request_id(request)
    )
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.env is Environment.PROD,
        max_age=runtime.settings.session_hours * 3600,
    )
    return LoginOut(token=signed.token, expires_at=signed.expires_at, user=signed.user)


@router.post("/auth/logout", status_code=204)
def logout(principal: CurrentUser, request: Request, response: Response, runtime: Rt) -> None:
    """End the current sign-in session."""
    runtime.authenticator.sign_out(principal, request_id=request_id(request))
    response.delete_cookie(SESSION_COOKIE)


@router.post("/auth/password", status_code=204, dependencies=[Public])
def change_password(body: PasswordChangeIn, request: Request, runtime: Rt) -> None:
    """Change your own password (also the way out of an expired password)."""
    runtime.authenticator.change_password(
        body.username,
        body.current_password,
        body.new_password,
        client=client_of(request),
        request_id=request_id(request),
    )


@router.get("/me")
def me(principal: CurrentUser, runtime: Rt) -> MeOut:
    """Who you are, what you may do, and whether you accepted the charter in force."""
    active = runtime.charters.active()
    return MeOut(
        user=runtime.directory.get(principal.user_id),
        permissions=runtime.policy.permissions(principal.roles),
        via=principal.via,
        charter={
            "number": active.number if active else None,
            "accepted": runtime.charters.accepted_by(principal.user_id) if active else False,
        },
    )
