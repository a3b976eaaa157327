"""Licences from the console: declare the tools bought, import vendors' seat exports and
outside tools' activity exports, and read the figures (the console operator sees everything,
as an administrator on the server does)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.observatory.licences.report import money
from gouvernail.observatory.licences.schemas import ImportView, ToolIn, ToolPatch

licence_app = group(
    "licence",
    "Licences and AI tools used outside the gateway: seats, activity, reclaim, cost.",
)
tool_app = typer.Typer(help="Licensed tools: add, list, show, change.", no_args_is_help=True)
licence_app.add_typer(tool_app, name="tool")


@licence_app.command("import")
def import_seats(
    file: Annotated[Path, typer.Argument(help="The seat export (CSV or XLSX).")],
    tool: Annotated[str, typer.Option(help="The licensed tool's slug.")],
    export_format: Annotated[
        str, typer.Option("--format", "-f", help="m365_copilot or generic.")
    ] = "generic",
    as_of: Annotated[
        str | None, typer.Option(help="Date of a generic export, YYYY-MM-DD (default today).")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Generic format: ROLE=COLUMN, ROLE one of email, last_active, assigned, "
            "display_name.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Import a vendor's seat export; the same file twice is refused, a newer one updates."""
    mapping = {}
    for item in column or []:
        role, sep, name = item.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise GouvernailError(f"--map {item!r}: write ROLE=COLUMN", field="map")
        mapping[role.strip()] = name.strip()
    day = _date(as_of, "as_of")
    with runtime() as rt:
        view = rt.licences.import_seats(
            console_context(),
            tool,
            _read(file),
            name=file.name,
            format=export_format,
            mapping=mapping,
            as_of=day,
        )
    _print_import(view, as_json)


