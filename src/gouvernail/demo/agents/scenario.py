"""The reference scenario, end to end through the HTTP API:

1. the commercial agent asks the market-insight agent what the market studies say (a message);
   the market-insight agent takes it up in a run of its own, asks insight (a tool call: the
   studies its owner may read), answers with citations and replies;
2. the commercial agent finds an opportunity and asks the finance agent where to find the
   budget (a message); the finance agent reads the budget lines (a tool call) and proposes a
   move (a consequential tool call): it waits for a human approval, which the reply says;
3. when ``approve`` is given (the person the approval rule names deciding), the finance agent
   runs again in the same trace and the approved move is made (the approval is used once).

Every step is a model call, tool call, message or approval of one trace, which the trace view
(``gouvernail agent trace``) reconstructs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from gouvernail.demo.agents.loop import Agent, Loop, Step
from gouvernail.demo.agents.scripted import ScriptedModel, ScriptedTransport
from gouvernail.demo.agents.setup import system_prompts
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime

TASK = "Find a commercial opportunity in the market studies and secure the budget to pursue it."


@dataclass
class Outcome:
    trace_id: str
    answer: str
    approvals: list[int]
    executed: bool
    steps: list[Step]
    asked: dict[str, str]
    """What each agent was asked by another (its task)."""


@dataclass
class Conversation:
    """The agents of the scenario and what passed between them."""

    http: httpx.AsyncClient
    agents: dict[str, Agent]
    asked: dict[str, str] = field(default_factory=dict)
    """The last request each agent received from another."""
    loop: Loop = field(init=False)

    def __post_init__(self) -> None:
        self.loop = Loop(self.http, self.ask)

    async def ask(self, sender: Agent, peer: str, text: str, run_id: str) -> str:
        sent = await self.http.post(
            "/api/v1/agents/messages",
            json={"to": peer, "content": text},
            headers=sender.headers(run_id),
        )
        if sent.status_code != 201:
            error = sent.json().get("error", {})
            return f"error: {error.get('code')}: {error.get('message')}"
        message_id = sent.json()["message_id"]
        recipient = self.agents.get(peer)
        if recipient is None:  # registered, but not one of ours: nobody answers here
            return f"the message {message_id} was delivered to {peer}; no answer yet"
        inbox = await self.http.get("/api/v1/agents/messages/inbox", headers=recipient.headers())
        received = next(m for m in inbox.json() if m["message_id"] == message_id)
        task = received["content"]["text"]
        self.asked[peer] = task
        answer, _ = await self.loop.run(
            recipient, task, message_id=message_id, reply_to=(sender.slug, message_id)
        )
        replies = await self.http.get("/api/v1/agents/messages/inbox", headers=sender.headers())
        reply = next((m for m in replies.json() if m["reply_to"] == message_id), None)
        if reply is None:
            return answer
        await self.http.post(  # read: it leaves the inbox, its retention starts
            f"/api/v1/agents/messages/{reply['message_id']}/read", headers=sender.headers()
        )
        return str(reply["content"]["text"])


def agents_of(keys: dict[str, str], model: str, sources: tuple[str, ...]) -> dict[str, Agent]:
    prompts = system_prompts(sources)
    return {slug: Agent(slug, key, model, prompts[slug]) for slug, key in keys.items()}


async def run_scenario(
    http: httpx.AsyncClient,
    agents: dict[str, Agent],
    *,
    approve: Callable[[int], Awaitable[Any]] | None = None,
) -> Outcome:
    talk = Conversation(http, agents)
    answer, run = await talk.loop.run(agents["commercial"], TASK)
    pending = [
        int(s.outcome.rsplit(" ", 1)[-1])
        for s in talk.loop.steps
        if s.kind == "tool" and s.outcome.startswith("tool_approval_required")
    ]
    executed = False
    if approve is not None and pending and "finance" in talk.asked:
        await approve(pending[-1])
        before = len(talk.loop.steps)
        await talk.loop.run(agents["finance"], talk.asked["finance"], trace_id=run["trace_id"])
        executed = any(
            s.kind == "tool" and s.name.endswith("move_budget") and s.outcome == "ok"
            for s in talk.loop.steps[before:]
        )
    return Outcome(run["trace_id"], answer, pending, executed, talk.loop.steps, talk.asked)


async def play(
    rt: Runtime,
    keys: dict[str, str],
    *,
    model: str,
    sources: tuple[str, ...],
    approver: Principal | None,
    embeddings: httpx.AsyncBaseTransport | None = None,
) -> Outcome:
    """Run the scenario in this process: the application served in-process (its lifespan
    included) and the agents calling it over ASGI, the gateway's providers replaced by the
    scripted model (``embeddings``: where embedding requests go instead). With ``approver``,
    that person approves the pending budget move."""
    from gouvernail.agents.tools.schemas import DecisionIn
    from gouvernail.app import create_app

    service = rt.build_gateway(ScriptedTransport(ScriptedModel(), embeddings=embeddings))
    rt.__dict__["gateway"] = service
    app = create_app(rt.settings, rt)

    async def approve(approval_id: int) -> None:
        assert approver is not None
        decision = DecisionIn(
            decision="approve",
            reason="the pilot fits the commercial plan; reallocation approved",
            version=1,
        )
        await asyncio.to_thread(rt.tool_approvals.decide, approver, approval_id, decision)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gouvernail.demo", timeout=120
        ) as http:
            return await run_scenario(
                http,
                agents_of(keys, model, sources),
                approve=approve if approver is not None else None,
            )
