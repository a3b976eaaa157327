"""The acceptable-use charter: load (a file or the default in French or English), activate
now or at a date, withdraw, list, and follow the roll-out."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import (
    console_context,
    err,
    group,
    out,
    runtime,
)
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal

charter_app = group("charter", "The acceptable-use charter and its roll-out.")


class Language(StrEnum):
    EN = "en"
    FR = "fr"


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise GouvernailError(
            f"{value!r} is not an ISO 8601 time, e.g. 2026-12-01T00:00:00+00:00",
            field="effective_at",
        ) from None


@charter_app.command("load")
def charter_load(
    path: Annotated[
        Path | None, typer.Argument(help="YAML with number, title, body (Markdown), rules.")
    ] = None,
    default: Annotated[
        Language | None,
        typer.Option("--default", help="Load the charter shipped with Gouvernail instead."),
    ] = None,
    activate: Annotated[
        bool,
        typer.Option(
            help="Put it in force at once, without the approval signature (bootstrap only; "
            "recorded as such)."
        ),
    ] = False,
    grace_days: Annotated[
        int | None, typer.Option(help="With --activate: grace period (default: settings).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "loaded",
) -> None:
    """Draft a charter version from a YAML file, or the default one (--default fr|en)."""
    if (path is None) == (default is None):
        err.print("[red]give a YAML file or --default fr|en (one of them)[/red]")
        raise typer.Exit(2)
    with runtime() as rt:
        ctx = console_context()
        draft = (
            rt.charters.load_file(ctx, path)
            if path is not None
            else rt.charters.load_default(ctx, str(default))
        )
        out.print(f"charter {draft.number} drafted (id {draft.id})")
        if activate:
            rt.charters.activate(
                ctx, draft.id, reason=reason, grace_days=grace_days, require_approval=False
            )
            out.print(f"charter {draft.number} is in force")


@charter_app.command("activate")
def charter_activate(
    charter_id: Annotated[int, typer.Argument(help="Charter version id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    effective_at: Annotated[
        str | None, typer.Option(help="When it comes into force (ISO 8601 with zone); now.")
    ] = None,
    grace_days: Annotated[
        int | None,
        typer.Option(help="Days acceptors of the previous version keep access (settings)."),
    ] = None,
) -> None:
    """Activate an approved draft, now or at a date; every active user is notified."""
    with runtime() as rt:
        view = rt.charters.activate(
            console_context(),
            charter_id,
            reason=reason,
            effective_at=_when(effective_at),
            grace_days=grace_days,
        )
        start = f"{view.effective_at:%Y-%m-%d %H:%M}"
        out.print(
            f"charter {view.number} {view.status}: in force from {start} UTC, "
            f"grace {view.grace_days} days"
        )


@charter_app.command("withdraw")
def charter_withdraw(
    charter_id: Annotated[int, typer.Argument(help="Charter version id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Withdraw a scheduled version before it comes into force."""
    with runtime() as rt:
        view = rt.charters.withdraw(console_context(), charter_id, reason=reason)
        out.print(f"charter {view.number} withdrawn")


@charter_app.command("accept")
def charter_accept(
    username: Annotated[
        str, typer.Argument(help="The person accepting (they type their password).")
    ],
    version_id: Annotated[
        int | None, typer.Option(help="Version accepted (default: the newest activated).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Accept the charter as USERNAME: an electronic signature with that person's password
    (e.g. for a technical account that needs a key)."""
    password = (
        sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("password: ")
    )
    with runtime() as rt:
        user = rt.directory.by_username(username)
        principal = Principal(
            user.id, user.username, user.display_name, tuple(user.roles), user.team_id, "console"
        )
        signature = rt.charters.accept(principal, password=password, version_id=version_id)
        out.print(signature.manifestation)


@charter_app.command("list")
def charter_list() -> None:
    """List charter versions."""
    with runtime() as rt:
        table = Table("id", "number", "title", "status", "revision", "in force from", "grace")
        for version in rt.charters.list():
            table.add_row(
                str(version.id),
                version.number,
                version.title,
                version.status,
                str(version.revision),
                f"{version.effective_at:%Y-%m-%d %H:%M}" if version.effective_at else "",
                f"{version.grace_days} d" if version.effective_at else "",
            )
        out.print(table)


@charter_app.command("rollout")
def charter_rollout(
    charter_id: Annotated[int, typer.Argument(help="Charter version id.")],
    team: Annotated[str | None, typer.Option(help="Team slug (with its sub-teams).")] = None,
    state: Annotated[
        str | None, typer.Option(help="List only accepted, pending or overdue users.")
    ] = None,
    notify: Annotated[
        bool, typer.Option("--notify", help="First tell the active users not told yet.")
    ] = False,
) -> None:
    """Roll-out of a version: who was told, accepted, is pending or overdue."""
    with runtime() as rt:
        if notify:
            told = rt.charters.notify(console_context(), charter_id)
            out.print(f"{len(told)} user(s) told")
        report = rt.charters.rollout(charter_id, team=team, state=state)
        counts = report.counts
        out.print(
            f"charter {report.number} ({report.status}), in force from "
            f"{report.effective_at:%Y-%m-%d %H:%M} UTC, grace ends "
            f"{report.grace_ends_at:%Y-%m-%d %H:%M} UTC"
        )
        out.print(
            f"users {counts.users}: told {counts.told}, accepted {counts.accepted}, "
            f"pending {counts.pending}, overdue {counts.overdue}"
        )
        table = Table("user", "team", "told", "accepted", "state")
        for user in report.users:
            table.add_row(
                user.username,
                user.team_slug or "",
                f"{user.told_at:%Y-%m-%d}" if user.told_at else "no",
                f"{user.accepted_at:%Y-%m-%d}" if user.accepted_at else "",
                user.state.value,
            )
        out.print(table)
