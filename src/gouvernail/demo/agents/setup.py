"""Register the reference agents, their tools and their governance (the demo loader and the
tests call ``register`` with their own organisation's use case, people and model).

```
insight        built-in tool server: insight.ask, results confidential at most (the studies)
finance-tools  stdio MCP server (gouvernail.demo.finance_tools, a JSON ledger):
               budget_lines (results confidential), move_budget (consequential: each move
               waits for a human approval), forecast
market-insight reads the market studies through insight.ask
commercial     may talk to market-insight and finance; no tools
finance        reads budget lines, proposes moves (approved by the use case's owner)
```
New tools start suspended (the inventory's rule); here the AI referent reviews them at once,
as the demo's story goes. Every step is audited like the same steps through the API.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gouvernail.agents.models import ToolStatus
from gouvernail.agents.schemas import AgentIn, AgentPatch
from gouvernail.agents.tools.schemas import McpServerIn, ToolPatch
from gouvernail.audit import AuditContext
from gouvernail.demo.run import DemoRun
from gouvernail.runtime import Runtime

MARKET = "[agent:market-insight] You answer questions about markets from the company's "
COMMERCIAL = "[agent:commercial] You look for commercial opportunities and secure their budget."
FINANCE = "[agent:finance] You find budget for opportunities by reallocating budget lines."
MOVE = "finance-tools.move_budget"


@dataclass(frozen=True)
class Reference:
    """Who and what the reference agents are set up with."""

    use_case_id: int
    owner_id: int
    """Accountable owner of the three agents (a member of the use case)."""
    referent_id: int
    """The AI referent who registers the tools and reviews them."""
    model: str
    sources: tuple[str, ...]
    ledger: Path
    data_classes: tuple[str, ...] = ("confidential",)
    """What the agents may read (a tool result or message above is withheld or refused)."""


def system_prompts(sources: tuple[str, ...]) -> dict[str, str]:
    return {
        "market-insight": MARKET + f"market studies, with citations. [sources:{','.join(sources)}]",
        "commercial": COMMERCIAL,
        "finance": FINANCE,
    }


AGENTS = ("market-insight", "commercial", "finance")


def issue_keys(rt: Runtime, ctx: AuditContext) -> dict[str, str]:
    """A new key for each reference agent (secrets shown once, stored hashed)."""
    return {slug: rt.agents.issue_key(ctx, slug, name=f"{slug} demo key").secret for slug in AGENTS}


def register(rt: Runtime, ctx: AuditContext, ref: Reference) -> None:
    """Register the tool servers, review their tools and register the three agents (what
    exists already is kept)."""
    inventory = rt.tool_inventory
    known = {s.slug for s in inventory.servers()}
    if "insight" not in known:
        inventory.register_server(
            ctx,
            McpServerIn(
                slug="insight",
                name="Insight (built in)",
                transport="builtin",
                hosting="self_hosted",
                max_data_class="confidential",
                reason="agents read internal documents through insight, with their owner's rights",
            ),
            by=ref.referent_id,
        )
    if "finance-tools" not in known:
        inventory.register_server(
            ctx,
            McpServerIn(
                slug="finance-tools",
                name="Finance tools (demo ledger)",
                transport="stdio",
                command=[
                    sys.executable,
                    "-m",
                    "gouvernail.demo.finance_tools",
                    "--ledger",
                    str(ref.ledger),
                ],
                hosting="self_hosted",
                max_data_class="confidential",
                reason="budget lines and reallocations for the finance agent",
            ),
            by=ref.referent_id,
        )
    for server in ("insight", "finance-tools"):
        synced = rt_sync(rt, ctx, server)
        for tool in synced:
            if inventory.tool(tool).status == ToolStatus.SUSPENDED.value:
                inventory.set_tool_status(
                    ctx, tool, ToolStatus.ACTIVE, "reviewed by the AI referent for the demo"
                )
    govern(rt, ctx, "insight.ask", result_class="internal")
    govern(rt, ctx, "finance-tools.budget_lines", result_class="confidential")
    govern(rt, ctx, MOVE, consequential=True, cost_per_call_eur=Decimal("0.01"))
    agents = {
        "market-insight": (
            "Market insight agent",
            "Answers market questions from the market studies through insight, with citations.",
            ["insight.ask"],
            [],
        ),
        "commercial": (
            "Commercial agent",
            "Finds commercial opportunities in the market "
            "studies and asks the finance agent where to find their budget.",
            [],
            ["market-insight", "finance"],
        ),
        "finance": (
            "Finance agent",
            "Proposes budget reallocations for opportunities; every "
            "move waits for a human approval.",
            ["finance-tools.budget_lines", MOVE, "finance-tools.forecast"],
            ["commercial"],
        ),
    }
    existing = {a.slug for a in rt.agents.all()}
    for slug, (name, purpose, tools, _) in agents.items():
        if slug not in existing:
            rt.agents.register(
                ctx,
                AgentIn(
                    slug=slug,
                    name=name,
                    use_case_id=ref.use_case_id,
                    owner_id=ref.owner_id,
                    purpose=purpose,
                    allowed_models=[ref.model],
                    allowed_tools=tools,
                    data_classes=list(ref.data_classes),
                    peer_agents=[],
                    approval_rule={
                        "actions": [MOVE] if slug == "finance" else [],
                        "approver": "use_case_owner",
                    },
                    max_steps=30,
                    reason="reference agent of the demo",
                ),
                by=ref.referent_id,
            )
    for slug, (_, _, _, peers) in agents.items():
        view = rt.agents.get(slug)
        if view.peer_agents != peers:
            rt.agents.update(
                ctx,
                slug,
                AgentPatch(
                    version=view.version, peer_agents=peers, reason="its peers are registered"
                ),
                by=ref.referent_id,
            )


def rt_sync(rt: Runtime, ctx: AuditContext, server: str) -> list[str]:
    """Sync a server from synchronous code, in a thread of its own (the caller's thread may be
    running an event loop: a test's browser, a server); its connection is closed before
    returning."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcp-sync") as pool:
        return pool.submit(asyncio.run, _sync(rt, ctx, server)).result()


