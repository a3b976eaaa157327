"""Shadow AI from the console: import proxy logs (with a progress bar; an interrupted import
resumes when run again), read the report, curate the catalogue of AI services, and turn a
discovered service into a use-case idea or a vendor."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.db.base import utcnow
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.observatory.shadow.schemas import AdoptIn, ServiceIn, ServicePatch

shadow_app = group(
    "shadow", "Shadow AI: AI services used outside the gateway, found in web-proxy logs."
)
service_app = typer.Typer(
    help="The catalogue of AI services: list, add, sanction, adopt.", no_args_is_help=True
)
shadow_app.add_typer(service_app, name="service")


@shadow_app.command("import")
def import_log(
    file: Annotated[Path, typer.Argument(help="The log file (plain or gzip).")],
    log_format: Annotated[
        str, typer.Option("--format", "-f", help="squid, zscaler, csv or jsonl.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Import a proxy log; run it again on the same file to resume an interrupted import."""
    with (
        runtime() as rt,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar,
    ):
        task = bar.add_task(f"importing {file.name}", total=None)

        def progress(done: int, size: int) -> None:
            bar.update(task, completed=done, total=size)

        view = rt.shadow.import_file(console_context(), file, log_format, progress=progress)
    if as_json:
        out.print_json(view.model_dump_json())
        return
    rate = view.size / view.seconds / 2**30 * 60 if view.seconds else 0.0
    out.print(
        f"import {view.id} {view.status}{' (resumed)' if view.resumed else ''}: {view.lines:,} "
        f"lines, {view.malformed:,} malformed, {view.ai_requests:,} requests to AI services, "
        f"{view.seconds:.1f} s ({rate:.2f} GB/min)"
    )
    for example in view.examples:
        out.print(f"  malformed ({example.why}): {example.line[:120]}", highlight=False)


@shadow_app.command("imports")
def list_imports() -> None:
    """Imports, newest first."""
    with runtime() as rt:
        for v in rt.shadow.imports():
            out.print(
                f"{v.id}\t{v.status}\t{v.format}\t{v.name}\t{v.lines:,} lines\t"
                f"{v.malformed:,} malformed\t{v.ai_requests:,} AI requests"
            )


@shadow_app.command("report")
def report(
    days: Annotated[int, typer.Option(help="The last N days.", min=1, max=3650)] = 90,
    department: Annotated[str | None, typer.Option(help="One department only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report.")] = False,
) -> None:
    """AI services seen in the logs, by service, department and person, and the findings."""
    until = utcnow().date()
    with runtime() as rt:
        result = rt.shadow.report(until - timedelta(days=days - 1), until, department)
    if as_json:
        out.print_json(result.model_dump_json())
        return
    table = Table(title=f"AI services, {result.since} to {result.until}")
    for column in ("service", "severity", "requests", "people", "departments", "uploaded"):
        table.add_column(column)
    for s in result.services:
        uploaded = "unknown" if s.bytes_up is None else f"{s.bytes_up / 2**20:.1f} MB"
        table.add_row(
            s.name, s.severity, f"{s.requests:,}", str(s.people), str(s.departments), uploaded
        )
    out.print(table)
    for f in result.findings:
        out.print(f"[bold]{f.severity}[/bold] {f.kind}: {f.explanation}")


@service_app.command("list")
def list_services(
    seen: Annotated[bool, typer.Option(help="Only services some import observed.")] = False,
) -> None:
    """The catalogue: slug, name, vendor, category, API or not, sanctioned or not."""
    with runtime() as rt:
        services = rt.shadow.services()
        observed = {s.slug for s in rt.shadow.report(date(2000, 1, 1), utcnow().date()).services}
    for s in services:
        if seen and s.slug not in observed:
            continue
        flags = ("api " if s.api else "") + ("sanctioned" if s.sanctioned else "")
        out.print(f"{s.slug}\t{s.name}\t{s.vendor}\t{s.category}\t{flags}\t{', '.join(s.domains)}")


@service_app.command("add")
def add_service(
    slug: Annotated[str, typer.Argument(help="Short name (lower case, digits, dashes).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    vendor: Annotated[str, typer.Option(help="Who provides it.")],
    domain: Annotated[
        list[str] | None, typer.Option("--domain", help="A host; subdomains match too.")
    ] = None,
    pattern: Annotated[
        list[str] | None, typer.Option("--pattern", help="A glob over the whole host.")
    ] = None,
    category: Annotated[str, typer.Option(help="chat, api, code, image…")] = "other",
    api: Annotated[bool, typer.Option(help="A model provider's API.")] = False,
    sanctioned: Annotated[bool, typer.Option(help="Allowed by the company.")] = False,
) -> None:
    """Add an AI service to the catalogue."""
    body = ServiceIn.model_validate(
        {
            "slug": slug,
            "name": name,
            "vendor": vendor,
            "category": category,
            "domains": domain or [],
            "patterns": pattern or [],
            "api": api,
            "sanctioned": sanctioned,
        }
    )
    with runtime() as rt:
        view = rt.shadow.add(console_context(), body)
    out.print(f"service {view.slug} added")


@service_app.command("sanction")
def sanction(
    slug: Annotated[str, typer.Argument(help="The service.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    revoke: Annotated[bool, typer.Option("--revoke", help="No longer sanctioned.")] = False,
) -> None:
    """Mark a service sanctioned (or no longer, with --revoke)."""
    with runtime() as rt:
        current = rt.shadow.service(slug)
        patch = ServicePatch(version=current.version, reason=reason, sanctioned=not revoke)
        view = rt.shadow.change(console_context(), slug, patch)
    out.print(f"{view.slug}: {'sanctioned' if view.sanctioned else 'not sanctioned'}")


@service_app.command("adopt")
def adopt(
    slug: Annotated[str, typer.Argument(help="The service.")],
    as_user: Annotated[str, typer.Option("--as", help="Username who submits the idea.")],
    vendor: Annotated[
        bool, typer.Option("--vendor", help="A vendor in the inventory, not a use case.")
    ] = False,
    country: Annotated[str | None, typer.Option(help="Vendor: country (ISO code).")] = None,
    lock_in: Annotated[str | None, typer.Option(help="Vendor: low, medium or high.")] = None,
    justification: Annotated[
        str, typer.Option(help="Use case: why it is not a duplicate of a similar one.")
    ] = "",
) -> None:
    """Turn a discovered service into a use-case idea (default) or a vendor to qualify."""
    body = AdoptIn.model_validate(
        {
            "as": "vendor" if vendor else "use_case",
            "country": country,
            "lock_in": lock_in,
            "justification": justification,
        }
    )
    with runtime() as rt:
        with rt.database.read() as session:
            user_id = session.scalar(select(User.id).where(User.username == as_user))
        if user_id is None:
            raise GouvernailError(f"no user {as_user!r}", field="as")
        view = rt.shadow.adopt(console_context(), slug, body, requester_id=user_id)
    if view.use_case_id is not None:
        out.print(f"{slug}: use case {view.use_case_id} submitted as an idea")
    else:
        out.print(f"{slug}: vendor {view.vendor} added to the inventory")
