"""Example data to explore Gouvernail with."""

from __future__ import annotations

import secrets
import sys
from dataclasses import replace
from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.db import migrate
from gouvernail.demo import check_environment, load_demo
from gouvernail.registry.models import Status

demo_app = group("demo", "Example data to explore Gouvernail (never in production).")


@demo_app.command("load")
def demo_load(
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the demo users' password from standard input (default: a random one, "
            "printed once).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Add the demo next to existing users and use cases. Nothing is deleted or "
            "changed; what the demo already created (same username, title) is not created "
            "again.",
        ),
    ] = False,
) -> None:
    """Create Helvia Pharma, a fictional pharmaceutical group: business units and departments,
    26 people with roles, levels and training records, the charter in force and its
    acceptances, a model inventory, the governance committee with a past and a next meeting,
    and a dozen use cases from pharma practice at every stage of the lifecycle (approvals
    signed, risks rated, one pilot overdue, one prohibited practice in compliance review).

    Every demo user signs in with the same password: the demo is for exploration, not
    production, and is refused when env is prod. It is refused too when the database holds
    use cases or users other than the bootstrap admin, unless --force. Everything goes through
    the services and is recorded in the audit trail as the console operator's doing."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    with runtime() as rt:
        check_environment(rt.settings)
        migrate.upgrade(rt.database)
        ctx = replace(console_context(), request_id="demo-load")
        report = load_demo(rt, ctx, password, force=force)
    statuses = Table("status", "use cases", title=f"{report.organisation}: use cases")
    for status in Status:
        if status in report.statuses:
            statuses.add_row(status.value, str(report.statuses[status]))
    out.print(statuses)
    people = Table("username", "name", "job", "team", "roles", "training", "charter")
    for person in report.people:
        people.add_row(
            person.username,
            person.name,
            person.job,
            person.team,
            ", ".join(person.roles) or "employee",
            person.training,
            person.charter,
        )
    out.print(people)
    created = ", ".join(f"{count} {what}" for what, count in sorted(report.created.items()))
    out.print(f"created in {report.seconds} s: {created or 'nothing (already loaded)'}")
    origin = "as given on standard input" if password_stdin else "generated, shown once"
    out.print(
        f"every demo user signs in with the password [bold]{password}[/bold] ({origin}). "
        "The demo is for exploration, not production."
    )
