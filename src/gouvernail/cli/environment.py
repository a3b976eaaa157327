"""Energy, CO2e and sobriety hints of the gateway's calls from the console."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from gouvernail.cli._common import group, out, runtime
from gouvernail.observatory.environment.schemas import Footprint
from gouvernail.observatory.environment.service import Period

environment_app = group("environment", "Energy, CO2e and sobriety hints of the gateway's calls.")

Days = Annotated[int, typer.Option(min=1, max=366, help="The last N days.")]
Since = Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD, UTC) instead of --days.")]
Until = Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD, UTC, included).")]
Department = Annotated[
    str | None, typer.Option(help="A team's slug: its use cases and its sub-teams'.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("a date YYYY-MM-DD", param_hint=option) from None


def _period(days: int, since: str | None, until: str | None, department: str | None) -> Period:
    return Period(days, _day(since, "--since"), _day(until, "--until"), department)


def _say(text: str) -> None:
    out.print(text, highlight=False, soft_wrap=True)


def _figures(f: Footprint) -> str:
    return (
        f"{f.energy_kwh:.6g} kWh, {f.co2e_kg:.6g} kgCO2e, {f.calls} calls "
        f"({f.calls_estimated} estimated), {f.tokens} tokens"
    )


@environment_app.command("report")
def report(
    days: Days = 30,
    since: Since = None,
    until: Until = None,
    department: Department = None,
    as_json: AsJson = False,
) -> None:
    """Energy and CO2e per use case, department and model, with the method and factors."""
    with runtime() as rt:
        found = rt.environment.report(_period(days, since, until, department))
    if as_json:
        out.print_json(found.model_dump_json())
        return
    _say(f"{found.since:%Y-%m-%d %H:%M} to {found.until:%Y-%m-%d %H:%M} UTC")
    _say(f"total: {_figures(found.total)}")
    for row in found.by_use_case:
        _say(f"use case {row.use_case_id or '-'} {row.use_case}: {_figures(row.footprint)}")
    for dep in found.by_department:
        _say(f"department {dep.department}: {_figures(dep.footprint)}")
    for m in found.by_model:
        _say(f"model {m.model or '-'}: {_figures(m.footprint)}")
    for f in found.factors:
        factors = (
            f"{f.wh_per_1k_tokens:g} Wh per 1k tokens, grid {f.grid_gco2e_per_kwh:g} gCO2e/kWh"
            if f.method == "inventory"
            else f"zone {f.zone or '-'}"
        )
        sources = ", ".join(f"{k} {v}" for k, v in f.calls_by_source.items())
        _say(f"factors {f.model}: {f.method} ({factors}); calls by source: {sources}")
    _say(f"method: {found.method}")


@environment_app.command("sobriety")
def sobriety(
    days: Days = 30,
    since: Since = None,
    until: Until = None,
    department: Department = None,
    as_json: AsJson = False,
) -> None:
    """Short calls sent to large models when a smaller approved model would have done."""
    with runtime() as rt:
        found = rt.environment.sobriety(_period(days, since, until, department))
    if as_json:
        out.print_json(found.model_dump_json())
        return
    if not found.hints:
        _say("no sobriety hint for the period")
    for h in found.hints:
        _say(
            f"use case {h.use_case_id or '-'}: {h.calls} short calls on {h.model} -> "
            f"{h.alternative}: saves {h.energy_saved_kwh:.6g} kWh, {h.co2e_saved_kg:.6g} kgCO2e, "
            f"{h.cost_saved_eur:.6f} EUR ({h.reason})"
        )
    _say(
        f"total if switched: {found.energy_saved_kwh:.6g} kWh, {found.co2e_saved_kg:.6g} "
        f"kgCO2e, {found.cost_saved_eur:.6f} EUR saved"
    )
