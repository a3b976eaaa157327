"""The demo's reference finance MCP server: budget lines an agent may read and move.

Run over stdio with ``python -m gouvernail.demo.finance_tools``. The ledger is a JSON file
whose path comes from ``GOUVERNAIL_FINANCE_LEDGER`` (read when a tool runs, never at import);
it is created with seed data on first use. Writes go to a temporary file renamed over the
ledger, under an exclusive ``flock`` of a sibling lock file, so a move is atomic.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

LEDGER_ENV = "GOUVERNAIL_FINANCE_LEDGER"

SEED: list[dict[str, Any]] = [
    {
        "id": "COM-01",
        "department": "Commercial",
        "label": "Field sales events",
        "allocated_eur": 420_000,
        "committed_eur": 310_500,
    },
    {
        "id": "COM-02",
        "department": "Commercial",
        "label": "Key account travel",
        "allocated_eur": 185_000,
        "committed_eur": 97_200,
    },
    {
        "id": "RND-01",
        "department": "R&D",
        "label": "R&D study programme",
        "allocated_eur": 2_400_000,
        "committed_eur": 1_985_000,
    },
    {
        "id": "RND-02",
        "department": "R&D",
        "label": "Lab equipment",
        "allocated_eur": 650_000,
        "committed_eur": 212_750,
    },
    {
        "id": "MKT-01",
        "department": "Marketing",
        "label": "Digital campaigns",
        "allocated_eur": 380_000,
        "committed_eur": 344_900,
    },
    {
        "id": "MKT-02",
        "department": "Marketing",
        "label": "Congress sponsorship",
        "allocated_eur": 260_000,
        "committed_eur": 120_000,
    },
    {
        "id": "MED-01",
        "department": "Medical affairs",
        "label": "Medical education grants",
        "allocated_eur": 300_000,
        "committed_eur": 145_300,
    },
    {
        "id": "MED-02",
        "department": "Medical affairs",
        "label": "Real-world evidence studies",
        "allocated_eur": 540_000,
        "committed_eur": 402_000,
    },
]
MONTHS_ELAPSED = 7
"""The demo's fiscal year is seven months old: commitments so far are projected over twelve."""


def _ledger_path() -> Path:
    return Path(
        os.environ.get(LEDGER_ENV) or Path(tempfile.gettempdir()) / "gouvernail-finance-ledger.json"
    )


@contextmanager
def _locked_ledger() -> Iterator[dict[str, dict[str, Any]]]:
    """The ledger's lines by id, under an exclusive lock; changes are saved atomically on exit."""
    path = _ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(path.suffix + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = (
            json.loads(path.read_text())["lines"]
            if path.exists()
            else [dict(line) for line in SEED]
        )
        by_id = {line["id"]: line for line in lines}
        yield by_id
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".ledger-")
        with os.fdopen(fd, "w") as out:
            json.dump({"lines": list(by_id.values())}, out, indent=2)
        os.replace(temp, path)


def _view(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "available_eur": round(line["allocated_eur"] - line["committed_eur"], 2)}


def _line(lines: dict[str, dict[str, Any]], line_id: str) -> dict[str, Any]:
    if line_id not in lines:
        raise ToolError(f"unknown budget line {line_id!r}; known lines: {', '.join(sorted(lines))}")
    return lines[line_id]


def budget_lines(department: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The budget lines (id, department, label, allocated, committed and available EUR).

    Optionally of one department only."""
    with _locked_ledger() as lines:
        return {
            "lines": [
                _view(line) for line in lines.values() if department in (None, line["department"])
            ]
        }


def move_budget(
    from_line: str, to_line: str, amount_eur: float, justification: str
) -> dict[str, Any]:
    """Move allocated budget from one line to another, at most the source's available balance."""
    with _locked_ledger() as lines:
        source, target = _line(lines, from_line), _line(lines, to_line)
        if from_line == to_line:
            raise ToolError("the source and target lines are the same")
        if amount_eur <= 0:
            raise ToolError(f"the amount must be positive, not {amount_eur}")
        available = _view(source)["available_eur"]
        if amount_eur > available:
            raise ToolError(
                f"{from_line} has only {available:.2f} EUR available, {amount_eur:.2f} EUR asked"
            )
        source["allocated_eur"] = round(source["allocated_eur"] - amount_eur, 2)
        target["allocated_eur"] = round(target["allocated_eur"] + amount_eur, 2)
        moved = {"moved_eur": amount_eur, "justification": justification}
        return {**moved, "from": _view(source), "to": _view(target)}


def forecast(line: str) -> dict[str, Any]:
    """A linear year-end projection of a line's commitments against its allocation."""
    with _locked_ledger() as lines:
        current = _view(_line(lines, line))
    projected = round(current["committed_eur"] * 12 / MONTHS_ELAPSED, 2)
    return {
        **current,
        "projected_year_end_eur": projected,
        "projected_gap_eur": round(current["allocated_eur"] - projected, 2),
        "method": f"commitments after {MONTHS_ELAPSED} months, extrapolated linearly to 12",
    }


def build_server() -> MCPServer:
    """The ``finance-tools`` server with its three tools."""
    server = MCPServer("finance-tools", instructions="Budget lines of the demo company, in EUR.")
    for tool in (budget_lines, move_budget, forecast):
        server.add_tool(tool)
    return server


def main(argv: list[str]) -> None:
    """``python -m gouvernail.demo.finance_tools [--ledger PATH]`` (or the environment's
    ``GOUVERNAIL_FINANCE_LEDGER``): serve the tools over stdio."""
    if len(argv) == 2 and argv[0] == "--ledger":
        os.environ[LEDGER_ENV] = argv[1]
    elif argv:
        raise SystemExit("usage: python -m gouvernail.demo.finance_tools [--ledger PATH]")
    build_server().run("stdio")


if __name__ == "__main__":
    main(sys.argv[1:])
