"""The charter: versions, revision, activation (gated by an approval signature), acceptance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from gouvernail.api.deps import Require, Rt, audit_context, request_id
from gouvernail.api.schemas import AcceptIn, CharterIn, CharterPatch, Reason
from gouvernail.charter.service import CharterView
from gouvernail.errors import NotFoundError
from gouvernail.identity.principal import Principal
from gouvernail.signatures.service import SignatureView

router = APIRouter(prefix="/api/v1/charter", tags=["charter"])


@router.get("")
def current_charter(
    _: Annotated[Principal, Depends(Require("charter", "read"))], runtime: Rt
) -> CharterView:
    """The charter in force, with its signatures."""
    active = runtime.charters.active()
    if active is None:
        raise NotFoundError("no charter is in force yet")
    return runtime.charters.get(active.id)


@router.get("/versions")
def list_versions(
    _: Annotated[Principal, Depends(Require("charter", "read"))], runtime: Rt
) -> list[CharterView]:
    return runtime.charters.list()


@router.get("/versions/{charter_id}")
def get_version(
    charter_id: int, _: Annotated[Principal, Depends(Require("charter", "read"))], runtime: Rt
) -> CharterView:
    """One version with every signature; ``current: false`` marks signatures of an earlier
    revision."""
    return runtime.charters.get(charter_id)


@router.post("/versions", status_code=201)
def draft_version(
    body: CharterIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "draft"))],
    runtime: Rt,
) -> CharterView:
    return runtime.charters.draft(
        audit_context(request, principal),
        number=body.number,
        title=body.title,
        body=body.body,
        rules=body.rules,
    )


@router.patch("/versions/{charter_id}")
def revise_version(
    charter_id: int,
    body: CharterPatch,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "draft"))],
    runtime: Rt,
) -> CharterView:
    """Edit a draft; its revision goes up and earlier signatures no longer bind it."""
    return runtime.charters.revise(
        audit_context(request, principal),
        charter_id,
        reason=body.reason,
        title=body.title,
        body=body.body,
        rules=body.rules,
    )


@router.post("/versions/{charter_id}/activate")
def activate_version(
    charter_id: int,
    body: Reason,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "activate"))],
    runtime: Rt,
) -> CharterView:
    """Put a draft in force; refused without an 'approved' signature on its current revision."""
    return runtime.charters.activate(
        audit_context(request, principal), charter_id, reason=body.reason
    )


@router.post("/accept", status_code=201)
def accept(
    body: AcceptIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "accept"))],
    runtime: Rt,
) -> SignatureView:
    """Accept the charter in force: an electronic signature (password or fresh SSO)."""
    return runtime.charters.accept(
        principal, password=body.password, request_id=request_id(request)
    )
