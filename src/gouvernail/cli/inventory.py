"""The model and vendor inventory from the console: load and export files, list, daily review
check, status decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from gouvernail.charter.rules import Hosting
from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.db.base import utcnow
from gouvernail.inventory import ImportRejectedError, ImportReport, ModelStatus, ReviewItem

inventory_app = group(
    "inventory", "The model and vendor inventory (what the gateway may route to)."
)


def _print_report(report: ImportReport) -> None:
    for label in ("created", "updated"):
        for entry in getattr(report, label):
            out.print(f"{label}: {entry}")
    out.print(f"unchanged: {len(report.unchanged)}")
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    for error in report.errors:
        err.print(f"[red]refused[/red] {error.path}: {error.message}")


@inventory_app.command("load")
def inventory_load(
    path: Annotated[Path, typer.Argument(help="YAML with vendors and models.")],
    partial: Annotated[
        bool, typer.Option(help="Apply the good entries even if others are refused.")
    ] = False,
    apply_status: Annotated[
        bool,
        typer.Option(
            help="Apply each model's status from the file (approval rules still apply); "
            "without it new models are candidates."
        ),
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
) -> None:
    """Load an inventory file: create what is new, change what differs. All or nothing: every
    bad entry is reported and nothing is written, unless --partial."""
    with runtime() as rt:
        try:
            report = rt.inventory.load_file(
                console_context(), path, partial=partial, apply_status=apply_status, reason=reason
            )
        except ImportRejectedError as rejected:
            _print_report(rejected.report)
            err.print(f"[red]nothing imported[/red] ({len(rejected.report.errors)} problem(s))")
            raise typer.Exit(1) from None
        _print_report(report)
        if report.errors:
            raise typer.Exit(1)


@inventory_app.command("export")
def inventory_export(
    path: Annotated[
        Path | None, typer.Argument(help="Where to write the YAML (default: standard output).")
    ] = None,
) -> None:
    """Export the inventory as YAML (vendors, active guarantees, models with their status);
    loading it back changes nothing."""
    with runtime() as rt:
        document = rt.inventory.export()
    text = f"# Gouvernail inventory, exported {utcnow().isoformat(timespec='seconds')}\n"
    text += yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    if path is None:
        typer.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
        out.print(f"inventory written to {path}")


@inventory_app.command("list")
def inventory_list(
    status: Annotated[ModelStatus | None, typer.Option(help="Only this status.")] = None,
    hosting: Annotated[Hosting | None, typer.Option(help="Only this hosting.")] = None,
) -> None:
    """The models, with their status and concerns."""
    with runtime() as rt:
        table = Table("name", "vendor", "hosting", "region", "max class", "status", "issues")
        for model in rt.inventory.list_models(status=status, hosting=hosting):
            table.add_row(
                model.name,
                model.vendor,
                model.hosting,
                model.region,
                model.max_data_class,
                model.status,
                "\n".join(model.issues) or "-",
            )
        out.print(table)


def _review_table(items: list[ReviewItem]) -> Table:
    table = Table("id", "vendor", "guarantee", "due", "days overdue", "models")
    for item in items:
        table.add_row(
            str(item.guarantee.id),
            item.guarantee.vendor,
            item.guarantee.kind,
            item.guarantee.review_due.isoformat(),
            str(item.guarantee.days_overdue),
            ", ".join(f"{m.name} ({m.status})" for m in item.affected_models) or "-",
        )
    return table


@inventory_app.command("check-reviews")
def inventory_check_reviews(
    within_days: Annotated[int, typer.Option(help="Also list reviews due within N days.")] = 30,
) -> None:
    """Flag each newly overdue guarantee review once (audited; committee members and AI
    referents notified), then list the reviews due. Run it daily (cron)."""
    with runtime() as rt:
        flagged = rt.inventory.check_reviews(console_context())
        out.print(f"{len(flagged)} guarantee review(s) newly overdue")
        if flagged:
            out.print(_review_table(flagged))
        due = rt.inventory.reviews(within_days)
        out.print(f"{len(due)} review(s) overdue or due within {within_days} days")
        if due:
            out.print(_review_table(due))


@inventory_app.command("set-status")
def inventory_set_status(
    name: Annotated[str, typer.Argument(help="Model name.")],
    status: Annotated[ModelStatus, typer.Argument(help="approved, suspended or retired.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Approve, suspend or retire a model (the same rules as a committee decision)."""
    with runtime() as rt:
        model = rt.inventory.set_status(console_context(), name, status, reason=reason)
        out.print(f"model {model.name} is {model.status} (version {model.version})")
