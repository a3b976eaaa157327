"""Runs of agents (``runtime.agents_runs``): started by the agent (``POST /api/v1/agents/runs``
with its key, or implicitly by the gateway when a call's ``x-gouvernail-agent-run`` header
names a run id the agent has not used yet), each with a W3C trace id and the agent's limits as
they were when it started; ended by the agent, its owner or a referent, with its totals read
from the request log.

The gateway counts a running run's steps, tokens and cost in its quota store
(``gateway/agent_runs.py``); the request log, where every call names its run, is the durable
source those counters are seeded from.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from gouvernail.agents import events as ev
from gouvernail.agents.messages import take_up
from gouvernail.agents.models import (
    Agent,
    AgentMessage,
    AgentRun,
    AgentStatus,
    RunStatus,
    ToolCall,
    ToolCallStatus,
)
from gouvernail.agents.schemas import RunView
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, NotFoundError
from gouvernail.gateway.models import RequestLog


def new_trace_id() -> str:
    """A W3C trace id: 32 lower-case hex digits, never all zeros."""
    while True:
        value = secrets.token_hex(16)
        if value.strip("0"):
            return value


def trace_of(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header (``00-<trace>-<span>-<flags>``), or None."""
    if not traceparent:
        return None
    parts = traceparent.strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    trace = parts[1].lower()
    if trace.strip("0") == "" or any(c not in "0123456789abcdef" for c in trace):
        return None
    return trace


