"""AI literacy (EU AI Act Art. 4): modules, completions, imports, standing and coverage."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.literacy.importer import ImportMapping
from gouvernail.literacy.importing import ImportRejectedError, ImportReport
from gouvernail.literacy.modules import ModuleSpec, validated

literacy_app = group("literacy", "AI literacy: training modules, completions, coverage.")


@literacy_app.command("modules")
def modules_list() -> None:
    """List the training modules."""
    with runtime() as rt:
        table = Table("code", "title", "audience", "validity", "required")
        for module in rt.literacy.modules():
            audience = [*module.audience_roles, *module.audience_teams, *module.audience_levels]
            table.add_row(
                module.code,
                module.title_en,
                ", ".join(audience) or "everyone",
                f"{module.validity_days} d" if module.validity_days else "no expiry",
                "yes" if module.required else "",
            )
        out.print(table)


@literacy_app.command("module-add")
def module_add(
    code: Annotated[str, typer.Argument(help="Stable code, e.g. 'ai-literacy-basics'.")],
    title_en: Annotated[str, typer.Option(help="Title in English.")],
    title_fr: Annotated[str, typer.Option(help="Title in French.")],
    description: Annotated[str, typer.Option(help="What it teaches.")] = "",
    validity_days: Annotated[
        int, typer.Option(help="Days a completion stays valid (refreshers after).")
    ] = 365,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="Never expires.")] = False,
    required: Annotated[
        bool, typer.Option("--required", help="Required of its audience for AI keys.")
    ] = False,
    role: Annotated[list[str] | None, typer.Option(help="Audience role (repeatable).")] = None,
    team: Annotated[list[str] | None, typer.Option(help="Audience team slug (repeatable).")] = None,
    level: Annotated[list[str] | None, typer.Option(help="Audience level (repeatable).")] = None,
) -> None:
    """Create a training module (audience: everyone unless roles, teams or levels given)."""
    with runtime() as rt:
        spec = validated(
            ModuleSpec,
            {
                "code": code,
                "title_en": title_en,
                "title_fr": title_fr,
                "description": description,
                "validity_days": None if no_expiry else validity_days,
                "required": required,
                "audience_roles": role or [],
                "audience_teams": team or [],
                "audience_levels": level or [],
            },
        )
        module = rt.literacy.create_module(console_context(), spec)
        out.print(f"module {module.code} created")


@literacy_app.command("module-load")
def module_load(
    path: Annotated[
        Path | None, typer.Argument(help="YAML with 'modules: [...]'; default: shipped ones.")
    ] = None,
) -> None:
    """Create the modules of a YAML file (or the shipped defaults) that do not exist yet."""
    with runtime() as rt:
        created = rt.literacy.load_modules(console_context(), path)
        out.print(f"{len(created)} module(s) created: {', '.join(m.code for m in created)}")


@literacy_app.command("record")
def record(
    user: Annotated[str, typer.Argument(help="Username or e-mail.")],
    module: Annotated[str, typer.Argument(help="Module code.")],
    date: Annotated[
        str | None, typer.Option(help="Completion date (ISO 8601; default: now).")
    ] = None,
    score: Annotated[float | None, typer.Option(help="Score, 0-100.")] = None,
    evidence: Annotated[str | None, typer.Option(help="Certificate id or reference.")] = None,
) -> None:
    """Record that a person completed a module."""
    when = None
    if date is not None:
        try:
            when = datetime.fromisoformat(date)
        except ValueError:
            raise GouvernailError(f"{date!r} is not an ISO 8601 date", field="date") from None
    with runtime() as rt:
        done = rt.literacy.record(
            console_context(),
            user_id=rt.literacy.user_id(user),
            module=module,
            completed_at=when,
            score=score,
            evidence=evidence,
        )
        until = f"{done.expires_at:%Y-%m-%d}" if done.expires_at else "no expiry"
        out.print(f"{done.username} completed {done.module_code}; valid until {until}")


def _print_report(report: ImportReport) -> None:
    for error in report.errors:
        err.print(f"line {error.line} ({error.field}): {error.reason}")
    done = f"imported {report.imported}" if report.committed else f"would import {report.valid}"
    out.print(
        f"{report.rows} row(s): {done}, duplicates {report.duplicates}, rejected {report.rejected}"
    )


@literacy_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="CSV (UTF-8 or Latin-1, ',' or ';') or XLSX.")],
    partial: Annotated[
        bool, typer.Option("--partial", help="Import the good rows even if some are bad.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="field=Header (fields: user, module, completed_at, score, evidence), repeatable.",
        ),
    ] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strptime format of the dates, e.g. %m/%d/%Y.")
    ] = None,
) -> None:
    """Import completions from a learning platform's export; bad rows are listed by line."""
    pairs: dict[str, str | None] = {"date_format": date_format}
    for item in map_ or []:
        name, sep, header = item.partition("=")
        if not sep:
            err.print(f"[red]--map {item!r}: expected field=Header[/red]")
            raise typer.Exit(2)
        pairs[name.strip()] = header.strip()
    try:
        data = path.read_bytes()
    except OSError as error:
        err.print(f"[red]cannot read {path}: {error}[/red]")
        raise typer.Exit(2) from None
    with runtime() as rt:
        mapping = validated(ImportMapping, pairs, "mapping.")
        try:
            report = rt.literacy.import_file(
                console_context(),
                data,
                filename=path.name,
                mapping=mapping,
                partial=partial,
                dry_run=dry_run,
            )
        except ImportRejectedError as rejected:
            _print_report(rejected.report)
            err.print(f"[red]rejected:[/red] {rejected.message}")
            raise typer.Exit(1) from None
        _print_report(report)


