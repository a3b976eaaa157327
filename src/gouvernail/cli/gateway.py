"""Operating the gateway from the console: kill switches, the content purge, partitions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.gateway.governance import SwitchIn
from gouvernail.gateway.models import SwitchScope
from gouvernail.gateway.partitions import ensure_partitions
from gouvernail.gateway.retention import purge_content
from gouvernail.gateway.sla import MAX_DAYS, report

gateway_app = group(
    "gateway", "Operate the gateway: kill switches, content purge, partitions, provider SLA."
)


@gateway_app.command("switch")
def switch(
    scope: Annotated[SwitchScope, typer.Argument(help="global, team or use_case.")],
    target: Annotated[int, typer.Argument(help="Team or use-case id (0 for global).")] = 0,
    off: Annotated[
        bool, typer.Option("--off/--on", help="--off turns AI off (engages the switch).")
    ] = True,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit trail).")] = "",
) -> None:
    """Turn AI off (--off) or back on (--on) for everyone, a department or a use case; every
    replica applies it within gateway.admission_cache_seconds."""
    with runtime() as rt:
        view = rt.governance.set_switch(
            console_context(), None, scope, target, SwitchIn(engaged=off, reason=reason)
        )
        state = "engaged: AI is off" if view.engaged else "released: AI is on"
        out.print(f"{view.scope.value} {view.target_id}: {state} ({view.reason})")


@gateway_app.command("purge")
def purge() -> None:
    """Delete stored prompts and answers whose retention is over (never log rows or audit
    records); the server also runs it every gateway.content_purge_minutes."""
    with runtime() as rt:
        out.print(f"purged the content of {purge_content(rt.database, rt.trail)} call(s)")


@gateway_app.command("partitions")
def partitions() -> None:
    """Create the request log's partitions of this month and the next two (PostgreSQL)."""
    with runtime() as rt:
        created = ensure_partitions(rt.database)
        out.print("created: " + (", ".join(created) if created else "nothing to do"))


@gateway_app.command("sla")
def sla(
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="Days back from now.")] = 30,
) -> None:
    """Measured availability and latency per provider and model against the contracted SLA."""
    with runtime() as rt:
        measured = report(rt.database, rt.inventory.list_models(), days)
    if not measured.models:
        out.print(f"no model calls in the last {days} days")
        return
    table = Table(
        "provider",
        "model",
        "calls",
        "failures",
        "availability %",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "contract",
        "breaches",
    )
    for row in measured.models:
        contract = (
            f"{row.contracted_availability_pct} %, p95 {row.contracted_latency_p95_ms or '-'} ms"
            if row.contracted_availability_pct is not None
            else "-"
        )
        table.add_row(
            row.provider,
            row.model,
            str(row.calls),
            str(row.failures),
            _shown(row.availability_pct),
            _shown(row.latency_p50_ms),
            _shown(row.latency_p95_ms),
            _shown(row.latency_p99_ms),
            contract,
            "; ".join(row.breaches) or "none",
        )
    out.print(table)


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
