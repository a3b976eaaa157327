"""Insight from the console: register sources, sync them (with a progress bar), see their
status and quality, and ask as a given user (with that user's document permissions)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import orjson
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.insight.schemas import AskIn, SharePointOptions, SourceIn
from gouvernail.runtime import Runtime

T = TypeVar("T")

insight_app = group("insight", "Governed answers from internal documents: sources, sync, ask.")
source_app = typer.Typer(
    help="Insight sources: add, sync, status, list, delete.", no_args_is_help=True
)
insight_app.add_typer(source_app, name="source")


def _run(rt: Runtime, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` in an event loop and close the gateway's connections in it."""

    async def main() -> T:
        try:
            return await work()
        finally:
            if "gateway" in rt.__dict__:
                await rt.gateway.aclose()

    return asyncio.run(main())


@source_app.command("add")
def add(
    slug: Annotated[str, typer.Argument(help="Short name (lower case, digits, dashes).")],
    location: Annotated[str, typer.Argument(help="Folder path, or SharePoint 'host:/sites/x'.")],
    use_case: Annotated[int, typer.Option("--use-case", help="Use case id it serves.")],
    owner: Annotated[str, typer.Option(help="Username of the data owner.")],
    data_class: Annotated[str, typer.Option("--data-class", help="Charter data class.")],
    embedding_model: Annotated[str, typer.Option("--embedding-model")],
    answer_model: Annotated[str, typer.Option("--answer-model")],
    name: Annotated[str, typer.Option(help="Display name (default: the slug).")] = "",
    kind: Annotated[str, typer.Option(help="folder or sharepoint.")] = "folder",
    language: Annotated[str, typer.Option(help="fr or en.")] = "fr",
    reader: Annotated[
        list[str] | None,
        typer.Option("--reader", help="Folder readers: everyone, user:<e-mail>, team:<name>."),
    ] = None,
    tenant: Annotated[str, typer.Option(help="SharePoint: Entra tenant id.")] = "",
    client: Annotated[str, typer.Option(help="SharePoint: application (client) id.")] = "",
    secret_ref: Annotated[
        str, typer.Option("--secret-ref", help="SharePoint: variable holding the client secret.")
    ] = "",
    library: Annotated[str, typer.Option(help="SharePoint: document library name.")] = "",
) -> None:
    """Register a source; nothing is read until `gouvernail insight source sync`."""
    sharepoint = (
        SharePointOptions(
            tenant_id=tenant, client_id=client, credential_ref=secret_ref, library=library or None
        )
        if kind == "sharepoint"
        else None
    )
    body = SourceIn.model_validate(
        {
            "slug": slug,
            "name": name or slug,
            "kind": kind,
            "location": location,
            "use_case_id": use_case,
            "owner": owner,
            "data_class": data_class,
            "language": language,
            "readers": reader or [],
            "embedding_model": embedding_model,
            "answer_model": answer_model,
            "sharepoint": sharepoint,
        }
    )
    with runtime() as rt:
        view = rt.insight.create(console_context(), body)
    out.print(f"source {view.slug} added ({view.kind} {view.location}); sync it to index it")


@source_app.command("sync")
def sync(slug: Annotated[str, typer.Argument(help="The source.")]) -> None:
    """Index what changed in the source since its last sync (resumes one that crashed)."""
    with (
        runtime() as rt,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} documents"),
            TimeElapsedColumn(),
            console=err,
        ) as bar,
    ):
        task = bar.add_task(f"syncing {slug}", total=None)

        def progress(path: str, handled: int) -> None:
            bar.update(task, completed=handled, description=f"{slug}: {path[-50:]}")

        view = _run(rt, lambda: rt.insight.sync(console_context(), slug, progress=progress))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(view.counts.items())) or "nothing changed"
    out.print(f"{slug}: {counts} in {view.seconds:.1f} s")
    for problem in view.problems:
        out.print(f"  {problem['code']}: {problem['path']}: {problem['message']}")
    if view.error:
        err.print(f"[red]stopped:[/red] {view.error}")
        raise typer.Exit(1)


@source_app.command("status")
def status(slug: Annotated[str, typer.Argument(help="The source.")]) -> None:
    """Documents by status, last sync, and data quality (recency, completeness, duplicates)."""
    with runtime() as rt:
        view = rt.insight.get(slug)
        quality = rt.insight.quality(slug)
    out.print_json(
        orjson.dumps(
            {"source": view.model_dump(mode="json"), "quality": quality.model_dump(mode="json")}
        ).decode()
    )


@source_app.command("list")
def list_sources() -> None:
    """Every source with its state."""
    with runtime() as rt:
        for view in rt.insight.all():
            docs = ", ".join(f"{k} {v}" for k, v in sorted(view.documents.items())) or "empty"
            out.print(f"{view.slug}\t{view.kind}\t{view.sync_state}\t{docs}")


@source_app.command("delete")
def delete(slug: Annotated[str, typer.Argument(help="The source.")]) -> None:
    """Delete a source and its index (not the documents in the store)."""
    with runtime() as rt:
        rt.insight.delete(console_context(), slug)
    out.print(f"source {slug} deleted")


@insight_app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    source: Annotated[list[str], typer.Option("--source", "-s", help="Source(s) to ask.")],
    as_user: Annotated[str, typer.Option("--as", help="Username whose permissions apply.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Answer from the documents USER may read, with numbered citations."""
    with runtime() as rt:
        with rt.database.read() as session:
            user_id = session.scalar(select(User.id).where(User.username == as_user))
        if user_id is None:
            raise GouvernailError(f"no user {as_user!r}", field="as")
        body = AskIn(question=question, sources=source)
        result = _run(rt, lambda: rt.insight.ask(console_context(), body, user_id=user_id))
    if as_json:
        out.print_json(result.model_dump_json())
        return
    out.print(f"[bold]{result.mode}[/bold]: {result.reason}")
    if result.answer:
        out.print(result.answer)
    for p in result.passages:
        where = f", {p.locator}" if p.locator else ""
        out.print(f"[{p.number}] {p.title}{where} — {p.path}")
        if result.mode == "passages":  # without AI, the passages are the answer: show them
            out.print(f"    {' '.join(p.text.split())[:400]}", highlight=False)
    for w in result.withheld:
        out.print(f"withheld: {w.title} {w.locator} ({w.signals})")
