"""Evaluation suites from the console: import a dataset, run it against models for someone (with
that person's rights and gateway admission), resume a run, compare two runs, ask the gate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.identity.models import User
from gouvernail.observatory.evaluations.report import comparison_lines, run_lines
from gouvernail.observatory.evaluations.schemas import RunIn, RunView, SuiteImportIn
from gouvernail.runtime import Runtime

eval_app = group(
    "eval", "Evaluation suites: import datasets, run them through the gateway, compare, gate."
)

FORMATS = {".jsonl": "jsonl", ".yaml": "yaml", ".yml": "yaml"}


def _acting(rt: Runtime, username: str, action: str, use_case_id: int) -> int:
    """The user's id, if they may ``action`` evaluations of the use case (as the API says)."""
    with rt.database.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        roles = tuple(user.roles) if user is not None else ()
        user_id = user.id if user is not None else None
    if user_id is None:
        raise GouvernailError(f"no user {username!r}", field="as")
    if rt.policy.decide(roles, "evaluations", action).allowed:
        return user_id
    if rt.policy.decide(roles, "evaluations", "own").allowed and rt.evaluations.owns(
        use_case_id, user_id
    ):
        return user_id
    raise ForbiddenError(f"{username} may not {action} evaluations of use case {use_case_id}")


def _print(view: RunView, as_json: bool) -> None:
    if as_json:
        out.print_json(view.model_dump_json())
        return
    for line in run_lines(view):
        out.print(line, highlight=False, markup=False, soft_wrap=True)


async def _execute(rt: Runtime, run_id: int, user_id: int, label: str) -> RunView:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} cases"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return await rt.evaluations.execute(
            console_context(), run_id, user_id=user_id, progress=progress
        )


@eval_app.command("import")
def import_suite(
    path: Annotated[Path, typer.Argument(help="A .jsonl, .yaml or promptfoo .yaml file.")],
    use_case: Annotated[int, typer.Option("--use-case", help="The use case it evaluates.")],
    name: Annotated[str, typer.Option(help="The suite's name (a new version if it exists).")],
    as_user: Annotated[str, typer.Option("--as", help="Who imports it (their rights).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl, yaml or promptfoo (default: by suffix).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the version.")] = False,
) -> None:
    """Import a dataset as a new version of a suite; the same cases again change nothing."""
    chosen = fmt or FORMATS.get(path.suffix.lower())
    if chosen not in ("jsonl", "yaml", "promptfoo"):
        err.print(f"say --format jsonl, yaml or promptfoo for {path.name}")
        raise typer.Exit(2)
    format_: Literal["jsonl", "yaml", "promptfoo"] = chosen  # type: ignore[assignment]
    with runtime() as rt:
        user_id = _acting(rt, as_user, "manage", use_case)
        body = SuiteImportIn(
            use_case_id=use_case,
            name=name,
            format=format_,
            content=path.read_text(encoding="utf-8"),
            source=path.name[:200],
        )
        view = rt.evaluations.import_suite(console_context(), user_id, body)
    if as_json:
        out.print_json(view.model_dump_json())
        return
    state = "unchanged, still" if view.unchanged else "imported as"
    out.print(
        f"suite {view.suite_id} {name!r}: {state} version {view.version}, {view.cases} cases, "
        f"scorers {', '.join(view.scorers)}, sha256 {view.sha256[:12]}",
        highlight=False,
        markup=False,
    )


