"""Administration: the landing page of the area and what its pages share.

Every page of the area needs ``users:read`` (the right to open ``/admin``) and, on top, the
right the API asks for the same service call; an action is shown only to those allowed, and
its route refuses the others anyway. Users are in ``admin_users``, teams and referents in
``admin_teams``, charter versions in ``admin_charter``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import TeamView
from gouvernail.portal.guards import PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import N_, Section
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

AREA_RIGHT = ("users", "read")
Administrator = Annotated[Principal, Depends(PageRequire(*AREA_RIGHT))]

# The pages of the area and the right each needs (besides the area's own).
PAGES = (
    Section("users", N_("Users and roles"), "/admin/users", "users:read"),
    Section("teams", N_("Teams"), "/admin/teams", "teams:read"),
    Section("referents", N_("Referents"), "/admin/referents", "committee:read"),
    Section("charter", N_("Charter versions"), "/admin/charter", "charter:read"),
    Section("detectors", N_("Detectors"), "/admin/policy/detectors", "gateway:read"),
    Section("rules", N_("Enforcement rules"), "/admin/policy/rules", "gateway:read"),
)
DESCRIPTIONS = {
    "users": N_("Create accounts, change roles and teams, deactivate, unlock, reset passwords."),
    "teams": N_("The tree of business units, departments and teams."),
    "referents": N_("Each team's AI referent, security referents and data owner."),
    "charter": N_("Draft, revise, approve and activate versions; follow who accepted."),
    "detectors": N_("What the gateway recognises in prompts."),
    "rules": N_("What the gateway does with what it recognises."),
}


def area_router() -> APIRouter:
    """A router of the area: each of its routes first needs the right to open ``/admin``."""
    return APIRouter(
        route_class=PortalRoute,
        include_in_schema=False,
        dependencies=[Depends(PageRequire(*AREA_RIGHT))],
    )


router = area_router()


def allowed(runtime: Runtime, principal: Principal, resource: str, action: str) -> bool:
    """Does the policy let ``principal`` do it (to fetch only what the page may show)?"""
    return runtime.policy.decide(principal.roles, resource, action).allowed


def field_errors(
    error: GouvernailError, fields: Iterable[str], rename: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A service's refusal, next to the field it names (``rules.data_classes`` → ``rules``;
    ``rename`` maps the service's name to the form's) when the form has it, else above it."""
    head = (error.field or "").split(".", 1)[0]
    head = (rename or {}).get(head, head)
    return {head if head in set(fields) else "__all__": error.message}


def status_of(error: GouvernailError) -> int:
    """Input the service found wrong is a 422 for the form; conflicts stay 409."""
    return 422 if error.status in (400, 404) else error.status


def team_tree(teams: Iterable[TeamView]) -> list[tuple[TeamView, int]]:
    """Teams in tree order (each parent before its children), with their depth."""
    listed = list(teams)
    known = {team.id for team in listed}
    children: dict[int | None, list[TeamView]] = {}
    for team in listed:
        parent = team.parent_id if team.parent_id in known else None
        children.setdefault(parent, []).append(team)
    ordered: list[tuple[TeamView, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for team in sorted(children.get(parent, []), key=lambda t: t.name.lower()):
            if team.id not in seen:
                seen.add(team.id)
                ordered.append((team, depth))
                walk(team.id, depth + 1)

    walk(None, 0)
    ordered += [(team, 0) for team in listed if team.id not in seen]  # a broken parent chain
    return ordered


def team_options(teams: Iterable[TeamView], empty: str = "—") -> list[tuple[str, str]]:
    """Options of a team select, indented by depth, with an empty first choice."""
    return [("", empty)] + [
        (team.slug, "\u00a0\u00a0" * depth + f"{team.name} ({team.slug})")
        for team, depth in team_tree(teams)
    ]


def render_admin(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    principal: Principal,
    status: int = 200,
) -> HTMLResponse:
    """``render`` with the area's pages (its tabs show those the user may open)."""
    values = {"pages": PAGES, **context}
    return render(request, template, values, principal=principal, status=status)


@router.get("/admin")
def landing(request: Request, principal: Administrator) -> HTMLResponse:
    """The pages of the area the user may open."""
    context = {"title": _("Administration"), "descriptions": DESCRIPTIONS}
    return render_admin(request, "admin/index.html", context, principal=principal)
