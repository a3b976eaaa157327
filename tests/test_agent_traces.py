"""The trace view: commercial asks finance through a message; both call a model through the
gateway (fake provider); finance calls a tool that needed an approval (rows written through
the ORM until the tool gateway writes them). The tree, its order and totals, the export with
the audit records that document each element (their hashes recomputed), the CSV, who may read
it, the CLI, and the portal page in French and English."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.gateway_helpers import World, sdk
from tests.portal_helpers import sign_in
from tests.test_agents import agent_key, ask, register, start_run

from gouvernail.agents.models import (
    AgentRun,
    AgentTool,
    McpServer,
    ToolApproval,
    ToolCall,
)
from gouvernail.audit.chain import ChainRecord
from gouvernail.db.base import utcnow
from gouvernail.gateway.models import RequestLog
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(gateway={"inspection": "fast"})


def tool_call_and_approval(rt: Runtime, world: World, run_id: str) -> None:
    """A consequential tool call of the run: approved by its owner, then completed."""
    with rt.database.write() as session:
        run = session.scalar(select(AgentRun).where(AgentRun.run_id == run_id))
        assert run is not None
        server = McpServer(
            slug="finance-erp",
            name="Finance ERP",
            transport="streamable_http",
            url="https://erp.internal.test/mcp",
            hosting="internal",
            max_data_class="confidential",
            owner_id=world.users["alice"],
            created_by=world.users["alice"],
        )
        session.add(server)
        session.flush()
        tool = AgentTool(server_id=server.id, name="finance-erp.budget_move", tool="budget_move")
        session.add(tool)
        session.flush()
        now = utcnow()
        approval = ToolApproval(
            agent_id=run.agent_id,
            run_id=run.id,
            trace_id=run.trace_id,
            tool_id=tool.id,
            arguments='{"amount": 1000}',
            arguments_hash="a" * 64,
            approver="owner",
            status="used",
            requested_at=now,
            expires_at=now + timedelta(hours=1),
            decided_by=world.users["bob"],
            decided_at=now,
            reason="within the quarter's budget",
        )
        session.add(approval)
        session.flush()
        session.add(
            ToolCall(
                call_id="call_0001",
                agent_id=run.agent_id,
                run_id=run.id,
                trace_id=run.trace_id,
                tool_id=tool.id,
                tool_name=tool.name,
                status="completed",
                arguments_hash="a" * 64,
                approval_id=approval.id,
                cost_eur=Decimal("0.01"),
                latency_ms=42,
                created_at=now + timedelta(microseconds=10),
            )
        )


class Story:
    """Commercial's run asks finance; finance's run takes the message up and answers."""

    def __init__(self, gw: TestClient, login: Login, world: World, rt: Runtime) -> None:
        register(gw, login, world, slug="finance-bot", data_classes=["internal"])
        register(gw, login, world, slug="commercial-bot", peer_agents=["finance-bot"])
        commercial, finance = (
            agent_key(gw, login, "commercial-bot"),
            agent_key(gw, login, "finance-bot"),
        )
        self.asker = start_run(gw, commercial)
        ask(sdk(gw, commercial), self.asker["run_id"])
        sent = gw.post(
            "/api/v1/agents/messages",
            json={"to": "finance-bot", "content": "Budget marketing restant ?"},
            headers={
                "Authorization": f"Bearer {commercial}",
                "x-gouvernail-agent-run": self.asker["run_id"],
            },
        )
        assert sent.status_code == 201, sent.text
        self.message = sent.json()["message_id"]
        self.child = start_run(gw, finance, message_id=self.message)
        client = sdk(gw, finance)
        ask(client, self.child["run_id"])
        ask(client, self.child["run_id"])
        tool_call_and_approval(rt, world, self.child["run_id"])
        refused = gw.post(
            "/api/v1/agents/messages",
            json={"to": "commercial-bot", "content": "Il reste 12 000 EUR."},
            headers={
                "Authorization": f"Bearer {finance}",
                "x-gouvernail-agent-run": self.child["run_id"],
            },
        )
        assert refused.status_code == 403, "not a reply: finance may not write to commercial"
        self.trace_id = self.asker["trace_id"]


@pytest.fixture
def story(gw: TestClient, login: Login, world: World, rt: Runtime) -> Story:
    return Story(gw, login, world, rt)


def calls(rt: Runtime) -> list[RequestLog]:
    with rt.database.read() as session:
        return list(session.scalars(select(RequestLog).order_by(RequestLog.id)))


def test_the_trace_is_a_tree_of_runs_with_their_events_in_time_order(
    story: Story, gw: TestClient, rt: Runtime, login: Login, make_user: Callable[..., int]
) -> None:
    answer = gw.get(f"/api/v1/agents/traces/{story.trace_id}", headers=login("bob"))
    assert answer.status_code == 200, answer.text
    trace = answer.json()
    assert trace["agents"] == ["commercial-bot", "finance-bot"]
    (root,) = trace["runs"]
    assert (root["agent"], root["run_id"], root["parent_run"]) == (
        "commercial-bot",
        story.asker["run_id"],
        None,
    )
    assert [e["kind"] for e in root["events"]] == ["model_call", "message_sent"]
    assert root["events"][1]["ref"] == story.message
    (child,) = root["children"]
    assert (child["agent"], child["parent_run"], child["message_id"]) == (
        "finance-bot",
        story.asker["run_id"],
        story.message,
    )
    assert [e["kind"] for e in child["events"]] == [
        "message_received",
        "model_call",
        "model_call",
        "approval",
        "tool_call",
        "message_sent",
    ]
    times = [e["at"] for e in child["events"]]
    assert times == sorted(times)
    approval = child["events"][3]
    assert (approval["tool"], approval["status"], approval["decided_by"]) == (
        "finance-erp.budget_move",
        "used",
        "bob",
    )
    refused = child["events"][-1]
    assert (refused["refused"], refused["code"]) == (True, "agent_peer_not_allowed")

    logged = calls(rt)
    assert len(logged) == 3
    totals = trace["totals"]
    assert totals["steps"] == 4, "three model calls and one tool call"
    assert (totals["model_calls"], totals["tool_calls"], totals["messages"]) == (3, 1, 2)
    assert totals["refusals"] == 1
    assert totals["tokens"] == sum(r.prompt_tokens + r.completion_tokens for r in logged)
    assert Decimal(str(totals["cost_eur"])) == sum(r.cost_eur for r in logged) + Decimal("0.01")
    estimated = [r.gco2e for r in logged if r.gco2e is not None]
    assert totals["gco2e"] == (pytest.approx(sum(estimated)) if estimated else None)
    assert totals["calls_without_estimate"] == 3 - len(estimated)
    assert child["totals"]["steps"] == 3

    by_run = gw.get(f"/api/v1/agents/runs/{story.child['run_id']}/trace", headers=login("bob"))
    assert by_run.json() == trace
    assert gw.get("/api/v1/agents/traces/" + "0" * 32, headers=login("bob")).status_code == 404
    make_user("emp")
    assert (
        gw.get(f"/api/v1/agents/traces/{story.trace_id}", headers=login("emp")).status_code == 403
    )
    assert (
        gw.get(f"/api/v1/agents/traces/{story.trace_id}", headers=login("ref")).status_code == 200
    )


def test_the_export_carries_the_audit_records_of_each_element(
    story: Story, gw: TestClient, rt: Runtime, login: Login
) -> None:
    answer = gw.get(f"/api/v1/agents/traces/{story.trace_id}/export", headers=login("bob"))
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    exported = orjson.loads(answer.content)
    (root,) = exported["runs"]
    (child,) = root["children"]
    started = [a["action"] for a in root["audit"]]
    assert started == ["agent.run_started"]
    model_call = root["events"][0]
    assert [a["action"] for a in model_call["audit"]] == ["gateway.call_completed"]
    assert [a["action"] for a in root["events"][1]["audit"]] == ["agent.message_sent"]
    assert [a["action"] for a in child["events"][-1]["audit"]] == ["agent.message_refused"]
    for record in [*root["audit"], model_call["audit"][0], *child["audit"]]:
        fields = {k: v for k, v in record.items() if k != "hash"}
        assert ChainRecord(**fields).digest() == record["hash"], "the hash checks out"

    flat = gw.get(f"/api/v1/agents/traces/{story.trace_id}/export?format=csv", headers=login("bob"))
    assert flat.status_code == 200
    assert flat.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(flat.text)))
    assert [(r["kind"], r["depth"]) for r in rows] == [
        ("run", "0"),
        ("model_call", "0"),
        ("message_sent", "0"),
        ("run", "1"),
        ("message_received", "1"),
        ("model_call", "1"),
        ("model_call", "1"),
        ("approval", "1"),
        ("tool_call", "1"),
        ("message_sent", "1"),
    ]
    assert rows[1]["audit_hashes"] == model_call["audit"][0]["hash"]
    assert rows[9]["refused"] == "True"
    assert "Budget marketing" not in flat.text


def test_the_cli_prints_and_exports_a_trace(story: Story, cli_env: Settings, tmp_path: Any) -> None:
    from tests.conftest import invoke

    code, output = invoke("agent", "trace", story.child["run_id"], "--json")
    assert code == 0, output
    assert orjson.loads(output)["trace_id"] == story.trace_id
    code, output = invoke("agent", "trace", story.trace_id)
    assert code == 0, output
    assert "commercial-bot" in output
    assert "finance-erp.budget_move" in output
    target = tmp_path / "trace.csv"
    code, output = invoke(
        "agent", "trace", story.trace_id, "--export", str(target), "--format", "csv"
    )
    assert code == 0, output
    assert target.read_text().startswith("trace_id,agent,run_id")
    code, output = invoke("agent", "trace", "nothing-here")
    assert code == 1, output


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Model call", "Message received from", "Totals")),
        ("fr", ("Appel de modèle", "Message reçu de", "Totaux")),
    ],
)
def test_the_portal_shows_the_trace(
    story: Story, gw: TestClient, make_user: Callable[..., int], lang: str, words: tuple[str, ...]
) -> None:
    sign_in(gw, "bob")
    headers = {"accept-language": lang}
    listed = gw.get("/agents", headers=headers)
    assert listed.status_code == 200, listed.text
    assert f"/agents/traces/{story.trace_id}" in listed.text
    page = gw.get(f"/agents/traces/{story.trace_id}", headers=headers)
    assert page.status_code == 200, page.text
    assert f'lang="{lang}"' in page.text
    for word in words:
        assert word in page.text
    assert "finance-erp.budget_move" in page.text
    assert 'class="refused"' in page.text
    assert f"/api/v1/agents/traces/{story.trace_id}/export?format=csv" in page.text
    gw.cookies.clear()
    make_user("emp")
    sign_in(gw, "emp")
    assert gw.get(f"/agents/traces/{story.trace_id}", headers=headers).status_code == 403
    assert f"/agents/traces/{story.trace_id}" not in gw.get("/agents", headers=headers).text