@licence_app.command("activity-import")
def import_activity(
    file: Annotated[Path, typer.Argument(help="The compliance export (JSON lines).")],
    tool: Annotated[str, typer.Option(help="The licensed tool's slug.")],
    export_format: Annotated[
        str, typer.Option("--format", "-f", help="chatgpt_compliance.")
    ] = "chatgpt_compliance",
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Import an outside tool's activity, inspected against the charter (all or nothing)."""
    if not file.is_file():
        raise GouvernailError(f"{file} is not a file", field="file")
    with runtime() as rt:
        view = rt.licences.import_activity(
            console_context(), tool, file, name=file.name, format=export_format
        )
    _print_import(view, as_json)


@licence_app.command("report")
def report(
    as_of: Annotated[str | None, typer.Option(help="Day of the figures (default today).")] = None,
    reclaim_after: Annotated[
        int | None, typer.Option(help="Days inactive before reclaim.", min=30, max=3650)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report.")] = False,
) -> None:
    """Per tool: seats, activity over 30/60/90 days, cost per active user, reclaim, findings."""
    with runtime() as rt:
        result = rt.licences.report(
            people_visible=True, as_of=_date(as_of, "as_of"), reclaim_after=reclaim_after
        )
    if as_json:
        out.print_json(result.model_dump_json())
        return
    out.print(f"licences on {result.as_of}")
    for t in result.tools:
        active = ", ".join(f"{n} in {w} d" for w, n in t.active.items())
        currency = t.currency or ""
        out.print(
            f"{t.slug}: {t.seats_assigned}/{t.seats_bought} seats assigned, active {active}; "
            f"cost {money(t.monthly_cost)} {currency}/month, "
            f"{money(t.cost_per_active_user)} {currency} per active user",
            highlight=False,
        )
        out.print(
            f"  reclaim {t.reclaim.seats} seats, saving {money(t.reclaim.monthly_saving)} "
            f"{currency}/month",
            highlight=False,
        )
        for r in t.reclaim.people or []:
            last = r.last_active.isoformat() if r.last_active else "never"
            out.print(
                f"    {r.identity}\tlast active {last}\t{r.inactive_days} days", highlight=False
            )
        o = t.outside
        out.print(
            f"  outside: {o.messages} messages by {o.people} people, {o.over_ceiling} above "
            f"{o.ceiling or 'the ceiling'}",
            highlight=False,
        )


@licence_app.command("findings")
def findings(
    tool: Annotated[str | None, typer.Option(help="One tool only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """Per person, messages sent to outside tools above what the charter lets them receive."""
    with runtime() as rt:
        found = rt.licences.findings(tool=tool)
    if as_json:
        out.print_json(data=[f.model_dump(mode="json") for f in found])
        return
    for f in found:
        types = ", ".join(f"{k} {v}" for k, v in f.types.items())
        out.print(
            f"{f.tool}\t{f.identity}\t{f.messages} messages above {f.ceiling}\t{types}",
            highlight=False,
        )


@licence_app.command("seats")
def seats(
    tool: Annotated[str, typer.Argument(help="The licensed tool's slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """Every seat of a tool, per person, with its last activity."""
    with runtime() as rt:
        found = rt.licences.seats(tool)
    if as_json:
        out.print_json(data=[s.model_dump(mode="json") for s in found])
        return
    for s in found:
        last = s.last_active.isoformat() if s.last_active else "never"
        state = "assigned" if s.assigned else f"released {s.released_on}"
        out.print(f"{s.identity}\t{state}\tlast active {last}", highlight=False)


@tool_app.command("add")
def add_tool(
    slug: Annotated[str, typer.Argument(help="Short name (lower case, digits, dashes).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    vendor: Annotated[str | None, typer.Option(help="The inventory vendor's slug.")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="An inventory model behind the tool.")
    ] = None,
    use_case: Annotated[int | None, typer.Option(help="The use case the licences serve.")] = None,
    hosting: Annotated[
        str | None, typer.Option(help="external_saas, eu_cloud or self_hosted.")
    ] = None,
    max_data_class: Annotated[
        str | None, typer.Option(help="Highest data class it may receive.")
    ] = None,
    seat_price: Annotated[str | None, typer.Option(help="Per seat and billing period.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217, e.g. EUR.")] = None,
    billing_period: Annotated[str, typer.Option(help="monthly or annual.")] = "monthly",
    seats_bought: Annotated[int, typer.Option(help="Seats bought.", min=0)] = 0,
) -> None:
    """Declare a licensed tool."""
    body = ToolIn.model_validate(
        _given(
            slug=slug,
            name=name,
            vendor=vendor,
            models=model or [],
            use_case_id=use_case,
            hosting=hosting,
            max_data_class=max_data_class,
            seat_price=seat_price,
            currency=currency,
            billing_period=billing_period,
            seats_bought=seats_bought,
        )
    )
    with runtime() as rt:
        view = rt.licences.add_tool(console_context(), body)
    out.print(f"tool {view.slug} added")


@tool_app.command("list")
def list_tools() -> None:
    """The licensed tools: slug, name, seats bought, seat price, hosting, ceiling."""
    with runtime() as rt:
        for t in rt.licences.tools():
            price = "-" if t.seat_price is None else f"{t.seat_price:.2f} {t.currency}"
            out.print(
                f"{t.slug}\t{t.name}\t{t.seats_bought} seats\t{price}/{t.billing_period}\t"
                f"{t.hosting}\t{t.max_data_class}",
                highlight=False,
            )


@tool_app.command("show")
def show_tool(slug: Annotated[str, typer.Argument(help="The tool.")]) -> None:
    """A tool, and its cost per month, as JSON."""
    with runtime() as rt:
        view = rt.licences.tool(slug)
        cost = rt.licences.monthly_cost(slug)
    out.print_json(
        data={"tool": view.model_dump(mode="json"), "cost": cost.model_dump(mode="json")}
    )


@tool_app.command("change")
def change_tool(
    slug: Annotated[str, typer.Argument(help="The tool.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    seats_bought: Annotated[int | None, typer.Option(help="Seats bought.", min=0)] = None,
    seat_price: Annotated[str | None, typer.Option(help="Per seat and billing period.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217, e.g. EUR.")] = None,
    billing_period: Annotated[str | None, typer.Option(help="monthly or annual.")] = None,
    max_data_class: Annotated[
        str | None, typer.Option(help="Highest data class it may receive.")
    ] = None,
    use_case: Annotated[int | None, typer.Option(help="The use case the licences serve.")] = None,
) -> None:
    """Change a tool (seats bought, price, ceiling, use case)."""
    with runtime() as rt:
        current = rt.licences.tool(slug)
        patch = ToolPatch.model_validate(
            _given(
                version=current.version,
                reason=reason,
                seats_bought=seats_bought,
                seat_price=seat_price,
                currency=currency,
                billing_period=billing_period,
                max_data_class=max_data_class,
                use_case_id=use_case,
            )
        )
        view = rt.licences.change_tool(console_context(), slug, patch)
    out.print(f"tool {view.slug} is at version {view.version}")


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GouvernailError(f"{field} {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _read(file: Path) -> bytes:
    if not file.is_file():
        raise GouvernailError(f"{file} is not a file", field="file")
    return file.read_bytes()


def _print_import(view: ImportView, as_json: bool) -> None:
    if as_json:
        out.print_json(view.model_dump_json())
        return
    changes = ", ".join(f"{k} {v}" for k, v in view.summary.items())
    out.print(
        f"import {view.id} ({view.kind}, {view.tool}): {view.records} records, "
        f"{view.malformed} malformed, {view.unknown_count} unknown people; {changes}",
        highlight=False,
    )
    for example in view.examples:
        out.print(f"  line {example.line}: {example.why}", highlight=False)
    for identity in view.unknown or []:
        out.print(f"  unknown: {identity}", highlight=False)