async def _sync(rt: Runtime, ctx: AuditContext, server: str) -> list[str]:
    try:
        view = await rt.tool_inventory.sync(ctx, server)
        return [t.name for t in view.tools if t.present]
    finally:
        await rt.mcp_connector.aclose()


def govern(rt: Runtime, ctx: AuditContext, name: str, **fields: object) -> None:
    tool = rt.tool_inventory.tool(name)
    wanted = {k: v for k, v in fields.items() if getattr(tool, k) != v}
    if wanted:
        rt.tool_inventory.govern(
            ctx,
            name,
            ToolPatch.model_validate(
                {"version": tool.version, "reason": "set for the reference agents", **wanted}
            ),
        )


DEMO_MODEL = "llama-3.3-70b-onprem"
"""The reference agents talk to the demo's self-hosted model (internal data stays inside)."""


def load(run: DemoRun, use_case_id: int) -> None:
    """The reference agents on the demo's market-study use case: Charlotte Evans (its
    requester, a market insights analyst) is their accountable owner; Amélie Laurent, the AI
    referent, registers the tools; the finance ledger lives in the data directory."""
    before = {a.slug for a in run.rt.agents.all()}
    register(
        run.rt,
        run.ctx,
        Reference(
            use_case_id=use_case_id,
            owner_id=run.user("charlotte.evans").id,
            referent_id=run.user("amelie.laurent").id,
            model=DEMO_MODEL,
            sources=("market-studies",),
            ledger=run.rt.settings.data_dir / "demo-finance-ledger.json",
            # the studies name diseases, which the detectors class as health data (secret):
            # the agents run on the self-hosted model and are cleared for it
            data_classes=("secret",),
        ),
    )
    run.created["agents"] += len(set(AGENTS) - before)
