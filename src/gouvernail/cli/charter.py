"""The acceptable-use charter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import (
    console_context,
    group,
    out,
    runtime,
)

charter_app = group("charter", "The acceptable-use charter.")


# --- charter --------------------------------------------------------------------------------------


@charter_app.command("load")
def charter_load(
    path: Annotated[Path, typer.Argument(help="YAML with number, title, body, rules.")],
    activate: Annotated[
        bool,
        typer.Option(
            help="Put it in force at once, without the approval signature (bootstrap only; "
            "recorded as such)."
        ),
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "loaded",
) -> None:
    """Draft a charter version from a YAML file."""
    with runtime() as rt:
        draft = rt.charters.load_file(console_context(), path)
        out.print(f"charter {draft.number} drafted (id {draft.id})")
        if activate:
            rt.charters.activate(console_context(), draft.id, reason=reason, require_approval=False)
            out.print(f"charter {draft.number} is in force")


@charter_app.command("list")
def charter_list() -> None:
    """List charter versions."""
    with runtime() as rt:
        table = Table("id", "number", "title", "status", "revision")
        for version in rt.charters.list():
            table.add_row(
                str(version.id),
                version.number,
                version.title,
                version.status,
                str(version.revision),
            )
        out.print(table)
