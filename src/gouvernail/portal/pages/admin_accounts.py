"""Changes to one account from its page in the administration: printed name, e-mail, team,
level and roles (with the reason), deactivation and reactivation, unlocking, a temporary
password. The directory service audits each; the page comes back with the message next to
the field at fault."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal import once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire
from gouvernail.portal.i18n import _
from gouvernail.portal.pages.admin import area_router, field_errors, status_of
from gouvernail.portal.pages.admin_users import (
    PROFILE,
    check_profile,
    profile_values,
    temporary_password,
    user_page,
)
from gouvernail.runtime import Runtime

router = area_router()

Updater = Annotated[Principal, Depends(PageRequire("users", "update"))]
Deactivator = Annotated[Principal, Depends(PageRequire("users", "deactivate"))]
Unlocker = Annotated[Principal, Depends(PageRequire("users", "unlock"))]


def _refused(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    user_id: int,
    error: GouvernailError,
    field: str,
) -> HTMLResponse:
    """The user's page again, the service's refusal next to the form's reason or above."""
    errors = field_errors(error, (field,), {"reason": field})
    return user_page(request, runtime, principal, user_id, errors=errors, status=status_of(error))


def _reason_or_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    user_id: int,
    form: FormData,
    field: str,
) -> str | HTMLResponse:
    """The reason typed in ``field``, or the page asking for it."""
    reason = text_of(form, field, 2000)
    if reason:
        return reason
    errors = {field: _("Say why: the reason is kept in the audit trail.")}
    return user_page(request, runtime, principal, user_id, errors=errors, status=422)


@router.post("/admin/users/{user_id}")
def update_user(
    user_id: int, request: Request, principal: Updater, runtime: Rt, form: Form
) -> Response:
    """Change the printed name, e-mail, team, level or roles, with the reason."""
    values = profile_values(form)
    values["username"] = runtime.directory.get(user_id).username
    errors = check_profile(runtime, values)
    reason = text_of(form, "reason", 2000)
    if not reason:
        errors["reason"] = _("Say why: the reason is kept in the audit trail.")
    if errors:
        return user_page(
            request, runtime, principal, user_id, values=values, errors=errors, status=422
        )
    try:
        runtime.directory.update_user(
            audit_context(request, principal),
            user_id,
            reason=reason,
            display_name=values["display_name"],
            email=values["email"],
            team=values["team"],
            level=values["level"],
            roles=values["roles"],
        )
    except GouvernailError as error:
        errors = field_errors(error, (*PROFILE, "reason"))
        if error.field == "email" and error.status == 409:  # the directory keeps e-mails unique
            errors = {"email": _("Another account uses this e-mail address.")}
        return user_page(
            request,
            runtime,
            principal,
            user_id,
            values=values,
            errors=errors,
            status=status_of(error),
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=updated", 303)


def _set_active(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    user_id: int,
    form: FormData,
    *,
    active: bool,
) -> Response:
    reason = _reason_or_page(request, runtime, principal, user_id, form, "active_reason")
    if isinstance(reason, HTMLResponse):
        return reason
    try:
        runtime.directory.set_active(
            audit_context(request, principal), user_id, active=active, reason=reason
        )
    except GouvernailError as error:
        return _refused(request, runtime, principal, user_id, error, "active_reason")
    done = "reactivated" if active else "deactivated"
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", 303)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate(
    user_id: int, request: Request, principal: Deactivator, runtime: Rt, form: Form
) -> Response:
    """Deactivate an account (never deleted): its sessions and keys end at once."""
    return _set_active(request, runtime, principal, user_id, form, active=False)


@router.post("/admin/users/{user_id}/reactivate")
def reactivate(
    user_id: int, request: Request, principal: Deactivator, runtime: Rt, form: Form
) -> Response:
    return _set_active(request, runtime, principal, user_id, form, active=True)


@router.post("/admin/users/{user_id}/unlock")
def unlock(
    user_id: int, request: Request, principal: Unlocker, runtime: Rt, form: Form
) -> Response:
    """Unlock an account locked after failed sign-ins."""
    reason = _reason_or_page(request, runtime, principal, user_id, form, "unlock_reason")
    if isinstance(reason, HTMLResponse):
        return reason
    try:
        runtime.directory.unlock(audit_context(request, principal), user_id, reason=reason)
    except GouvernailError as error:
        return _refused(request, runtime, principal, user_id, error, "unlock_reason")
    return RedirectResponse(f"/admin/users/{user_id}?done=unlocked", 303)


@router.post("/admin/users/{user_id}/password")
def reset_password(
    user_id: int, request: Request, principal: Updater, runtime: Rt, form: Form
) -> Response:
    """Set a temporary password, shown on this page once; the user must change it at the next
    sign-in. A repeated post (double click) does not reset it again."""
    reason = _reason_or_page(request, runtime, principal, user_id, form, "password_reason")
    if isinstance(reason, HTMLResponse):
        return reason
    password = temporary_password(runtime, runtime.directory.get(user_id).username)

    def reset() -> str:
        runtime.directory.set_password(
            audit_context(request, principal), user_id, password=password, reason=reason
        )
        return f"/admin/users/{user_id}"

    def refused(error: GouvernailError) -> Response:
        return _refused(request, runtime, principal, user_id, error, "password_reason")

    done = once.submit(runtime.database, form, principal.user_id, reset, refused)
    if isinstance(done, Response):
        return done
    notice = _("Temporary password set.")
    return user_page(request, runtime, principal, user_id, temporary=password, notice=notice)
