"""Administration of the charter: its versions with their status, drafting a version from its
text and its rules (YAML), revising a draft, signing it, activating it (now or from a date,
with the reason and the grace period), withdrawing a scheduled version, and the roll-out:
who accepted, who has not yet. The charter service audits every change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import yaml
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gouvernail.api.deps import Rt, audit_context, enforce, request_id
from gouvernail.charter.acceptance import OBJECT_TYPE
from gouvernail.charter.checks import MAX_BODY, MAX_GRACE_DAYS
from gouvernail.charter.service import CharterView, default_path
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal import i18n, once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import labels_of
from gouvernail.portal.navigation import N_
from gouvernail.portal.pages.admin import (
    allowed,
    area_router,
    field_errors,
    render_admin,
    status_of,
    team_options,
)
from gouvernail.runtime import Runtime

router = area_router()

Reader = Annotated[Principal, Depends(PageRequire("charter", "read"))]
Drafter = Annotated[Principal, Depends(PageRequire("charter", "draft"))]
Activator = Annotated[Principal, Depends(PageRequire("charter", "activate"))]
Signer = Annotated[Principal, Depends(PageRequire("signatures", "sign"))]
RolloutReader = Annotated[Principal, Depends(PageRequire("charter", "read_rollout"))]
Notifier = Annotated[Principal, Depends(PageRequire("charter", "notify"))]

DRAFT_FIELDS = ("number", "title", "body", "rules")
SIGN_MEANINGS = ("approved", "reviewed", "authored", "rejected")
MAX_RULES = 200_000
ENACTED = ("scheduled", "active", "superseded")
NOTICES = {
    "drafted": N_("Draft saved."),
    "revised": N_("Draft revised: earlier signatures no longer bind it."),
    "signed": N_("Signature recorded."),
    "activated": N_("Version activated: every active user is told."),
    "withdrawn": N_("Version withdrawn: those told are told."),
}


def rules_yaml(view: CharterView) -> str:
    """A version's rules as the YAML an editor starts from."""
    return yaml.safe_dump(
        view.rules.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100
    )


