"""The reference scenario of issue 8, end to end: the commercial agent asks the market-insight
agent (which answers from the market studies through insight, with citations), then the finance
agent (which reads the budget lines from a real stdio MCP server and proposes a move that waits
for a human approval); the approval is given, the move is made once, and the trace view
reconstructs the whole chain. The model is the scripted one of the demo, faked at the HTTP
boundary; everything else is real: the gateway, the tool gateway, messages, the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in

from gouvernail.agents import trace as traces
from gouvernail.audit import AuditContext
from gouvernail.audit.verify import verify_database
from gouvernail.demo.agents import setup
from gouvernail.demo.agents.scenario import Outcome, play
from gouvernail.demo.agents.scripted import ScriptedModel
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

STUDIES = {
    "etude-biosimilaires.md": (
        "# Étude de marché biosimilaires 2025\n\n"
        "Le marché des biosimilaires progresse de 18 % par an dans les achats des hôpitaux. "
        "Les acheteurs hospitaliers demandent des contrats pluriannuels.\n"
    ),
    "etude-officine.md": (
        "# Étude officine\n\nLes pharmacies d'officine demandent des livraisons plus fréquentes.\n"
    ),
}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(gateway={"inspection": "fast"})


def test_the_reference_agents_run_end_to_end_with_their_trace(
    client: TestClient,
    world: World,
    rt: Runtime,
    ctx: AuditContext,
    tmp_path: Path,
) -> None:
    studies = tmp_path / "studies"
    studies.mkdir()
    for name, text in STUDIES.items():
        (studies / name).write_text(text, encoding="utf-8")
    referent = signed_in(client, "ref")
    source = {
        "slug": "studies",
        "name": "Market studies",
        "kind": "folder",
        "location": str(studies),
        "use_case_id": world.use_cases["drafting"],
        "owner": "alice",
        "data_class": "internal",
        "language": "fr",
        "readers": ["team:reg-affairs"],
        "embedding_model": "gpt-eu",
        "answer_model": "gpt-eu",
    }
    assert client.post("/api/v1/insight/sources", json=source, headers=referent).status_code == 201
    ledger = tmp_path / "ledger.json"
    reference = setup.Reference(
        use_case_id=world.use_cases["drafting"],
        owner_id=world.users["bob"],
        referent_id=world.users["ref"],
        model="gpt-eu",
        sources=("studies",),
        ledger=ledger,
    )
    setup.register(rt, ctx, reference)
    setup.register(rt, ctx, reference)  # again: nothing doubled
    keys = setup.issue_keys(rt, ctx)
    alice = Principal.signed_in(rt.directory.get(world.users["alice"]))

    # the providers are the scripted model from here on: indexing embeds through it too
    rt.__dict__["gateway"] = rt.build_gateway(httpx.MockTransport(ScriptedModel().handle))
    synced = client.post("/api/v1/insight/sources/studies/sync", headers=referent)
    assert synced.status_code == 200, synced.text

    async def scenario() -> Outcome:
        return await play(rt, keys, model="gpt-eu", sources=("studies",), approver=alice)

    outcome = anyio.run(scenario)
    assert outcome.approvals, outcome.steps
    assert outcome.executed, outcome.steps
    assert "Proposed reallocation" in outcome.answer
    assert "biosimilaires progresse de 18 %" in outcome.asked["finance"], "the finding travelled"
    assert outcome.asked["finance"].endswith("Where can we find the budget?")

    tools = [(s.agent, s.name, s.outcome.split(" ")[0]) for s in outcome.steps if s.kind == "tool"]
    assert tools == [
        ("market-insight", "insight.ask", "ok"),
        ("finance", "finance-tools.budget_lines", "ok"),
        ("finance", "finance-tools.move_budget", "tool_approval_required"),
        ("finance", "finance-tools.budget_lines", "ok"),
        ("finance", "finance-tools.move_budget", "ok"),
    ]
    lines = {line["id"]: line for line in json.loads(ledger.read_text())["lines"]}
    assert lines["COM-01"]["allocated_eur"] > 120_000

    trace = traces.build(rt.database, outcome.trace_id, with_audit=True)
    by_agent = {run.agent: run for _, run in traces.walk(trace.runs)}
    assert set(by_agent) == {"commercial", "market-insight", "finance"}
    root, again = trace.runs  # the finance agent's second run joined the trace to move
    assert (root.agent, again.agent) == ("commercial", "finance")
    assert [child.agent for child in root.children] == ["market-insight", "finance"]
    assert all(child.parent_run == root.run_id for child in root.children)
    kinds = {event.kind for _, run in traces.walk(trace.runs) for event in run.events}
    assert {"model_call", "tool_call", "message_sent", "message_received", "approval"} <= kinds
    assert trace.totals.tool_calls == 5
    events = [event for _, run in traces.walk(trace.runs) for event in run.events]
    moves = [e.status for e in events if e.kind == "tool_call" and e.tool.endswith("move_budget")]
    assert moves == ["awaiting_approval", "completed"]
    (approval,) = [e for e in events if e.kind == "approval"]
    assert (approval.status, approval.decided_by) == ("used", "alice")
    assert trace.totals.cost_eur > 0
    assert verify_database(rt.database).ok
