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


@demo_app.command("agents")
def demo_agents(
    approve: Annotated[
        bool,
        typer.Option(
            "--approve/--no-approve",
            help="Have the use case's owner approve the budget move the finance agent proposes, "
            "then let the agent make it (default: leave it waiting for approval).",
        ),
    ] = False,
) -> None:
    """Run the reference agents of the demo against a scripted model (no provider is called):
    the commercial agent asks the market-insight agent what the market studies say (insight,
    with citations), then the finance agent where to find the budget; the finance agent reads
    the budget lines and proposes a move, which waits for a human approval. Everything goes
    through the gateway, the tool gateway and the message API and is audited; the trace of the
    run is printed at the end (``gouvernail agent trace`` prints it again)."""
    import asyncio

    from gouvernail.agents import trace as traces
    from gouvernail.cli.agents import _print_trace
    from gouvernail.demo.agents import setup
    from gouvernail.demo.agents.scenario import play
    from gouvernail.identity.principal import Principal

    with runtime() as rt:
        if not {"market-insight", "commercial", "finance"} <= {a.slug for a in rt.agents.all()}:
            out.print("the reference agents are not registered: run `gouvernail demo load` first")
            raise typer.Exit(1)
        ctx = replace(console_context(), request_id="demo-agents")
        keys = setup.issue_keys(rt, ctx)
        owner = rt.directory.get(rt.agents.get("finance").owner_id)
        approver = Principal.signed_in(owner) if approve else None
        embeddings = None
        if rt.settings.self_hosted.enabled:  # the studies were indexed with the bundled model
            import httpx

            from gouvernail.selfhosted.inprocess import in_process

            embeddings = in_process(rt, httpx.AsyncHTTPTransport())
        outcome = asyncio.run(
            play(
                rt,
                keys,
                model=setup.DEMO_MODEL,
                sources=("market-studies",),
                approver=approver,
                embeddings=embeddings,
            )
        )
        for step in outcome.steps:
            out.print(f"{step.agent}: {step.kind} {step.name} -> {step.outcome}")
        out.print(f"answer: {outcome.answer}")
        if outcome.approvals and not outcome.executed:
            out.print(
                f"approval {outcome.approvals[-1]} waits for {owner.username} "
                "(POST /api/v1/agents/approvals/{id}/decide, or --approve here)"
            )
        _print_trace(traces.build(rt.database, outcome.trace_id))
