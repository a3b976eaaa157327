"""Cross-site request forgery protection for every portal form (signed double submit).

A random nonce lives in a ``SameSite=Strict`` cookie; each form carries
``HMAC(secret_key, nonce)``. A forged cross-site post has neither the cookie nor a way to
compute the token. htmx requests send the same token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData

from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.portal.i18n import _

COOKIE = "gouvernail_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
MAX_FORM_FIELDS = 200
MAX_FORM_BYTES = 1_000_000


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def nonce_of(request: Request) -> str:
    """This browser's nonce: from its cookie, or a new one the response will set."""
    existing = request.cookies.get(COOKIE, "")
    if 16 <= len(existing) <= 64 and existing.isalnum():
        return existing
    fresh: str | None = getattr(request.state, "csrf_new_nonce", None)
    if fresh is None:
        fresh = secrets.token_hex(16)
        request.state.csrf_new_nonce = fresh
    return fresh


def token_for(request: Request, secret: str) -> str:
    return _sign(secret, nonce_of(request))


def check(request: Request, secret: str, submitted: str | None) -> None:
    """Raise 403 unless ``submitted`` is the token of this browser's nonce."""
    nonce = request.cookies.get(COOKIE, "")
    if not nonce or not submitted or not hmac.compare_digest(_sign(secret, nonce), submitted):
        raise ForbiddenError(
            _(
                "This form has expired or did not come from this site. "
                "Reload the page and try again."
            ),
            code="csrf_failed",
        )


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token was checked (``X-CSRF-Token`` for htmx)."""
    length = request.headers.get("content-length", "0")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise GouvernailError(_("The form is too large."), code="form_too_large", status=413)
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    submitted = request.headers.get(HEADER) or form.get(FIELD)
    secret = request.app.state.runtime.settings.secret_key.get_secret_value()
    check(request, secret, submitted if isinstance(submitted, str) else None)
    return form
