"""The tool gateway: MCP servers and tools in the inventory (rights, sync, governance), an
agent's tool calls through the same identity, policy and audit as its model calls (allowed
tools, suspension, the class of arguments and results, prompt injection in results, approvals
with and without an electronic signature, rate limits, budgets and run limits), and the
``/mcp`` endpoint driven by the official MCP client.

Every MCP server here is real: ``tests/mcp_servers/notes.py`` and the demo's finance server
run as stdio subprocesses, and the notes server is also served over streamable HTTP.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx2
import openai
import pytest
from fastapi.testclient import TestClient
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select
from tests.gateway_helpers import World, install_gateway, sdk, transport_for
from tests.inventory_helpers import records
from tests.mcp_servers import NOTES_PATH, serve_http
from tests.mcp_servers.notes import INJECTION, build_server
from tests.oidc_provider import ServerThread

from gouvernail.agents.mcp.endpoint import DoorCaller
from gouvernail.agents.models import AgentRun, ToolCall
from gouvernail.agents.telemetry import run_span_id
from gouvernail.agents.tools import gateway as tools_module
from gouvernail.app import create_app
from gouvernail.gateway import record as record_module
from gouvernail.gateway.accounting import Claim, Limits, QuotaExceeded, RedisQuotaStore, Scope
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
RUN = "run-tools-0001"


def server_body(slug: str = "notes", **fields: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Team notes",
        "transport": "stdio",
        "command": [sys.executable, str(NOTES_PATH)],
        "hosting": "self_hosted",
        "max_data_class": "secret",
        "reason": "the regulatory team's notes, served inside the company",
        **fields,
    }


def add_server(gw: TestClient, login: Login, **fields: Any) -> dict[str, Any]:
    response = gw.post(
        "/api/v1/agents/mcp-servers", json=server_body(**fields), headers=login("ref")
    )
    assert response.status_code == 201, response.text
    synced = gw.post(
        f"/api/v1/agents/mcp-servers/{response.json()['slug']}/sync", headers=login("ref")
    )
    assert synced.status_code == 200, synced.text
    return dict(synced.json())


def activate(gw: TestClient, login: Login, *names: str) -> None:
    for name in names:
        response = gw.post(
            f"/api/v1/agents/tools/{name}/resume",
            json={"reason": "reviewed its description and schema"},
            headers=login("ref"),
        )
        assert response.status_code == 200, response.text


def govern(gw: TestClient, login: Login, name: str, **fields: Any) -> dict[str, Any]:
    version = gw.get(f"/api/v1/agents/tools/{name}", headers=login("ref")).json()["version"]
    response = gw.patch(
        f"/api/v1/agents/tools/{name}",
        json={"version": version, "reason": "set by the AI referent", **fields},
        headers=login("ref"),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def add_agent(
    gw: TestClient, login: Login, world: World, slug: str = "notes-bot", **fields: Any
) -> str:
    body = {
        "slug": slug,
        "name": "Notes bot",
        "use_case_id": world.use_cases["drafting"],
        "owner_id": world.users["bob"],
        "purpose": "Answers questions from the team notes and moves budget when approved.",
        "allowed_models": ["gpt-eu"],
        "allowed_tools": ["notes.search_notes", "notes.fail"],
        "reason": "pilot",
        **fields,
    }
    response = gw.post("/api/v1/agents", json=body, headers=login("alice"))
    assert response.status_code == 201, response.text
    key = gw.post(f"/api/v1/agents/{slug}/keys", json={"name": "key"}, headers=login("bob"))
    assert key.status_code == 201, key.text
    return str(key.json()["secret"])


def call(
    gw: TestClient, key: str, tool: str, run: str | None = RUN, **arguments: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    if run:
        headers["x-gouvernail-agent-run"] = run
    response = gw.post(
        f"/api/v1/agents/tools/{tool}/call", json={"arguments": arguments}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def calls(rt: Runtime) -> list[ToolCall]:
    with rt.database.read() as session:
        return list(session.scalars(select(ToolCall).order_by(ToolCall.id)))


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Fast detectors (identifiers, markers, injection signals): no name model to load."""
    return make_settings(gateway={"inspection": "fast"})


