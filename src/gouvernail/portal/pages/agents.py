"""Agents in the portal: the agents the user may read with their latest runs, and the trace
view of a run (its tree of runs, model calls, tool calls, messages and approvals, with times,
costs and CO2e, refusals highlighted, and the inspector's export).

Both pages open to every signed-in user and show only what they may read: the agents of the
list as ``GET /api/v1/agents`` filters them, a trace to whoever may read one of its agents
(a refusal is audited like the API's).

The approvals page lists the consequential tool calls waiting for the signed-in person (those
the agent's approval rule names them for; every one, read only, to those who may read all),
pending first, and decides them with the service of
``POST /api/v1/agents/approvals/{id}/decide``: a reason, and for a GxP-relevant tool the
password again (an electronic signature), once per form."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gouvernail.agents import trace as traces
from gouvernail.agents.models import ApprovalStatus, ToolApproval
from gouvernail.agents.tools.schemas import ApprovalView, DecisionIn
from gouvernail.api.agent_messages import _may_read_any
from gouvernail.api.agents import _may_read
from gouvernail.api.deps import Rt, request_id
from gouvernail.identity.principal import Principal
from gouvernail.portal import approvals as signing
from gouvernail.portal import once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PortalRoute, SignedIn
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)
LATEST_RUNS = 5
DECIDED_SHOWN = 50


@router.get("/agents")
def agents(request: Request, principal: SignedIn, runtime: Rt) -> HTMLResponse:
    readable = [a for a in runtime.agents.all() if _may_read(runtime, principal, a)]
    runs = {a.slug: runtime.agent_runs.list(a.id, limit=LATEST_RUNS) for a in readable}
    return render(
        request,
        "agents/list.html",
        {"title": _("Agents"), "agents": readable, "runs": runs},
        principal=principal,
    )


@router.get("/agents/traces/{trace_id}")
def trace(trace_id: str, request: Request, principal: SignedIn, runtime: Rt) -> HTMLResponse:
    _may_read_any(runtime, request, principal, traces.agents_of(runtime.database, trace_id))
    found = traces.build(runtime.database, trace_id)
    return render(
        request,
        "agents/trace.html",
        {"title": _("Trace %(trace)s", trace=trace_id[:8] + "…"), "trace": found},
        principal=principal,
    )


# --- approvals of consequential tool calls --------------------------------------------------------


@dataclass(frozen=True)
class ApprovalEntry:
    """An approval as the page shows it: its arguments as pretty JSON, and whether the
    signed-in person may decide it (the service checks again)."""

    approval: ApprovalView
    arguments: str
    may_decide: bool


@dataclass
class Failed:
    """A decision that was refused: which approval, what to fix, what the user typed."""

    target: int
    errors: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)


def _entries(runtime: Runtime, principal: Principal) -> list[ApprovalEntry]:
    """Pending approvals first, then the latest decided ones, newest first in each."""
    found = runtime.tool_approvals.list(principal)
    pending = [a for a in found if a.status == ApprovalStatus.PENDING.value]
    decided = [a for a in found if a.status != ApprovalStatus.PENDING.value][:DECIDED_SHOWN]
    with runtime.database.read() as session:
        deciders = {
            a.id
            for a in pending
            for row in [session.get(ToolApproval, a.id)]
            if row is not None and runtime.tool_approvals.may_decide(session, principal, row)
        }
    return [
        ApprovalEntry(
            approval=a,
            arguments=orjson.dumps(
                a.arguments, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
            ).decode(),
            may_decide=a.id in deciders,
        )
        for a in [*pending, *decided]
    ]


def _approvals_page(
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
        "agents/approvals.html",
        {
            "title": _("Approvals of tool calls"),
            "entries": _entries(runtime, principal),
            "failed": failed,
            "errors": failed.errors if failed else {},
            "form_id": once.new_form_id(),
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/agents/approvals")
def approvals(request: Request, principal: SignedIn, runtime: Rt) -> HTMLResponse:
    notice = {
        "approved": _("The call is approved: the agent may now make it, once."),
        "rejected": _("The call is rejected."),
    }.get(request.query_params.get("done", ""))
    return _approvals_page(request, runtime, principal, notice=notice)


def _read_decision(form: FormData, gxp: bool) -> tuple[dict[str, str], dict[str, str]]:
    """The form's values, and the message of each wrong field."""
    values = {
        "decision": text_of(form, "decision", 10),
        "reason": text_of(form, "reason", 2000),
        "version": text_of(form, "version", 10),
    }
    errors: dict[str, str] = {}
    if values["decision"] not in ("approve", "reject"):
        errors["decision"] = _("Choose whether you approve or reject.")
    if len(values["reason"]) < 3:
        errors["reason"] = _("Give the reason for your decision (at least 3 characters).")
    if not values["version"].isdigit():
        errors["__all__"] = _("The form is incomplete: reload the page.")
    if gxp and not signing.password_of(form):
        errors["password"] = _("Enter your password to sign.")
    return values, errors


@router.post("/agents/approvals/{approval_id}/decide")
def decide(
    approval_id: int, request: Request, principal: SignedIn, runtime: Rt, form: Form
) -> Response:
    """Approve or reject a consequential tool call as the person the agent's approval rule
    names; for a GxP-relevant tool, an electronic signature (the password asked again)."""
    current = runtime.tool_approvals.get(principal, approval_id)  # 403 to the others
    values, errors = _read_decision(form, current.gxp)

    def refused(errors: dict[str, str], status: int) -> Response:
        failed = Failed(approval_id, errors, values)
        return _approvals_page(request, runtime, principal, failed=failed, status=status)

    if errors:
        return refused(errors, 422)
    body = DecisionIn(
        decision="approve" if values["decision"] == "approve" else "reject",
        reason=values["reason"],
        version=int(values["version"]),
        password=signing.password_of(form) if current.gxp else None,
    )
    done = "approved" if body.decision == "approve" else "rejected"

    def create() -> str:
        runtime.tool_approvals.decide(principal, approval_id, body, request_id=request_id(request))
        return f"/agents/approvals?done={done}#approval-{approval_id}"

    outcome = once.submit(
        runtime.database,
        form,
        principal.user_id,
        create,
        lambda error: refused(signing.refused(error), error.status),
    )
    return outcome if isinstance(outcome, Response) else RedirectResponse(outcome, 303)
