"""Agent-to-agent messages and the trace view over HTTP (``docs/agent-messages.md``).

Messages are sent, listed in an inbox and read with the agents' own keys (``AgentKey``): the
sender within one of its runs (``x-gouvernail-agent-run``), the recipient; a person reads a
message when they may read its sender or its recipient. A message is taken up by starting a run
with its ``message_id`` (``POST /api/v1/agents/runs``).

Traces are for people: whoever may read one of the trace's agents (``agents, read``, the
accountable owner, the use case's owner) reads the whole trace and exports it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from gouvernail.agents import trace as traces
from gouvernail.agents.messages import AgentMessages
from gouvernail.agents.messages.schemas import InboxMessage, MessageDetail, MessageIn, MessageView
from gouvernail.api.agent_tools import Bounded
from gouvernail.api.agents import AgentKey, AgentOrPerson, _may_read, _refuse
from gouvernail.api.deps import CurrentUser, Rt, audit_context, credential_of
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.gateway.errors import GatewayError
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


def messages_of(runtime: Runtime) -> AgentMessages:
    """The message service on the runtime's database, trail, charter and detectors."""
    inspection = runtime.settings.gateway.inspection
    return AgentMessages(
        runtime.database,
        runtime.trail,
        charter=runtime.charters.rules_in_force,
        inspector=lambda: None if inspection == "off" else runtime.inspector,
        mode="fast" if inspection == "fast" else "full",
    )


def _may_read_any(
    runtime: Runtime, request: Request, principal: Principal, slugs: list[str]
) -> None:
    """403 (audited) unless the person may read one of these agents."""
    for slug in slugs:
        if _may_read(runtime, principal, runtime.agents.get(slug)):
            return
    _refuse(runtime, request, principal, "read")


@router.post("/messages", status_code=201)
async def send_message(
    body: MessageIn,
    request: Request,
    principal: AgentKey,
    runtime: Rt,
    _: Bounded,
    x_gouvernail_agent_run: Annotated[str | None, Header()] = None,
) -> MessageView:
    """Send a message to a peer agent within your run (``x-gouvernail-agent-run``). Refusals
    (audited): 404 ``agent_unknown``, 400 ``agent_reply_invalid``, 403
    ``agent_peer_not_allowed``, 409 ``agent_peer_suspended``, 403
    ``agent_message_class_not_allowed``; prompt-injection signals are flagged, not refused."""
    assert principal.agent_id is not None
    admission: GouvernailError | None = None
    try:  # the sender admitted as for a model call: one definition of "switched off"
        await runtime.gateway.admission.admit(credential_of(request))
    except GatewayError as error:
        admission = GouvernailError(error.message, code=error.code, status=error.status)
    return await asyncio.to_thread(
        messages_of(runtime).send,
        audit_context(request, principal),
        sender_id=principal.agent_id,
        run_id=x_gouvernail_agent_run,
        body=body,
        admission=admission,
    )


@router.post("/messages/{message_id}/read")
def acknowledge_message(
    message_id: str, request: Request, principal: AgentKey, runtime: Rt
) -> MessageView:
    """Acknowledge a message addressed to you without taking it up in a run (a reply your
    waiting run has read): it leaves your inbox, and its retention starts (403 not yours,
    409 already taken up or read)."""
    assert principal.agent_id is not None
    return messages_of(runtime).acknowledge(
        audit_context(request, principal), principal.agent_id, message_id
    )


@router.get("/messages/inbox")
def inbox(
    principal: AgentKey,
    runtime: Rt,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[InboxMessage]:
    """Messages addressed to you not yet taken up, oldest first, each text wrapped as
    untrusted data (with a notice when it carries prompt-injection signals). Take one up by
    starting a run with its ``message_id``."""
    assert principal.agent_id is not None
    return messages_of(runtime).inbox(principal.agent_id, limit=limit)


@router.get("/messages/{message_id}")
def get_message(
    message_id: str, request: Request, principal: AgentOrPerson, runtime: Rt
) -> MessageDetail:
    """A message: its sender's or recipient's key, or a person who may read one of them."""
    detail, sender_id, recipient_id = messages_of(runtime).get(message_id)
    if principal.agent_id is not None:
        if principal.agent_id not in (sender_id, recipient_id):
            raise ForbiddenError(
                f"the message {message_id} is neither from nor to this agent",
                code="agent_message_not_yours",
            )
        return detail
    slugs = [detail.sender] + ([detail.to] if recipient_id is not None else [])
    _may_read_any(runtime, request, principal, slugs)
    return detail


@router.get("/traces/{trace_id}")
def get_trace(trace_id: str, request: Request, principal: CurrentUser, runtime: Rt) -> traces.Trace:
    """A trace as a tree of runs, each with its model calls, tool calls, messages and
    approvals in time order, and its totals (whoever may read one of its agents)."""
    _may_read_any(runtime, request, principal, traces.agents_of(runtime.database, trace_id))
    return traces.build(runtime.database, trace_id)


@router.get("/runs/{run_id}/trace")
def get_run_trace(
    run_id: str, request: Request, principal: CurrentUser, runtime: Rt
) -> traces.Trace:
    """The whole trace of a run."""
    return get_trace(traces.trace_of_run(runtime.database, run_id), request, principal, runtime)


@router.get(
    "/traces/{trace_id}/export",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def export_trace(
    trace_id: str,
    request: Request,
    principal: CurrentUser,
    runtime: Rt,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """A download for an inspector: the tree with, for each run and event, the audit records
    that document it (every hashed field, sequence number and hash: check them against
    ``gouvernail audit export``); CSV: one row per run and event."""
    _may_read_any(runtime, request, principal, traces.agents_of(runtime.database, trace_id))
    found = traces.build(runtime.database, trace_id, with_audit=True)
    name = f"trace-{trace_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(traces.csv_text(found), media_type="text/csv", headers=headers)
    return Response(traces.json_bytes(found), media_type="application/json", headers=headers)
