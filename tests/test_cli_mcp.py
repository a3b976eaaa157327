"""The tool gateway from the console: ``gouvernail mcp`` registers a real stdio MCP server,
reads its tools, governs, suspends and resumes them under the rights of the ``--as`` person,
and lists tool calls; ``gouvernail agent approvals`` and ``agent decide`` list and decide the
approvals of consequential calls (a GxP one by electronic signature, the password typed
hidden)."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PASSWORD, invoke
from tests.gateway_helpers import World
from tests.mcp_servers import NOTES_PATH
from tests.test_agent_tools import activate, add_agent, add_server, call, govern

from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
NOTES = shlex.join([sys.executable, str(NOTES_PATH)])


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Fast detectors (identifiers, markers, injection signals): no name model to load."""
    return make_settings(gateway={"inspection": "fast"})


def run_json(*args: str) -> Any:
    code, output = invoke(*args, "--json")
    assert code == 0, output
    return json.loads(output)


def add_notes(*extra: str) -> tuple[int, str]:
    return invoke(
        "mcp",
        "server",
        "add",
        "notes",
        "--name",
        "Team notes",
        "--stdio",
        NOTES,
        "--hosting",
        "self_hosted",
        "--max-class",
        "secret",
        "--reason",
        "the team's notes, served inside the company",
        *extra,
    )


def test_servers_and_tools_are_registered_synced_and_governed_from_the_console(
    cli_env: Settings, gw: TestClient, world: World
) -> None:
    code, output = add_notes("--as", "bob")
    assert code == 1, output
    assert "bob may not manage agent_tools" in output
    code, output = add_notes("--as", "ref", "--url", "https://tools.example/mcp")
    assert code == 2, output
    assert "either --stdio or --url" in output
    code, output = add_notes("--as", "ref", "--secret", "NOT-A-PAIR")
    assert code == 2, output
    code, output = add_notes("--as", "ref")
    assert code == 0, output
    assert "notes: Team notes [active] stdio" in output
    assert "hosting self_hosted, data up to secret, owner ref" in output
    (listed,) = run_json("mcp", "server", "list")
    assert (listed["slug"], listed["command"]) == ("notes", [sys.executable, str(NOTES_PATH)])

    code, output = invoke("mcp", "server", "sync", "notes", "--as", "bob")
    assert code == 1, output
    synced = run_json("mcp", "server", "sync", "notes", "--as", "ref")
    assert {"notes.search_notes", "notes.fail"} <= set(synced["added"])
    assert all(t["status"] == "suspended" for t in synced["tools"]), "new tools wait for review"
    again = run_json("mcp", "server", "sync", "notes", "--as", "ref")
    assert (again["added"], again["changed"], again["gone"]) == ([], [], [])
    names = [t["name"] for t in run_json("mcp", "tool", "list", "--server", "notes")]
    assert "notes.search_notes" in names

    before = run_json("mcp", "tool", "show", "notes.search_notes")
    code, output = invoke(
        "mcp",
        "tool",
        "govern",
        "notes.search_notes",
        "--reason",
        "answers carry internal notes",
        "--as",
        "ref",
        "--result-class",
        "internal",
        "--consequential",
        "--max-calls-per-minute",
        "5",
        "--cost-per-call-eur",
        "0.10",
    )
    assert code == 0, output
    assert "results internal, consequential, on injection withhold" in output
    assert "5/min, no budget, 0.10 EUR per call" in output
    tool = run_json("mcp", "tool", "show", "notes.search_notes")
    assert tool["version"] == before["version"] + 1
    assert (tool["result_class"], tool["consequential"], tool["gxp"]) == ("internal", True, False)
    assert (tool["max_calls_per_minute"], Decimal(tool["cost_per_call_eur"])) == (5, Decimal("0.1"))
    code, output = invoke(
        "mcp", "tool", "govern", "notes.fail", "--reason", "gxp alone", "--as", "ref", "--gxp"
    )
    assert code == 1, output
    assert "a GxP-relevant tool is consequential" in output
    code, output = invoke(
        "mcp",
        "tool",
        "govern",
        "notes.fail",
        "--reason",
        "bad",
        "--as",
        "ref",
        "--on-injection",
        "x",
    )
    assert code == 2, output
    code, output = invoke(
        "mcp", "tool", "govern", "notes.search_notes", "--reason", "no", "--as", "bob"
    )
    assert code == 1, output
    assert "may not manage" in output

    code, output = invoke(
        "mcp", "tool", "resume", "notes.search_notes", "--reason", "reviewed", "--as", "ref"
    )
    assert code == 0, output
    assert "notes.search_notes [active: reviewed]" in output
    code, output = invoke(
        "mcp", "tool", "suspend", "notes.search_notes", "--reason", "leak?", "--as", "bob"
    )
    assert code == 1, output
    assert "bob may not suspend agent_tools" in output
    code, output = invoke(
        "mcp", "tool", "suspend", "notes.search_notes", "--reason", "leak?", "--as", "ref"
    )
    assert code == 0, output
    assert "notes.search_notes [suspended: leak?]" in output
    code, output = invoke(
        "mcp", "server", "suspend", "notes", "--reason", "incident 12", "--as", "ref"
    )
    assert code == 0, output
    assert "notes: Team notes [suspended: incident 12]" in output
    code, output = invoke("mcp", "server", "resume", "notes", "--reason", "closed", "--as", "ref")
    assert code == 0, output
    assert run_json("mcp", "server", "show", "notes")["status"] == "active"

    code, output = invoke("mcp", "server", "show", "nowhere")
    assert code == 1, output
    assert "no MCP server 'nowhere'" in output
    assert run_json("mcp", "calls") == []
    code, output = invoke("mcp", "calls")
    assert (code, output.strip()) == (0, "no tool call")


