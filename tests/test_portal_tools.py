"""The agents' tools in the inventory page: MCP servers with the names of their secrets (never
the values), their tools and governance, the latest tool calls (never their arguments), and
suspending or resuming a tool or a server with a reason, each by those the policy allows.

The server is real: ``tests/mcp_servers/notes.py`` run over stdio and synced through the
service."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.gateway_helpers import World
from tests.inventory_helpers import records
from tests.mcp_servers import NOTES_PATH
from tests.portal_helpers import csrf_of, post, sign_in
from tests.test_agent_tools import add_agent, call

from gouvernail.agents.models import ToolStatus
from gouvernail.agents.tools.schemas import McpServerIn
from gouvernail.audit import AuditContext
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

PAGE = "/inventory/tools"
SECRET_VALUE = "tok-5f2a9c-never-on-a-page"
Login = Callable[[str], dict[str, str]]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Fast detectors: no name model to load."""
    return make_settings(gateway={"inspection": "fast"})


@pytest.fixture
def notes(rt: Runtime, ctx: AuditContext, world: World, monkeypatch: pytest.MonkeyPatch) -> str:
    """The notes server registered with a secret and synced: its tools start suspended."""
    monkeypatch.setenv("NOTES_API_TOKEN", SECRET_VALUE)
    rt.tool_inventory.register_server(
        ctx,
        McpServerIn(
            slug="notes",
            name="Team notes",
            transport="stdio",
            command=[sys.executable, str(NOTES_PATH)],
            secret_env={"NOTES_TOKEN": "NOTES_API_TOKEN"},
            hosting="self_hosted",
            max_data_class="secret",
            reason="the regulatory team's notes, served inside the company",
        ),
        by=world.users["ref"],
    )
    try:
        asyncio.run(rt.tool_inventory.sync(ctx, "notes"))
    finally:
        asyncio.run(rt.mcp_connector.aclose())
    return "notes"


def test_the_page_lists_servers_tools_and_secret_names_never_values(
    gw: TestClient, rt: Runtime, notes: str
) -> None:
    sign_in(gw, "ref")
    page = gw.get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert "Team notes" in text
    assert "self-hosted" in text
    assert "NOTES_API_TOKEN" in text
    assert "as the variable NOTES_TOKEN" in text
    assert SECRET_VALUE not in text
    assert "notes.search_notes" in text
    assert "Search the team notes" in text  # the description, shortened
    assert "new: listed by its server, not reviewed yet" in text
    assert "suspended until reviewed" in text
    assert "gouvernail mcp tool govern" in text  # governance stays in the API and the CLI
    assert 'action="/inventory/tools/notes.search_notes/resume"' in text
    assert 'action="/inventory/mcp-servers/notes/suspend"' in text
    assert 'href="/inventory/tools"' in gw.get("/inventory").text


def test_an_employee_may_not_open_the_page(gw: TestClient, notes: str) -> None:
    sign_in(gw, "nora")
    refused = gw.get(PAGE)
    assert refused.status_code == 403
    assert "Access refused" in refused.text
    assert 'href="/inventory/tools"' not in gw.get("/inventory").text


def test_a_security_referent_suspends_an_ai_referent_resumes(
    gw: TestClient,
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    notes: str,
) -> None:
    rt.tool_inventory.set_tool_status(
        ctx, "notes.search_notes", ToolStatus.ACTIVE, "reviewed its description and schema"
    )
    make_user("sam", "security_referent")
    token = sign_in(gw, "sam")
    page = gw.get(PAGE).text
    assert 'action="/inventory/tools/notes.search_notes/suspend"' in page
    assert "/resume" not in page  # resuming is for those who manage tools

    missing = post(gw, f"{PAGE}/notes.search_notes/suspend", token, reason="x")
    assert missing.status_code == 422
    assert "Say why" in missing.text
    done = post(gw, f"{PAGE}/notes.search_notes/suspend", token, reason="odd results seen")
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"{PAGE}?done=tool-suspended")
    assert "notes.search_notes is suspended" in gw.get(done.headers["location"]).text
    assert rt.tool_inventory.tool("notes.search_notes").status == "suspended"
    (changed,) = records(rt, "agent_tool.status_changed")[-1:]
    assert (changed["object_id"], changed["new"], changed["reason"], changed["actor"]) == (
        "notes.search_notes",
        {"status": "suspended"},
        "odd results seen",
        "Sam (sam)",
    )
    again = post(gw, f"{PAGE}/notes.search_notes/suspend", token, reason="once more")
    assert again.status_code == 409  # the service's refusal, shown on the page
    assert "already suspended" in again.text
    assert csrf_of(again.text)

    forged = post(gw, f"{PAGE}/notes.search_notes/resume", token, reason="let it run")
    assert forged.status_code == 403
    assert "Access refused" in forged.text
    (denied,) = records(rt, "auth.access_denied")
    assert denied["new"]["action"] == "manage"  # the policy refused it, not the CSRF check
    assert rt.tool_inventory.tool("notes.search_notes").status == "suspended"

    gw.cookies.clear()
    token = sign_in(gw, "ref")
    resumed = post(gw, f"{PAGE}/notes.search_notes/resume", token, reason="results checked")
    assert resumed.status_code == 303
    assert rt.tool_inventory.tool("notes.search_notes").status == "active"
    gone = post(gw, f"{PAGE}/notes.nothing/suspend", token, reason="no such tool")
    assert gone.status_code == 404
    assert "no tool" in gone.text


def test_a_server_is_suspended_and_resumed(gw: TestClient, rt: Runtime, notes: str) -> None:
    token = sign_in(gw, "ref")
    done = post(gw, "/inventory/mcp-servers/notes/suspend", token, reason="vendor incident")
    assert done.status_code == 303
    page = gw.get(done.headers["location"]).text
    assert "The MCP server notes is suspended" in page
    assert "vendor incident" in page
    assert rt.tool_inventory.server("notes").status == "suspended"
    resumed = post(gw, "/inventory/mcp-servers/notes/resume", token, reason="incident closed")
    assert resumed.status_code == 303
    assert rt.tool_inventory.server("notes").status == "active"


def test_latest_calls_link_to_their_trace_never_their_arguments(
    gw: TestClient, login: Login, world: World, rt: Runtime, notes: str
) -> None:
    key = add_agent(gw, login, world)
    answer = call(gw, key, "notes.search_notes", query="confidential-query-7c1e")
    assert answer["code"] == "tool_suspended"  # new tools wait for their review
    (made,) = rt.tool_gateway.calls()
    sign_in(gw, "ref")
    page = gw.get(PAGE).text
    assert f'href="/agents/traces/{made.trace_id}"' in page
    assert "notes-bot" in page
    assert made.code in page
    assert "confidential-query-7c1e" not in page


def test_the_page_speaks_french(gw: TestClient, notes: str) -> None:
    sign_in(gw, "ref")
    page = gw.get(PAGE, headers={"Accept-Language": "fr-FR"})
    assert '<html lang="fr">' in page.text
    assert "Outils des agents" in page.text
    assert "Serveurs MCP" in page.text
    assert "auto-hébergé" in page.text or "hébergé" in page.text
    assert "suspendu" in page.text
