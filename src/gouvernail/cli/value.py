"""Value and ROI of use cases from the console: set a use case's value model for someone, with
that person's rights (the trail records the console operator; the model, the person as who
declared the time saved), and print the reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.observatory.value.schemas import ValueModelIn, ValueReport

value_app = group("value", "Value and ROI of use cases: value models and reports.")

Days = Annotated[int, typer.Option(min=1, max=366, help="The report's period: the last N days.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")]


def _body(path: Path) -> ValueModelIn:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise typer.BadParameter(str(error), param_hint="FILE") from None
    try:
        return ValueModelIn.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "FILE"
        raise typer.BadParameter(first["msg"], param_hint=where) from None


def _eur(value: float) -> str:
    return f"{value:,.2f} EUR"


def lines(report: ValueReport) -> list[str]:
    """The report in plain lines (what ``value show`` prints)."""
    r, saved, adoption = report.results, report.time_saved, report.adoption
    rate = f" of {adoption.target_users} ({adoption.rate:.0%})" if adoption.rate is not None else ""
    found = [
        f"UC-{report.use_case_id} {report.use_case} ({report.status}), last {report.days} days",
        f"baseline: {report.baseline_minutes_per_task.value:g} min per task "
        f"({report.baseline_minutes_per_task.source}), "
        f"{_eur(report.baseline_cost_per_task_eur)} per task at "
        f"{_eur(report.hourly_cost_eur.value)}/h ({report.hourly_cost_eur.source})",
        f"tasks: {report.tasks.value:g} ({report.tasks.source})",
        f"time saved: {saved.minutes_per_task:g} min per task, {saved.label.upper()} "
        f"({saved.detail}"
        + ("" if saved.method == "declared" else f"; recorded by {saved.by}, {saved.at:%Y-%m-%d}")
        + ")",
        f"adoption ({adoption.days} days): {adoption.active_users} active users{rate}",
        "  by department: "
        + (", ".join(f"{c.name} {c.active_users}" for c in adoption.by_department) or "-"),
        "  by level: "
        + (", ".join(f"{c.name} {c.active_users}" for c in adoption.by_level) or "-"),
        f"costs: tokens {_eur(report.costs.tokens_eur)} (measured, {report.costs.calls} calls), "
        f"licences {_eur(report.costs.licences_eur)}, hosting {_eur(report.costs.hosting_eur)}, "
        f"support {_eur(report.costs.support_eur)} (declared) = {_eur(report.costs.total_eur)}",
        f"hours freed: {r.hours_freed:,.1f} h (worth {_eur(r.hours_freed_value_eur)}; "
        "not a saving until redeployed or cut)",
        f"savings realised: {_eur(r.savings_realised_eur)} "
        f"({r.redeployed_share:.0%} of the freed hours redeployed or cut, DECLARED)",
        f"net: {_eur(r.net_eur)}; ROI: "
        + (f"{r.roi:.1%}" if r.roi is not None else "undefined (no cost)")
        + "; payback of the build cost "
        + f"({_eur(report.costs.build_cost_eur)}): "
        + (f"{r.payback_months:.1f} months" if r.payback_months is not None else "never"),
    ]
    return found + [f"note: {note}" for note in report.notes]


@value_app.command("set")
def set_model(
    use_case: Annotated[int, typer.Argument(help="The use case's id.")],
    file: Annotated[
        Path, typer.Argument(help="YAML or JSON value model (the API's PUT body).", exists=True)
    ],
    as_user: Annotated[str, typer.Option("--as", help="Who sets it (their rights).")],
) -> None:
    """Set or replace a use case's value model, as its owner or an AI referent."""
    body = _body(file)
    with runtime() as rt:
        user = rt.directory.by_username(as_user, field="as")
        if not user.is_active:
            raise GouvernailError(f"user {as_user!r} is deactivated", field="as")
        if not rt.value.allowed(rt.policy, user.roles, user.id, use_case, "manage"):
            raise ForbiddenError(
                f"{as_user} may not set the value model of use case {use_case}: its owners "
                "and AI referents may"
            )
        view = rt.value.set(console_context(), use_case, body, user_id=user.id)
    out.print(f"use case {use_case}: value model version {view.version}")


@value_app.command("show")
def show(
    use_case: Annotated[int, typer.Argument(help="The use case's id.")],
    days: Days = 30,
    as_json: AsJson = False,
) -> None:
    """A use case's value report: declared and measured figures, adoption, costs, ROI."""
    with runtime() as rt:
        report = rt.value.report(use_case, days)
    if as_json:
        out.print_json(report.model_dump_json())
        return
    for line in lines(report):
        out.print(line, highlight=False, soft_wrap=True)


@value_app.command("list")
def list_reports(days: Days = 30, as_json: AsJson = False) -> None:
    """Every use case with a value model: hours freed, savings realised, ROI, payback."""
    with runtime() as rt:
        reports = rt.value.reports(days)
    if as_json:
        out.print_json(data=[r.model_dump(mode="json") for r in reports])
        return
    for r in reports:
        roi = f"{r.results.roi:.1%}" if r.results.roi is not None else "-"
        payback = f"{r.results.payback_months:.1f}" if r.results.payback_months is not None else "-"
        out.print(
            f"UC-{r.use_case_id}\thours freed {r.results.hours_freed:,.1f}\t"
            f"savings {_eur(r.results.savings_realised_eur)}\tROI {roi}\t"
            f"payback {payback} months\ttime saved {r.time_saved.label}",
            highlight=False,
            soft_wrap=True,
        )
