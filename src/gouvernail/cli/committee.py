"""The governance committee: meetings, agendas, team referents."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gouvernail.cli._common import console_context, group, out, runtime

committee_app = group("committee", "The governance committee and the referents of each team.")


@committee_app.command("meetings")
def meetings(
    status: Annotated[
        str | None,
        typer.Option(
            help="Only meetings in this status (planned, held, minutes_approved, cancelled)."
        ),
    ] = None,
) -> None:
    """List committee meetings, newest first."""
    with runtime() as rt:
        table = Table("id", "scheduled (UTC)", "title", "status", "items", "version")
        for meeting in rt.committee.meetings.list(status=status):
            table.add_row(
                str(meeting.id),
                meeting.scheduled_at.strftime("%Y-%m-%d %H:%M"),
                meeting.title,
                meeting.status,
                str(meeting.items),
                str(meeting.version),
            )
        out.print(table)


def _person(value: Any) -> str:
    return str(value["display_name"]) if isinstance(value, dict) else ""


@committee_app.command("agenda")
def agenda(meeting_id: Annotated[int, typer.Argument(help="The meeting id.")]) -> None:
    """Show a meeting's agenda with each use case's key facts, and the quorum."""
    with runtime() as rt:
        meeting = rt.committee.meetings.get(meeting_id)
        out.print(
            f"[bold]{escape(meeting.title)}[/bold] — {meeting.scheduled_at:%Y-%m-%d %H:%M} UTC — "
            f"{escape(meeting.location or 'no place given')} — {meeting.status} "
            f"(version {meeting.version})"
        )
        out.print(
            f"quorum: {meeting.quorum.describe()} — "
            + ("reached" if meeting.quorum.reached else "not reached")
        )
        if not meeting.agenda:
            out.print("the agenda is empty")
        for item in meeting.agenda:
            outcome = f" → {item.outcome}" if item.outcome else ""
            if item.use_case_id is None:
                out.print(f"{item.position}. {item.topic}{outcome}", markup=False)
                continue
            facts = item.facts
            department = facts.get("department") or {}
            details = [
                f"status {facts.get('status')}",
                f"AI Act tier {facts.get('ai_act_tier') or 'unclassified'}",
                str(department.get("name") or "no department"),
                f"requested by {_person(facts.get('requester'))}",
            ]
            if facts.get("pending_stage"):
                details.append(f"pending stage {facts['pending_stage']}")
            out.print(
                f"{item.position}. UC-{item.use_case_id:04d} {facts.get('title', '')}{outcome}\n"
                f"   {' · '.join(details)}\n   why: {item.why}",
                markup=False,
                soft_wrap=True,
            )


@committee_app.command("referent")
def referent(
    team: Annotated[str, typer.Argument(help="Team slug.")],
    kind: Annotated[str, typer.Argument(help="ai_referent, security_referent or data_owner.")],
    username: Annotated[str, typer.Argument(help="Who; must hold the directory role KIND.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Name a team's AI referent or data owner (replacing the one in office), or add a
    security referent."""
    with runtime() as rt:
        view = rt.committee.referents.assign(
            console_context(), team, kind, username=username, reason=reason
        )
        names = [r.username for r in view.current if r.kind == kind]
        out.print(f"{kind} of {view.team_slug}: {', '.join(names)}")
