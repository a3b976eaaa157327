"""What the tool gateway adds to an agent's tool call, against calling the MCP server directly.

    .venv/bin/python benchmarks/tool_gateway.py [--calls 300] [--inspection full|fast|off]

Sets up a throwaway installation (the set-up of ``benchmarks/gateway_server.py``: SQLite, the
shipped charter, an employee who accepted it, a use case in production), registers an agent
owned by that employee, and the demo's finance MCP server over stdio (a real subprocess, its
ledger in the temporary directory), its tools reviewed. Then, in one process and one event loop:

- **direct**: ``McpConnector.call_tool`` on the open session (what any MCP client pays);
- **gateway**: ``POST /api/v1/agents/tools/finance-tools.forecast/call`` with the agent's key,
  through the whole application over ASGI (no socket): authentication and admission, the run,
  the tool's governance, inspection of the arguments and of the result, the quota store, the
  same MCP call, and the durable audit record and ``agent_tool_calls`` row of every call.

Prints p50, p90 and p99 latency of each and the difference. Arguments and results are small
(a budget line); the figure is the gateway's fixed cost per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return statistics.median(ordered), at(0.90), at(0.99)


async def measure(calls: int, data_dir: Path) -> None:
    import httpx
    from sqlalchemy import select

    from gouvernail.agents.models import ToolStatus
    from gouvernail.agents.schemas import AgentIn
    from gouvernail.agents.tools.schemas import McpServerIn
    from gouvernail.app import create_app
    from gouvernail.audit import AuditContext
    from gouvernail.audit import events as ev
    from gouvernail.identity.models import User
    from gouvernail.registry.models import UseCase
    from gouvernail.runtime import Runtime
    from gouvernail.settings import Settings

    rt = Runtime.build(Settings())
    ctx = AuditContext(ev.Actor(id="bench", name="benchmark set-up"), "bench-tools")
    with rt.database.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == "camille"))
        use_case_id = session.scalar(select(UseCase.id))
    assert user_id is not None
    assert use_case_id is not None
    rt.tool_inventory.register_server(
        ctx,
        McpServerIn(
            slug="finance-tools",
            name="Finance tools",
            transport="stdio",
            command=[
                sys.executable,
                "-m",
                "gouvernail.demo.finance_tools",
                "--ledger",
                str(data_dir / "ledger.json"),
            ],
            hosting="self_hosted",
            max_data_class="secret",
            reason="benchmark",
        ),
        by=user_id,
    )
    synced = await rt.tool_inventory.sync(ctx, "finance-tools")
    for tool in synced.tools:
        rt.tool_inventory.set_tool_status(ctx, tool.name, ToolStatus.ACTIVE, "benchmark")
    rt.agents.register(
        ctx,
        AgentIn(
            slug="bench-agent",
            name="Bench agent",
            use_case_id=use_case_id,
            owner_id=user_id,
            purpose="Calls one tool many times (benchmark).",
            allowed_models=["gpt-4o-mini"],
            allowed_tools=["finance-tools.forecast"],
            max_steps=100_000,
            max_seconds=7 * 86_400,
            reason="benchmark",
        ),
        by=user_id,
    )
    key = rt.agents.issue_key(ctx, "bench-agent", name="bench").secret
    spec = rt.tool_inventory.spec_of("finance-tools")
    arguments = {"line": "COM-01"}

    direct: list[float] = []
    for _ in range(20):  # warm-up: the session is open, the imports done
        await rt.mcp_connector.call_tool(spec, "forecast", arguments)
    for _ in range(calls):
        started = time.perf_counter()
        await rt.mcp_connector.call_tool(spec, "forecast", arguments)
        direct.append((time.perf_counter() - started) * 1000)

    app = create_app(rt.settings, rt)
    headers = {"Authorization": f"Bearer {key}", "x-gouvernail-agent-run": "bench-run-0001"}
    through: list[float] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        url = "/api/v1/agents/tools/finance-tools.forecast/call"
        for _ in range(20):
            response = await http.post(url, json={"arguments": arguments}, headers=headers)
            assert response.status_code == 200, response.text
            assert not response.json()["is_error"], response.text
        for _ in range(calls):
            started = time.perf_counter()
            response = await http.post(url, json={"arguments": arguments}, headers=headers)
            through.append((time.perf_counter() - started) * 1000)
            assert not response.json()["is_error"], response.text
    await rt.mcp_connector.aclose()
    rt.close()

    d50, d90, d99 = percentiles(direct)
    g50, g90, g99 = percentiles(through)
    inspection = os.environ.get("GOUVERNAIL_GATEWAY__INSPECTION", "full")
    print(f"tool calls: {calls} each, inspection {inspection}, SQLite, stdio MCP server")
    print(f"direct MCP call      p50 {d50:7.2f} ms  p90 {d90:7.2f} ms  p99 {d99:7.2f} ms")
    print(f"through the gateway  p50 {g50:7.2f} ms  p90 {g90:7.2f} ms  p99 {g99:7.2f} ms")
    print(f"added by the gateway p50 {g50 - d50:7.2f} ms  p99 {g99 - d99:7.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--inspection", choices=("full", "fast", "off"), default="full")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="gouvernail-bench-tools-"))
    os.environ["GOUVERNAIL_DATA_DIR"] = str(data_dir)
    os.environ["GOUVERNAIL_LOG_LEVEL"] = "WARNING"
    os.environ["GOUVERNAIL_JOBS__EMBEDDED_WORKER"] = "false"
    os.environ["GOUVERNAIL_GATEWAY__INSPECTION"] = args.inspection
    try:
        from gateway_server import prepare

        prepare(data_dir, "http://127.0.0.1:9/v1", "sk-bench-0000")
        asyncio.run(measure(args.calls, data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