@literacy_app.command("status")
def status(user: Annotated[str, typer.Argument(help="Username or e-mail.")]) -> None:
    """A person's trainings and whether they may hold AI keys."""
    with runtime() as rt:
        mine = rt.literacy.trainings(rt.literacy.user_id(user))
        table = Table("module", "required", "status", "completed", "expires")
        for row in mine.trainings:
            table.add_row(
                row.code,
                "yes" if row.required else "",
                row.status.value,
                f"{row.completed_at:%Y-%m-%d}" if row.completed_at else "",
                f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "",
            )
        out.print(table)
        if mine.eligibility.allowed:
            out.print(f"{mine.username} may hold AI keys")
        for reason in mine.eligibility.reasons:
            out.print(f"[yellow]{reason.code}[/yellow]: {reason.message}")


@literacy_app.command("coverage")
def coverage(
    by: Annotated[str, typer.Option(help="team, role or level.")] = "team",
    team: Annotated[str | None, typer.Option(help="Team slug (with its sub-teams).")] = None,
    within_days: Annotated[
        int | None, typer.Option(help="Expiring window in days (default: settings).")
    ] = None,
) -> None:
    """Coverage of the required trainings by team, role or level, and per module."""
    with runtime() as rt:
        report = rt.literacy.coverage(by=by, team=team, within_days=within_days)
        table = Table(by, "people", "compliant", "expiring", "expired", "missing")
        for row in [*report.groups]:
            table.add_row(
                row.key,
                *(str(v) for v in (row.people, row.compliant, row.expiring, row.expired)),
                str(row.missing),
            )
        total = report.total
        table.add_row(
            "total",
            *(str(v) for v in (total.people, total.compliant, total.expiring, total.expired)),
            str(total.missing),
        )
        out.print(table)
        modules = Table("module", "required of", "valid", "expiring", "expired", "missing")
        for module in report.modules:
            modules.add_row(
                module.code,
                *(str(v) for v in (module.required_of, module.valid, module.expiring)),
                str(module.expired),
                str(module.missing),
            )
        out.print(modules)
