"""Agents over HTTP.

Registering, editing and issuing keys: ``agents, manage`` (AI referents, administrators) for
any agent, ``agents, own`` (use-case owners) for the use cases they own; reading: ``agents,
read`` (referents, the committee, auditors), the use case's owner and the agent's accountable
owner; suspending: ``agents, suspend`` (AI and security referents) or the accountable owner;
resuming: whoever may edit the agent.

Runs are started with the agent's own key (``AgentKey``); a run is ended by the agent, or by
whoever may suspend or edit it. An agent's key may call nothing else of this API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from gouvernail.agents.models import AgentStatus
from gouvernail.agents.runs import trace_of
from gouvernail.agents.schemas import (
    AgentIn,
    AgentKeyIn,
    AgentPatch,
    AgentVersionView,
    AgentView,
    EndRunIn,
    RunIn,
    RunView,
    StatusIn,
)
from gouvernail.api.deps import CurrentUser, Rt, audit_context, authenticated, enforce
from gouvernail.errors import ForbiddenError
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import CreatedApiKey
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])
RESOURCE = "agents"


def agent_route(request: Request) -> None:
    """Marker: this route accepts an agent's key (``authenticated`` refuses them elsewhere)."""
    request.state.agent_route = True


def agent_or_person(
    _: Annotated[None, Depends(agent_route)],
    principal: Annotated[Principal, Depends(authenticated)],
) -> Principal:
    return principal


def agent_key(
    _: Annotated[None, Depends(agent_route)],
    principal: Annotated[Principal, Depends(authenticated)],
) -> Principal:
    if principal.agent_id is None:
        raise ForbiddenError("call this with the agent's API key", code="agent_key_required")
    return principal


AgentOrPerson = Annotated[Principal, Depends(agent_or_person)]
AgentKey = Annotated[Principal, Depends(agent_key)]


def _may(runtime: Runtime, principal: Principal, action: str) -> bool:
    return runtime.policy.decide(principal.roles, RESOURCE, action).allowed


def _may_edit(runtime: Runtime, principal: Principal, use_case_id: int) -> bool:
    if _may(runtime, principal, "manage"):
        return True
    return _may(runtime, principal, "own") and runtime.agents.owns(use_case_id, principal.user_id)


def _may_read(runtime: Runtime, principal: Principal, agent: AgentView) -> bool:
    return (
        _may(runtime, principal, "read")
        or agent.owner_id == principal.user_id
        or _may_edit(runtime, principal, agent.use_case_id)
    )


def _refuse(runtime: Runtime, request: Request, principal: Principal, action: str) -> None:
    """Audited 403 (the policy's refusal, reported like every other)."""
    enforce(runtime, request, principal, RESOURCE, action)
    raise ForbiddenError(f"you may not {action} this agent")  # the policy allowed it elsewhere


def _editable(runtime: Runtime, request: Request, principal: Principal, slug: str) -> AgentView:
    agent = runtime.agents.get(slug)
    if not _may_edit(runtime, principal, agent.use_case_id):
        _refuse(runtime, request, principal, "manage")
    return agent


@router.post("", status_code=201)
def register_agent(
    body: AgentIn, request: Request, principal: CurrentUser, runtime: Rt
) -> AgentView:
    """Register an agent for a use case (its owner, an AI referent or an administrator)."""
    if not _may_edit(runtime, principal, body.use_case_id):
        _refuse(runtime, request, principal, "manage")
    return runtime.agents.register(audit_context(request, principal), body, by=principal.user_id)


@router.get("")
def list_agents(
    principal: CurrentUser,
    runtime: Rt,
    use_case_id: Annotated[int | None, Query()] = None,
) -> list[AgentView]:
    """The agents you may see (all with ``agents, read``), optionally of one use case."""
    agents = runtime.agents.all(use_case_id=use_case_id)
    return [a for a in agents if _may_read(runtime, principal, a)]


@router.post("/runs", status_code=201)
def start_run(
    body: RunIn,
    request: Request,
    principal: AgentKey,
    runtime: Rt,
    traceparent: Annotated[str | None, Header()] = None,
) -> RunView:
    """Start a run with the agent's key; send its ``run_id`` in ``x-gouvernail-agent-run``.
    With a ``message_id`` of your inbox, the run takes the message up: it joins the message's
    trace as a child of the sender's run (403 not yours, 409 already taken up)."""
    assert principal.agent_id is not None
    return runtime.agent_runs.start(
        audit_context(request, principal),
        agent_id=principal.agent_id,
        key_id=principal.api_key_id,
        run_id=body.run_id,
        trace_id=body.trace_id or trace_of(traceparent),
        message_id=body.message_id,
    )