@pytest.fixture
def ready(gw: TestClient, login: Login, world: World) -> str:
    """The notes server synced, its search and fail tools active, the agent's key."""
    add_server(gw, login)
    activate(gw, login, "notes.search_notes", "notes.fail")
    return add_agent(gw, login, world)


def finance_server(
    gw: TestClient, login: Login, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_FINANCE_LEDGER", str(tmp_path / "ledger.json"))
    add_server(
        gw,
        login,
        slug="finance",
        name="Finance tools",
        command=[sys.executable, "-m", "gouvernail.demo.finance_tools"],
        secret_env={"GOUVERNAIL_FINANCE_LEDGER": "TEST_FINANCE_LEDGER"},
    )
    activate(gw, login, "finance.budget_lines", "finance.move_budget")
    govern(gw, login, "finance.move_budget", consequential=True)


# --- the inventory ---------------------------------------------------------------------------


def test_servers_and_tools_are_registered_synced_and_governed_by_referents(
    gw: TestClient, login: Login, world: World, rt: Runtime
) -> None:
    refused = gw.post("/api/v1/agents/mcp-servers", json=server_body(), headers=login("bob"))
    assert refused.status_code == 403
    bad = gw.post(
        "/api/v1/agents/mcp-servers",
        json=server_body(max_data_class="top-secret"),
        headers=login("ref"),
    )
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "max_data_class")
    no_url = gw.post(
        "/api/v1/agents/mcp-servers",
        json=server_body(transport="streamable_http", command=[]),
        headers=login("ref"),
    )
    assert (no_url.status_code, no_url.json()["error"]["field"]) == (400, "url")

    synced = add_server(gw, login)
    names = {t["name"] for t in synced["tools"]}
    assert {"notes.search_notes", "notes.fail", "notes.big"} <= names
    assert all(t["status"] == "suspended" for t in synced["tools"]), "new tools wait for review"
    assert synced["added"]
    assert not synced["changed"]
    again = gw.post("/api/v1/agents/mcp-servers/notes/sync", headers=login("ref")).json()
    assert (again["added"], again["changed"], again["gone"]) == ([], [], [])

    tool = gw.get("/api/v1/agents/tools/notes.search_notes", headers=login("ref")).json()
    assert tool["input_schema"]["properties"]["query"]["type"] == "string"
    stale = gw.patch(
        "/api/v1/agents/tools/notes.search_notes",
        json={"version": tool["version"] + 5, "reason": "stale", "result_class": "internal"},
        headers=login("ref"),
    )
    assert stale.status_code == 409
    gxp_alone = gw.patch(
        "/api/v1/agents/tools/notes.search_notes",
        json={"version": tool["version"], "reason": "gxp", "gxp": True},
        headers=login("ref"),
    )
    assert (gxp_alone.status_code, gxp_alone.json()["error"]["field"]) == (400, "gxp")
    governed = govern(gw, login, "notes.search_notes", result_class="internal")
    assert governed["result_class"] == "internal"
    assert (
        gw.patch(
            "/api/v1/agents/tools/notes.search_notes",
            json={"version": governed["version"], "reason": "x", "result_class": "public"},
            headers=login("bob"),
        ).status_code
        == 403
    )

    (registered,) = records(rt, "mcp_server.registered")
    assert registered["new"]["transport"] == "stdio"
    assert records(rt, "mcp_server.tools_synced")[0]["new"]["listed"] == len(names)
    (changed,) = records(rt, "agent_tool.governed")
    assert changed["new"] == {"result_class": "internal"}


