"""Rendering pages: one Jinja2 environment (autoescaped, gettext-aware) and ``render``,
which gives every template the signed-in user, their permissions, the language and the
CSRF token, and sets the cookies a page needs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from gouvernail.identity.principal import Principal
from gouvernail.portal import csrf, i18n
from gouvernail.portal.charts import bar_chart, heat_map, line_chart
from gouvernail.portal.labels import label
from gouvernail.portal.navigation import sections, tabs
from gouvernail.settings import Environment as Deployment

HEADING = re.compile(r"<(/?)h([1-6])>")


def _demote(match: re.Match[str]) -> str:
    """Headings of an embedded text start at level 3, under the page's own h1 and h2."""
    return f"<{match[1]}h{min(int(match[2]) + 2, 6)}>"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("gouvernail.portal", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message, **values: i18n.gettext(message, **values),
        ngettext=lambda s, p, n, **values: i18n.ngettext(s, p, n, **values),
        newstyle=True,
    )
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = lambda value: i18n.format_date(value, with_time=True)
    env.filters["number"] = i18n.format_number
    markdown = MarkdownIt("commonmark", {"html": False})  # raw HTML in a text is shown, not run
    env.filters["markdown"] = lambda text: Markup(  # noqa: S704 - raw HTML is escaped
        HEADING.sub(_demote, markdown.render(text or ""))
    )
    env.globals.update(bar_chart=bar_chart, line_chart=line_chart, heat_map=heat_map, label=label)
    return env


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the application's ``Pages``."""
    pages: Pages = request.app.state.pages
    return pages.render(request, template, context, principal=principal, status=status)


class Pages:
    """The portal's renderer, owned by the application (no module-level state)."""

    def __init__(self) -> None:
        self.env = _environment()

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        principal: Principal | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        runtime = request.app.state.runtime
        secret = runtime.settings.secret_key.get_secret_value()
        permissions = set(runtime.policy.permissions(principal.roles)) if principal else set()
        values = {
            "request": request,
            "user": principal,
            "may": lambda resource, action: f"{resource}:{action}" in permissions,
            "sections": sections(permissions) if principal else [],
            "observatory_tabs": tabs(permissions) if principal else [],
            "lang": i18n.current(),
            "languages": i18n.NAMES,
            "csrf_token": csrf.token_for(request, secret),
            "path": request.url.path,
            "notice": None,
            **(context or {}),
        }
        body = self.env.get_template(template).render(values)
        response = HTMLResponse(body, status_code=status)
        fresh = getattr(request.state, "csrf_new_nonce", None)
        if fresh is not None:
            response.set_cookie(
                csrf.COOKIE,
                fresh,
                httponly=True,
                samesite="strict",
                secure=runtime.settings.env is Deployment.PROD,
            )
        response.headers["Content-Language"] = i18n.current()
        response.headers["Cache-Control"] = "no-store"
        return response
