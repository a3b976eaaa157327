"""API keys: yours, or anyone's for those the policy allows."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gouvernail.api.deps import CurrentUser, Rt, audit_context, enforce
from gouvernail.api.schemas import KeyIn, Reason
from gouvernail.identity.views import ApiKeyView, CreatedApiKey

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.get("/keys")
def list_keys(
    request: Request, principal: CurrentUser, runtime: Rt, all_users: bool = False
) -> list[ApiKeyView]:
    """Your keys; with ``all_users=true``, everyone's (needs keys:read_any)."""
    if all_users:
        enforce(runtime, request, principal, "keys", "read_any")
        return runtime.keys.list()
    return runtime.keys.list(user_id=principal.user_id)


@router.post("/keys", status_code=201)
def create_key(body: KeyIn, request: Request, principal: CurrentUser, runtime: Rt) -> CreatedApiKey:
    """Create a key. The secret is in this response only: it is stored hashed."""
    owner = body.user_id or principal.user_id
    action = "manage_own" if owner == principal.user_id else "manage_any"
    enforce(runtime, request, principal, "keys", action)
    return runtime.keys.create(
        audit_context(request, principal),
        user_id=owner,
        name=body.name,
        days=body.expires_in_days,
        use_case_id=body.use_case_id,
    )


@router.post("/keys/{key_id}/revoke")
def revoke_key(
    key_id: int, body: Reason, request: Request, principal: CurrentUser, runtime: Rt
) -> ApiKeyView:
    """Revoke a key, with the reason. Effective on the next call."""
    key = runtime.keys.get(key_id)
    action = "manage_own" if key.user_id == principal.user_id else "revoke_any"
    enforce(runtime, request, principal, "keys", action)
    return runtime.keys.revoke(audit_context(request, principal), key_id, reason=body.reason)
