"""MCP plumbing of the tool gateway: the connector to upstream servers (stdio and streamable
HTTP, real servers from ``tests/mcp_servers``), the ``/mcp`` endpoint driven by the real SDK
client, and the demo finance server."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.mcp_servers import NOTES_PATH, serve_http
from tests.mcp_servers.notes import INJECTION, build_server
from tests.oidc_provider import ServerThread

from gouvernail.agents.mcp import McpConnector, McpUnavailable, ServerSpec, ToolOutcome, ToolSpec
from gouvernail.agents.mcp.endpoint import DoorCaller, DoorRefusal, McpEndpoint

SECRET = "s3cr3t-value-never-shown"
NOTES = ServerSpec("notes", "stdio", command=(sys.executable, str(NOTES_PATH)))


def run(test: Callable[[McpConnector], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        connector = McpConnector(**options)
        try:
            await test(connector)
        finally:
            await connector.aclose()

    anyio.run(main)


@pytest.fixture(scope="module")
def notes_url() -> Iterator[str]:
    with serve_http(build_server(), bearer=SECRET) as url:
        yield url


def test_stdio_lists_and_calls_tools_over_one_session() -> None:
    async def check(connector: McpConnector) -> None:
        tools = {tool.name: tool for tool in await connector.list_tools(NOTES)}
        assert {"search_notes", "fail", "big", "slow"} <= set(tools)
        assert tools["search_notes"].input_schema["properties"]["query"]["type"] == "string"
        outcome = await connector.call_tool(NOTES, "search_notes", {"query": "offsite"})
        assert not outcome.is_error
        assert INJECTION in outcome.text
        failed = await connector.call_tool(NOTES, "fail", {})
        assert failed.is_error
        assert "unavailable" in failed.text

    run(check)


def test_stdio_environment_is_explicit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOUVERNAIL_TEST_SECRET", SECRET)
    server = ServerSpec("notes", "stdio", command=NOTES.command, env={"NOTES_TOKEN": "given"})

    async def check(connector: McpConnector) -> None:
        keys = (await connector.call_tool(server, "env_keys", {})).text.split(",")
        assert "NOTES_TOKEN" in keys
        assert "PATH" in keys
        assert "GOUVERNAIL_TEST_SECRET" not in keys
        assert (
            await connector.call_tool(server, "env_value", {"name": "NOTES_TOKEN"})
        ).text == "given"

    run(check)


def test_a_dead_stdio_server_fails_the_call_and_is_restarted() -> None:
    async def check(connector: McpConnector) -> None:
        with pytest.raises(McpUnavailable, match=r"'notes'.*Connection closed"):
            await connector.call_tool(NOTES, "crash", {})
        assert (await connector.call_tool(NOTES, "big", {"n": 3})).text == "xxx"

    run(check)


def test_timeout_is_unavailable() -> None:
    async def check(connector: McpConnector) -> None:
        with pytest.raises(McpUnavailable, match=r"'notes'.*timed out"):
            await connector.call_tool(NOTES, "slow", {"seconds": 5})

    run(check, timeout_seconds=1.5)


def test_bad_command_is_unavailable_without_secrets() -> None:
    server = ServerSpec(
        "ghost", "stdio", command=("/nonexistent/mcp-server",), env={"TOKEN": SECRET}
    )

    async def check(connector: McpConnector) -> None:
        with pytest.raises(McpUnavailable) as caught:
            await connector.list_tools(server)
        assert "'ghost'" in str(caught.value)
        assert "No such file" in str(caught.value)
        assert SECRET not in str(caught.value)

    run(check)


def test_huge_results_are_truncated_with_a_marker() -> None:
    async def check(connector: McpConnector) -> None:
        outcome = await connector.call_tool(NOTES, "big", {"n": 5000})
        assert not outcome.is_error
        assert outcome.structured is None
        assert outcome.text.startswith("x" * 100 + "\n[truncated: the result had 5000 characters")

    run(check, max_result_chars=100)


def test_streamable_http_with_headers(notes_url: str) -> None:
    server = ServerSpec(
        "notes-http",
        "streamable_http",
        url=notes_url,
        headers={"Authorization": f"Bearer {SECRET}"},
    )

    async def check(connector: McpConnector) -> None:
        assert "search_notes" in {tool.name for tool in await connector.list_tools(server)}
        outcome = await connector.call_tool(server, "search_notes", {"query": "budget"})
        assert outcome == ToolOutcome(False, NOTES_BUDGET, {"result": NOTES_BUDGET})
        assert (await connector.call_tool(server, "fail", {})).is_error

    run(check)


NOTES_BUDGET = "Q3 budget review: marketing spend is 4% under plan; R&D on track."


@pytest.mark.parametrize("url", ["wrong-key", "http://127.0.0.1:9/mcp"])
def test_unreachable_or_refused_http_is_unavailable_without_secrets(
    notes_url: str, url: str
) -> None:
    wrong = f"{SECRET}-wrong"
    server = ServerSpec(
        "remote",
        "streamable_http",
        url=notes_url if url == "wrong-key" else url,
        headers={"Authorization": f"Bearer {wrong}"},
    )

    async def check(connector: McpConnector) -> None:
        with pytest.raises(McpUnavailable) as caught:
            await connector.list_tools(server)
        assert "'remote'" in str(caught.value)
        assert wrong not in str(caught.value)

    run(check, timeout_seconds=5)


# --- the /mcp endpoint -----------------------------------------------------------------------


class FakeDoor:
    """Accepts "gk_good", refuses "gk_bad" (401) and "gk_suspended" (403); records callers."""

    def __init__(self) -> None:
        self.callers: list[tuple[str, DoorCaller]] = []

    async def authenticate(self, caller: DoorCaller) -> None:
        self.callers.append(("authenticate", caller))
        if caller.key == "gk_suspended":
            raise DoorRefusal(403, "agent_suspended", "this agent is suspended")
        if caller.key != "gk_good":
            raise DoorRefusal(401, "invalid_api_key", "unknown API key")

    async def list_tools(self, caller: DoorCaller) -> list[ToolSpec]:
        self.callers.append(("list_tools", caller))
        schema = {"type": "object", "properties": {"query": {"type": "string"}}}
        return [
            ToolSpec("notes.search_notes", "Search notes", schema),
            ToolSpec("notes.fail", "Fails", {"type": "object"}),
        ]

    async def call_tool(
        self, caller: DoorCaller, name: str, arguments: dict[str, Any]
    ) -> ToolOutcome:
        self.callers.append((f"call_tool {name} {json.dumps(arguments)}", caller))
        if name == "notes.fail":
            return ToolOutcome(True, "refused by policy rule tools.deny")
        return ToolOutcome(False, f"found {arguments.get('query')}", {"hits": 1})


@contextlib.contextmanager
def gateway(door: FakeDoor) -> Iterator[str]:
    endpoint = McpEndpoint(lambda: door)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with endpoint.running():
            yield

    thread = ServerThread(Starlette(routes=[Mount("/mcp", endpoint)], lifespan=lifespan))
    thread.start()
    try:
        yield thread.url
    finally:
        thread.stop()


@pytest.mark.parametrize("path", ["/mcp/", "/mcp"])
def test_endpoint_serves_the_door_to_the_sdk_client(path: str) -> None:
    door = FakeDoor()
    headers = {
        "Authorization": "Bearer gk_good",
        "x-gouvernail-agent-run": "run-42",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "x-request-id": "req-1",
    }

    async def drive(url: str) -> None:
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(url, http_client=http), cache=None) as client,
        ):
            listed = await client.list_tools()
            assert [tool.name for tool in listed.tools] == ["notes.search_notes", "notes.fail"]
            found = await client.call_tool("notes.search_notes", {"query": "q3"})
            assert not found.is_error
            assert found.content[0].text == "found q3"
            assert found.structured_content == {"hits": 1}
            refused = await client.call_tool("notes.fail", {})
            assert refused.is_error
            assert "tools.deny" in refused.content[0].text

    with gateway(door) as base:
        anyio.run(drive, base + path)
    steps = {step for step, _ in door.callers}
    assert {"authenticate", "list_tools", 'call_tool notes.search_notes {"query": "q3"}'} <= steps
    for _, caller in door.callers:
        assert caller == DoorCaller("gk_good", "run-42", headers["traceparent"], "req-1")


def test_endpoint_refuses_before_any_mcp_exchange() -> None:
    door = FakeDoor()
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    with gateway(door) as base, httpx.Client(base_url=base) as http:
        missing = http.post("/mcp/", json=body)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"]["code"] == "missing_api_key"
        bad = http.post("/mcp/", json=body, headers={"Authorization": "Bearer gk_bad"})
        assert (bad.status_code, bad.json()["error"]["code"]) == (401, "invalid_api_key")
        suspended = http.post("/mcp/", json=body, headers={"Authorization": "Bearer gk_suspended"})
        assert (suspended.status_code, suspended.json()["error"]["code"]) == (
            403,
            "agent_suspended",
        )
    assert [step for step, _ in door.callers] == ["authenticate", "authenticate"]
    assert door.callers[0][1].request_id != door.callers[1][1].request_id  # fresh uuids


def test_endpoint_answers_non_object_arguments_with_an_error_result() -> None:
    door = FakeDoor()
    headers = {
        "Authorization": "Bearer gk_good",
        "Accept": "application/json, text/event-stream",
        "x-request-id": "bad id with spaces",
    }
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "notes.search_notes", "arguments": ["not", "an", "object"]},
    }
    with gateway(door) as base, httpx.Client(base_url=base) as http:
        answer = http.post("/mcp/", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["isError"] is True
    assert "JSON object" in result["content"][0]["text"]
    assert [step for step, _ in door.callers] == ["authenticate"]
    assert len(door.callers[0][1].request_id) == 32  # the insane id was replaced


# --- the demo finance server -----------------------------------------------------------------


def test_finance_tools_over_stdio(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    finance = ServerSpec(
        "finance",
        "stdio",
        command=(sys.executable, "-m", "gouvernail.demo.finance_tools"),
        env={"GOUVERNAIL_FINANCE_LEDGER": str(ledger), "PYTHONPATH": str(Path("src").resolve())},
    )

    async def check(connector: McpConnector) -> None:
        names = {tool.name for tool in await connector.list_tools(finance)}
        assert names == {"budget_lines", "move_budget", "forecast"}
        listed = await connector.call_tool(finance, "budget_lines", {"department": "R&D"})
        lines = json.loads(listed.text)["lines"]
        assert lines
        assert all(line["department"] == "R&D" for line in lines)
        source, target = lines[0], lines[1]
        moved = await connector.call_tool(
            finance,
            "move_budget",
            {
                "from_line": source["id"],
                "to_line": target["id"],
                "amount_eur": 1000,
                "justification": "test",
            },
        )
        assert not moved.is_error, moved.text
        saved = {line["id"]: line for line in json.loads(ledger.read_text())["lines"]}
        assert saved[source["id"]]["allocated_eur"] == source["allocated_eur"] - 1000
        assert saved[target["id"]]["allocated_eur"] == target["allocated_eur"] + 1000
        overdraw = await connector.call_tool(
            finance,
            "move_budget",
            {
                "from_line": source["id"],
                "to_line": target["id"],
                "amount_eur": 10**9,
                "justification": "greed",
            },
        )
        assert overdraw.is_error
        assert "available" in overdraw.text
        unknown = await connector.call_tool(
            finance,
            "move_budget",
            {"from_line": "nope", "to_line": target["id"], "amount_eur": 1, "justification": "x"},
        )
        assert unknown.is_error
        assert not (await connector.call_tool(finance, "forecast", {"line": target["id"]})).is_error

    run(check)
