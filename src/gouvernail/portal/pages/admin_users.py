"""Administration of users: the list with search and filters, creating an account (with a
temporary password shown once) and the page of one account; the changes made from that page
are in ``admin_accounts``. Every change goes through the directory service, which audits it."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import TeamView, UserView
from gouvernail.portal import once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import labels_of
from gouvernail.portal.navigation import N_
from gouvernail.portal.pages.admin import (
    Administrator,
    area_router,
    field_errors,
    render_admin,
    status_of,
    team_options,
    team_tree,
)
from gouvernail.runtime import Runtime

router = area_router()

Creator = Annotated[Principal, Depends(PageRequire("users", "create"))]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROFILE = ("username", "display_name", "email", "team", "level", "roles")
LIST_LIMIT = 500


# --- reading ------------------------------------------------------------------------------------


def is_locked(user: UserView, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or datetime.now(UTC))


def _subtree(teams: list[TeamView], slug: str) -> set[int]:
    """The ids of the team ``slug`` and of every team under it."""
    ordered = team_tree(teams)
    for index, (team, depth) in enumerate(ordered):
        if team.slug == slug:
            found = {team.id}
            for below, below_depth in ordered[index + 1 :]:
                if below_depth <= depth:
                    break
                found.add(below.id)
            return found
    return set()


def _matches(user: UserView, query: str, role: str, team_ids: set[int] | None, state: str) -> bool:
    needle = query.lower()
    if needle and not any(
        needle in (text or "").lower() for text in (user.username, user.display_name, user.email)
    ):
        return False
    if role and role not in user.roles:
        return False
    if team_ids is not None and user.team_id not in team_ids:
        return False
    return not (
        (state == "active" and not user.is_active)
        or (state == "inactive" and user.is_active)
        or (state == "locked" and not is_locked(user))
    )


@router.get("/admin/users")
def users(request: Request, principal: Administrator, runtime: Rt) -> HTMLResponse:
    """Every user, searched by name or username and filtered by role, team and state."""
    params = request.query_params
    filters = {
        "q": text_of(params, "q", 200),
        "role": text_of(params, "role", 40),
        "team": text_of(params, "team", 64),
        "state": text_of(params, "state", 20),
    }
    teams = runtime.directory.list_teams()
    team_ids = _subtree(teams, filters["team"]) if filters["team"] else None
    found = [
        user
        for user in runtime.directory.list_users()
        if _matches(user, filters["q"], filters["role"], team_ids, filters["state"])
    ]
    notice = _("Account created.") if params.get("done") == "created" else None
    return render_admin(
        request,
        "admin/users.html",
        {
            "title": _("Users and roles"),
            "users": found[:LIST_LIMIT],
            "total": len(found),
            "limit": LIST_LIMIT,
            "filters": filters,
            "teams": team_options(teams, _("every team")),
            "team_names": {team.slug: team.name for team in teams},
            "roles": labels_of("role"),
            "states": {
                "active": _("active"),
                "inactive": _("deactivated"),
                "locked": _("locked"),
            },
            "now": datetime.now(UTC),
            "notice": notice,
        },
        principal=principal,
    )


# --- creating -----------------------------------------------------------------------------------


def profile_values(form: FormData) -> dict[str, Any]:
    """What the user typed in a profile form, kept to re-display it."""
    roles = [role for role in form.getlist("roles") if isinstance(role, str)]
    return {
        "username": text_of(form, "username", 64).lower(),
        "display_name": text_of(form, "display_name", 200),
        "email": text_of(form, "email", 320),
        "team": text_of(form, "team", 64),
        "level": text_of(form, "level", 20),
        "roles": sorted(set(roles))[:20],
    }


def check_profile(runtime: Runtime, values: dict[str, Any]) -> dict[str, str]:
    """The message of each field the directory would refuse, in the user's language."""
    errors: dict[str, str] = {}
    if not values["display_name"]:
        errors["display_name"] = _("Enter the person's name, as printed on signatures.")
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = _("Enter an e-mail address such as name@example.com.")
    if values["team"] and values["team"] not in {t.slug for t in runtime.directory.list_teams()}:
        errors["team"] = _("Choose a team from the list.")
    if values["level"] and values["level"] not in labels_of("job_level"):
        errors["level"] = _("Choose a level from the list.")
    if set(values["roles"]) - set(labels_of("role")):
        errors["roles"] = _("Choose roles from the list.")
    return errors


