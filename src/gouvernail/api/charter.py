"""The charter: versions, revision, activation (gated by an approval signature, now or at a
later date, with a grace period), withdrawal, acceptance, and the roll-out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from gouvernail.api.deps import Require, Rt, audit_context, request_id
from gouvernail.api.schemas import AcceptIn, ActivateIn, CharterIn, CharterPatch, Reason
from gouvernail.charter.acceptance import AcceptanceStatus
from gouvernail.charter.rollout import RolloutReport
from gouvernail.charter.service import CharterView
from gouvernail.errors import NotFoundError
from gouvernail.identity.principal import Principal
from gouvernail.signatures.service import SignatureView

router = APIRouter(prefix="/api/v1/charter", tags=["charter"])


class ToldOut(BaseModel):
    told: int


@router.get("")
def current_charter(
    _: Annotated[Principal, Depends(Require("charter", "read"))], runtime: Rt
) -> CharterView:
    """The charter in force, with its signatures."""
    active = runtime.charters.active()
    if active is None:
        raise NotFoundError("no charter is in force yet")
    return runtime.charters.get(active.id)


@router.get("/status")
def my_status(
    principal: Annotated[Principal, Depends(Require("charter", "read"))], runtime: Rt
) -> AcceptanceStatus:
    """Where you stand: accepted, in_grace (with the deadline), missing or no_charter; and the
    next scheduled version, if any."""
    return runtime.charters.acceptance_status(principal.user_id)


@router.get("/versions")
def list_versions(
    _: Annotated[Principal, Depends(Require("charter", "read"))], runtime: Rt
) -> list[CharterView]:
    """Every version: draft, scheduled, active (in force), superseded or withdrawn."""
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
    """Draft a version: Markdown text plus machine rules (values, data classes, model
    eligibility, forbidden uses, required trainings)."""
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
    body: ActivateIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "activate"))],
    runtime: Rt,
) -> CharterView:
    """Activate a draft, now or from ``effective_at``; refused without an 'approved'
    signature on its current revision. Every active user is notified once."""
    return runtime.charters.activate(
        audit_context(request, principal),
        charter_id,
        reason=body.reason,
        effective_at=body.effective_at,
        grace_days=body.grace_days,
    )


@router.post("/versions/{charter_id}/withdraw")
def withdraw_version(
    charter_id: int,
    body: Reason,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "activate"))],
    runtime: Rt,
) -> CharterView:
    """Withdraw a scheduled version before it comes into force (those told are told)."""
    return runtime.charters.withdraw(
        audit_context(request, principal), charter_id, reason=body.reason
    )


@router.get("/versions/{charter_id}/rollout")
def rollout(
    charter_id: int,
    _: Annotated[Principal, Depends(Require("charter", "read_rollout"))],
    runtime: Rt,
    team: Annotated[str | None, Query(description="Team slug (with its sub-teams).")] = None,
    state: Annotated[
        str | None, Query(description="List only accepted, pending or overdue users.")
    ] = None,
    at: Annotated[datetime | None, Query(description="As of this time (default: now).")] = None,
) -> RolloutReport:
    """Roll-out of a scheduled or activated version among active users: counts, and who was
    told, who accepted, who is pending, who is overdue (grace period over)."""
    return runtime.charters.rollout(charter_id, at=at, team=team, state=state)


@router.post("/versions/{charter_id}/rollout/notify")
def notify(
    charter_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "notify"))],
    runtime: Rt,
) -> ToldOut:
    """Tell the active users not told yet (people who joined since the activation)."""
    told = runtime.charters.notify(audit_context(request, principal), charter_id)
    return ToldOut(told=len(told))


@router.post("/accept", status_code=201)
def accept(
    body: AcceptIn,
    request: Request,
    principal: Annotated[Principal, Depends(Require("charter", "accept"))],
    runtime: Rt,
) -> SignatureView:
    """Accept the charter (default: the newest activated version, in force or scheduled):
    an electronic signature (password or fresh SSO)."""
    return runtime.charters.accept(
        principal,
        password=body.password,
        version_id=body.version_id,
        request_id=request_id(request),
    )
