"""Jobs from the console: run a worker, run what is due now, follow, ask for and cancel jobs,
edit schedules. The console operator acts as the system: jobs asked for here, and schedules set
here, run with no person's rights attached (recorded as the console operator in the trail)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.jobs.models import JobStatus
from gouvernail.jobs.schemas import JobView, ScheduleIn
from gouvernail.jobs.worker import Worker

jobs_app = group("jobs", "Jobs: workers, imports, runs and purges on demand or on schedules.")
schedule_app = typer.Typer(help="Schedules: a kind of job on cron or every N minutes.")
jobs_app.add_typer(schedule_app, name="schedule")


def _parameters(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"not JSON: {error}", param_hint="--parameters") from None
    if not isinstance(value, dict):
        raise typer.BadParameter("a JSON object", param_hint="--parameters")
    return value


def _print(job: JobView) -> None:
    out.print(
        f"job {job.id}: {job.kind} {job.status.value} (attempt {job.attempts}/{job.max_attempts})"
    )
    if job.progress:
        out.print(f"progress: {escape(json.dumps(job.progress))}")
    if job.result is not None:
        out.print(f"result: {escape(json.dumps(job.result))}")
    if job.error:
        out.print(f"error: {escape(job.error)}")


@jobs_app.command("worker")
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Jobs at once (jobs.worker_concurrency).")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Only these kinds (repeat the option).")
    ] = None,
) -> None:
    """Run a worker until Ctrl-C: it takes due schedules and claims jobs, sharing the queue with
    the server's own worker and any others (PostgreSQL lets them run on several machines).
    Stopping hands its running jobs back to the queue."""
    with runtime() as rt:
        for name in kind or []:
            rt.jobs.kinds.get(name)
        try:
            asyncio.run(Worker(rt, concurrency=concurrency, kinds=kind).run())
        except KeyboardInterrupt:
            err.print("worker stopped")


@jobs_app.command("run-pending")
def run_pending() -> None:
    """Run every job due now (and the schedules due now), one after the other, then exit:
    for cron-driven installations without a resident worker."""
    with runtime() as rt:
        done = asyncio.run(Worker(rt).drain())
        out.print(f"ran {done} job(s)")


@jobs_app.command("kinds")
def kinds() -> None:
    """What a job can be, and the right needed to ask for it."""
    with runtime() as rt:
        for kind in rt.jobs.kind_views():
            right = kind.right or "built in (not on demand)"
            out.print(f"{kind.name}: {kind.summary} [{escape(right)}]")


@jobs_app.command("list")
def list_jobs(
    status: Annotated[JobStatus | None, typer.Option(help="Only this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Jobs, newest first."""
    with runtime() as rt:
        found = rt.jobs.find(status=status, kind=kind, limit=limit)
    if as_json:
        out.print_json(json.dumps([job.model_dump(mode="json") for job in found]))
        return
    table = Table(title="Jobs")
    table.add_column("id", no_wrap=True)
    for column in ("kind", "status", "attempts", "created", "finished", "error"):
        table.add_column(column)
    for job in found:
        table.add_row(
            str(job.id),
            job.kind,
            job.status.value,
            f"{job.attempts}/{job.max_attempts}",
            f"{job.created_at:%Y-%m-%d %H:%M:%S}",
            f"{job.finished_at:%Y-%m-%d %H:%M:%S}" if job.finished_at else "",
            escape((job.error or "")[:80]),
        )
    out.print(table)


@jobs_app.command("show")
def show(
    job_id: Annotated[int, typer.Argument(help="The job's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One job: status, attempts, progress, result or error."""
    with runtime() as rt:
        job = rt.jobs.get(job_id)
    if as_json:
        out.print_json(job.model_dump_json())
    else:
        _print(job)


@jobs_app.command("enqueue")
def enqueue(
    kind: Annotated[str, typer.Argument(help="A kind (gouvernail jobs kinds).")],
    parameters: Annotated[str, typer.Option(help="The kind's parameters, a JSON object.")] = "{}",
    wait: Annotated[bool, typer.Option(help="Run it here and now, and print the outcome.")] = False,
) -> None:
    """Ask for a job; with --wait, run what is due (this job included) before returning."""
    with runtime() as rt:
        if rt.jobs.kinds.get(kind).right is None:
            raise GouvernailError(f"{kind} is run by the product itself, not on demand")
        job = rt.jobs.enqueue(console_context(), kind, _parameters(parameters), requested_by=None)
        if wait:
            asyncio.run(Worker(rt).drain())
            job = rt.jobs.get(job.id)
        _print(job)
        if wait and job.status is not JobStatus.SUCCEEDED:
            raise typer.Exit(1)


@jobs_app.command("cancel")
def cancel(
    job_id: Annotated[int, typer.Argument(help="The job's id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
) -> None:
    """Cancel a queued job, or ask a running one to stop at its next checkpoint."""
    with runtime() as rt:
        _print(rt.jobs.cancel(console_context(), job_id, reason=reason))


@schedule_app.command("list")
def schedules(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every schedule and its next run (UTC)."""
    with runtime() as rt:
        found = rt.schedules.all()
    if as_json:
        out.print_json(json.dumps([row.model_dump(mode="json") for row in found]))
        return
    for row in found:
        timing = f"cron '{row.cron}'" if row.cron else f"every {row.every_minutes} min"
        state = "" if row.enabled else " (disabled)"
        out.print(
            f"{row.name}: {row.kind} {timing}, next {row.next_run_at:%Y-%m-%d %H:%M} UTC{state}"
        )


@schedule_app.command("set")
def set_schedule(
    name: Annotated[str, typer.Argument(help="The schedule's name (lower case, digits, .-_).")],
    kind: Annotated[str, typer.Option(help="A kind (gouvernail jobs kinds).")],
    cron: Annotated[str | None, typer.Option(help="Five-field cron, UTC ('0 6 * * 1-5').")] = None,
    every_minutes: Annotated[int | None, typer.Option(help="Or every N minutes.")] = None,
    parameters: Annotated[str, typer.Option(help="The kind's parameters, a JSON object.")] = "{}",
    disabled: Annotated[bool, typer.Option(help="Keep it, but do not run it.")] = False,
) -> None:
    """Create or change a schedule."""
    try:
        body = ScheduleIn(
            kind=kind,
            parameters=_parameters(parameters),
            cron=cron,
            every_minutes=every_minutes,
            enabled=not disabled,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error).splitlines()[-1]) from None
    with runtime() as rt:
        row = rt.schedules.set(console_context(), name, body, owner_id=None)
    out.print(f"{row.name}: next run {row.next_run_at:%Y-%m-%d %H:%M} UTC")


@schedule_app.command("remove")
def remove_schedule(name: Annotated[str, typer.Argument(help="The schedule's name.")]) -> None:
    """Remove a schedule (jobs it enqueued stay)."""
    with runtime() as rt:
        rt.schedules.remove(console_context(), name)
    out.print(f"removed {name}")
