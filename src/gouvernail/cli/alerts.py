"""Alerts from the console: list and acknowledge alerts, run a check, edit the rules'
thresholds and channels, add and test channels. Actions are recorded as the console operator's.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.observatory.alerts.models import AlertStatus, ChannelKind, RuleKind
from gouvernail.observatory.alerts.schemas import (
    AlertView,
    ChannelIn,
    ChannelView,
    RulePatch,
    RuleView,
)

alert_app = group(
    "alert",
    "Alerts on error rates, budgets, SLA, canary drifts and shadow AI: list, acknowledge, "
    "check now, rules and channels.",
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")]


def _line(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def _json(data: Any) -> None:
    out.print_json(data=data)


def print_alert(view: AlertView) -> None:
    _line(
        f"alert {view.id}: {view.status.value} {view.severity.value} {view.kind.value} "
        f"[{view.key}] {view.title}"
    )
    _line(f"  {view.text}")
    for d in view.deliveries:
        error = f" ({d.error})" if d.error else ""
        _line(f"  to {d.channel}: {d.status.value} after {d.attempts} attempt(s){error}")


def print_rule(view: RuleView) -> None:
    state = "enabled" if view.enabled else "disabled"
    channels = ", ".join(str(c) for c in view.channels) or "none"
    _line(f"{view.kind.value}: {state}, channels {channels}, version {view.version}")
    for name, value in view.thresholds.items():
        mark = " (overridden)" if name in view.overrides else ""
        _line(f"  {name} = {orjson.dumps(value).decode()}{mark}")


def print_channel(view: ChannelView) -> None:
    state = "enabled" if view.enabled else "disabled"
    signed = ", signed" if view.signed else ""
    rules = ", ".join(r.value for r in view.rules) or "no rule"
    _line(f"channel {view.id}: {view.name} ({view.kind.value}{signed}, {state}) {view.target}")
    _line(f"  rules: {rules}")


@alert_app.command("list")
def list_alerts(
    status: Annotated[AlertStatus | None, typer.Option(help="Only these.")] = None,
    kind: Annotated[RuleKind | None, typer.Option(help="Only this rule's.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Alerts, newest first, with their deliveries."""
    with runtime() as rt:
        found = rt.alerts.find(status, kind)
    if as_json:
        _json([a.model_dump(mode="json") for a in found])
        return
    if not found:
        _line("no alerts")
    for view in found:
        print_alert(view)


@alert_app.command("show")
def show(alert_id: int, as_json: JsonOption = False) -> None:
    """One alert, its figures and its deliveries."""
    with runtime() as rt:
        view = rt.alerts.get(alert_id)
    if as_json:
        _json(view.model_dump(mode="json"))
        return
    print_alert(view)
    for name, value in view.facts.items():
        _line(f"  {name}: {value}")


@alert_app.command("check")
def check(as_json: JsonOption = False) -> None:
    """Evaluate every enabled rule now: raise, resolve and deliver."""
    with runtime() as rt:
        report = rt.alerts.run_check(ctx=console_context())
    if as_json:
        _json(report.model_dump(mode="json"))
        return
    for view in report.raised:
        print_alert(view)
    _line(
        f"raised {len(report.raised)}, resolved {len(report.resolved)}, delivered "
        f"{report.delivered}, failed {report.failed}"
    )
    for kind, why in report.skipped.items():
        _line(f"skipped {kind}: {why}")


@alert_app.command("acknowledge")
def acknowledge(
    alert_id: int,
    note: Annotated[str, typer.Option(help="What is being done (audited).")],
) -> None:
    """Acknowledge an open alert."""
    with runtime() as rt:
        view = rt.alerts.acknowledge(console_context(), None, alert_id, note)
    print_alert(view)


@alert_app.command("rules")
def rules(as_json: JsonOption = False) -> None:
    """The five rules, their thresholds (overrides marked) and channels."""
    with runtime() as rt:
        found = rt.alerts.rules()
    if as_json:
        _json([r.model_dump(mode="json") for r in found])
        return
    for view in found:
        print_rule(view)


def _settings(pairs: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise GouvernailError(f"--set takes NAME=VALUE, not {pair!r}", field="set")
        try:
            values[name.strip()] = orjson.loads(raw)
        except orjson.JSONDecodeError:
            values[name.strip()] = raw  # a bare word
    return values


@alert_app.command("rule")
def rule(
    kind: RuleKind,
    reason: Annotated[str, typer.Option(help="Why (audited).")],
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="On or off.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="A threshold override NAME=VALUE (JSON value: 0.2, true, [80,100]); repeat.",
        ),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Drop every override first.")
    ] = False,
    channel: Annotated[
        list[int] | None, typer.Option("--channel", help="A channel id (replaces the list).")
    ] = None,
    no_channels: Annotated[
        bool, typer.Option("--no-channels", help="Deliver to no channel.")
    ] = False,
) -> None:
    """Change a rule: enable or disable it, override thresholds, set its channels."""
    with runtime() as rt:
        current = rt.alerts.rule(kind)
        thresholds = None
        if set_ or defaults:
            thresholds = ({} if defaults else dict(current.overrides)) | _settings(set_ or [])
        channels = [] if no_channels else channel
        patch = RulePatch(
            version=current.version,
            reason=reason,
            enabled=enable,
            thresholds=thresholds,
            channels=channels,
        )
        view = rt.alerts.change_rule(console_context(), kind, patch)
    print_rule(view)


@alert_app.command("channels")
def channels(as_json: JsonOption = False) -> None:
    """Alert channels (webhook URLs redacted)."""
    with runtime() as rt:
        found = rt.alerts.channels()
    if as_json:
        _json([c.model_dump(mode="json") for c in found])
        return
    if not found:
        _line("no channels")
    for view in found:
        print_channel(view)


@alert_app.command("add-channel")
def add_channel(
    name: str,
    reason: Annotated[str, typer.Option(help="Why (audited).")],
    webhook: Annotated[str | None, typer.Option(help="A webhook's URL.")] = None,
    email: Annotated[
        list[str] | None, typer.Option(help="An e-mail recipient; repeat for more.")
    ] = None,
) -> None:
    """Add a webhook (its signing key is printed once) or an e-mail channel."""
    if (webhook is None) == (not email):
        raise typer.BadParameter("give either --webhook URL or --email ADDRESS")
    body = ChannelIn(
        name=name,
        kind=ChannelKind.WEBHOOK if webhook else ChannelKind.EMAIL,
        url=webhook,
        recipients=email,
        reason=reason,
    )
    with runtime() as rt:
        saved = rt.alerts.add_channel(console_context(), body)
    print_channel(saved)
    if saved.signing_key:
        _line(f"signing key (shown once): {saved.signing_key}")


@alert_app.command("test-channel")
def test_channel(channel_id: int) -> None:
    """Send a test message to a channel now (exit 1 if it did not arrive)."""
    with runtime() as rt:
        result = rt.alerts.test_channel(console_context(), channel_id)
    if result.delivered:
        _line(f"channel {channel_id}: test message delivered")
        return
    _line(f"channel {channel_id}: not delivered: {result.error}")
    raise typer.Exit(1)
