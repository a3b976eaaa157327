"""Administration of teams and of their referents: the tree of business units, departments and
teams, creating a team under a parent, and naming or ending each team's AI referent, security
referents and data owner. The directory and committee services audit every change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gouvernail.api.deps import Rt, audit_context
from gouvernail.committee.models import ReferentKind
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import TeamKind
from gouvernail.identity.principal import Principal
from gouvernail.portal import once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import labels_of
from gouvernail.portal.navigation import N_
from gouvernail.portal.pages.admin import (
    area_router,
    field_errors,
    render_admin,
    status_of,
    team_options,
    team_tree,
)
from gouvernail.runtime import Runtime

router = area_router()

TeamReader = Annotated[Principal, Depends(PageRequire("teams", "read"))]
TeamCreator = Annotated[Principal, Depends(PageRequire("teams", "create"))]
ReferentReader = Annotated[Principal, Depends(PageRequire("committee", "read"))]
ReferentManager = Annotated[Principal, Depends(PageRequire("referents", "manage"))]

TEAM_FIELDS = ("slug", "name", "kind", "parent")
REFERENT_FIELDS = ("kind", "username", "reason")
KINDS = tuple(kind.value for kind in ReferentKind)


# --- teams --------------------------------------------------------------------------------------


def _teams_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form_id: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    teams = runtime.directory.list_teams()
    members: dict[int, int] = {}
    for user in runtime.directory.list_users(include_inactive=False):
        if user.team_id is not None:
            members[user.team_id] = members.get(user.team_id, 0) + 1
    return render_admin(
        request,
        "admin/teams.html",
        {
            "title": _("Teams"),
            "tree": team_tree(teams),
            "members": members,
            "kinds": labels_of("team_kind"),
            "parents": team_options(teams, _("none (top level)")),
            "values": values or {"slug": "", "name": "", "kind": "department", "parent": ""},
            "errors": errors or {},
            "form_id": form_id or once.new_form_id(),
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/admin/teams")
def teams(request: Request, principal: TeamReader, runtime: Rt) -> HTMLResponse:
    done = request.query_params.get("done") == "created"
    return _teams_page(request, runtime, principal, notice=_("Team created.") if done else None)


def _check_team(runtime: Runtime, values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["slug"]:
        errors["slug"] = _("Choose a short identifier, e.g. 'pharmacovigilance'.")
    if not values["name"]:
        errors["name"] = _("Give the team its name.")
    if values["kind"] not in {kind.value for kind in TeamKind}:
        errors["kind"] = _("Choose a kind from the list.")
    if values["parent"] and values["parent"] not in {
        team.slug for team in runtime.directory.list_teams()
    }:
        errors["parent"] = _("Choose a parent team from the list.")
    return errors


@router.post("/admin/teams")
def create_team(request: Request, principal: TeamCreator, runtime: Rt, form: Form) -> Response:
    """Create a team under an optional parent."""
    values = {name: text_of(form, name, 200) for name in TEAM_FIELDS}
    values["slug"] = values["slug"].lower()
    form_id = text_of(form, once.FIELD, 64)
    errors = _check_team(runtime, values)
    if errors:
        return _teams_page(
            request, runtime, principal, values=values, errors=errors, form_id=form_id, status=422
        )

    def create() -> str:
        team = runtime.directory.create_team(
            audit_context(request, principal),
            slug=values["slug"],
            name=values["name"],
            kind=values["kind"],
            parent=values["parent"] or None,
        )
        return f"/admin/teams?done=created#team-{team.slug}"

    def refused(error: GouvernailError) -> Response:
        return _teams_page(
            request,
            runtime,
            principal,
            values=values,
            errors=field_errors(error, TEAM_FIELDS),
            form_id=form_id,
            status=status_of(error),
        )

    done = once.submit(runtime.database, form, principal.user_id, create, refused)
    return done if isinstance(done, Response) else RedirectResponse(done, 303)


# --- referents ----------------------------------------------------------------------------------


@router.get("/admin/referents")
def referents(request: Request, principal: ReferentReader, runtime: Rt) -> HTMLResponse:
    """Every team with its referents of each kind (inherited from a parent team when it has
    none of its own)."""
    tree = team_tree(runtime.directory.list_teams())
    return render_admin(
        request,
        "admin/referents.html",
        {
            "title": _("Referents"),
            "rows": [
                (team, depth, runtime.committee.referents.of_team(team.slug))
                for team, depth in tree
            ],
            "kinds": {kind: labels_of("role")[kind] for kind in KINDS},
        },
        principal=principal,
    )


def _candidates(runtime: Runtime) -> list[tuple[str, str]]:
    """Active users who hold at least one referent role (the service checks the exact one)."""
    roles = labels_of("role")
    return [("", "—")] + [
        (
            user.username,
            f"{user.display_name} ({user.username}) — "
            + ", ".join(roles[role] for role in user.roles if role in KINDS),
        )
        for user in runtime.directory.list_users(include_inactive=False)
        if set(user.roles) & set(KINDS)
    ]


def _team_referents_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    slug: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    ending: tuple[str, str] | None = None,
    form_id: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = runtime.committee.referents.of_team(slug, history=True)
    return render_admin(
        request,
        "admin/referents_team.html",
        {
            "title": _("Referents of %(team)s", team=view.team_name),
            "view": view,
            "kinds": {kind: labels_of("role")[kind] for kind in KINDS},
            "candidates": _candidates(runtime),
            "values": values or {"kind": KINDS[0], "username": "", "reason": ""},
            "errors": errors or {},
            "ending": ending,
            "form_id": form_id or once.new_form_id(),
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


NOTICES = {"assigned": N_("Referent named."), "ended": N_("Assignment ended.")}


@router.get("/admin/referents/{slug}")
def team_referents(
    slug: str, request: Request, principal: ReferentReader, runtime: Rt
) -> HTMLResponse:
    """A team's referents, effective ones, history, and the forms to name or end them."""
    done = request.query_params.get("done", "")
    notice = _(NOTICES[done]) if done in NOTICES else None
    return _team_referents_page(request, runtime, principal, slug, notice=notice)