def test_approvals_are_listed_and_decided_from_the_console(
    cli_env: Settings,
    gw: TestClient,
    login: Login,
    world: World,
    make_user: Callable[..., int],
) -> None:
    add_server(gw, login)
    activate(gw, login, "notes.search_notes", "notes.fail")
    govern(gw, login, "notes.search_notes", consequential=True)
    key = add_agent(gw, login, world)
    asked = call(gw, key, "notes.search_notes", query="budget")
    assert asked["code"] == "tool_approval_required", asked
    approval_id = str(asked["approval_id"])

    mine = run_json("agent", "approvals", "--as", "bob", "--status", "pending")
    assert [(a["id"], a["tool"], a["approver"]) for a in mine] == [
        (asked["approval_id"], "notes.search_notes", "owner")
    ]
    code, output = invoke("agent", "approvals", "--as", "bob")
    assert code == 0, output
    assert f"approval {approval_id} [pending] notes-bot asks to call notes.search_notes" in output
    assert 'arguments: {"query":"budget"}' in output
    make_user("emp")
    assert run_json("agent", "approvals", "--as", "emp") == []
    code, output = invoke("agent", "approvals", "--as", "bob", "--status", "maybe")
    assert code == 2, output

    code, output = invoke(
        "agent", "decide", approval_id, "--approve", "--reason", "ok", "--as", "emp"
    )
    assert code == 1, output
    assert "you may neither decide nor read this approval" in output
    code, output = invoke("agent", "decide", approval_id, "--reason", "no choice", "--as", "bob")
    assert code == 2, output
    code, output = invoke(
        "agent",
        "decide",
        approval_id,
        "--approve",
        "--reason",
        "budget notes are fine",
        "--as",
        "bob",
    )
    assert code == 0, output
    assert f"approval {approval_id} [approved]" in output
    assert "decided by bob" in output
    assert not call(gw, key, "notes.search_notes", query="budget")["is_error"]
    done, waiting = run_json("mcp", "calls", "--agent", "notes-bot")
    assert (done["approval_id"], done["code"]) == (asked["approval_id"], "")
    assert waiting["code"] == "tool_approval_required"

    # a GxP-relevant tool: the decision is an electronic signature, the password typed hidden
    govern(gw, login, "notes.search_notes", gxp=True)
    signed_id = str(call(gw, key, "notes.search_notes", query="hiring")["approval_id"])
    code, output = invoke(
        "agent",
        "decide",
        signed_id,
        "--reject",
        "--reason",
        "not now",
        "--as",
        "bob",
        stdin="not the password\n",
    )
    assert code == 1, output
    code, output = invoke(
        "agent",
        "decide",
        signed_id,
        "--reject",
        "--reason",
        "not now",
        "--as",
        "bob",
        stdin=f"{PASSWORD}\n",
    )
    assert code == 0, output
    assert "password of bob (electronic signature)" in output
    assert PASSWORD not in output, "the password is never echoed"
    assert f"approval {signed_id} [rejected]" in output
    assert "signature" in output
    (rejected,) = run_json("agent", "approvals", "--as", "bob", "--status", "rejected")
    assert rejected["signature_id"] is not None


@pytest.fixture(autouse=True)
def _collect() -> Iterator[None]:
    """Collect garbage after each test, so an unclosed MCP subprocess is blamed on its test."""
    yield
    import gc

    gc.collect()
