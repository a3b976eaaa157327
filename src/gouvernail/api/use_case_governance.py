"""Around a use case: members, joining instead of duplicating, links and merges by the
committee, approvals signed stage by stage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from gouvernail.api.deps import Require, Rt, audit_context, request_id
from gouvernail.api.schemas import Strict
from gouvernail.api.use_cases import Editor, Reader, Submitter, require_editor
from gouvernail.identity.principal import Principal
from gouvernail.registry.approvals import ApprovalsView
from gouvernail.registry.models import MemberRole
from gouvernail.registry.schemas import ApprovalIn, JoinIn, LinkIn, MergeIn, UseCaseView

router = APIRouter(prefix="/api/v1/use-cases", tags=["use cases"])

Curator = Annotated[Principal, Depends(Require("use_cases", "curate"))]
Approver = Annotated[Principal, Depends(Require("use_cases", "approve"))]


class MemberIn(Strict):
    username: str
    role: MemberRole = MemberRole.MEMBER
    reason: str = Field(min_length=3, max_length=2_000)


@router.post("/{use_case_id}/join")
def join_use_case(
    use_case_id: int, body: JoinIn, request: Request, principal: Submitter, runtime: Rt
) -> UseCaseView:
    """Join an existing use case (instead of submitting a duplicate)."""
    return runtime.curation.add_member(
        audit_context(request, principal), use_case_id, principal.user_id, reason=body.reason
    )


@router.post("/{use_case_id}/members")
def add_member(
    use_case_id: int, body: MemberIn, request: Request, principal: Editor, runtime: Rt
) -> UseCaseView:
    require_editor(runtime, request, principal, use_case_id)
    user = runtime.directory.by_username(body.username)
    return runtime.curation.add_member(
        audit_context(request, principal), use_case_id, user.id, role=body.role, reason=body.reason
    )


@router.delete("/{use_case_id}/members/{username}")
def remove_member(
    use_case_id: int,
    username: str,
    request: Request,
    principal: Editor,
    runtime: Rt,
    reason: str = "removed",
) -> UseCaseView:
    require_editor(runtime, request, principal, use_case_id)
    return runtime.curation.remove_member(
        audit_context(request, principal), use_case_id, username, reason=reason
    )


@router.post("/{use_case_id}/links")
def link_use_cases(
    use_case_id: int, body: LinkIn, request: Request, principal: Curator, runtime: Rt
) -> UseCaseView:
    """Link two use cases as related or duplicate (committee, AI referent)."""
    return runtime.curation.link(audit_context(request, principal), use_case_id, body)


@router.post("/{use_case_id}/merge")
def merge_use_case(
    use_case_id: int, body: MergeIn, request: Request, principal: Curator, runtime: Rt
) -> UseCaseView:
    """Merge this use case into ``into``: it is retired, its members join. Returns the one kept."""
    return runtime.curation.merge(audit_context(request, principal), use_case_id, body)


@router.get("/{use_case_id}/approvals")
def approvals(use_case_id: int, _: Reader, runtime: Rt) -> ApprovalsView:
    """The workflow that applies, each stage's state for the current revision, every decision
    with its signature."""
    return runtime.approvals.view(use_case_id)


@router.post("/{use_case_id}/approvals")
def decide_approval(
    use_case_id: int, body: ApprovalIn, request: Request, principal: Approver, runtime: Rt
) -> ApprovalsView:
    """Approve or reject a stage with an electronic signature (password or fresh single
    sign-on). Stages are decided in order, by independent people holding the stage's role."""
    return runtime.approvals.decide(principal, use_case_id, body, request_id(request))