def _referent_values(form: FormData) -> dict[str, str]:
    return {
        "kind": text_of(form, "kind", 40),
        "username": text_of(form, "username", 64),
        "reason": text_of(form, "reason", 2000),
    }


def _check_referent(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values["kind"] not in KINDS:
        errors["kind"] = _("Choose a kind of referent from the list.")
    if not values["username"]:
        errors["username"] = _("Choose the person to name.")
    if not values["reason"]:
        errors["reason"] = _("Say why: the reason is kept in the audit trail.")
    return errors


@router.post("/admin/referents/{slug}")
def assign_referent(
    slug: str, request: Request, principal: ReferentManager, runtime: Rt, form: Form
) -> Response:
    """Name a referent: the AI referent and the data owner replace the one in office, security
    referents are added; the person must hold the role of that name."""
    values = _referent_values(form)
    form_id = text_of(form, once.FIELD, 64)
    errors = _check_referent(values)
    if errors:
        return _team_referents_page(
            request,
            runtime,
            principal,
            slug,
            values=values,
            errors=errors,
            form_id=form_id,
            status=422,
        )

    def assign() -> str:
        runtime.committee.referents.assign(
            audit_context(request, principal),
            slug,
            values["kind"],
            username=values["username"],
            reason=values["reason"],
        )
        return f"/admin/referents/{slug}?done=assigned"

    def refused(error: GouvernailError) -> Response:
        return _team_referents_page(
            request,
            runtime,
            principal,
            slug,
            values=values,
            errors=field_errors(error, REFERENT_FIELDS),
            form_id=form_id,
            status=status_of(error),
        )

    done = once.submit(runtime.database, form, principal.user_id, assign, refused)
    return done if isinstance(done, Response) else RedirectResponse(done, 303)


@router.post("/admin/referents/{slug}/{kind}/{username}/end")
def end_referent(
    slug: str,
    kind: str,
    username: str,
    request: Request,
    principal: ReferentManager,
    runtime: Rt,
    form: Form,
) -> Response:
    """End an assignment without a successor (lookups then use the parent team's)."""
    reason = text_of(form, "reason", 2000)
    try:
        if not reason:
            raise GouvernailError(
                _("Say why: the reason is kept in the audit trail."), field="reason"
            )
        runtime.committee.referents.end(
            audit_context(request, principal), slug, kind, username=username, reason=reason
        )
    except GouvernailError as error:
        return _team_referents_page(
            request,
            runtime,
            principal,
            slug,
            errors={"end": error.message},
            ending=(kind, username),
            status=status_of(error),
        )
    return RedirectResponse(f"/admin/referents/{slug}?done=ended", 303)