def _run_for(
    runtime: Runtime, request: Request, principal: Principal, run_id: str, action: str
) -> RunView:
    run = runtime.agent_runs.get(run_id)
    if principal.agent_id is not None:
        if principal.agent_id != run.agent_id:
            raise ForbiddenError(f"the run {run_id} is not a run of this agent")
        return run
    agent = runtime.agents.get(run.agent)
    allowed = (
        _may_read(runtime, principal, agent)
        if action == "read"
        else agent.owner_id == principal.user_id
        or _may(runtime, principal, "suspend")
        or _may_edit(runtime, principal, agent.use_case_id)
    )
    if not allowed:
        _refuse(runtime, request, principal, "read" if action == "read" else "suspend")
    return run


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request, principal: AgentOrPerson, runtime: Rt) -> RunView:
    """A run (the agent's key, or whoever may read the agent)."""
    return _run_for(runtime, request, principal, run_id, "read")


@router.post("/runs/{run_id}/end")
def end_run(
    run_id: str, body: EndRunIn, request: Request, principal: AgentOrPerson, runtime: Rt
) -> RunView:
    """End a run: its next call is refused; its totals are read from the request log."""
    _run_for(runtime, request, principal, run_id, "end")
    return runtime.agent_runs.end(
        audit_context(request, principal), run_id, reason=body.reason, by=principal.user_id
    )


@router.get("/{slug}")
def get_agent(slug: str, request: Request, principal: CurrentUser, runtime: Rt) -> AgentView:
    agent = runtime.agents.get(slug)
    if not _may_read(runtime, principal, agent):
        _refuse(runtime, request, principal, "read")
    return agent


@router.get("/{slug}/versions")
def agent_versions(
    slug: str, request: Request, principal: CurrentUser, runtime: Rt
) -> list[AgentVersionView]:
    """Every version of the agent, newest first, with who changed it and why."""
    get_agent(slug, request, principal, runtime)
    return runtime.agents.versions(slug)


@router.get("/{slug}/runs")
def agent_runs(slug: str, request: Request, principal: CurrentUser, runtime: Rt) -> list[RunView]:
    """The agent's latest 100 runs, newest first."""
    agent = get_agent(slug, request, principal, runtime)
    return runtime.agent_runs.list(agent.id)


@router.patch("/{slug}")
def edit_agent(
    slug: str, body: AgentPatch, request: Request, principal: CurrentUser, runtime: Rt
) -> AgentView:
    """Edit an agent into a new version (the version you read; a reason)."""
    _editable(runtime, request, principal, slug)
    return runtime.agents.update(
        audit_context(request, principal), slug, body, by=principal.user_id
    )


@router.post("/{slug}/suspend")
def suspend_agent(
    slug: str, body: StatusIn, request: Request, principal: CurrentUser, runtime: Rt
) -> AgentView:
    """Kill switch: the agent's next call is refused (here at once, elsewhere within
    ``gateway.admission_cache_seconds``). Its accountable owner or an AI or security referent."""
    agent = runtime.agents.get(slug)
    if agent.owner_id != principal.user_id and not _may(runtime, principal, "suspend"):
        _refuse(runtime, request, principal, "suspend")
    return runtime.agents.set_status(
        audit_context(request, principal),
        slug,
        AgentStatus.SUSPENDED,
        reason=body.reason,
        by=principal.user_id,
    )


@router.post("/{slug}/resume")
def resume_agent(
    slug: str, body: StatusIn, request: Request, principal: CurrentUser, runtime: Rt
) -> AgentView:
    """Make a suspended agent active again (whoever may edit it)."""
    _editable(runtime, request, principal, slug)
    return runtime.agents.set_status(
        audit_context(request, principal),
        slug,
        AgentStatus.ACTIVE,
        reason=body.reason,
        by=principal.user_id,
    )


@router.post("/{slug}/keys", status_code=201)
def issue_agent_key(
    slug: str, body: AgentKeyIn, request: Request, principal: CurrentUser, runtime: Rt
) -> CreatedApiKey:
    """An API key for the agent (the secret is shown once): its user is the accountable owner,
    its use case the agent's. The accountable owner or whoever may edit the agent."""
    agent = runtime.agents.get(slug)
    if agent.owner_id != principal.user_id and not _may_edit(runtime, principal, agent.use_case_id):
        _refuse(runtime, request, principal, "manage")
    return runtime.agents.issue_key(
        audit_context(request, principal), slug, name=body.name, days=body.expires_in_days
    )