def parse_yaml(text: str) -> tuple[Any, str | None]:
    """The rules typed as YAML, or the message saying what is wrong with them."""
    if not text.strip():
        return None, _("Write the rules (values, data classes, model eligibility…) in YAML.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = where.line + 1 if where is not None else 0
        return None, _("The rules are not valid YAML (line %(line)s).", line=line)
    if not isinstance(data, dict):
        return None, _("The rules must be a YAML mapping: values, data_classes, and so on.")
    return data, None


# --- versions -----------------------------------------------------------------------------------


@router.get("/admin/charter")
def versions(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    """Every version with its status, newest first, and the roll-out of the one in force."""
    active = runtime.charters.active()
    rollout = None
    if active is not None and allowed(runtime, principal, "charter", "read_rollout"):
        rollout = runtime.charters.rollout(active.id)
    return render_admin(
        request,
        "admin/charter.html",
        {
            "title": _("Charter versions"),
            "versions": list(reversed(runtime.charters.list())),
            "active": active,
            "rollout": rollout,
            "statuses": labels_of("charter_status"),
        },
        principal=principal,
    )


def _starting_text(runtime: Runtime) -> dict[str, str]:
    """A new draft starts from the newest version, or else from the shipped default."""
    existing = runtime.charters.list()
    if existing:
        latest = existing[-1]
        return {
            "number": "",
            "title": latest.title,
            "body": latest.body,
            "rules": rules_yaml(latest),
        }
    shipped = yaml.safe_load(default_path(i18n.current()).read_text(encoding="utf-8"))
    return {
        "number": str(shipped["number"]),
        "title": str(shipped["title"]),
        "body": str(shipped["body"]),
        "rules": yaml.safe_dump(shipped["rules"], sort_keys=False, allow_unicode=True),
    }


def _new_page(
    request: Request,
    principal: Principal,
    values: dict[str, str],
    *,
    form_id: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render_admin(
        request,
        "admin/charter_new.html",
        {
            "title": _("Draft a charter version"),
            "values": values,
            "errors": errors or {},
            "form_id": form_id,
        },
        principal=principal,
        status=status,
    )


@router.get("/admin/charter/new")
def new_version(request: Request, principal: Drafter, runtime: Rt) -> HTMLResponse:
    values = _starting_text(runtime)
    return _new_page(request, principal, values, form_id=once.new_form_id())


def _draft_values(form: FormData) -> dict[str, str]:
    return {
        "number": text_of(form, "number", 32),
        "title": text_of(form, "title", 200),
        "body": text_of(form, "body", MAX_BODY + 1),
        "rules": text_of(form, "rules", MAX_RULES),
    }


def _check_draft(values: dict[str, str], *, number: bool) -> tuple[Any, dict[str, str]]:
    errors: dict[str, str] = {}
    if number and not values["number"]:
        errors["number"] = _("Give the version a number, e.g. 2026.2.")
    if not values["title"]:
        errors["title"] = _("Give the charter a title.")
    if not values["body"]:
        errors["body"] = _("Write the charter's text (Markdown).")
    rules, problem = parse_yaml(values["rules"])
    if problem:
        errors["rules"] = problem
    return rules, errors


@router.post("/admin/charter")
def draft_version(request: Request, principal: Drafter, runtime: Rt, form: Form) -> Response:
    """Draft a version from its text (Markdown) and its rules (YAML)."""
    values = _draft_values(form)
    form_id = text_of(form, once.FIELD, 64)
    rules, errors = _check_draft(values, number=True)
    if errors:
        return _new_page(request, principal, values, form_id=form_id, errors=errors, status=422)

    def draft() -> str:
        created = runtime.charters.draft(
            audit_context(request, principal),
            number=values["number"],
            title=values["title"],
            body=values["body"],
            rules=rules,
        )
        return f"/admin/charter/{created.id}?done=drafted"

    def refused(error: GouvernailError) -> Response:
        return _new_page(
            request,
            principal,
            values,
            form_id=form_id,
            errors=field_errors(error, DRAFT_FIELDS),
            status=status_of(error),
        )

    done = once.submit(runtime.database, form, principal.user_id, draft, refused)
    return done if isinstance(done, Response) else RedirectResponse(done, 303)


# --- one version --------------------------------------------------------------------------------


def _version_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    charter_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    version = runtime.charters.get(charter_id)
    rules = rules_yaml(version)
    return render_admin(
        request,
        "admin/charter_version.html",
        {
            "title": _("Charter %(number)s", number=version.number),
            "version": version,
            "rules_text": rules,
            "values": values or {"title": version.title, "body": version.body, "rules": rules},
            "errors": errors or {},
            "statuses": labels_of("charter_status"),
            "meanings": {m: labels_of("meaning")[m] for m in SIGN_MEANINGS},
            "enacted": version.status in ENACTED,
            "max_grace": MAX_GRACE_DAYS,
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/admin/charter/{charter_id}")
def version(charter_id: int, request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    """A version: its text, its rules, its signatures, and what can be done with it now."""
    done = request.query_params.get("done", "")
    notice = _(NOTICES[done]) if done in NOTICES else None
    if done == "notified":
        told = text_of(request.query_params, "told", 10)
        notice = _("Users told: %(count)s.", count=told or "0")
    return _version_page(request, runtime, principal, charter_id, notice=notice)


@router.post("/admin/charter/{charter_id}")
def revise_version(
    charter_id: int, request: Request, principal: Drafter, runtime: Rt, form: Form
) -> Response:
    """Edit a draft, with the reason; its revision goes up."""
    values = _draft_values(form)
    rules, errors = _check_draft(values, number=False)
    reason = text_of(form, "reason", 2000)
    if not reason:
        errors["reason"] = _("Say why: the reason is kept in the audit trail.")
    if errors:
        return _version_page(
            request, runtime, principal, charter_id, values=values, errors=errors, status=422
        )
    try:
        runtime.charters.revise(
            audit_context(request, principal),
            charter_id,
            reason=reason,
            title=values["title"],
            body=values["body"],
            rules=rules,
        )
    except GouvernailError as error:
        return _version_page(
            request,
            runtime,
            principal,
            charter_id,
            values=values,
            errors=field_errors(error, (*DRAFT_FIELDS, "reason")),
            status=status_of(error),
        )
    return RedirectResponse(f"/admin/charter/{charter_id}?done=revised", 303)


@router.post("/admin/charter/{charter_id}/sign")
def sign_version(
    charter_id: int, request: Request, principal: Signer, runtime: Rt, form: Form
) -> Response:
    """Sign the draft's current revision (approval gates activation), with the password."""
    meaning = text_of(form, "meaning", 20)
    password = form.get("password")
    revision = text_of(form, "revision", 10)
    errors: dict[str, str] = {}
    if meaning not in SIGN_MEANINGS:
        errors["meaning"] = _("Choose what the signature means.")
    if not isinstance(password, str) or not password:
        errors["password"] = _("Enter your password to sign.")
    if errors:
        return _version_page(request, runtime, principal, charter_id, errors=errors, status=422)
    right = runtime.signatures.decision_right(OBJECT_TYPE, meaning)
    if right is not None:
        enforce(runtime, request, principal, *right)
    try:
        runtime.signatures.sign(
            principal,
            object_type=OBJECT_TYPE,
            object_id=str(charter_id),
            meaning=meaning,
            reason=text_of(form, "sign_reason", 2000),
            password=str(password)[:1024],
            expected_version=int(revision) if revision.isdigit() else None,
            request_id=request_id(request),
        )
    except GouvernailError as error:
        errors = field_errors(error, ("meaning", "password"))
        if error.status in (401, 403) and not error.field:
            errors = {"password": error.message}
        return _version_page(
            request, runtime, principal, charter_id, errors=errors, status=status_of(error)
        )
    return RedirectResponse(f"/admin/charter/{charter_id}?done=signed", 303)


def _effective_at(text: str) -> tuple[datetime | None, str | None]:
    """The date typed (UTC), None for now, or the message saying what is wrong."""
    if not text:
        return None, None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, _("Enter a date and time such as 2026-12-01 09:00.")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), None


@router.post("/admin/charter/{charter_id}/activate")
def activate_version(
    charter_id: int, request: Request, principal: Activator, runtime: Rt, form: Form
) -> Response:
    """Activate the approved draft, now or from a date, with the reason and the grace period."""
    reason = text_of(form, "activate_reason", 2000)
    effective, problem = _effective_at(text_of(form, "effective_at", 40))
    grace = text_of(form, "grace_days", 5)
    errors: dict[str, str] = {}
    if not reason:
        errors["activate_reason"] = _("Say why: the reason is kept in the audit trail.")
    if problem:
        errors["effective_at"] = problem
    if grace and (not grace.isdigit() or int(grace) > MAX_GRACE_DAYS):
        errors["grace_days"] = _("Between 0 and %(max)s days.", max=MAX_GRACE_DAYS)
    if errors:
        return _version_page(request, runtime, principal, charter_id, errors=errors, status=422)
    try:
        runtime.charters.activate(
            audit_context(request, principal),
            charter_id,
            reason=reason,
            effective_at=effective,
            grace_days=int(grace) if grace else None,
        )
    except GouvernailError as error:
        fields = ("activate_reason", "effective_at", "grace_days")
        errors = field_errors(error, fields, {"reason": "activate_reason"})
        return _version_page(
            request, runtime, principal, charter_id, errors=errors, status=status_of(error)
        )
    return RedirectResponse(f"/admin/charter/{charter_id}?done=activated", 303)


@router.post("/admin/charter/{charter_id}/withdraw")
def withdraw_version(
    charter_id: int, request: Request, principal: Activator, runtime: Rt, form: Form
) -> Response:
    """Withdraw a scheduled version before it comes into force."""
    reason = text_of(form, "withdraw_reason", 2000)
    try:
        if not reason:
            raise GouvernailError(
                _("Say why: the reason is kept in the audit trail."), field="reason"
            )
        runtime.charters.withdraw(audit_context(request, principal), charter_id, reason=reason)
    except GouvernailError as error:
        errors = field_errors(error, ("withdraw_reason",), {"reason": "withdraw_reason"})
        return _version_page(
            request, runtime, principal, charter_id, errors=errors, status=status_of(error)
        )
    return RedirectResponse(f"/admin/charter/{charter_id}?done=withdrawn", 303)


# --- roll-out -----------------------------------------------------------------------------------


@router.get("/admin/charter/{charter_id}/rollout")
def rollout(
    charter_id: int, request: Request, principal: RolloutReader, runtime: Rt
) -> HTMLResponse:
    """Who was told, who accepted, who is pending or overdue; by team and state."""
    team = text_of(request.query_params, "team", 64) or None
    state = text_of(request.query_params, "state", 20) or None
    report = runtime.charters.rollout(charter_id, team=team, state=state)
    return render_admin(
        request,
        "admin/charter_rollout.html",
        {
            "title": _("Roll-out of charter %(number)s", number=report.number),
            "report": report,
            "charter_id": charter_id,
            "teams": team_options(runtime.directory.list_teams(), _("every team")),
            "states": labels_of("rollout"),
            "statuses": labels_of("charter_status"),
            "filters": {"team": team or "", "state": state or ""},
        },
        principal=principal,
    )


@router.post("/admin/charter/{charter_id}/notify")
def notify(
    charter_id: int, request: Request, principal: Notifier, runtime: Rt, form: Form
) -> Response:
    """Tell the active users not told yet (people who joined since the activation)."""
    told = runtime.charters.notify(audit_context(request, principal), charter_id)
    return RedirectResponse(f"/admin/charter/{charter_id}?done=notified&told={len(told)}", 303)
