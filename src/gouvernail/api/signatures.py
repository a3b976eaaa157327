"""Electronic signatures on records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from gouvernail.api.deps import Require, Rt, enforce, request_id
from gouvernail.api.schemas import SignIn
from gouvernail.identity.principal import Principal
from gouvernail.signatures.service import SignatureView

router = APIRouter(prefix="/api/v1/signatures", tags=["signatures"])


@router.post("", status_code=201)
def sign(
    body: SignIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("signatures", "sign"))],
    runtime: Rt,
) -> SignatureView:
    """Sign the current version of a record; asks for your password again. Approving or
    rejecting a record whose approval decides something (a charter) needs that right too."""
    right = runtime.signatures.decision_right(body.object_type, body.meaning)
    if right is not None:
        enforce(runtime, request, principal, *right)
    return runtime.signatures.sign(
        principal,
        object_type=body.object_type,
        object_id=body.object_id,
        meaning=body.meaning,
        reason=body.reason,
        password=body.password,
        expected_version=body.version,
        request_id=request_id(request),
    )


@router.get("")
def list_signatures(
    object_type: str,
    object_id: str,
    _: Annotated[Principal, Depends(Require("signatures", "read"))],
    runtime: Rt,
) -> list[SignatureView]:
    """Signatures of one record, each with its manifestation and whether it binds the current
    version."""
    return runtime.signatures.list_for(object_type, object_id)
