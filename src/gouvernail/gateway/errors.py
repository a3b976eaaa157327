"""Errors of the OpenAI-compatible surface, in OpenAI's shape.

``{"error": {"message", "type", "param", "code"}}`` with the status code OpenAI uses for the same
situation, so that the official SDKs raise the exception a developer expects
(``AuthenticationError``, ``PermissionDeniedError``, ``RateLimitError``...). Messages say what to
fix and never carry a secret.
"""

from __future__ import annotations

from typing import Any

import orjson

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "upstream_error",
    503: "service_unavailable_error",
    504: "timeout_error",
}


class GatewayError(Exception):
    """A refusal or failure of a gateway call, rendered in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers or {}
        self.extra = extra or {}

    @property
    def type(self) -> str:
        return TYPES.get(self.status, "api_error")

    def body(self) -> bytes:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "param": self.param,
            "code": self.code,
        }
        error.update(self.extra)
        return orjson.dumps({"error": error})


def invalid(
    message: str, *, param: str | None = None, code: str = "invalid_request"
) -> GatewayError:
    return GatewayError(400, message, code=code, param=param)
