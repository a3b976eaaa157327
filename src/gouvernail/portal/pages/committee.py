"""The committee: the use cases awaiting a decision with their key facts on one screen, where
the person a stage names signs its approval; the meetings with their agenda, outcomes and
minutes, which a voting member approves with a signature; the decisions taken lately.

Signing calls the same services as ``POST /api/v1/use-cases/{id}/approvals`` and
``POST /api/v1/committee/meetings/{id}/minutes/approve``, under the same rights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from gouvernail.api.deps import Rt, request_id
from gouvernail.committee.awaiting import AwaitingView
from gouvernail.committee.views import MeetingView
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.identity.principal import Principal
from gouvernail.portal import approvals, once
from gouvernail.portal.forms import safe_next, text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.registry.approvals import OBJECT_TYPE, ApprovalsView, StageView
from gouvernail.registry.models import ApprovalDecision, Status, UseCase
from gouvernail.registry.views import Loaded, reference
from gouvernail.risk.scoring import level_of
from gouvernail.runtime import Runtime
from gouvernail.signatures.service import SignatureView

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("committee", "read"))]
Approver = Annotated[Principal, Depends(PageRequire("use_cases", "approve"))]
MinutesApprover = Annotated[Principal, Depends(PageRequire("committee", "approve_minutes"))]

RECENT_DECISIONS = 20
PASSWORD_LIMIT = 1024


@dataclass(frozen=True)
class AgendaEntry:
    """A use case awaiting a decision, as the committee page shows it."""

    awaiting: AwaitingView
    reference: str
    risk_level: str | None
    data_classes: list[str]
    approvals: ApprovalsView
    signatures: dict[int, SignatureView]
    next_stage: StageView | None
    may_sign: bool

    def stage_label(self, stage_id: str) -> dict[str, str]:
        """The stage's name in each language (empty for a stage the workflow no longer has)."""
        return next((s.label for s in self.approvals.stages if s.id == stage_id), {})


@dataclass
class Failed:
    """A signature that was refused: which form, what to fix, what the user typed."""

    target: int
    errors: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)


def _stage_signer(principal: Principal, stage: StageView | None, owners: set[int]) -> bool:
    """Offer the form to the people the stage names (its role, or the data owners of the use
    case's sources) who have not decided it yet; the service checks again (independence,
    order) and refuses the others."""
    if stage is None or principal.user_id in stage.approved_by:
        return False
    if stage.signers == "data_owners":
        return principal.user_id in owners
    return stage.role in principal.roles


def _entries(runtime: Runtime, principal: Principal) -> list[AgendaEntry]:
    awaiting = runtime.committee.agenda.awaiting()
    ids = [a.use_case_id for a in awaiting]
    with runtime.database.read() as session:
        use_cases = list(session.scalars(select(UseCase).where(UseCase.id.in_(ids)))) if ids else []
        loaded = Loaded.of(session, use_cases)
    status = {u.id: u.status for u in use_cases}
    entries = []
    for item in awaiting:
        approvals = runtime.approvals.view(item.use_case_id)
        stage = next((s for s in approvals.stages if s.id == approvals.next_stage), None)
        worst = loaded.worst.get(item.use_case_id)
        sources = loaded.sources[item.use_case_id]
        owners = {s.owner_id for s in sources if s.owner_id is not None}
        signable = status.get(item.use_case_id) == Status.ASSESSED.value
        entries.append(
            AgendaEntry(
                awaiting=item,
                reference=reference(item.use_case_id),
                risk_level=level_of(worst).value if worst else None,
                data_classes=sorted({s.data_class for s in sources}),
                approvals=approvals,
                signatures={
                    s.id: s for s in runtime.signatures.list_for(OBJECT_TYPE, str(item.use_case_id))
                },
                next_stage=stage,
                may_sign=signable and _stage_signer(principal, stage, owners),
            )
        )
    return entries


