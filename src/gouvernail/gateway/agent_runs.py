"""The gateway's side of agent runs: every call of an agent's key is a step of one of its runs.

```
JoinRun     after Admit     the run the call's ``x-gouvernail-agent-run`` header names (started
                            implicitly if the agent has not used that id yet); it must be the
                            agent's, running, and younger than its time limit
ChargeRun   after Reserve   one step, the estimated tokens and cost charged to the run,
                            atomically (refused past a limit); settled with the real usage
```
Both return at once for calls without an agent key. Run snapshots are reused for
``gateway.admission_cache_seconds`` like admission's, so an ended run is refused here at once
(``forget``) and on other replicas within that time; the counters live in the quota store's
backend (in process, or Redis shared by replicas) and are seeded from the request log when a
snapshot is read.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gouvernail.agents.runs import AgentRuns, RunFacts
from gouvernail.agents.schemas import RUN_ID
from gouvernail.audit import AuditContext
from gouvernail.audit.events import Actor
from gouvernail.db.base import utcnow
from gouvernail.errors import GouvernailError
from gouvernail.gateway.accounting import (
    RunCaps,
    RunCounters,
    RunLimitReached,
    RunUsage,
)
from gouvernail.gateway.admission import Admitted
from gouvernail.gateway.call import Call
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.steps import admitted

RUN_HEADER = "x-gouvernail-agent-run"
_RUN_ID = re.compile(RUN_ID)
LIMIT_NAMES = {"steps": "max_steps", "tokens": "max_tokens", "cost": "max_cost_eur"}


def run_limit(run: RunFacts, limit: str, detail: str) -> GatewayError:
    return GatewayError(
        403,
        f"the agent run {run.run_id} reached its limit of {detail}: end it "
        "(POST /api/v1/agents/runs/{run_id}/end) and start another if the work must go on",
        code="agent_run_limit",
        param=limit,
        extra={"limit": limit, "run_id": run.run_id, "trace_id": run.trace_id},
    )


@dataclass(slots=True)
class RunBook:
    runs: AgentRuns
    counters: RunCounters
    ttl: float
    clock: Callable[[], float] = time.monotonic
    _facts: dict[str, tuple[RunFacts, float]] = field(default_factory=dict)

    def forget(self) -> None:
        self._facts.clear()

    def forget_run(self, run_id: str) -> None:
        """Drop one run's snapshot (what tools gave it changed here)."""
        self._facts.pop(run_id, None)

    async def facts(self, who: Admitted, run_id: str, request_id: str) -> RunFacts:
        assert who.agent is not None
        cached = self._facts.get(run_id)
        if cached is not None and self.clock() - cached[1] < self.ttl:
            return cached[0]
        ctx = AuditContext(Actor(id=str(who.user_id), name=who.display_name), request_id)

        def load() -> RunFacts:
            found = self.runs.facts(run_id)
            if found is not None:
                return found
            return self.runs.start_implicitly(ctx, who.agent.id, who.key_id, run_id)  # type: ignore[union-attr]

        try:
            facts = await asyncio.to_thread(load)
        except GouvernailError as error:
            raise GatewayError(error.status, error.message, code="agent_run_refused") from None
        await self.counters.seed(
            facts.run_id,
            RunUsage(facts.totals.steps, facts.totals.tokens, facts.totals.cost_eur),
        )
        if len(self._facts) > 50_000:
            self._facts.clear()
        self._facts[run_id] = (facts, self.clock())
        return facts


async def join_run(book: RunBook, who: Admitted, header: str | None, request_id: str) -> RunFacts:
    """The run an agent's call names: its own, running, younger than its time limit (started
    if the id is new). Raises ``GatewayError``."""
    agent = who.agent
    assert agent is not None
    if not header:
        raise GatewayError(
            400,
            f"the agent {agent.slug} calls within a run: start one (POST "
            f"/api/v1/agents/runs) and send its id in '{RUN_HEADER}', or send a new id "
            "of 8-64 letters, digits, '_', '.' or '-' there to start it",
            code="agent_run_required",
            param=RUN_HEADER,
        )
    if not _RUN_ID.match(header):
        raise GatewayError(
            400,
            f"'{RUN_HEADER}' must be 8-64 letters, digits, '_', '.' or '-'",
            code="agent_run_invalid",
            param=RUN_HEADER,
        )
    run = await book.facts(who, header, request_id)
    if run.agent_id != agent.id:
        raise GatewayError(
            403, f"the run {header} is not a run of {agent.slug}", code="agent_run_not_yours"
        )
    if not run.running:
        raise GatewayError(
            409, f"the run {header} has ended: start another", code="agent_run_ended"
        )
    elapsed = (utcnow() - run.started_at).total_seconds()
    if elapsed > run.max_seconds:
        raise run_limit(run, "seconds", f"{run.max_seconds} seconds (max_seconds)")
    return run


class JoinRun:
    def __init__(self, book: RunBook) -> None:
        self.book = book

    async def __call__(self, call: Call) -> None:
        who = admitted(call)
        if who.agent is None:
            return
        call.run = await join_run(self.book, who, call.run_header, call.request_id)


class ChargeRun:
    def __init__(self, book: RunBook) -> None:
        self.book = book

    async def __call__(self, call: Call) -> None:
        run = call.run
        if run is None:
            return
        caps = RunCaps(run.max_steps, run.max_tokens, run.max_cost_eur)
        cost = call.reservation.cost_eur if call.reservation is not None else Decimal(0)
        try:
            call.run_charge = await self.book.counters.charge(
                run.run_id, caps, tokens=call.reserved_tokens, cost_eur=cost
            )
        except RunLimitReached as reached:
            what: dict[str, Any] = {
                "steps": f"{run.max_steps} steps (max_steps)",
                "tokens": f"{run.max_tokens} tokens (max_tokens; this call would bring it to "
                f"{reached.used})",
                "cost": f"{run.max_cost_eur} EUR (max_cost_eur; this call would bring it to "
                f"{reached.used} EUR)",
            }
            raise run_limit(run, reached.limit, what[reached.limit]) from None


async def settle_run(counters: RunCounters, call: Call) -> None:
    """The real usage replaces the estimate; a call that reached no model gives it back (one
    that reached a model and failed stays a step, as the request log counts it)."""
    charge = call.run_charge
    if charge is None:
        return
    call.run_charge = None
    if call.attempts == 0:
        await counters.release(charge)
        return
    tokens = call.usage.total_tokens if call.usage is not None else 0
    await counters.settle(charge, tokens=tokens, cost_eur=call.cost_eur)