def test_a_changed_tool_is_suspended_until_reviewed_again(
    gw: TestClient, login: Login, world: World, rt: Runtime, ready: str
) -> None:
    with rt.database.write() as session:
        tool = session.scalar(select(ToolCall).limit(1))
        assert tool is None
        from gouvernail.agents.models import AgentTool

        stored = session.scalar(select(AgentTool).where(AgentTool.name == "notes.search_notes"))
        assert stored is not None
        stored.description = "an older wording the referent reviewed"
    synced = gw.post("/api/v1/agents/mcp-servers/notes/sync", headers=login("ref")).json()
    assert synced["changed"] == ["notes.search_notes"]
    answer = call(gw, ready, "notes.search_notes", query="budget")
    assert (answer["is_error"], answer["code"]) == (True, "tool_suspended")
    assert "changed" in answer["text"]


# --- calls ---------------------------------------------------------------------------------------


def test_an_agent_sees_and_calls_only_its_allowed_active_tools(
    gw: TestClient, login: Login, world: World, rt: Runtime, ready: str
) -> None:
    headers = {"Authorization": f"Bearer {ready}"}
    mine = gw.get("/api/v1/agents/me/tools", headers=headers).json()
    assert [t["name"] for t in mine] == ["notes.fail", "notes.search_notes"]

    answer = call(gw, ready, "notes.search_notes", query="budget")
    assert not answer["is_error"]
    assert "Q3 budget review" in answer["text"]
    assert answer["call_id"].startswith("tc_")

    assert call(gw, ready, "notes.nothing", query="x")["code"] == "tool_unknown"
    assert call(gw, ready, "notes.big", n=10)["code"] == "tool_not_allowed"
    failed = call(gw, ready, "notes.fail")
    assert (failed["is_error"], failed["code"]) == (True, "tool_error")
    no_run = call(gw, ready, "notes.search_notes", run=None, query="budget")
    assert no_run["code"] == "agent_run_required"
    person = gw.post(
        "/api/v1/agents/tools/notes.search_notes/call",
        json={"arguments": {"query": "x"}},
        headers=login("bob"),
    )
    assert (person.status_code, person.json()["error"]["code"]) == (403, "agent_key_required")

    rows = calls(rt)
    assert [(r.tool_name, r.status, r.code) for r in rows] == [
        ("notes.search_notes", "completed", ""),
        ("notes.nothing", "refused", "tool_unknown"),
        ("notes.big", "refused", "tool_not_allowed"),
        ("notes.fail", "failed", "tool_error"),
        ("notes.search_notes", "refused", "agent_run_required"),
    ]
    assert rows[0].trace_id
    assert rows[0].run_id is not None
    audited = records(rt, "agent.tool_called")
    assert [r["new"]["status"] for r in audited] == [r.status for r in rows]
    assert all("budget" not in json.dumps(r) for r in audited), "arguments are never recorded"
    with rt.database.read() as session:
        run = session.scalar(select(AgentRun).where(AgentRun.run_id == RUN))
        assert run is not None
    ended = gw.post(
        f"/api/v1/agents/runs/{RUN}/end", json={"reason": "done"}, headers=login("bob")
    ).json()
    assert ended["steps"] == 2, "the two calls that reached the tool are steps of the run"


def test_arguments_above_what_the_server_may_receive_are_refused(
    gw: TestClient, login: Login, world: World, rt: Runtime, ready: str
) -> None:
    add_server(
        gw,
        login,
        slug="notes-ext",
        name="Notes at a SaaS vendor",
        hosting="external_saas",
        max_data_class="confidential",
    )
    activate(gw, login, "notes-ext.search_notes")
    key = add_agent(gw, login, world, slug="ext-bot", allowed_tools=["notes-ext.search_notes"])
    fine = call(gw, key, "notes-ext.search_notes", query="budget", run="run-ext-0001")
    assert not fine["is_error"], fine
    nir = "Dossier de 2 84 05 75 115 432 45, né le 4 mai 1984"
    refused = call(gw, key, "notes-ext.search_notes", query=nir, run="run-ext-0002")
    assert refused["code"] == "tool_arguments_class_not_allowed", refused
    assert "external_saas" in refused["text"]
    last = calls(rt)[-1]
    assert (last.status, last.arguments_class) == ("refused", "secret")
    assert last.findings
    assert "FR_NIR" in json.loads(last.findings)["arguments"]


