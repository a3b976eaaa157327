"""What routes declare: who may call them (``Public``, ``CurrentUser``, ``Require``) and the
runtime they use. Every route of the API declares exactly one of the three; a test checks it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gouvernail.audit import AuditContext, Tx
from gouvernail.audit import events as ev
from gouvernail.errors import ForbiddenError, UnauthenticatedError
from gouvernail.identity import security
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime

SESSION_COOKIE = "gouvernail_session"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


Rt = Annotated[Runtime, Depends(get_runtime)]


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def credential_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE) or None


def public() -> None:
    """Marker: anyone may call this route."""


Public = Depends(public)


def authenticated(request: Request, runtime: Rt) -> Principal:
    """The signed-in caller (session token or API key), or 401."""
    secret = credential_of(request)
    if secret is None:
        raise UnauthenticatedError(
            "sign in (POST /api/v1/auth/login) or send 'Authorization: Bearer <API key>'"
        )
    client = client_of(request)
    principal = runtime.authenticator.resolve(secret)
    if principal is None:
        runtime.authenticator.throttle(client)  # 429 past the limit, so no audit flood
        runtime.authenticator.report_invalid_credential(
            secret, route=request.url.path, client=client, request_id=request_id(request)
        )
        raise UnauthenticatedError(
            "the credential is invalid, expired or revoked", code="invalid_credential"
        )
    if principal.agent_id is not None and not getattr(request.state, "agent_route", False):
        raise ForbiddenError(
            "an agent's key calls the gateway (/v1) and its runs (/api/v1/agents/runs) only",
            code="agent_key_not_allowed",
        )
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(authenticated)]


def enforce(
    runtime: Runtime, request: Request, principal: Principal, resource: str, action: str
) -> None:
    """Raise 403 unless the policy allows it; a refusal is audited and reported to the
    security referents before the answer is sent."""
    decision = runtime.policy.decide(principal.roles, resource, action)
    if decision.allowed:
        return
    route = f"{request.method} {request.url.path}"

    def work(tx: Tx) -> None:
        tx.emit(
            ev.AccessDenied(
                object_id=route[:64],
                new={
                    "resource": resource,
                    "action": action,
                    "roles": list(principal.roles),
                    "reason": decision.reason,
                },
            )
        )
        security.report(
            tx.session,
            "access_denied",
            f"{principal.username} was refused {route}: {decision.reason}",
        )

    runtime.trail.run(AuditContext(principal.actor, request_id(request)), work)
    raise ForbiddenError(f"you may not {action} {resource}: {decision.reason}")


class Require:
    """Dependency: the caller must be allowed ``action`` on ``resource`` by the policy."""

    def __init__(self, resource: str, action: str) -> None:
        self.resource = resource
        self.action = action

    def __call__(self, request: Request, principal: CurrentUser, runtime: Rt) -> Principal:
        enforce(runtime, request, principal, self.resource, self.action)
        return principal

    def __repr__(self) -> str:
        return f"Require({self.resource!r}, {self.action!r})"


def audit_context(request: Request, principal: Principal) -> AuditContext:
    return AuditContext(principal.actor, request_id(request))
