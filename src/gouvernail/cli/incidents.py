"""The AI incident register from the console: report an incident for someone, list and show
incidents with their AI Act assessment, add a note and change the status with that person's
rights (the trail records the console operator; the timeline, the person)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.observatory.incidents.models import IncidentStatus, Severity
from gouvernail.observatory.incidents.schemas import IncidentIn, IncidentPatch, IncidentView
from gouvernail.observatory.incidents.service import Filters
from gouvernail.observatory.incidents.timeline import Author
from gouvernail.runtime import Runtime

incident_app = group("incident", "The AI incident register (AI Act serious incidents).")


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO date or date and time; without an offset, UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("an ISO date or date and time", param_hint=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _acting(rt: Runtime, username: str, action: str) -> tuple[Author, bool]:
    """The person the console acts for, and whether the policy lets them ``action``
    incidents."""
    user = rt.directory.by_username(username, field="as")
    if not user.is_active:
        raise GouvernailError(f"user {username!r} is deactivated", field="as")
    allowed = rt.policy.decide(user.roles, "incidents", action).allowed
    return Author(user.id, user.display_name), allowed


def _validated(model: type[Any], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise typer.BadParameter(first["msg"], param_hint=where) from None


@incident_app.command("report")
def report(
    title: Annotated[str, typer.Argument(help="What happened, in a line.")],
    kind: Annotated[
        str, typer.Option(help="wrong_answer, data_leak, bias, outage, security or other.")
    ],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")],
    as_user: Annotated[str, typer.Option("--as", help="Who reports it.")],
    use_case: Annotated[int | None, typer.Option(help="The use case's id.")] = None,
    description: Annotated[str, typer.Option(help="What happened, in detail.")] = "",
    occurred_at: Annotated[
        str | None, typer.Option(help="When it happened (ISO; UTC without offset; default now).")
    ] = None,
    detected_at: Annotated[
        str | None, typer.Option(help="When it became known (ISO; default now).")
    ] = None,
    harm: Annotated[
        list[str] | None,
        typer.Option(
            help="AI Act Art. 3(49) harm (repeatable): death_or_serious_health_harm, "
            "critical_infrastructure_disruption, fundamental_rights_infringement, "
            "property_or_environment_harm, or none."
        ),
    ] = None,
    widespread: Annotated[
        bool, typer.Option("--widespread", help="A widespread infringement (Art. 73(3)).")
    ] = False,
    death: Annotated[bool, typer.Option("--death", help="Someone died (Art. 73(4)).")] = False,
) -> None:
    """Report an AI incident for someone; prints its id and the AI Act assessment."""
    occurred = _when(occurred_at, "--occurred-at") or datetime.now(UTC)
    body = _validated(
        IncidentIn,
        {
            "title": title,
            "kind": kind,
            "severity": severity,
            "description": description,
            "use_case_id": use_case,
            "occurred_at": occurred,
            "detected_at": _when(detected_at, "--detected-at"),
            "harms": harm or ["none"],
            "widespread": widespread,
            "death": death,
        },
    )
    with runtime() as rt:
        author, allowed = _acting(rt, as_user, "report")
        if not allowed:
            raise ForbiddenError(f"{as_user} may not report incidents")
        view = rt.incidents.report(console_context(), author, body)
    out.print(f"incident {view.id} reported ({view.severity.value}, {view.status.value})")
    _say(view.assessment.explanation)


@incident_app.command("list")
def list_incidents(
    status: Annotated[IncidentStatus | None, typer.Option(help="Only in this status.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="Only of this severity.")] = None,
    use_case: Annotated[int | None, typer.Option(help="Only this use case's.")] = None,
    serious: Annotated[
        bool | None,
        typer.Option(
            "--serious/--not-serious", help="Only those flagged possibly serious, or not."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """List incidents, newest detected first, with the AI Act flag and its reporting deadline."""
    with runtime() as rt:
        found = rt.incidents.find(
            Filters(
                status=status, severity=severity, use_case_id=use_case, possibly_serious=serious
            )
        )
    if as_json:
        out.print_json(data=[s.model_dump(mode="json") for s in found])
        return
    table = Table("id", "detected", "severity", "status", "kind", "title", "use case", "AI Act")
    for s in found:
        flag = f"serious? report by {s.report_by:%Y-%m-%d %H:%M}" if s.report_by else ""
        late = f" ({s.overdue_actions} overdue)" if s.overdue_actions else ""
        table.add_row(
            str(s.id),
            f"{s.detected_at:%Y-%m-%d}",
            s.severity.value,
            s.status.value + late,
            s.kind.value,
            escape(s.title[:60]),
            f"UC-{s.use_case_id}" if s.use_case_id else "-",
            flag,
        )
    out.print(table)


@incident_app.command("show")
def show(
    incident_id: Annotated[int, typer.Argument(help="The incident's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole incident.")] = False,
) -> None:
    """An incident: assessment, timeline (oldest first), linked calls, corrective actions."""
    with runtime() as rt:
        view = rt.incidents.get(incident_id)
    if as_json:
        out.print_json(view.model_dump_json())
        return
    _print(view)


def _say(text: str) -> None:
    """Plain text as it is (no markup, one line however long: easy to copy)."""
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _print(view: IncidentView) -> None:
    uc = f"use case {view.use_case_id} ({view.use_case_tier or 'unclassified'})"
    out.print(f"[bold]#{view.id} {escape(view.title)}[/bold]", highlight=False)
    _say(
        f"{view.kind.value}, {view.severity.value}, {view.status.value}, version {view.version}; "
        f"{uc if view.use_case_id else 'no use case'}; reported by {view.reporter}"
    )
    _say(f"harms: {', '.join(h.value for h in view.harms)}")
    _say(view.assessment.explanation)
    for entry in view.timeline:
        _say(f"{entry.at:%Y-%m-%d %H:%M} {entry.author}: {entry.text}")
    for call in view.requests:
        _say(f"call {call.request_id}: {call.model or '-'} {call.status} {call.decision}")
    for action in view.actions:
        late = " OVERDUE" if action.overdue else ""
        _say(
            f"action {action.id} [{action.status.value}{late}] due {action.due_on} "
            f"({action.owner}): {action.description}"
        )


@incident_app.command("note")
def note(
    incident_id: Annotated[int, typer.Argument(help="The incident's id.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    as_user: Annotated[str, typer.Option("--as", help="Who writes it (their rights).")],
) -> None:
    """Add a note to an incident's timeline for its reporter or someone who manages incidents."""
    with runtime() as rt:
        author, manages = _acting(rt, as_user, "manage")
        rt.incidents.add_note(console_context(), author, incident_id, text, any_incident=manages)
    out.print(f"incident {incident_id}: note added")


@incident_app.command("status")
def status(
    incident_id: Annotated[int, typer.Argument(help="The incident's id.")],
    new_status: Annotated[
        IncidentStatus, typer.Argument(metavar="STATUS", help="open, mitigated or closed.")
    ],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit and the timeline).")],
    as_user: Annotated[str, typer.Option("--as", help="Who changes it (their rights).")],
) -> None:
    """Move an incident to mitigated or closed, or reopen it, with a reason."""
    with runtime() as rt:
        author, manages = _acting(rt, as_user, "manage")
        if not manages:
            raise ForbiddenError(f"{as_user} may not manage incidents")
        current = rt.incidents.get(incident_id)
        patch = _validated(
            IncidentPatch, {"version": current.version, "reason": reason, "status": new_status}
        )
        view = rt.incidents.change(console_context(), author, incident_id, patch)
    out.print(f"incident {incident_id}: {view.status.value}")
