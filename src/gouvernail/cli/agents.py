"""Agents from the console: register (from a YAML or JSON file), list, show, suspend, resume,
issue a key, list and end runs. Actions are recorded as the console operator's; ``--as`` names
the person in whose name the change is made (kept as its author in the agent's versions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from sqlalchemy import select

from gouvernail.agents.models import AgentStatus
from gouvernail.agents.schemas import AgentIn, AgentView, RunView
from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.runtime import Runtime

agent_app = group(
    "agent",
    "Agents: register, list, show, suspend and resume them, issue their keys, list and end "
    "their runs.",
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")]
AsUser = Annotated[str, typer.Option("--as", help="Username in whose name the change is made.")]
Reason = Annotated[str, typer.Option(help="Why (kept in the audit trail).")]


def _line(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def _user(rt: Runtime, username: str) -> int:
    with rt.database.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise GouvernailError(f"no user {username!r}", field="as")
    return user_id


def print_agent(view: AgentView) -> None:
    _line(
        f"{view.slug}: {view.name} [{view.status.value}] use case {view.use_case_id}, "
        f"owner {view.owner}, version {view.version}"
    )
    _line(f"  models: {', '.join(view.allowed_models)}")
    _line(f"  tools: {', '.join(view.allowed_tools) or 'none'}")
    _line(f"  data classes: {', '.join(view.data_classes) or 'none'}")
    _line(f"  peers: {', '.join(view.peer_agents) or 'none'}")
    _line(
        f"  per run: {view.max_steps} steps, {view.max_tokens} tokens, "
        f"{view.max_cost_eur} EUR, {view.max_seconds} s"
    )


def print_run(view: RunView) -> None:
    _line(
        f"{view.run_id} [{view.status.value}] trace {view.trace_id} "
        f"started {view.started_at:%Y-%m-%d %H:%M:%S}"
        + (
            f", {view.steps} steps, {view.tokens} tokens, {view.cost_eur} EUR"
            if view.ended_at
            else ""
        )
    )


@agent_app.command("register")
def register(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: the fields of POST /api/v1/agents.")],
    as_user: AsUser,
) -> None:
    """Register an agent described in a file (slug, name, use_case_id, owner_id, purpose,
    allowed_models, allowed_tools, data_classes, peer_agents, approval_rule, limits, reason)."""
    try:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        body = AgentIn.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        err.print(f"[red]invalid agent file:[/red] {error}")
        raise typer.Exit(2) from None
    with runtime() as rt:
        view = rt.agents.register(console_context(), body, by=_user(rt, as_user))
    print_agent(view)


@agent_app.command("list")
def list_agents(
    use_case: Annotated[int | None, typer.Option(help="Only this use case's.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Registered agents."""
    with runtime() as rt:
        found = rt.agents.all(use_case_id=use_case)
    if as_json:
        out.print_json(data=[a.model_dump(mode="json") for a in found])
        return
    if not found:
        _line("no agent")
    for view in found:
        print_agent(view)


@agent_app.command("show")
def show(slug: str, as_json: JsonOption = False) -> None:
    """One agent."""
    with runtime() as rt:
        view = rt.agents.get(slug)
    if as_json:
        out.print_json(data=view.model_dump(mode="json"))
        return
    print_agent(view)


@agent_app.command("suspend")
def suspend(slug: str, reason: Reason, as_user: AsUser) -> None:
    """Kill switch: the agent's next gateway call is refused."""
    with runtime() as rt:
        view = rt.agents.set_status(
            console_context(), slug, AgentStatus.SUSPENDED, reason=reason, by=_user(rt, as_user)
        )
    print_agent(view)


@agent_app.command("resume")
def resume(slug: str, reason: Reason, as_user: AsUser) -> None:
    """Make a suspended agent active again."""
    with runtime() as rt:
        view = rt.agents.set_status(
            console_context(), slug, AgentStatus.ACTIVE, reason=reason, by=_user(rt, as_user)
        )
    print_agent(view)


@agent_app.command("key")
def key(
    slug: str,
    name: Annotated[str, typer.Option(help="The key's name.")],
    days: Annotated[int | None, typer.Option(help="Days until it expires.")] = None,
) -> None:
    """Issue an API key to the agent (its user is the accountable owner); the secret is
    printed once."""
    with runtime() as rt:
        created = rt.agents.issue_key(console_context(), slug, name=name, days=days)
    _line(f"key {created.key.prefix} for agent {slug}, expires {created.key.expires_at:%Y-%m-%d}")
    _line(created.secret)


@agent_app.command("runs")
def runs(slug: str, as_json: JsonOption = False) -> None:
    """The agent's latest runs, newest first."""
    with runtime() as rt:
        found = rt.agent_runs.list(rt.agents.get(slug).id)
    if as_json:
        out.print_json(data=[r.model_dump(mode="json") for r in found])
        return
    if not found:
        _line("no run")
    for view in found:
        print_run(view)


@agent_app.command("end-run")
def end_run(run_id: str, reason: Reason, as_user: AsUser) -> None:
    """End a run: its next call is refused; prints its totals from the request log."""
    with runtime() as rt:
        view = rt.agent_runs.end(console_context(), run_id, reason=reason, by=_user(rt, as_user))
    print_run(view)
