"""The portal: server-rendered pages (Jinja2, htmx for partial updates) in French and English,
served by the same application as the API. Every form works without JavaScript."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from gouvernail.portal.guards import error_page, wants_page
from gouvernail.portal.pages import (
    access,
    admin,
    admin_accounts,
    admin_charter,
    admin_policy,
    admin_teams,
    admin_users,
    agents,
    audit,
    catalogue,
    committee,
    ideas,
    inventory,
    inventory_tools,
    licences,
    observatory,
    playground,
    quality,
    shadow,
    use_case,
    value,
)
from gouvernail.portal.templating import Pages

ROUTERS = (
    access.router,
    ideas.router,
    inventory.router,
    inventory_tools.router,
    playground.router,
    admin_policy.router,
    admin.router,
    admin_users.router,  # before admin_accounts: /admin/users/new, then /{user_id}
    admin_accounts.router,
    admin_teams.router,
    admin_charter.router,
    committee.router,
    audit.router,
    catalogue.router,
    use_case.router,
    observatory.router,
    shadow.router,
    quality.router,
    value.router,
    licences.router,
    agents.router,
)

__all__ = ["error_page", "install", "wants_page"]


def install(app: FastAPI) -> None:
    """Add the portal's pages and static files to ``app``."""
    app.state.pages = Pages()
    static = resources.files("gouvernail.portal") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in ROUTERS:
        app.include_router(router)
