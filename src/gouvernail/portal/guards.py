"""Who may open a page. Every portal route declares ``SignedIn`` or ``PageRequire(resource,
action)`` (or ``Anyone`` for the sign-in page), like the API's ``CurrentUser``/``Require``;
``PortalRoute`` turns refusals into pages: no sign-in → redirect to the sign-in page,
forbidden → a 403 page (the refusal audited and reported by ``enforce``), other errors →
an error page with the status and a message that says what to fix."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from gouvernail.api.deps import SESSION_COOKIE, Rt, enforce
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal import csrf, i18n
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import N_
from gouvernail.portal.templating import render

log = structlog.get_logger(__name__)


class SignInRequiredError(Exception):
    """The page needs a signed-in user; the browser is sent to the sign-in page."""


def anyone() -> None:
    """Marker: the page is open to anyone (the sign-in page)."""


Anyone = Depends(anyone)


def signed_in(request: Request, runtime: Rt) -> Principal:
    """The user of the browser's sign-in session (API keys never open pages)."""
    token = request.cookies.get(SESSION_COOKIE)
    principal = runtime.authenticator.resolve(token) if token else None
    if principal is None or principal.via != "session":
        raise SignInRequiredError
    request.state.principal = principal
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


class PageRequire:
    """Dependency: the signed-in user must be allowed ``action`` on ``resource``."""

    def __init__(self, resource: str, action: str) -> None:
        self.resource = resource
        self.action = action

    def __call__(self, request: Request, principal: SignedIn, runtime: Rt) -> Principal:
        enforce(runtime, request, principal, self.resource, self.action)
        return principal

    def __repr__(self) -> str:
        return f"PageRequire({self.resource!r}, {self.action!r})"


class PageRequireAny(PageRequire):
    """Dependency: the signed-in user must hold at least one of ``rights`` (``(resource,
    action)`` pairs), for a page whose sections each need their own right (the page shows
    only those the user may read); a refusal is audited against the first right."""

    def __init__(self, *rights: tuple[str, str]) -> None:
        super().__init__(*rights[0])
        self.rights = rights

    def __call__(self, request: Request, principal: SignedIn, runtime: Rt) -> Principal:
        if any(runtime.policy.decide(principal.roles, *right).allowed for right in self.rights):
            return principal
        return super().__call__(request, principal, runtime)

    def __repr__(self) -> str:
        return f"PageRequireAny{self.rights!r}"


Form = Annotated[FormData, Depends(csrf.checked_form)]

TITLES = {
    400: N_("The request cannot be processed"),
    401: N_("Sign in first"),
    403: N_("Access refused"),
    404: N_("Page not found"),
    409: N_("This conflicts with the current state"),
    413: N_("Too large"),
    422: N_("Some input is not valid"),
    429: N_("Too many attempts"),
}


def _language(request: Request) -> None:
    i18n.activate(
        i18n.negotiate(
            request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
    )


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, not a model call, not a static file)."""
    path = request.url.path
    if path.startswith(("/api/", "/v1/", "/static/")) or path in ("/openapi.json", "/docs"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, error: GouvernailError) -> Response:
    """The error as a page, in the request's language."""
    _language(request)
    principal = getattr(request.state, "principal", None)
    return render(
        request,
        "error.html",
        {"title": _(TITLES.get(error.status, N_("Something went wrong"))), "error": error},
        principal=principal,
        status=error.status,
    )


class PortalRoute(APIRoute):
    """A route of the portal: sets the request's language and renders refusals as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            _language(request)
            try:
                return await handler(request)
            except SignInRequiredError:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                if request.method != "GET":
                    target = "/"
                return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", 303)
            except GouvernailError as error:
                return error_page(request, error)

        return route
