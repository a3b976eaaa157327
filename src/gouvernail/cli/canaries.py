"""Canaries from the console: configure a model's canary, run it (or every canary due), read
runs and drifts, decide on a drift, pin a baseline. Actions are recorded as the console
operator's; the calls are made for the person the canary is configured to act for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.observatory.canaries.models import DriftStatus
from gouvernail.observatory.canaries.schemas import CanaryConfigIn, CanaryRunView, DriftView
from gouvernail.runtime import Runtime

canary_app = group(
    "canary", "Canaries for silent vendor changes: configure, run, compare, decide on drifts."
)

DRIFTED = 3
"""Exit code of ``canary run`` when the run drifted (1: incomplete)."""


def _line(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def print_run(view: CanaryRunView) -> None:
    """The run, how it ended, and each metric against the baseline."""
    head = (
        f"run {view.id}: {view.model} ({view.prompt_set}, {view.samples} samples, "
        f"{view.calls} calls) for use case {view.use_case_id}: {view.status.value}"
    )
    if view.is_baseline and view.comparison is None:
        head += " (baseline)"
    _line(head)
    if view.reason:
        _line(f"  reason: {view.reason}")
    comparison = view.comparison
    if comparison is None:
        return
    _line(
        f"  compared with run {comparison.baseline_run_id} on {comparison.prompts_compared} "
        f"prompts, alpha {comparison.alpha} (Holm)"
    )
    for metric in comparison.metrics:
        _line(f"  {metric.explanation}")
    for note in comparison.notes:
        _line(f"  note: {note}")
    if view.drift_id is not None:
        _line(f"DRIFT {view.drift_id}: {', '.join(view.changed)}")
    else:
        _line("no drift")


def print_drift(view: DriftView) -> None:
    _line(
        f"drift {view.id}: {view.status.value} — {view.model}, run {view.run_id} against "
        f"run {view.baseline_run_id}: {', '.join(view.metrics)}"
    )
    if view.reason:
        _line(f"  {view.decided_by}: {view.reason}")


def _user_id(rt: Runtime, username: str) -> int:
    with rt.database.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise GouvernailError(f"no user {username!r}", field="as")
    return user_id


@canary_app.command("prompts")
def prompts(
    as_json: Annotated[bool, typer.Option("--json", help="Print every prompt.")] = False,
) -> None:
    """The prompt sets: id, and per prompt its id, language, kind and whether it is a bait."""
    with runtime() as rt:
        sets = rt.canaries.prompt_sets()
    if as_json:
        out.print_json(data=[s.model_dump(mode="json") for s in sets])
        return
    for prompt_set in sets:
        _line(f"{prompt_set.id} ({prompt_set.version}): {prompt_set.title}")
        for p in prompt_set.prompts:
            _line(f"  {p.id}  {p.language}  {p.kind}{'  (should refuse)' if p.refuse else ''}")


@canary_app.command("configs")
def configs(
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Every model's canary: settings, baseline, last run, due, open drifts."""
    with runtime() as rt:
        found = rt.canaries.configs()
    if as_json:
        out.print_json(data=[c.model_dump(mode="json") for c in found])
        return
    table = Table(title="Canaries")
    for column in ("model", "enabled", "set", "samples", "for", "every", "baseline", "drifts"):
        table.add_column(column)
    for c in found:
        table.add_row(
            c.model,
            "yes" if c.enabled else "no",
            c.prompt_set,
            str(c.samples),
            c.acting_for_name,
            f"{c.every_hours} h",
            str(c.baseline_run_id or "-"),
            str(c.open_drifts),
        )
    out.print(table)


@canary_app.command("configure")
def configure(
    model: Annotated[str, typer.Argument(help="The inventory model to watch.")],
    use_case: Annotated[int, typer.Option("--use-case", help="Use case the calls are for.")],
    as_user: Annotated[
        str, typer.Option("--as", help="Who the calls are made for (an AI or security referent).")
    ],
    reason: Annotated[str, typer.Option(help="Why (audited).")],
    prompt_set: Annotated[str, typer.Option("--set", help="Prompt set id.")] = "standard",
    samples: Annotated[int, typer.Option(help="Times each prompt is asked per run.")] = 1,
    every_hours: Annotated[int, typer.Option(help="Schedule hint, in hours.")] = 24,
    disable: Annotated[bool, typer.Option(help="Configured but not run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the configuration.")] = False,
) -> None:
    """Create or change MODEL's canary (another prompt set drops its baseline)."""
    with runtime() as rt:
        body = CanaryConfigIn.model_validate(
            {
                "enabled": not disable,
                "prompt_set": prompt_set,
                "samples": samples,
                "use_case_id": use_case,
                "acting_for": _user_id(rt, as_user),
                "every_hours": every_hours,
                "reason": reason,
            }
        )
        view = rt.canaries.configure(console_context(), model, body)
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        _line(f"canary of {view.model}: version {view.version}, baseline {view.baseline_run_id}")


