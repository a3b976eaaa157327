"""Teams and users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.api.schemas import PasswordSetIn, Reason, TeamIn, UserIn, UserPatch
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import TeamView, UserView

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.get("/teams")
def list_teams(
    _: Annotated[Principal, Depends(Require("teams", "read"))], runtime: Rt
) -> list[TeamView]:
    """Every team, department and business unit."""
    return runtime.directory.list_teams()


@router.post("/teams", status_code=201)
def create_team(
    body: TeamIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("teams", "create"))],
    runtime: Rt,
) -> TeamView:
    """Create a team under an optional parent."""
    return runtime.directory.create_team(
        audit_context(request, principal),
        slug=body.slug,
        name=body.name,
        kind=body.kind,
        parent=body.parent,
    )


@router.get("/users")
def list_users(
    _: Annotated[Principal, Depends(Require("users", "read"))],
    runtime: Rt,
    include_inactive: bool = True,
) -> list[UserView]:
    """Every user, deactivated ones included unless asked otherwise."""
    return runtime.directory.list_users(include_inactive=include_inactive)


@router.post("/users", status_code=201)
def create_user(
    body: UserIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("users", "create"))],
    runtime: Rt,
) -> UserView:
    """Create a local user. With a password, the user must change it at first sign-in."""
    return runtime.directory.create_user(
        audit_context(request, principal),
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        team=body.team,
        level=body.level,
        roles=body.roles,
        password=body.password,
        must_change_password=body.password is not None,
    )


@router.get("/users/{user_id}")
def get_user(
    user_id: int, _: Annotated[Principal, Depends(Require("users", "read"))], runtime: Rt
) -> UserView:
    return runtime.directory.get(user_id)


@router.patch("/users/{user_id}")
def update_user(
    user_id: int,
    body: UserPatch,
    request: Request,
    principal: Annotated[Principal, Depends(Require("users", "update"))],
    runtime: Rt,
) -> UserView:
    """Change a user's printed name, e-mail, team, hierarchy level or roles (never the
    username)."""
    return runtime.directory.update_user(
        audit_context(request, principal),
        user_id,
        reason=body.reason,
        display_name=body.display_name,
        email=body.email,
        team=body.team,
        level=body.level,
        roles=body.roles,
    )


@router.post("/users/{user_id}/deactivate")
def deactivate_user(
    user_id: int,
    body: Reason,
    request: Request,
    principal: Annotated[Principal, Depends(Require("users", "deactivate"))],
    runtime: Rt,
) -> UserView:
    """Deactivate a user: sessions and keys end at once. Users are never deleted."""
    return runtime.directory.set_active(
        audit_context(request, principal), user_id, active=False, reason=body.reason
    )


@router.post("/users/{user_id}/reactivate")
def reactivate_user(
    user_id: int,
    body: Reason,
    request: Request,
    principal: Annotated[Principal, Depends(Require("users", "deactivate"))],
    runtime: Rt,
) -> UserView:
    return runtime.directory.set_active(
        audit_context(request, principal), user_id, active=True, reason=body.reason
    )


@router.post("/users/{user_id}/unlock")
def unlock_user(
    user_id: int,
    body: Reason,
    request: Request,
    principal: Annotated[Principal, Depends(Require("users", "unlock"))],
    runtime: Rt,
) -> UserView:
    """Unlock an account locked after failed sign-ins."""
    return runtime.directory.unlock(audit_context(request, principal), user_id, reason=body.reason)


@router.post("/users/{user_id}/password")
def set_password(
    user_id: int,
    body: PasswordSetIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("users", "update"))],
    runtime: Rt,
) -> UserView:
    """Set a temporary password; the user must change it at next sign-in."""
    return runtime.directory.set_password(
        audit_context(request, principal), user_id, password=body.password, reason=body.reason
    )
