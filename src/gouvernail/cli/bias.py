"""Bias tests from the console: run a template against a model for someone (with that person's
rights and gateway admission), list the runs, show a report."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.identity.models import User
from gouvernail.observatory.bias.schemas import BiasRunIn, RunView

bias_app = group("bias", "Bias tests by counterfactual pairs: templates, runs, reports.")

MARKS = {"flagged": "FLAGGED", "not_flagged": "not flagged"}


def print_report(view: RunView) -> None:
    """The verdict per attribute with its comparisons, then the notes."""
    out.print(
        f"run {view.id}: {view.template} on {view.model} for use case {view.use_case_id}, "
        f"{view.cases} cases, seed {view.seed}: [bold]{view.status.value}[/bold]",
        highlight=False,
    )
    if view.reason:
        out.print(f"  reason: {view.reason}", highlight=False)
    if view.report is None:
        return
    report = view.report
    out.print(
        f"  prompts: {', '.join(f'{k} {n}' for k, n in report.prompts.items())}; "
        f"alpha {report.alpha} (Holm), threshold {report.threshold} points",
        highlight=False,
    )
    for attribute in report.attributes:
        mark = MARKS.get(attribute.verdict, attribute.verdict)
        out.print(f"{attribute.attribute:<8} {mark}", highlight=False)
        for comparison in attribute.comparisons:
            out.print(f"    {comparison.explanation}", highlight=False)
    for note in report.notes:
        out.print(f"  note: {note}", highlight=False)


@bias_app.command("templates")
def templates() -> None:
    """The templates: id, language, attributes varied, the answer asked for."""
    with runtime() as rt:
        views = rt.bias.template_views()
    table = Table(title="Bias-test templates")
    table.add_column("id", no_wrap=True)  # an id is copied whole, even in an 80-column pipe
    for column in ("language", "varies", "answer", "threshold"):
        table.add_column(column)
    for t in views:
        table.add_row(t.id, t.language, ", ".join(t.vary), t.answer, str(t.threshold))
    out.print(table)


@bias_app.command("run")
def run(
    template: Annotated[str, typer.Argument(help="Template id (gouvernail bias templates).")],
    model: Annotated[str, typer.Option(help="The model to test.")],
    use_case: Annotated[int, typer.Option("--use-case", help="Use case the calls are for.")],
    as_user: Annotated[str, typer.Option("--as", help="Who runs it (their rights, admission).")],
    cases: Annotated[int, typer.Option(help="Base cases (1 to 200).")] = 30,
    seed: Annotated[int, typer.Option(help="Same seed, same prompts.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run.")] = False,
) -> None:
    """Send a template's counterfactual prompts to MODEL through the gateway, for USER on the
    use case; print the verdict per attribute. Exit code 1 if the run is incomplete."""
    body = BiasRunIn.model_validate(
        {
            "template": template,
            "model": model,
            "use_case_id": use_case,
            "cases": cases,
            "seed": seed,
        }
    )
    with runtime() as rt:
        with rt.database.read() as session:
            user = session.scalar(select(User).where(User.username == as_user))
            roles = tuple(user.roles) if user is not None else ()
            user_id = user.id if user is not None else None
        if user_id is None:
            raise GouvernailError(f"no user {as_user!r}", field="as")
        decision = rt.policy.decide(roles, "bias", "run")
        if not decision.allowed:
            raise ForbiddenError(f"{as_user} may not run bias tests: {decision.reason}")

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} prompts"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(f"{template} on {model}", total=None)

            def progress(sent: int, total: int) -> None:
                bar.update(task, completed=sent, total=total)

            async def work() -> RunView:
                try:
                    return await rt.bias.run(
                        console_context(), body, user_id=user_id, progress=progress
                    )
                finally:
                    if "gateway" in rt.__dict__:
                        await rt.gateway.aclose()

            view = asyncio.run(work())
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        print_report(view)
    if view.status.value != "complete":
        raise typer.Exit(1)


@bias_app.command("runs")
def runs(
    use_case: Annotated[
        int | None, typer.Option("--use-case", help="Only this use case's.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """The latest runs, newest first, with their verdicts."""
    with runtime() as rt:
        found = rt.bias.runs(use_case_id=use_case)
    if as_json:
        out.print_json(data=[r.model_dump(mode="json") for r in found])
        return
    table = Table(title="Bias runs")
    for column in ("id", "started", "template", "model", "use case", "status", "verdicts"):
        table.add_column(column)
    for r in found:
        verdicts = ", ".join(f"{a} {MARKS.get(v, v)}" for a, v in r.verdicts.items())
        table.add_row(
            str(r.id),
            r.started_at.strftime("%Y-%m-%d %H:%M"),
            r.template,
            r.model,
            str(r.use_case_id),
            r.status.value,
            verdicts or r.reason[:60],
        )
    out.print(table)


@bias_app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(help="The run id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run.")] = False,
    prompts: Annotated[bool, typer.Option(help="With every prompt's row (--json).")] = False,
) -> None:
    """A run's report: verdict per attribute, each comparison explained, the notes."""
    with runtime() as rt:
        view = rt.bias.get(run_id, prompts=prompts)
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        print_report(view)
