"""The use-case registry from the console: catalogue, intake from YAML, lifecycle, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.registry import catalogue, imports
from gouvernail.registry.schemas import TransitionIn, UseCaseIn
from gouvernail.registry.service import TransitionRefusedError

use_case_app = group("use-case", "The use-case registry: catalogue, intake, lifecycle, export.")


@use_case_app.command("list")
def use_case_list(
    status: Annotated[list[str] | None, typer.Option(help="Only these statuses.")] = None,
    department: Annotated[str | None, typer.Option(help="Team slug.")] = None,
    flag: Annotated[
        str | None, typer.Option(help="Only use cases with this flag (e.g. pilot_overdue).")
    ] = None,
) -> None:
    """The catalogue, by priority score."""
    with runtime() as rt:
        rows = catalogue.search(
            rt.use_cases,
            catalogue.Filters(status=status or [], department=department, flag=flag),
            catalogue.Sort.PRIORITY,
        )
        table = Table("ref", "title", "status", "tier", "department", "score", "flags")
        for row in rows:
            table.add_row(
                row.reference,
                row.title,
                row.status,
                row.ai_act_tier or "-",
                row.department or "-",
                "-" if row.priority_score is None else f"{row.priority_score:.1f}",
                ", ".join(row.flags),
            )
        out.print(table)


@use_case_app.command("show")
def use_case_show(use_case_id: Annotated[int, typer.Argument(help="Use case id.")]) -> None:
    """Everything the registry knows about one use case, as JSON."""
    with runtime() as rt:
        out.print_json(rt.use_cases.get(use_case_id).model_dump_json())


@use_case_app.command("submit")
def use_case_submit(
    path: Annotated[Path, typer.Argument(help="YAML with the intake fields (see the API).")],
    requester: Annotated[str, typer.Option(help="Username of the requester.")],
) -> None:
    """Submit an idea from a YAML file on behalf of a requester."""
    try:
        body = UseCaseIn.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        err.print(f"[red]invalid intake file:[/red] {error}")
        raise typer.Exit(2) from None
    with runtime() as rt:
        user = rt.directory.by_username(requester, field="requester")
        view = rt.use_cases.submit(console_context(), user.id, body)
        out.print(f"{view.reference} submitted: {view.title}")


@use_case_app.command("move")
def use_case_move(
    use_case_id: Annotated[int, typer.Argument(help="Use case id.")],
    to: Annotated[str, typer.Argument(help="Target status.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Move a use case along its lifecycle; lists the missing prerequisites if refused."""
    with runtime() as rt:
        current = rt.use_cases.get(use_case_id)
        try:
            view = rt.use_cases.transition(
                console_context(),
                use_case_id,
                TransitionIn(to=to, reason=reason, version=current.version),
            )
        except TransitionRefusedError as refused:
            err.print(f"[red]{current.reference} cannot move to {to}:[/red]")
            for item in refused.missing:
                err.print(f"  - {item.code}: {item.message}")
            raise typer.Exit(1) from None
        out.print(f"{view.reference} is now {view.status}")


@use_case_app.command("export")
def use_case_export(
    path: Annotated[Path, typer.Argument(help="File to write (.csv or .xlsx).")],
) -> None:
    """Export the catalogue as CSV or XLSX."""
    fmt = (
        catalogue.ExportFormat.XLSX
        if path.suffix.lower() == ".xlsx"
        else catalogue.ExportFormat.CSV
    )
    with runtime() as rt:
        rows = catalogue.search(rt.use_cases, catalogue.Filters(), catalogue.Sort.PRIORITY)
        body, _ = catalogue.export(rows, fmt)
        path.write_bytes(body)
        out.print(f"{len(rows)} use cases written to {path}")


@use_case_app.command("import")
def use_case_import(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX, one row per use case.")],
    partial: Annotated[
        bool, typer.Option(help="Import the good rows even if some are bad.")
    ] = False,
) -> None:
    """Import an existing inventory of use cases; every bad row is reported, and nothing is
    imported if any row is bad unless --partial."""
    with runtime() as rt:
        try:
            report = imports.import_use_cases(
                rt.use_cases, console_context(), path.read_bytes(), path.name, partial=partial
            )
        except GouvernailError as error:
            err.print(f"[red]{error.message}[/red]")
            for row in error.details or []:
                err.print(f"  line {row['line']}, {row['field']}: {row['message']}")
            raise typer.Exit(1) from None
        for skipped in report.errors:
            err.print(f"  skipped line {skipped.line}, {skipped.field}: {skipped.message}")
        out.print(f"{len(report.imported)} of {report.rows} rows imported")
