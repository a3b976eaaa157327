"""Approvals: the stages of the workflow that applies, signed in order, bound to one revision.

A decision is a Part 11 electronic signature (meaning ``approved`` or ``rejected``) of the use
case's current revision, plus a row saying which stage it decides. Editing the use case raises
its revision, so earlier decisions stop counting: the state is always computed for the current
revision. Nobody approves their own use case (requester and members are excluded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, Tx
from gouvernail.audit.events import AccessDenied
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.identity import security
from gouvernail.identity.models import User
from gouvernail.identity.principal import Principal
from gouvernail.registry import content
from gouvernail.registry.events import ApprovalDecided
from gouvernail.registry.models import (
    ApprovalDecision,
    DataSource,
    Status,
    UseCase,
    UseCaseMember,
)
from gouvernail.registry.schemas import ApprovalIn
from gouvernail.registry.workflows import Stage, Workflow, Workflows
from gouvernail.signatures.models import Meaning, Signature
from gouvernail.signatures.service import SignableVersion, Signatures

OBJECT_TYPE = "use_case"
DECISIONS = {"approve": Meaning.APPROVED, "reject": Meaning.REJECTED}


class DecisionView(BaseModel):
    stage: str
    decision: str
    user_id: int
    printed_name: str
    comment: str
    revision: int
    signature_id: int
    current: bool
    decided_at: datetime


@dataclass
class StageState:
    stage: Stage
    needed: int
    approved_by: list[int]
    eligible: set[int] | None  # data owners for a data-owner stage; None: by role

    @property
    def complete(self) -> bool:
        if self.eligible is not None:
            return bool(self.eligible) and self.eligible <= set(self.approved_by)
        return len(self.approved_by) >= self.needed

    def describe(self) -> str:
        if self.eligible is not None and not self.eligible:
            return f"stage {self.stage.id}: no data owner is named on the data sources"
        if self.eligible is not None:
            waiting = len(self.eligible - set(self.approved_by))
            return f"stage {self.stage.id}: {waiting} data owner(s) still to approve"
        return (
            f"stage {self.stage.id}: {len(self.approved_by)} of {self.needed} approval(s) "
            f"by a {self.stage.role}"
        )


@dataclass
class WorkflowState:
    workflow: Workflow
    revision: int
    stages: list[StageState]
    rejected_stage: str | None

    @property
    def rejected(self) -> bool:
        return self.rejected_stage is not None

    @property
    def complete(self) -> bool:
        return self.workflow.approvable and all(s.complete for s in self.stages)

    def next_stage(self) -> StageState | None:
        return next((s for s in self.stages if not s.complete), None)


def data_owners(session: Session, use_case_id: int) -> set[int]:
    rows = session.scalars(
        select(DataSource.owner_id).where(
            DataSource.use_case_id == use_case_id, DataSource.owner_id.is_not(None)
        )
    )
    return {owner for owner in rows if owner is not None}


def state(session: Session, use_case: UseCase, workflows: Workflows) -> WorkflowState:
    workflow = workflows.for_use_case(use_case.ai_act_tier, use_case.sourcing)
    rows = session.scalars(
        select(ApprovalDecision)
        .where(
            ApprovalDecision.use_case_id == use_case.id,
            ApprovalDecision.revision == use_case.revision,
            ApprovalDecision.workflow == workflow.id,
        )
        .order_by(ApprovalDecision.id)
    ).all()
    owners = data_owners(session, use_case.id)
    stages = []
    rejected = None
    for stage in workflow.stages:
        decided = [r for r in rows if r.stage == stage.id]
        if any(r.decision == "reject" for r in decided) and rejected is None:
            rejected = stage.id
        stages.append(
            StageState(
                stage=stage,
                needed=stage.quorum,
                approved_by=[r.user_id for r in decided if r.decision == "approve"],
                eligible=owners if stage.signers == "data_owners" else None,
            )
        )
    return WorkflowState(workflow, use_case.revision, stages, rejected)


class UseCaseSignable:
    """Use cases are signed (approved or rejected) while they are assessed."""

    object_type = OBJECT_TYPE
    signed_through: str | None = "POST /api/v1/use-cases/{id}/approvals"
    decided_by: tuple[str, str] | None = None  # decided through signed_through

    def current(self, session: Session, object_id: str) -> SignableVersion:
        use_case = get(session, object_id)
        meanings = (
            {Meaning.APPROVED, Meaning.REJECTED}
            if use_case.status == Status.ASSESSED.value
            else set()
        )
        return SignableVersion(
            version=use_case.revision,
            content_hash=content.digest(session, use_case),
            meanings=frozenset(meanings),
            label=f"use case UC-{use_case.id:04d}",
        )


def get(session: Session, use_case_id: int | str) -> UseCase:
    try:
        key = int(use_case_id)
    except ValueError:
        raise NotFoundError(f"no use case with id {use_case_id!r}") from None
    use_case = session.get(UseCase, key)
    if use_case is None:
        raise NotFoundError(f"no use case with id {key}")
    return use_case


def check_and_record(
    tx: Tx,
    signature: Signature,
    *,
    principal: Principal,
    workflows: Workflows,
    stage_id: str,
    decision: str,
    comment: str,
) -> None:
    """Inside the signing transaction: may this person decide this stage now? Then record it.

    Raising here rolls the signature back with everything else."""
    session = tx.session
    use_case = get(session, signature.object_id)
    current = state(session, use_case, workflows)
    stage = next((s for s in current.stages if s.stage.id == stage_id), None)
    if stage is None:
        raise GouvernailError(
            f"workflow {current.workflow.id} has no stage {stage_id!r}; stages: "
            f"{', '.join(s.stage.id for s in current.stages)}",
            field="stage",
        )
    if current.rejected:
        raise ConflictError(
            f"revision {current.revision} was rejected at stage {current.rejected_stage}: "
            "the use case must be revised before a new round",
            field="stage",
        )
    waiting = current.next_stage()
    if waiting is not None and waiting.stage.id != stage_id and not stage.complete:
        raise ConflictError(
            f"stage {waiting.stage.id} must be decided before {stage_id}", field="stage"
        )
    if stage.complete:
        raise ConflictError(f"stage {stage_id} is already complete", field="stage")
    members = set(
        session.scalars(
            select(UseCaseMember.user_id).where(UseCaseMember.use_case_id == use_case.id)
        )
    )
    if principal.user_id in members | {use_case.requester_id}:
        raise ForbiddenError(
            "you work on this use case: someone independent of it must decide", field="stage"
        )
    if stage.eligible is not None:
        if principal.user_id not in stage.eligible:
            raise ForbiddenError(
                f"stage {stage_id} is decided by the named data owners of the use case",
                field="stage",
            )
    elif stage.stage.role not in principal.roles:
        raise ForbiddenError(f"stage {stage_id} is decided by a {stage.stage.role}", field="stage")
    already = session.scalar(
        select(ApprovalDecision.id).where(
            ApprovalDecision.use_case_id == use_case.id,
            ApprovalDecision.revision == use_case.revision,
            ApprovalDecision.stage == stage_id,
            ApprovalDecision.user_id == principal.user_id,
        )
    )
    if already is not None:
        raise ConflictError(f"you already decided stage {stage_id} of this revision")
    row = ApprovalDecision(
        use_case_id=use_case.id,
        revision=use_case.revision,
        workflow=current.workflow.id,
        stage=stage_id,
        decision=decision,
        signature_id=signature.id,
        user_id=principal.user_id,
        comment=comment,
    )
    session.add(row)
    tx.emit(
        ApprovalDecided(
            object_id=str(use_case.id),
            object_version=use_case.revision,
            new={
                "workflow": current.workflow.id,
                "stage": stage_id,
                "decision": decision,
                "signature_id": signature.id,
            },
            reason=comment,
        )
    )


def decisions(session: Session, use_case: UseCase) -> list[DecisionView]:
    rows = session.execute(
        select(ApprovalDecision, User.display_name)
        .join(User, User.id == ApprovalDecision.user_id)
        .where(ApprovalDecision.use_case_id == use_case.id)
        .order_by(ApprovalDecision.id)
    ).all()
    return [
        DecisionView(
            stage=row.stage,
            decision=row.decision,
            user_id=row.user_id,
            printed_name=name,
            comment=row.comment,
            revision=row.revision,
            signature_id=row.signature_id,
            current=row.revision == use_case.revision,
            decided_at=row.decided_at,
        )
        for row, name in rows
    ]


class StageView(BaseModel):
    id: str
    label: dict[str, str]
    signers: str
    role: str | None
    quorum: int
    approved_by: list[int]
    complete: bool
    status: str


class ApprovalsView(BaseModel):
    """Where the approval of the current revision stands, and every decision ever taken."""

    workflow: str
    workflow_label: dict[str, str]
    revision: int
    approvable: bool
    complete: bool
    rejected_stage: str | None
    next_stage: str | None
    stages: list[StageView]
    decisions: list[DecisionView]


class Approvals:
    def __init__(self, database: Database, signatures: Signatures, workflows: Workflows) -> None:
        self.database = database
        self.signatures = signatures
        self.workflows = workflows
        signatures.register(UseCaseSignable())

    def view(self, use_case_id: int) -> ApprovalsView:
        with self.database.read() as session:
            use_case = get(session, use_case_id)
            current = state(session, use_case, self.workflows)
            waiting = current.next_stage()
            return ApprovalsView(
                workflow=current.workflow.id,
                workflow_label=current.workflow.label.model_dump(),
                revision=current.revision,
                approvable=current.workflow.approvable,
                complete=current.complete,
                rejected_stage=current.rejected_stage,
                next_stage=waiting.stage.id if waiting and not current.rejected else None,
                stages=[
                    StageView(
                        id=s.stage.id,
                        label=s.stage.label.model_dump(),
                        signers=s.stage.signers,
                        role=s.stage.role,
                        quorum=len(s.eligible) if s.eligible is not None else s.needed,
                        approved_by=s.approved_by,
                        complete=s.complete,
                        status=s.describe(),
                    )
                    for s in current.stages
                ],
                decisions=decisions(session, use_case),
            )

    def decide(
        self, principal: Principal, use_case_id: int, body: ApprovalIn, request_id: str = ""
    ) -> ApprovalsView:
        """Sign a stage's decision (re-authentication required), bound to the revision."""
        with self.database.read() as session:
            use_case = get(session, use_case_id)
            if use_case.ai_act_tier is None:
                raise ConflictError(
                    "classify the use case under the EU AI Act first: the tier chooses the "
                    "approval workflow",
                    field="stage",
                )
            if use_case.status != Status.ASSESSED.value:
                raise ConflictError(
                    f"only an assessed use case is up for approval; this one is {use_case.status}",
                    field="stage",
                )

        def record(tx: Tx, signature: Signature) -> None:
            check_and_record(
                tx,
                signature,
                principal=principal,
                workflows=self.workflows,
                stage_id=body.stage,
                decision=body.decision,
                comment=body.comment,
            )

        label = body.stage.replace("_", " ")
        try:
            self.signatures.sign(
                principal,
                object_type=OBJECT_TYPE,
                object_id=str(use_case_id),
                meaning=DECISIONS[body.decision].value,
                reason=f"{label}: {body.comment}" if body.comment else label,
                password=body.password,
                expected_version=body.revision,
                request_id=request_id,
                after_sign=record,
            )
        except ForbiddenError as refused:
            self._report(principal, use_case_id, body.stage, refused.message, request_id)
            raise
        return self.view(use_case_id)

    def _report(
        self, principal: Principal, use_case_id: int, stage: str, why: str, request_id: str
    ) -> None:
        """A refused approval is audited and reported like any refused action (the signing
        unit itself was rolled back)."""

        def work(tx: Tx) -> None:
            tx.emit(
                AccessDenied(
                    object_id=f"use_case {use_case_id} approval",
                    new={"resource": "use_cases", "action": f"approve:{stage}", "reason": why},
                )
            )
            security.report(
                tx.session,
                "access_denied",
                f"{principal.username} was refused stage {stage} of use case {use_case_id}: {why}",
            )

        self.signatures.trail.run(AuditContext(principal.actor, request_id), work)