def _new_user_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    values: dict[str, Any],
    *,
    form_id: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render_admin(
        request,
        "admin/user_new.html",
        {
            "title": _("New user"),
            "values": values,
            "errors": errors or {},
            "teams": team_options(runtime.directory.list_teams()),
            "roles": labels_of("role"),
            "levels": labels_of("job_level"),
            "form_id": form_id,
        },
        principal=principal,
        status=status,
    )


def temporary_password(runtime: Runtime, username: str) -> str:
    """A random password that meets the policy; the user must change it at first sign-in."""
    length = max(runtime.settings.password_min_length, 16)
    while True:
        candidate = secrets.token_urlsafe(length)[:length]
        if username.lower() not in candidate.lower():
            return candidate


@router.get("/admin/users/new")
def new_user(request: Request, principal: Creator, runtime: Rt) -> HTMLResponse:
    values = dict.fromkeys(PROFILE, "") | {"roles": [], "temporary": "yes"}
    return _new_user_page(request, runtime, principal, values, form_id=once.new_form_id())


@router.post("/admin/users")
def create_user(request: Request, principal: Creator, runtime: Rt, form: Form) -> Response:
    """Create an account; with a temporary password, it is shown on the next page only."""
    values = profile_values(form) | {"temporary": text_of(form, "temporary", 3)}
    form_id = text_of(form, once.FIELD, 64)
    errors = check_profile(runtime, values)
    if not values["username"]:
        errors["username"] = _("Choose a username (the sign-in name, never reused).")
    if errors:
        return _new_user_page(
            request, runtime, principal, values, form_id=form_id, errors=errors, status=422
        )
    password = (
        temporary_password(runtime, values["username"]) if values["temporary"] == "yes" else None
    )
    created: list[UserView] = []

    def create() -> str:
        user = runtime.directory.create_user(
            audit_context(request, principal),
            username=values["username"],
            display_name=values["display_name"],
            email=values["email"] or None,
            team=values["team"] or None,
            level=values["level"] or None,
            roles=values["roles"],
            password=password,
            must_change_password=password is not None,
        )
        created.append(user)
        return f"/admin/users/{user.id}"

    def refused(error: GouvernailError) -> Response:
        return _new_user_page(
            request,
            runtime,
            principal,
            values,
            form_id=form_id,
            errors=field_errors(error, PROFILE),
            status=status_of(error),
        )

    location = once.submit(runtime.database, form, principal.user_id, create, refused)
    if isinstance(location, Response):
        return location
    if password is None:
        return RedirectResponse(f"{location}?done=created", 303)
    return user_page(
        request,
        runtime,
        principal,
        created[0].id,
        temporary=password,
        notice=_("Account created."),
        status=201,
    )


# --- one user -----------------------------------------------------------------------------------

NOTICES = {
    "created": N_("Account created."),
    "updated": N_("Changes saved."),
    "deactivated": N_("Account deactivated: its sessions and keys ended."),
    "reactivated": N_("Account reactivated."),
    "unlocked": N_("Account unlocked."),
}


def _values_of(user: UserView) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email or "",
        "team": user.team_slug or "",
        "level": user.level or "",
        "roles": list(user.roles),
    }


def user_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    user_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    temporary: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    account = runtime.directory.get(user_id)
    return render_admin(
        request,
        "admin/user.html",
        {
            "title": account.display_name,
            "account": account,
            "locked": is_locked(account),
            "values": values or _values_of(account),
            "errors": errors or {},
            "teams": team_options(runtime.directory.list_teams()),
            "roles": labels_of("role"),
            "levels": labels_of("job_level"),
            "temporary": temporary,
            "form_id": once.new_form_id(),
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/admin/users/{user_id}")
def user(user_id: int, request: Request, principal: Administrator, runtime: Rt) -> HTMLResponse:
    done = NOTICES.get(request.query_params.get("done", ""))
    return user_page(request, runtime, principal, user_id, notice=_(done) if done else None)
