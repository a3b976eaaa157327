"""Errors of our own API: one exception type, rendered as ``{"error": {code, message, field}}``."""

from __future__ import annotations

from typing import Any


class GouvernailError(Exception):
    """A refusal with an HTTP status, a stable code, a message that says what to fix, and
    optionally the input field at fault and structured ``details`` (e.g. each missing
    prerequisite of a refused transition). Services raise it; the API and CLI render it."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFoundError(GouvernailError):
    status = 404
    code = "not_found"


class ConflictError(GouvernailError):
    status = 409
    code = "conflict"


class UnauthenticatedError(GouvernailError):
    status = 401
    code = "unauthenticated"


class ForbiddenError(GouvernailError):
    status = 403
    code = "forbidden"


class RateLimitedError(GouvernailError):
    status = 429
    code = "rate_limited"