@eval_app.command("suites")
def suites(
    use_case: Annotated[
        int | None, typer.Option("--use-case", help="Only this use case's.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """The suites and their dataset versions."""
    with runtime() as rt:
        found = rt.evaluations.suites(use_case_id=use_case)
    if as_json:
        out.print_json(data=[s.model_dump(mode="json") for s in found])
        return
    for suite in found:
        versions = ", ".join(f"v{v.version} ({v.cases} cases)" for v in suite.versions)
        out.print(
            f"{suite.id} {suite.name!r} use case {suite.use_case_id}: {versions}",
            highlight=False,
            markup=False,
        )


@eval_app.command("run")
def run(
    suite_id: Annotated[int, typer.Argument(help="The suite (gouvernail eval suites).")],
    models: Annotated[list[str], typer.Option("--model", help="A target model (repeatable).")],
    as_user: Annotated[str, typer.Option("--as", help="Who runs it (their rights, admission).")],
    version: Annotated[int | None, typer.Option(help="Dataset version (default: latest).")] = None,
    prompt_version: Annotated[
        int | None, typer.Option("--prompt-version", help="Prompt version id as system prompt.")
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option("--judge-model", help="Grades rubric assertions.")
    ] = None,
    embedding_model: Annotated[
        str | None, typer.Option("--embedding-model", help="Embeds for similarity assertions.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs.")] = False,
) -> None:
    """Run the suite against each model through the gateway for USER; print each report, and
    each run compared with the first. Exit code 1 if a run is incomplete."""
    with runtime() as rt:
        user_id = _acting(rt, as_user, "run", rt.evaluations.use_case_of_suite(suite_id))

        async def work() -> list[RunView]:
            views = []
            try:
                for model in models:
                    body = RunIn(
                        suite_id=suite_id,
                        version=version,
                        model=model,
                        prompt_version_id=prompt_version,
                        judge_model=judge_model,
                        embedding_model=embedding_model,
                    )
                    created = rt.evaluations.create_run(console_context(), body, user_id=user_id)
                    views.append(await _execute(rt, created.id, user_id, f"suite on {model}"))
            finally:
                if "gateway" in rt.__dict__:
                    await rt.gateway.aclose()
            return views

        views = asyncio.run(work())
        if not as_json:  # the report names the cases that did not pass
            views = [rt.evaluations.get(v.id, results=True) for v in views]
        comparisons = [rt.evaluations.compare(views[0].id, v.id) for v in views[1:]]
    if as_json:
        out.print_json(data=[v.model_dump(mode="json") for v in views])
    else:
        for view in views:
            _print(view, False)
        for comparison in comparisons:
            for line in comparison_lines(comparison):
                out.print(line, highlight=False, markup=False, soft_wrap=True)
    if any(v.status.value != "complete" for v in views):
        raise typer.Exit(1)


@eval_app.command("execute")
def execute(
    run_id: Annotated[int, typer.Argument(help="The run to execute or resume.")],
    as_user: Annotated[str, typer.Option("--as", help="Who runs it (their rights, admission).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run.")] = False,
) -> None:
    """Execute a queued or incomplete run: only the cases not yet scored. Exit code 1 if it
    stays incomplete."""
    with runtime() as rt:
        user_id = _acting(rt, as_user, "run", rt.evaluations.use_case_of_run(run_id))

        async def work() -> RunView:
            try:
                return await _execute(rt, run_id, user_id, f"run {run_id}")
            finally:
                if "gateway" in rt.__dict__:
                    await rt.gateway.aclose()

        view = asyncio.run(work())
        if not as_json:
            view = rt.evaluations.get(view.id, results=True)
    _print(view, as_json)
    if view.status.value != "complete":
        raise typer.Exit(1)


@eval_app.command("runs")
def runs(
    use_case: Annotated[
        int | None, typer.Option("--use-case", help="Only this use case's.")
    ] = None,
    suite: Annotated[int | None, typer.Option("--suite", help="Only this suite's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """The latest runs, newest first."""
    with runtime() as rt:
        found = rt.evaluations.runs(use_case_id=use_case, suite_id=suite)
    if as_json:
        out.print_json(data=[r.model_dump(mode="json") for r in found])
        return
    for r in found:
        prompt = f" prompt {r.prompt_version}" if r.prompt_version else ""
        rate = "-" if r.pass_rate is None else f"{100 * r.pass_rate:.1f} %"
        out.print(
            f"{r.id} {r.created_at:%Y-%m-%d %H:%M} suite {r.suite_id} v{r.dataset_version} "
            f"{r.model}{prompt}: {r.status.value}, pass rate {rate}",
            highlight=False,
            markup=False,
        )


@eval_app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(help="The run id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run.")] = False,
    results: Annotated[bool, typer.Option(help="With every case's result (--json).")] = False,
) -> None:
    """A run's report: figures overall and per scorer, the cases that did not pass."""
    with runtime() as rt:
        view = rt.evaluations.get(run_id, results=results or not as_json)
    _print(view, as_json)


@eval_app.command("compare")
def compare(
    base: Annotated[int, typer.Argument(help="The base run (e.g. production).")],
    candidate: Annotated[int, typer.Argument(help="The candidate run.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole comparison.")] = False,
) -> None:
    """Two runs of one dataset version case by case; exit code 1 on a regression beyond
    evaluations.max_regression_points."""
    with runtime() as rt:
        view = rt.evaluations.compare(base, candidate)
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        for line in comparison_lines(view):
            out.print(line, highlight=False, markup=False, soft_wrap=True)
    if view.regression:
        raise typer.Exit(1)


@eval_app.command("gate")
def gate(
    use_case: Annotated[int, typer.Option("--use-case", help="The use case.")],
    prompt_version: Annotated[
        int | None, typer.Option("--prompt-version", help="Candidate prompt version id.")
    ] = None,
    baseline: Annotated[
        int | None, typer.Option(help="Baseline prompt version id (default: production).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Candidate model.")] = None,
    baseline_model: Annotated[str | None, typer.Option("--baseline-model")] = None,
) -> None:
    """Would the gate let a prompt version or a model through? Exit code 1 if it refuses (the
    refusal is recorded in the audit trail)."""
    with runtime() as rt:
        if prompt_version is not None and model is None:
            reason = rt.evaluations.gate(
                use_case, prompt_version, baseline_version_id=baseline, context=console_context()
            )
        elif model is not None and baseline_model is not None and prompt_version is None:
            reason = rt.evaluations.gate_model(
                use_case, model, baseline_model, context=console_context()
            )
        else:
            err.print("give --prompt-version, or --model and --baseline-model")
            raise typer.Exit(2)
    if reason is None:
        out.print("allowed", highlight=False)
        return
    out.print(f"refused: {reason}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1)