@canary_app.command("run")
def run(
    model: Annotated[str, typer.Argument(help="The model whose canary to run.")],
    key: Annotated[str | None, typer.Option(help="Idempotency key (a scheduler's slot).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run.")] = False,
) -> None:
    """Run MODEL's canary now through the gateway and compare it with the baseline. Exit code
    1 if the run is incomplete, 3 if it drifted."""
    with runtime() as rt:

        async def work() -> CanaryRunView:
            try:
                return await rt.canaries.run(model, context=console_context(), key=key)
            finally:
                if "gateway" in rt.__dict__:
                    await rt.gateway.aclose()

        view = asyncio.run(work())
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        print_run(view)
    if view.status.value != "complete":
        raise typer.Exit(1)
    if view.drift_id is not None:
        raise typer.Exit(DRIFTED)


@canary_app.command("due")
def due(
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs made.")] = False,
) -> None:
    """Run every enabled canary whose last run is older than its schedule hint (for cron or a
    job scheduler); prints the runs made."""
    with runtime() as rt:

        async def work() -> list[CanaryRunView]:
            try:
                return await rt.canaries.run_due(console_context())
            finally:
                if "gateway" in rt.__dict__:
                    await rt.gateway.aclose()

        views = asyncio.run(work())
    if as_json:
        out.print_json(data=[v.model_dump(mode="json") for v in views])
        return
    for view in views:
        print_run(view)
    if not views:
        _line("no canary is due")


@canary_app.command("runs")
def runs(
    model: Annotated[str | None, typer.Option(help="Only this model's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """The latest runs, newest first."""
    with runtime() as rt:
        found = rt.canaries.runs(model=model)
    if as_json:
        out.print_json(data=[r.model_dump(mode="json") for r in found])
        return
    table = Table(title="Canary runs")
    for column in ("id", "started", "model", "status", "baseline", "changed"):
        table.add_column(column)
    for r in found:
        table.add_row(
            str(r.id),
            r.started_at.strftime("%Y-%m-%d %H:%M"),
            r.model,
            r.status.value,
            "this" if r.is_baseline else str(r.baseline_run_id or "-"),
            ", ".join(r.changed) or r.reason[:60],
        )
    out.print(table)


@canary_app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(help="The run id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run.")] = False,
    samples: Annotated[bool, typer.Option(help="With every call's row (--json).")] = False,
) -> None:
    """A run and its comparison with the baseline, metric by metric."""
    with runtime() as rt:
        view = rt.canaries.get(run_id, samples=samples)
    if as_json:
        out.print_json(view.model_dump_json())
    else:
        print_run(view)


@canary_app.command("drifts")
def drifts(
    since: Annotated[
        datetime | None, typer.Option(help="Detected at or after (ISO 8601, UTC if no zone).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Only this model's.")] = None,
    status: Annotated[DriftStatus | None, typer.Option(help="open, acknowledged…")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Drifts, newest first."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with runtime() as rt:
        found = rt.canaries.drifts(since, model=model, status=status)
    if as_json:
        out.print_json(data=[d.model_dump(mode="json") for d in found])
        return
    for drift in found:
        print_drift(drift)


@canary_app.command("acknowledge")
def acknowledge(
    drift_id: Annotated[int, typer.Argument(help="The drift id.")],
    reason: Annotated[str, typer.Option(help="Why it needs nothing more (audited).")],
) -> None:
    """Acknowledge an open drift; the baseline stays."""
    with runtime() as rt:
        view = rt.canaries.acknowledge(console_context(), drift_id, reason)
    print_drift(view)


@canary_app.command("rebaseline")
def rebaseline(
    drift_id: Annotated[int, typer.Argument(help="The drift id.")],
    reason: Annotated[str, typer.Option(help="Why the change is accepted (audited).")],
) -> None:
    """Accept an open drift's change: its run becomes the model's baseline."""
    with runtime() as rt:
        view = rt.canaries.rebaseline(console_context(), drift_id, reason)
    print_drift(view)


@canary_app.command("baseline")
def baseline(
    model: Annotated[str, typer.Argument(help="The model.")],
    run_id: Annotated[int, typer.Argument(help="A complete run of it.")],
    reason: Annotated[str, typer.Option(help="Why (audited).")],
) -> None:
    """Make a complete run MODEL's baseline."""
    with runtime() as rt:
        view = rt.canaries.pin_baseline(console_context(), model, run_id, reason)
    _line(f"baseline of {view.model}: run {view.baseline_run_id}")
