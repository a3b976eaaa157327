"""Agents from the console: register (from a YAML or JSON file), list, show, suspend, resume,
issue a key, list and end runs, show a trace, list and decide approvals of consequential tool
calls. Actions are recorded as the console operator's; ``--as`` names the person in whose name
the change is made (kept as its author in the agent's versions). An approval is decided as the
``--as`` person, whom the agent's approval rule must name, and recorded as theirs; for a
GxP-relevant tool the decision is their electronic signature (their password, typed hidden).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import yaml
from pydantic import ValidationError
from sqlalchemy import select

from gouvernail.agents import trace as traces
from gouvernail.agents.models import AgentRun, AgentStatus, ApprovalStatus
from gouvernail.agents.schemas import AgentIn, AgentView, RunView
from gouvernail.agents.tools.schemas import ApprovalView, DecisionIn
from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime

agent_app = group(
    "agent",
    "Agents: register, list, show, suspend and resume them, issue their keys, list and end "
    "their runs, show traces, list and decide approvals of their consequential tool calls.",
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


def _what(event: traces.TraceEvent) -> str:
    if isinstance(event, traces.ModelCall):
        return event.model or event.model_requested
    if isinstance(event, traces.ToolCallEvent):
        return event.tool
    if isinstance(event, traces.ApprovalEvent):
        return f"{event.tool} by {event.approver}"
    return f"{'to' if event.kind == 'message_sent' else 'from'} {event.peer}"


def _print_trace(found: traces.Trace) -> None:
    totals = found.totals
    co2 = "no estimate" if totals.gco2e is None else f"{totals.gco2e:.2f} gCO2e"
    _line(
        f"trace {found.trace_id}: {', '.join(found.agents)}; {totals.steps} steps, "
        f"{totals.tokens} tokens, {totals.cost_eur} EUR, {co2}, {totals.refusals} refused"
    )
    for depth, run in traces.walk(found.runs):
        pad = "  " * depth
        asked = f" from message {run.message_id}" if run.message_id else ""
        _line(
            f"{pad}- {run.agent} {run.run_id} [{run.status.value}]{asked}, "
            f"started {run.started_at:%Y-%m-%d %H:%M:%S}, {run.totals.steps} steps, "
            f"{run.totals.tokens} tokens, {run.totals.cost_eur} EUR"
        )
        for event in run.events:
            what = _what(event)
            flag = " REFUSED" if event.refused else ""
            _line(
                f"{pad}    {event.at:%H:%M:%S} {event.kind} {what} [{event.status}]{flag} "
                f"{event.ref}"
            )


@agent_app.command("trace")
def trace(
    target: Annotated[str, typer.Argument(help="A trace id (32 hex digits) or a run id.")],
    as_json: JsonOption = False,
    export: Annotated[
        Path | None,
        typer.Option(help="Write the inspector's export (with each element's audit records)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Export format: json or csv.")] = "json",
) -> None:
    """The tree of a trace: its runs (a run started from a message under the run that sent
    it), their model calls, tool calls, messages and approvals in time order, and totals."""
    if fmt not in ("json", "csv"):
        err.print("[red]--format is json or csv[/red]")
        raise typer.Exit(2)
    with runtime() as rt:
        with rt.database.read() as session:
            known = session.scalar(select(AgentRun.trace_id).where(AgentRun.run_id == target))
        trace_id = known or target
        traces.agents_of(rt.database, trace_id)  # 404 for an unknown trace
        found = traces.build(rt.database, trace_id, with_audit=export is not None)
    if export is not None:
        data = traces.csv_text(found).encode() if fmt == "csv" else traces.json_bytes(found)
        export.write_bytes(data)
        _line(f"trace {trace_id} written to {export} ({fmt})")
        return
    if as_json:
        out.print_json(data=found.model_dump(mode="json"))
        return
    _print_trace(found)


# --- approvals of consequential tool calls ------------------------------------------------------


def _principal(rt: Runtime, username: str) -> Principal:
    """The person the console acts for, as a principal (their roles, no session)."""
    user = rt.directory.by_username(username, field="as")
    if not user.is_active:
        raise GouvernailError(f"user {username!r} is deactivated", field="as")
    return Principal(
        user.id, user.username, user.display_name, tuple(user.roles), user.team_id, "console"
    )


def print_approval(view: ApprovalView) -> None:
    signature = ", GxP: decided by electronic signature" if view.gxp else ""
    _line(
        f"approval {view.id} [{view.status}] {view.agent} asks to call {view.tool}, "
        f"decided by the {view.approver.replace('_', ' ')}{signature}"
    )
    _line(f"  run {view.run_id}, trace {view.trace_id}, version {view.version}")
    _line(f"  arguments: {orjson.dumps(view.arguments, option=orjson.OPT_SORT_KEYS).decode()}")
    if view.untrusted_input:
        _line(
            "  WARNING: this run received text that reads as instructions (untrusted input): "
            "check that the call is what its owner wants"
        )
    _line(
        f"  requested {view.requested_at:%Y-%m-%d %H:%M:%S}, "
        f"expires {view.expires_at:%Y-%m-%d %H:%M:%S}"
    )
    if view.decided_by:
        decided = f"{view.decided_at:%Y-%m-%d %H:%M:%S}" if view.decided_at else ""
        signed = f", signature {view.signature_id}" if view.signature_id else ""
        _line(f"  decided by {view.decided_by} {decided}{signed}: {view.reason}")


@agent_app.command("approvals")
def approvals(
    as_user: Annotated[str, typer.Option("--as", help="Username whose approvals to list.")],
    status: Annotated[
        str | None,
        typer.Option(help="Only these: pending, approved, rejected, used or expired."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Approvals of consequential tool calls that the --as person may decide (every one for
    those who may read all), newest first."""
    if status is not None and status not in {s.value for s in ApprovalStatus}:
        raise typer.BadParameter(
            "pending, approved, rejected, used or expired", param_hint="--status"
        )
    with runtime() as rt:
        found = rt.tool_approvals.list(_principal(rt, as_user), status=status)
    if as_json:
        out.print_json(data=[a.model_dump(mode="json") for a in found])
        return
    if not found:
        _line("no approval")
    for view in found:
        print_approval(view)


@agent_app.command("decide")
def decide(
    approval_id: Annotated[int, typer.Argument(help="The approval's id.")],
    reason: Reason,
    as_user: Annotated[str, typer.Option("--as", help="Username of the person deciding.")],
    approve: Annotated[
        bool | None, typer.Option("--approve/--reject", help="Approve or reject the call.")
    ] = None,
) -> None:
    """Approve or reject a pending tool call as the --as person, whom the agent's approval
    rule names. For a GxP-relevant tool the decision is an electronic signature: their
    password is asked (hidden input)."""
    if approve is None:
        raise typer.BadParameter("give --approve or --reject", param_hint="--approve/--reject")
    with runtime() as rt:
        principal = _principal(rt, as_user)
        current = rt.tool_approvals.get(principal, approval_id)
        print_approval(current)
        try:
            body = DecisionIn(
                decision="approve" if approve else "reject",
                reason=reason,
                version=current.version,
            )
        except ValidationError as error:
            raise typer.BadParameter(error.errors()[0]["msg"], param_hint="--reason") from None
        if current.gxp:
            password = typer.prompt(
                f"password of {as_user} (electronic signature)", hide_input=True
            )
            body = body.model_copy(update={"password": password})
        view = rt.tool_approvals.decide(principal, approval_id, body, request_id="cli")
    print_approval(view)
