"""Human approvals of consequential tool calls (``runtime.tool_approvals``).

A call of a tool flagged consequential in the inventory, or named in the agent's approval rule,
does not run: the gateway records a pending approval bound to the agent, the tool and the
SHA-256 of the exact arguments, and tells the agent so. The person the rule names (the agent's
accountable owner, the use case's owner, or an AI referent) approves or rejects it with a
reason; for a GxP-relevant tool the decision is an electronic signature (password or fresh
sign-in again, the manifestation bound to this approval's version and content, 21 CFR Part 11).
The agent then calls again with the same arguments: the gateway uses the approval once. A
pending approval expires after ``agents.approval_hours``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gouvernail.agents.models import Agent, AgentRun, AgentTool, ApprovalStatus, ToolApproval
from gouvernail.agents.tools import events as ev
from gouvernail.agents.tools.schemas import ApprovalView, DecisionIn
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.identity.notices import notify_roles, notify_users
from gouvernail.identity.principal import Principal
from gouvernail.registry.models import MemberRole, UseCaseMember
from gouvernail.signatures.models import Meaning, Signature
from gouvernail.signatures.service import SignableVersion, Signatures, content_hash

OBJECT_TYPE = "agent_approval"
SIGNED_THROUGH = "POST /api/v1/agents/approvals/{id}/decide"


def _content(approval: ToolApproval, tool: str, agent: str) -> dict[str, Any]:
    return {
        "approval": approval.id,
        "agent": agent,
        "tool": tool,
        "arguments_sha256": approval.arguments_hash,
        "run": approval.run_id,
        "requested_at": approval.requested_at.isoformat(),
    }


class ApprovalSignable:
    """What a signature of an approval binds: its version and content (tool, agent, arguments'
    hash). Only a pending approval can be signed, as approved or rejected."""

    object_type = OBJECT_TYPE
    signed_through: str | None = SIGNED_THROUGH
    decided_by: tuple[str, str] | None = None  # who may decide is the approval rule's (checked)

    def current(self, session: Session, object_id: str) -> SignableVersion:
        approval = _approval(session, int(object_id) if object_id.isdigit() else -1)
        tool = session.get(AgentTool, approval.tool_id)
        agent = session.get(Agent, approval.agent_id)
        assert tool is not None
        assert agent is not None
        meanings = (
            {Meaning.APPROVED, Meaning.REJECTED}
            if approval.status == ApprovalStatus.PENDING.value
            else set()
        )
        return SignableVersion(
            version=approval.version,
            content_hash=content_hash(_content(approval, tool.name, agent.slug)),
            meanings=frozenset(meanings),
            label=f"the approval {approval.id} of {tool.name} for {agent.slug}",
        )


def view_of(session: Session, approval: ToolApproval) -> ApprovalView:
    tool = session.get(AgentTool, approval.tool_id)
    agent = session.get(Agent, approval.agent_id)
    run = session.get(AgentRun, approval.run_id)
    assert tool is not None
    assert agent is not None
    assert run is not None
    decided = session.get(User, approval.decided_by) if approval.decided_by else None
    return ApprovalView(
        id=approval.id,
        agent=agent.slug,
        run_id=run.run_id,
        trace_id=approval.trace_id,
        tool=tool.name,
        arguments=orjson.loads(approval.arguments),
        arguments_hash=approval.arguments_hash,
        approver=approval.approver,
        gxp=approval.gxp,
        untrusted_input=run.untrusted_input,
        status=_status(approval),
        version=approval.version,
        requested_at=approval.requested_at,
        expires_at=approval.expires_at,
        decided_by=decided.username if decided else None,
        decided_at=approval.decided_at,
        reason=approval.reason,
        signature_id=approval.signature_id,
        used_at=approval.used_at,
    )


def _status(approval: ToolApproval) -> str:
    if approval.status == ApprovalStatus.PENDING.value and approval.expires_at <= utcnow():
        return ApprovalStatus.EXPIRED.value
    return approval.status


class ToolApprovals:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        signatures: Signatures,
        *,
        hours: Callable[[], int],
        may_read_all: Callable[[Principal], bool],
    ) -> None:
        self.database = database
        self.trail = trail
        self.signatures = signatures
        self.hours = hours
        self.may_read_all = may_read_all
        signatures.register(ApprovalSignable())

    # --- within the gateway's unit of work ----------------------------------------------------

    def find(
        self, session: Session, agent_id: int, tool_id: int, arguments_hash: str
    ) -> ToolApproval | None:
        """The latest approval of these exact arguments still in play: approved and unused,
        or pending and not expired."""
        now = utcnow()
        rows = session.scalars(
            select(ToolApproval)
            .where(
                ToolApproval.agent_id == agent_id,
                ToolApproval.tool_id == tool_id,
                ToolApproval.arguments_hash == arguments_hash,
                ToolApproval.status.in_(
                    [ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value]
                ),
            )
            .order_by(ToolApproval.id.desc())
        )
        for row in rows:
            if row.status == ApprovalStatus.APPROVED.value or row.expires_at > now:
                return row
        return None

    @staticmethod
    def use(session: Session, approval: ToolApproval) -> bool:
        """Mark an approved approval used; False if another call used it first."""
        done = session.execute(
            update(ToolApproval)
            .where(
                ToolApproval.id == approval.id,
                ToolApproval.status == ApprovalStatus.APPROVED.value,
            )
            .values(status=ApprovalStatus.USED.value, used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(done, "rowcount", 0) == 1)

    def request(
        self,
        tx: Tx,
        *,
        agent: Agent,
        run: AgentRun,
        tool: AgentTool,
        arguments: dict[str, Any],
        arguments_hash: str,
        approver: str,
    ) -> ToolApproval:
        now = utcnow()
        approval = ToolApproval(
            agent_id=agent.id,
            run_id=run.id,
            trace_id=run.trace_id,
            tool_id=tool.id,
            arguments=orjson.dumps(arguments).decode(),
            arguments_hash=arguments_hash,
            approver=approver,
            gxp=tool.gxp,
            status=ApprovalStatus.PENDING.value,
            version=1,
            requested_at=now,
            expires_at=now + timedelta(hours=self.hours()),
        )
        tx.session.add(approval)
        tx.session.flush()
        signed = " (an electronic signature: GxP-relevant)" if tool.gxp else ""
        warning = (
            " Its run received text that reads as instructions: check the arguments."
            if run.untrusted_input
            else ""
        )
        message = (
            f"The agent {agent.slug} asks to call {tool.name}; approval {approval.id} waits for "
            f"your decision{signed} until {approval.expires_at:%Y-%m-%d %H:%M} UTC "
            f"(/agents/approvals).{warning}"
        )
        if approver == "ai_referent":
            notify_roles(tx.session, ["ai_referent"], "agent_approval_requested", message)
        else:
            notify_users(
                tx.session,
                _deciders(tx.session, agent, approver),
                "agent_approval_requested",
                message,
            )
        tx.emit(
            ev.ToolApprovalRequested(
                object_id=str(approval.id),
                object_version=1,
                new={
                    "agent": agent.slug,
                    "run_id": run.run_id,
                    "trace_id": run.trace_id,
                    "tool": tool.name,
                    "arguments_sha256": arguments_hash,
                    "approver": approver,
                    "signature_required": tool.gxp,
                    "untrusted_input": run.untrusted_input,
                    "expires_at": approval.expires_at.isoformat(),
                },
            )
        )
        return approval

    # --- people ---------------------------------------------------------------------------------

    def may_decide(self, session: Session, principal: Principal, approval: ToolApproval) -> bool:
        agent = session.get(Agent, approval.agent_id)
        assert agent is not None  # foreign key
        if principal.agent_id is not None:
            return False
        if approval.approver == "owner":
            return agent.owner_id == principal.user_id
        if approval.approver == "use_case_owner":
            owner = session.scalar(
                select(UseCaseMember.id).where(
                    UseCaseMember.use_case_id == agent.use_case_id,
                    UseCaseMember.user_id == principal.user_id,
                    UseCaseMember.role == MemberRole.OWNER.value,
                )
            )
            return owner is not None
        return "ai_referent" in principal.roles

    def list(self, principal: Principal, *, status: str | None = None) -> list[ApprovalView]:
        """Approvals the person may decide (all of them for those who read all)."""
        everything = self.may_read_all(principal)
        with self.database.read() as session:
            query = select(ToolApproval).order_by(ToolApproval.id.desc()).limit(500)
            if status is not None and status != ApprovalStatus.EXPIRED.value:
                query = query.where(ToolApproval.status == status)
            views = [
                view_of(session, row)
                for row in session.scalars(query)
                if everything or self.may_decide(session, principal, row)
            ]
        return [v for v in views if status is None or v.status == status]

    def get(self, principal: Principal, approval_id: int) -> ApprovalView:
        with self.database.read() as session:
            approval = _approval(session, approval_id)
            if not (self.may_read_all(principal) or self.may_decide(session, principal, approval)):
                raise ForbiddenError("you may neither decide nor read this approval")
            return view_of(session, approval)

    def decide(
        self, principal: Principal, approval_id: int, body: DecisionIn, *, request_id: str = ""
    ) -> ApprovalView:
        with self.database.read() as session:
            approval = _approval(session, approval_id)
            if not self.may_decide(session, principal, approval):
                raise ForbiddenError(
                    f"this approval is decided by the {approval.approver.replace('_', ' ')} "
                    "its agent's approval rule names"
                )
            gxp = approval.gxp

        def settle(tx: Tx, signature: Signature | None) -> ApprovalView:
            row = _approval(tx.session, approval_id)
            if row.version != body.version:
                raise ConflictError(
                    f"the approval is at version {row.version}, not {body.version}: "
                    "review it again",
                    field="version",
                )
            if _status(row) != ApprovalStatus.PENDING.value:
                raise ConflictError(f"the approval {approval_id} is {_status(row)}: not pending")
            decision = (
                ApprovalStatus.APPROVED if body.decision == "approve" else ApprovalStatus.REJECTED
            )
            row.status = decision.value
            row.decided_by = principal.user_id
            row.decided_at = utcnow()
            row.reason = body.reason
            row.signature_id = signature.id if signature is not None else None
            row.version += 1
            agent = tx.session.get(Agent, row.agent_id)
            assert agent is not None  # foreign key
            notify_users(
                tx.session,
                [agent.owner_id],
                "agent_approval_decided",
                f"{principal.display_name} {decision.value} the call {row.id} of the agent "
                f"{agent.slug}: {body.reason}",
            )
            tx.emit(
                ev.ToolApprovalDecided(
                    object_id=str(row.id),
                    object_version=row.version,
                    old={"status": ApprovalStatus.PENDING.value},
                    new={
                        "status": decision.value,
                        "signature_id": row.signature_id,
                        "trace_id": row.trace_id,
                    },
                    reason=body.reason,
                )
            )
            return view_of(tx.session, row)

        ctx = AuditContext(principal.actor, request_id)
        if not gxp:
            return self.trail.run(ctx, lambda tx: settle(tx, None))
        # GxP-relevant: the decision is an electronic signature (the password again, or a
        # fresh single sign-on), refused and counted toward lockout when the proof is wrong
        decided: list[ApprovalView] = []
        self.signatures.sign(
            principal,
            object_type=OBJECT_TYPE,
            object_id=str(approval_id),
            meaning=Meaning.APPROVED.value
            if body.decision == "approve"
            else Meaning.REJECTED.value,
            reason=body.reason,
            password=body.password,
            expected_version=body.version,
            request_id=request_id,
            after_sign=lambda tx, signature: decided.append(settle(tx, signature)),
        )
        return decided[0]


def _deciders(session: Session, agent: Agent, approver: str) -> list[int]:
    """Who decides under an ``owner`` or ``use_case_owner`` rule."""
    if approver == "owner":
        return [agent.owner_id]
    return list(
        session.scalars(
            select(UseCaseMember.user_id).where(
                UseCaseMember.use_case_id == agent.use_case_id,
                UseCaseMember.role == MemberRole.OWNER.value,
            )
        )
    )


def _approval(session: Session, approval_id: int) -> ToolApproval:
    approval = session.get(ToolApproval, approval_id)
    if approval is None:
        raise NotFoundError(f"no approval {approval_id}")
    return approval