def _recent_decisions(runtime: Runtime) -> list[dict[str, Any]]:
    """The latest approval decisions, whatever the use case, with the stage's name."""
    stages = {
        (w.id, s.id): s.label.model_dump()
        for w in runtime.approvals.workflows.workflows
        for s in w.stages
    }
    with runtime.database.read() as session:
        rows = session.execute(
            select(ApprovalDecision, UseCase.title, UseCase.revision, User.display_name)
            .join(UseCase, UseCase.id == ApprovalDecision.use_case_id)
            .join(User, User.id == ApprovalDecision.user_id)
            .order_by(ApprovalDecision.id.desc())
            .limit(RECENT_DECISIONS)
        ).all()
    return [
        {
            "use_case_id": row.use_case_id,
            "reference": reference(row.use_case_id),
            "title": title,
            "stage": stages.get((row.workflow, row.stage), {}),
            "stage_id": row.stage,
            "decision": row.decision,
            "printed_name": name,
            "decided_at": row.decided_at,
            "revision": row.revision,
            "current": row.revision == revision,
            "comment": row.comment,
        }
        for row, title, revision, name in rows
    ]


def _committee_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    *,
    failed: Failed | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "committee/index.html",
        {
            "title": _("Committee"),
            "entries": _entries(runtime, principal),
            "meetings": runtime.committee.meetings.list(),
            "decisions": _recent_decisions(runtime),
            "failed": failed,
            "errors": failed.errors if failed else {},
            "form_id": once.new_form_id(),
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/committee")
def committee(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    notice = {"signed": _("Your decision is signed and recorded.")}.get(
        request.query_params.get("done", "")
    )
    return _committee_page(request, runtime, principal, notice=notice)


@router.post("/committee/use-cases/{use_case_id}/approvals")
def sign_approval(
    use_case_id: int, request: Request, principal: Approver, runtime: Rt, form: Form
) -> Response:
    """Approve or reject the next stage of a use case: an electronic signature, the password
    asked again (the service of ``POST /api/v1/use-cases/{id}/approvals``)."""
    back = text_of(form, "next", 500)
    done = safe_next(back) if back else f"/committee?done=signed#uc-{use_case_id}"
    signing = approvals.sign(runtime, request, principal, use_case_id, form, done=done)
    if signing.location is not None:
        return RedirectResponse(signing.location, 303)
    failed = Failed(use_case_id, signing.errors, signing.values)
    return _committee_page(request, runtime, principal, failed=failed, status=signing.status)


def _signed_current(meeting: MeetingView, principal: Principal) -> bool:
    minutes = meeting.minutes
    return minutes is not None and any(
        s.user_id == principal.user_id and s.current for s in minutes.signatures
    )


def _meeting_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    meeting_id: int,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    meeting = runtime.committee.meetings.get(meeting_id)
    return render(
        request,
        "committee/meeting.html",
        {
            "title": meeting.title,
            "meeting": meeting,
            "signed": _signed_current(meeting, principal),
            "errors": errors or {},
            "form_id": once.new_form_id(),
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/committee/meetings/{meeting_id}")
def meeting_page(meeting_id: int, request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    """One meeting: attendance and quorum, the agenda with its outcomes, the minutes."""
    notice = {"approved": _("Your approval of the minutes is signed.")}.get(
        request.query_params.get("done", "")
    )
    return _meeting_page(request, runtime, principal, meeting_id, notice=notice)


@router.post("/committee/meetings/{meeting_id}/minutes/approve")
def approve_minutes(
    meeting_id: int, request: Request, principal: MinutesApprover, runtime: Rt, form: Form
) -> Response:
    """Approve the minutes: a voting member's electronic signature of the revision read."""
    version = text_of(form, "version", 10)
    password = approvals.password_of(form)
    errors: dict[str, str] = {}
    if not version.isdigit() or int(version) < 1:
        errors["__all__"] = _("The form is incomplete: reload the page.")
    if not password:
        errors["password"] = _("Enter your password to sign.")
    if errors:
        return _meeting_page(request, runtime, principal, meeting_id, errors=errors, status=422)
    target = f"/committee/meetings/{meeting_id}?done=approved"

    def create() -> str:
        runtime.committee.minutes.approve(
            principal,
            meeting_id,
            version=int(version),
            password=password,
            reason=text_of(form, "reason", 2000),
            request_id=request_id(request),
        )
        return target

    def refused(error: GouvernailError) -> Response:
        errors = approvals.refused(error)
        return _meeting_page(
            request, runtime, principal, meeting_id, errors=errors, status=error.status
        )

    done = once.submit(runtime.database, form, principal.user_id, create, refused)
    return done if isinstance(done, Response) else RedirectResponse(done, 303)