@dataclass(frozen=True, slots=True)
class RunTotals:
    steps: int
    tokens: int
    cost_eur: Decimal


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the gateway needs of a run (cached like an admission snapshot)."""

    id: int
    run_id: str
    agent_id: int
    trace_id: str
    running: bool
    started_at: datetime
    max_steps: int
    max_tokens: int
    max_cost_eur: Decimal
    max_seconds: int
    totals: RunTotals
    """Counted in the request log when the snapshot was read (seeds the counters)."""
    data_class_seen: str | None = None
    """The most sensitive class tools and messages gave the run (its model calls are classed
    at least this high)."""
    untrusted_input: bool = False


TOOL_STEPS = (ToolCallStatus.COMPLETED, ToolCallStatus.FAILED, ToolCallStatus.WITHHELD)
"""Tool calls that count as a step of their run: those that reached the tool."""


def totals(session: Session, run_pk: int) -> RunTotals:
    """A run's steps (model calls that reached a model, tool calls that reached a tool),
    tokens and cost, from the request log and the tool calls."""
    steps, tokens, cost = session.execute(
        select(
            func.count(RequestLog.id),
            func.coalesce(func.sum(RequestLog.prompt_tokens + RequestLog.completion_tokens), 0),
            func.coalesce(func.sum(RequestLog.cost_eur), 0),
        ).where(RequestLog.agent_run_id == run_pk, RequestLog.attempts > 0)
    ).one()
    tool_steps, tool_cost = session.execute(
        select(func.count(ToolCall.id), func.coalesce(func.sum(ToolCall.cost_eur), 0)).where(
            ToolCall.run_id == run_pk, ToolCall.status.in_([s.value for s in TOOL_STEPS])
        )
    ).one()
    return RunTotals(int(steps) + int(tool_steps), int(tokens), Decimal(cost) + Decimal(tool_cost))


def _view(run: AgentRun, slug: str) -> RunView:
    session = object_session(run)
    parent, message = None, None
    if session is not None and run.parent_id is not None:
        parent = session.scalar(select(AgentRun.run_id).where(AgentRun.id == run.parent_id))
    if session is not None and run.message_id is not None:
        message = session.scalar(
            select(AgentMessage.message_id).where(AgentMessage.id == run.message_id)
        )
    return RunView(
        run_id=run.run_id,
        agent_id=run.agent_id,
        agent=slug,
        trace_id=run.trace_id,
        traceparent=f"00-{run.trace_id}-{run.trace_id[:16]}-01",
        status=RunStatus(run.status),
        max_steps=run.max_steps,
        max_tokens=run.max_tokens,
        max_cost_eur=run.max_cost_eur,
        max_seconds=run.max_seconds,
        started_at=run.started_at,
        ended_at=run.ended_at,
        end_reason=run.end_reason,
        steps=run.steps,
        tokens=run.tokens,
        cost_eur=run.cost_eur,
        parent_run=parent,
        message_id=message,
        data_class_seen=run.data_class_seen,
        untrusted_input=run.untrusted_input,
    )


class AgentRuns:
    def __init__(
        self, database: Database, trail: AuditTrail, on_end: Callable[[], None] = lambda: None
    ) -> None:
        self.database = database
        self.trail = trail
        self.on_end = on_end

    def start(
        self,
        ctx: AuditContext,
        *,
        agent_id: int,
        key_id: int | None,
        run_id: str | None = None,
        trace_id: str | None = None,
        implicit: bool = False,
        message_id: str | None = None,
    ) -> RunView:
        """``message_id``: take up that message of the agent's inbox (the run joins its trace,
        its parent is the sender's run; ``agent_messages.take_up``)."""
        run_id = run_id or "run_" + secrets.token_hex(12)
        trace_id = trace_id or new_trace_id()

        def work(tx: Tx) -> RunView:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFoundError(f"no agent with id {agent_id}")
            if agent.status != AgentStatus.ACTIVE.value:
                raise ConflictError(f"the agent {agent.slug} is suspended: {agent.status_reason}")
            if tx.session.scalar(select(AgentRun.id).where(AgentRun.run_id == run_id)):
                raise ConflictError(f"a run {run_id!r} already exists", field="run_id")
            taken = take_up(tx.session, message_id, agent.id) if message_id else None
            run = AgentRun(
                run_id=run_id,
                agent_id=agent.id,
                trace_id=taken.trace_id if taken else trace_id,
                api_key_id=key_id,
                status=RunStatus.RUNNING.value,
                max_steps=agent.max_steps,
                max_tokens=agent.max_tokens,
                max_cost_eur=agent.max_cost_eur,
                max_seconds=agent.max_seconds,
                started_at=utcnow(),
                parent_id=taken.parent_id if taken else None,
                message_id=taken.id if taken else None,
                data_class_seen=taken.data_class if taken else None,
                untrusted_input=taken.injection if taken else False,
            )
            tx.session.add(run)
            tx.session.flush()
            tx.emit(
                ev.AgentRunStarted(
                    object_id=run_id,
                    object_version=1,
                    new={
                        "agent_id": agent.id,
                        "agent": agent.slug,
                        "trace_id": run.trace_id,
                        "api_key_id": key_id,
                        "max_steps": run.max_steps,
                        "max_tokens": run.max_tokens,
                        "max_cost_eur": str(run.max_cost_eur),
                        "max_seconds": run.max_seconds,
                        "implicit": implicit,
                        **(
                            {
                                "parent_run": taken.parent_run,
                                "message_id": taken.message_id,
                                "data_class_seen": taken.data_class,
                                "untrusted_input": taken.injection,
                            }
                            if taken
                            else {}
                        ),
                    },
                )
            )
            return _view(run, agent.slug)

        return self.trail.run(ctx, work)

    def end(self, ctx: AuditContext, run_id: str, *, reason: str, by: int) -> RunView:
        def work(tx: Tx) -> RunView:
            run = _run(tx.session, run_id)
            if run.status != RunStatus.RUNNING.value:
                raise ConflictError(f"the run {run_id} has already ended")
            counted = totals(tx.session, run.id)
            run.status = RunStatus.ENDED.value
            run.ended_at = utcnow()
            run.ended_by = by
            run.end_reason = reason
            run.steps, run.tokens, run.cost_eur = counted.steps, counted.tokens, counted.cost_eur
            tx.emit(
                ev.AgentRunEnded(
                    object_id=run_id,
                    object_version=2,
                    old={"status": RunStatus.RUNNING.value},
                    new={
                        "status": RunStatus.ENDED.value,
                        "agent_id": run.agent_id,
                        "trace_id": run.trace_id,
                        "steps": counted.steps,
                        "tokens": counted.tokens,
                        "cost_eur": str(counted.cost_eur),
                    },
                    reason=reason,
                )
            )
            return _view(run, _slug(tx.session, run.agent_id))

        ended = self.trail.run(ctx, work)
        self.on_end()
        return ended

    def get(self, run_id: str) -> RunView:
        with self.database.read() as session:
            run = _run(session, run_id)
            return _view(run, _slug(session, run.agent_id))

    def list(self, agent_id: int, *, limit: int = 100) -> list[RunView]:
        with self.database.read() as session:
            slug = _slug(session, agent_id)
            rows = session.scalars(
                select(AgentRun)
                .where(AgentRun.agent_id == agent_id)
                .order_by(AgentRun.id.desc())
                .limit(limit)
            )
            return [_view(run, slug) for run in rows]

    def facts(self, run_id: str) -> RunFacts | None:
        with self.database.read() as session:
            run = session.scalar(select(AgentRun).where(AgentRun.run_id == run_id))
            if run is None:
                return None
            return RunFacts(
                id=run.id,
                run_id=run.run_id,
                agent_id=run.agent_id,
                trace_id=run.trace_id,
                running=run.status == RunStatus.RUNNING.value,
                started_at=run.started_at,
                max_steps=run.max_steps,
                max_tokens=run.max_tokens,
                max_cost_eur=run.max_cost_eur,
                max_seconds=run.max_seconds,
                totals=totals(session, run.id),
                data_class_seen=run.data_class_seen,
                untrusted_input=run.untrusted_input,
            )

    def start_implicitly(
        self, ctx: AuditContext, agent_id: int, key_id: int | None, run_id: str
    ) -> RunFacts:
        """The gateway's implicit start: the run named by a call's header, created if new
        (two concurrent first calls: one creates it, the other reads it)."""
        try:
            self.start(ctx, agent_id=agent_id, key_id=key_id, run_id=run_id, implicit=True)
        except ConflictError as error:
            if error.field != "run_id":
                raise
        except IntegrityError:
            pass
        facts = self.facts(run_id)
        if facts is None:
            raise NotFoundError(f"no run {run_id!r}")
        return facts


def _run(session: Session, run_id: str) -> AgentRun:
    run = session.scalar(select(AgentRun).where(AgentRun.run_id == run_id))
    if run is None:
        raise NotFoundError(f"no run {run_id!r}")
    return run


def _slug(session: Session, agent_id: int) -> str:
    return session.scalar(select(Agent.slug).where(Agent.id == agent_id)) or str(agent_id)