def test_a_secret_result_is_withheld_or_kept_away_from_external_models(
    gw: TestClient, login: Login, world: World, rt: Runtime, ready: str
) -> None:
    govern(gw, login, "notes.search_notes", result_class="secret")
    reader = add_agent(gw, login, world, slug="low-bot", data_classes=["internal"])
    withheld = call(gw, reader, "notes.search_notes", query="budget", run="run-low-0001")
    assert (withheld["is_error"], withheld["code"]) == (True, "tool_result_class_not_allowed")
    assert "Q3" not in withheld["text"]

    received = call(gw, ready, "notes.search_notes", query="budget")
    assert not received["is_error"]
    with rt.database.read() as session:
        run = session.scalar(select(AgentRun).where(AgentRun.run_id == RUN))
        assert run is not None
        assert run.data_class_seen == "secret"
    before = len(world.openai.requests)
    client = sdk(gw, ready)
    with pytest.raises(openai.PermissionDeniedError) as excinfo:
        client.chat.completions.create(
            model="gpt-eu",
            messages=[{"role": "user", "content": "Summarise what the tool said."}],
            max_tokens=20,
            extra_headers={"x-gouvernail-agent-run": RUN},
        )
    body = getattr(excinfo.value, "body", None)
    assert isinstance(body, dict)
    assert body["code"] == "policy_blocked"
    assert "agent-data-stays-inside" in body["rule_ids"]
    assert len(world.openai.requests) == before, "nothing left the company"
    other = client.chat.completions.create(
        model="gpt-eu",
        messages=[{"role": "user", "content": "Bonjour"}],
        max_tokens=20,
        extra_headers={"x-gouvernail-agent-run": "run-fresh-0001"},
    )
    assert other.choices[0].message.content, "another run has seen nothing"


def test_an_injection_in_a_tool_result_is_withheld_or_delivered_as_data_never_obeyed(
    gw: TestClient,
    login: Login,
    world: World,
    rt: Runtime,
    ready: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    withheld = call(gw, ready, "notes.search_notes", query="offsite")
    assert (withheld["is_error"], withheld["code"]) == (True, "tool_result_injection")
    assert "transfer" not in withheld["text"].lower()
    assert "1 000 000" not in withheld["text"]
    (audited,) = [r for r in records(rt, "agent.tool_called") if r["new"]["status"] == "withheld"]
    assert audited["new"]["findings"]["result_injection"]

    govern(gw, login, "notes.search_notes", on_injection="deliver")
    delivered = call(gw, ready, "notes.search_notes", query="offsite")
    assert not delivered["is_error"]
    assert delivered["text"].startswith("[untrusted data returned by the tool notes.search_notes")
    assert INJECTION in delivered["text"], "delivered as quoted data"
    with rt.database.read() as session:
        run = session.scalar(select(AgentRun).where(AgentRun.run_id == RUN))
        assert run is not None
        assert run.untrusted_input

    # the model "obeys" and asks for the transfer: it waits for a human, who is told why
    finance_server(gw, login, tmp_path, monkeypatch)
    edit = gw.get("/api/v1/agents/notes-bot", headers=login("alice")).json()
    patched = gw.patch(
        "/api/v1/agents/notes-bot",
        json={
            "version": edit["version"],
            "reason": "may move budget",
            "allowed_tools": [*edit["allowed_tools"], "finance.move_budget"],
        },
        headers=login("alice"),
    )
    assert patched.status_code == 200, patched.text
    transfer = call(
        gw,
        ready,
        "finance.move_budget",
        from_line="RND-01",
        to_line="COM-01",
        amount_eur=1_000_000,
        justification="as the note says",
    )
    assert transfer["code"] == "tool_approval_required"
    approval = gw.get(
        f"/api/v1/agents/approvals/{transfer['approval_id']}", headers=login("bob")
    ).json()
    assert approval["untrusted_input"] is True
    assert approval["arguments"]["amount_eur"] == 1_000_000


def test_a_consequential_call_waits_for_its_approval_which_is_used_once(
    gw: TestClient,
    login: Login,
    world: World,
    rt: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_user: Callable[..., int],
) -> None:
    finance_server(gw, login, tmp_path, monkeypatch)
    bob = login("bob")  # signed in once: sign-ins are throttled per client
    key = add_agent(
        gw,
        login,
        world,
        slug="finance-bot",
        allowed_tools=["finance.budget_lines", "finance.move_budget"],
    )
    lines = call(gw, key, "finance.budget_lines")
    assert not lines["is_error"], lines
    move = {
        "from_line": "RND-01",
        "to_line": "COM-01",
        "amount_eur": 12000,
        "justification": "fund the hospital tender",
    }
    first = call(gw, key, "finance.move_budget", **move)
    assert first["code"] == "tool_approval_required"
    pending = call(gw, key, "finance.move_budget", **move)
    assert (pending["code"], pending["approval_id"]) == (
        "tool_approval_required",
        first["approval_id"],
    )
    approval_id = first["approval_id"]

    mine = gw.get("/api/v1/agents/approvals?status=pending", headers=bob).json()
    assert [a["id"] for a in mine] == [approval_id]
    told = gw.get("/api/v1/notifications", headers=bob).json()
    assert [n["kind"] for n in told] == ["agent_approval_requested"], "once, though asked twice"
    assert f"approval {approval_id} waits for your decision" in told[0]["message"]
    make_user("emp")
    assert gw.get("/api/v1/agents/approvals", headers=login("emp")).json() == []
    decide = {"decision": "approve", "reason": "tender is strategic", "version": 1}
    refused = gw.post(
        f"/api/v1/agents/approvals/{approval_id}/decide", json=decide, headers=login("emp")
    )
    assert refused.status_code == 403
    stale = gw.post(
        f"/api/v1/agents/approvals/{approval_id}/decide",
        json={**decide, "version": 7},
        headers=bob,
    )
    assert stale.status_code == 409
    approved = gw.post(f"/api/v1/agents/approvals/{approval_id}/decide", json=decide, headers=bob)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "bob")
    decided = gw.get("/api/v1/notifications", headers=bob).json()[0]
    assert (decided["kind"], "tender is strategic" in decided["message"]) == (
        "agent_approval_decided",
        True,
    )

    other = call(gw, key, "finance.move_budget", **{**move, "amount_eur": 13000})
    assert other["code"] == "tool_approval_required", "an approval binds its exact arguments"
    done = call(gw, key, "finance.move_budget", **move)
    assert not done["is_error"], done
    assert done["approval_id"] == approval_id
    again = call(gw, key, "finance.move_budget", **move)
    assert again["code"] == "tool_approval_required", "an approval is used once"
    assert again["approval_id"] != approval_id
    used = gw.get(f"/api/v1/agents/approvals/{approval_id}", headers=bob).json()
    assert used["status"] == "used"

    # a rejection, and a GxP-relevant tool decided by an electronic signature
    reject = {"decision": "reject", "reason": "not this quarter", "version": 1}
    rejected = gw.post(
        f"/api/v1/agents/approvals/{again['approval_id']}/decide", json=reject, headers=bob
    )
    assert rejected.json()["status"] == "rejected"
    assert call(gw, key, "finance.move_budget", **move)["code"] == "tool_approval_required"
    govern(gw, login, "finance.move_budget", gxp=True)
    signed_call = call(gw, key, "finance.move_budget", **{**move, "amount_eur": 500})
    signed_id = signed_call["approval_id"]
    unsigned = gw.post(f"/api/v1/agents/approvals/{signed_id}/decide", json=decide, headers=bob)
    assert unsigned.status_code in (400, 401), unsigned.text
    wrong = gw.post(
        f"/api/v1/agents/approvals/{signed_id}/decide",
        json={**decide, "password": "not the password"},
        headers=bob,
    )
    assert wrong.status_code == 401, wrong.text
    from tests.conftest import PASSWORD

    signed = gw.post(
        f"/api/v1/agents/approvals/{signed_id}/decide",
        json={**decide, "password": PASSWORD},
        headers=bob,
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["signature_id"] is not None
    (signature,) = [
        r
        for r in records(rt, "signature.applied")
        if r["new"]["signed_object_type"] == "agent_approval"
    ]
    assert (signature["new"]["signed_object_type"], signature["new"]["meaning"]) == (
        "agent_approval",
        "approved",
    )
    assert not call(gw, key, "finance.move_budget", **{**move, "amount_eur": 500})["is_error"]
    decided = records(rt, "agent.approval_decided")
    assert [r["new"]["status"] for r in decided] == ["approved", "rejected", "approved"]


def test_tool_rate_limits_budgets_and_run_limits(
    gw: TestClient, login: Login, world: World, rt: Runtime, ready: str
) -> None:
    govern(gw, login, "notes.search_notes", max_calls_per_minute=2, cost_per_call_eur="0.50")
    assert not call(gw, ready, "notes.search_notes", query="budget")["is_error"]
    assert not call(gw, ready, "notes.search_notes", query="hiring")["is_error"]
    limited = call(gw, ready, "notes.search_notes", query="budget")
    assert limited["code"] == "tool_rate_limited"
    govern(gw, login, "notes.fail", monthly_budget_eur="1.00", cost_per_call_eur="0.60")
    first = call(gw, ready, "notes.fail")
    assert first["code"] == "tool_error", first
    assert call(gw, ready, "notes.fail")["code"] == "tool_budget_exceeded"

    activate(gw, login, "notes.big")
    tight = add_agent(gw, login, world, slug="tight-bot", max_steps=2, allowed_tools=["notes.big"])
    assert not call(gw, tight, "notes.big", run="run-tight-01", n=5)["is_error"]
    assert not call(gw, tight, "notes.big", run="run-tight-01", n=5)["is_error"]
    stopped = call(gw, tight, "notes.big", run="run-tight-01", n=5)
    assert stopped["code"] == "agent_run_limit", stopped
    paid = [r.cost_eur for r in calls(rt) if r.status in ("completed", "failed")]
    assert sum(paid) == Decimal("1.60"), "two searches and one failed call reached their tool"


def test_suspending_a_tool_its_server_or_the_agent_stops_the_next_call(
    gw: TestClient, login: Login, world: World, ready: str
) -> None:
    assert not call(gw, ready, "notes.search_notes", query="budget")["is_error"]
    suspend = {"reason": "the vendor reported a leak"}
    assert (
        gw.post(
            "/api/v1/agents/tools/notes.search_notes/suspend", json=suspend, headers=login("bob")
        ).status_code
        == 403
    )
    assert (
        gw.post(
            "/api/v1/agents/tools/notes.search_notes/suspend", json=suspend, headers=login("ref")
        ).status_code
        == 200
    )
    answer = call(gw, ready, "notes.search_notes", query="budget")
    assert (answer["code"], "vendor reported a leak" in answer["text"]) == ("tool_suspended", True)
    assert call(gw, ready, "notes.fail")["code"] == "tool_error"
    gw.post("/api/v1/agents/mcp-servers/notes/suspend", json=suspend, headers=login("ref"))
    assert call(gw, ready, "notes.fail")["code"] == "tool_suspended"
    mine = gw.get("/api/v1/agents/me/tools", headers={"Authorization": f"Bearer {ready}"})
    assert mine.json() == []
    gw.post("/api/v1/agents/notes-bot/suspend", json=suspend, headers=login("bob"))
    refused = gw.post(
        "/api/v1/agents/tools/notes.fail/call",
        json={"arguments": {}},
        headers={"Authorization": f"Bearer {ready}", "x-gouvernail-agent-run": RUN},
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "agent_suspended")


# --- over MCP, end to end ---------------------------------------------------------------------


@pytest.fixture
def served(settings: Settings, rt: Runtime, world: World) -> Iterator[str]:
    install_gateway(rt, transport_for(world))
    thread = ServerThread(create_app(settings, rt))
    thread.start()
    try:
        yield thread.url
    finally:
        thread.stop()


def test_a_server_over_streamable_http_gets_its_secret_header_from_the_environment(
    gw: TestClient,
    login: Login,
    world: World,
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTES_HTTP_BEARER", "Bearer not-the-token")
    with serve_http(build_server(), bearer="s3cret-token") as url:
        body = server_body(
            slug="notes-http",
            transport="streamable_http",
            command=[],
            url=url,
            secret_env={"Authorization": "NOTES_HTTP_BEARER"},
        )
        created = gw.post("/api/v1/agents/mcp-servers", json=body, headers=login("ref"))
        assert created.status_code == 201, created.text
        assert created.json()["secret_env"] == {"Authorization": "NOTES_HTTP_BEARER"}
        refused = gw.post("/api/v1/agents/mcp-servers/notes-http/sync", headers=login("ref"))
        assert (refused.status_code, refused.json()["error"]["code"]) == (502, "mcp_unavailable")
        assert "not-the-token" not in refused.text

        monkeypatch.setenv("NOTES_HTTP_BEARER", "Bearer s3cret-token")  # rotated: read per call
        synced = gw.post("/api/v1/agents/mcp-servers/notes-http/sync", headers=login("ref"))
        assert synced.status_code == 200, synced.text
        activate(gw, login, "notes-http.search_notes")
        key = add_agent(
            gw, login, world, slug="http-bot", allowed_tools=["notes-http.search_notes"]
        )
        answer = call(gw, key, "notes-http.search_notes", query="hiring")
        assert (answer["is_error"], "data engineers" in answer["text"]) == (False, True)
    trail = json.dumps(
        [r for a in ("mcp_server.registered", "agent.tool_called") for r in records(rt, a)]
    )
    assert "s3cret-token" not in trail


def test_the_mcp_endpoint_serves_an_agent_its_tools(
    served: str, gw: TestClient, login: Login, world: World, rt: Runtime
) -> None:
    add_server(gw, login)
    activate(gw, login, "notes.search_notes", "notes.fail")
    key = add_agent(gw, login, world)

    async def session() -> tuple[list[str], str, bool, bool]:
        headers = {"Authorization": f"Bearer {key}", "x-gouvernail-agent-run": "run-mcp-0001"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(f"{served}/mcp/", http_client=http)) as client,
        ):
            listed = await client.list_tools()
            found = await client.call_tool("notes.search_notes", {"query": "budget"})
            refused = await client.call_tool("notes.big", {"n": 3})
        text = found.content[0].text  # type: ignore[union-attr]
        return [t.name for t in listed.tools], text, bool(found.is_error), bool(refused.is_error)

    names, text, found_error, refused_error = anyio.run(session)
    assert names == ["notes.fail", "notes.search_notes"]
    assert "Q3 budget review" in text
    assert (found_error, refused_error) == (False, True)
    assert [(r.tool_name, r.code) for r in calls(rt)] == [
        ("notes.search_notes", ""),
        ("notes.big", "tool_not_allowed"),
    ]
    bad = httpx2.post(f"{served}/mcp/", json={}, headers={"Authorization": "Bearer gk_nope"})
    assert bad.status_code == 401


@pytest.fixture(autouse=True)
def _collect() -> Iterator[None]:
    """Collect garbage after each test, so an unclosed MCP subprocess is blamed on its test."""
    yield
    import gc

    gc.collect()


def test_an_approval_is_used_by_one_of_two_concurrent_calls(
    gw: TestClient,
    login: Login,
    world: World,
    rt: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finance_server(gw, login, tmp_path, monkeypatch)
    key = add_agent(gw, login, world, slug="race-bot", allowed_tools=["finance.move_budget"])
    move = {"from_line": "MKT-01", "to_line": "COM-01", "amount_eur": 1000, "justification": "x"}
    asked = call(gw, key, "finance.move_budget", **move)
    decide = {"decision": "approve", "reason": "fine once", "version": 1}
    approved = gw.post(
        f"/api/v1/agents/approvals/{asked['approval_id']}/decide", json=decide, headers=login("bob")
    )
    assert approved.status_code == 200, approved.text

    async def race() -> list[str]:
        callers = [DoorCaller(key, RUN, None, f"race-{i}") for i in range(2)]
        done = await asyncio.gather(
            *(rt.tool_gateway.invoke(c, "finance.move_budget", dict(move)) for c in callers)
        )
        await rt.mcp_connector.aclose()
        return sorted(d.code for d in done)

    assert anyio.run(race) == ["", "tool_approval_required"], "the move is made once"
    moved = [r for r in calls(rt) if r.status == "completed"]
    assert [r.approval_id for r in moved] == [asked["approval_id"]]


def test_tool_rate_limits_hold_in_the_redis_quota_store(redis_url: str) -> None:
    store = RedisQuotaStore(redis_url)
    claim = [Claim(Scope("tool", "notes.search_notes"), Limits(requests_per_minute=2))]

    async def three() -> list[str]:
        outcomes = []
        for i in range(3):
            try:
                await store.reserve(claim, request_id=f"r{i}", tokens=0, cost_eur=Decimal(0))
                outcomes.append("ok")
            except QuotaExceeded as exceeded:
                outcomes.append(exceeded.limit)
        await store.aclose()
        return outcomes

    assert asyncio.run(three()) == ["ok", "ok", "requests_per_minute"]


def test_an_agents_model_and_tool_calls_are_spans_of_its_runs_trace(
    gw: TestClient,
    login: Login,
    world: World,
    rt: Runtime,
    ready: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()  # this test's own, not the process's global one
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(record_module, "tracer", provider.get_tracer("gouvernail.gateway"))
    monkeypatch.setattr(tools_module, "tracer", provider.get_tracer("gouvernail.agents.tools"))
    assert not call(gw, ready, "notes.search_notes", query="budget")["is_error"]
    sdk(gw, ready).chat.completions.create(
        model="gpt-eu",
        messages=[{"role": "user", "content": "Bonjour"}],
        max_tokens=10,
        extra_headers={"x-gouvernail-agent-run": RUN},
    )
    provider.shutdown()
    with rt.database.read() as session:
        run = session.scalar(select(AgentRun).where(AgentRun.run_id == RUN))
        assert run is not None
        trace_id = run.trace_id
    spans = {s.name: s for s in exporter.get_finished_spans()}
    tool = spans["execute_tool notes.search_notes"]
    model = spans["chat gpt-eu"]
    for span in (tool, model):
        assert span.context is not None
        assert span.parent is not None
        assert f"{span.context.trace_id:032x}" == trace_id
        assert span.parent.span_id == run_span_id(RUN)
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gouvernail.tool_call.status"] == "completed"


def test_arguments_too_deep_or_too_large_are_refused_clearly(
    gw: TestClient, login: Login, world: World, rt: Runtime, ready: str
) -> None:
    deep: dict[str, object] = {"query": "budget"}
    for _ in range(40):
        deep = {"inner": deep}
    refused = call(gw, ready, "notes.search_notes", **deep)
    assert (refused["is_error"], refused["code"]) == (True, "tool_arguments_invalid")
    assert "deeper than 32 levels" in refused["text"]
    huge = gw.post(
        "/api/v1/agents/tools/notes.search_notes/call",
        content=b'{"arguments": {"query": "' + b"x" * (5 * 1024 * 1024) + b'"}}',
        headers={
            "Authorization": f"Bearer {ready}",
            "x-gouvernail-agent-run": RUN,
            "content-type": "application/json",
        },
    )
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "request_too_large")
    assert [r.code for r in calls(rt)] == ["tool_arguments_invalid"]
