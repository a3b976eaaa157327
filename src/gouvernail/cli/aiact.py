"""EU AI Act classification from the command line: the questionnaire, the rule sets, and the
classification of an answers file. Needs no database: it reads the rule sets only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from gouvernail.aiact import AiActClassifier, Classification, Lang, RuleSetError
from gouvernail.cli._common import err, group, out
from gouvernail.errors import GouvernailError
from gouvernail.settings import Settings

ai_act_app = group("ai-act", "EU AI Act questionnaire and classification (rules as data).")

LangOption = Annotated[str, typer.Option("--lang", help="en or fr.")]
OnOption = Annotated[
    str | None, typer.Option("--on", help="Date YYYY-MM-DD whose rule set applies (default today).")
]
RuleSetOption = Annotated[
    str | None, typer.Option("--ruleset", help="A rule-set version instead of the one in force.")
]


@contextmanager
def classifier() -> Iterator[AiActClassifier]:
    """The classifier of the configured rule sets; unusable input or rules exit with code 2."""
    try:
        settings = Settings()
        loaded = AiActClassifier.load_default(settings.ai_act_rules_dir)
    except (ValueError, RuleSetError) as error:
        err.print(f"[red]cannot load the AI Act rule sets:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    try:
        yield loaded
    except GouvernailError as error:
        field = f" ({error.field})" if error.field else ""
        err.print(f"[red]error{field}:[/red] {escape(error.message)}")
        raise typer.Exit(2) from None


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]--on:[/red] {escape(value)} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _lang(value: str) -> Lang:
    if value not in ("en", "fr"):
        err.print("[red]--lang:[/red] en or fr")
        raise typer.Exit(2)
    return "en" if value == "en" else "fr"


@ai_act_app.command("questionnaire")
def questionnaire(
    lang: LangOption = "en", on: OnOption = None, ruleset: RuleSetOption = None
) -> None:
    """Print the questions, their allowed answers and when each is asked."""
    with classifier() as ai_act:
        form = ai_act.questionnaire(on=_date(on), lang=_lang(lang), ruleset=ruleset)
        out.print(f"rule set {form.ruleset} (in force from {form.effective_from})", markup=False)
        for question in form.questions:
            out.print()
            out.print(f"[bold]{question.id}[/bold] ({question.kind}): {escape(question.text)}")
            if question.help:
                out.print(f"  {escape(question.help)}", style="dim")
            if question.ask_when:
                out.print(f"  asked when: {_condition(question.ask_when)}", markup=False)
            if question.kind == "yes_no":
                out.print("  - true / false", markup=False)
            for option in question.options:
                article = f" [{option.article}]" if option.article else ""
                out.print(f"  - {option.value}: {option.label}{article}", markup=False)


@ai_act_app.command("rulesets")
def rulesets(on: OnOption = None) -> None:
    """List the rule-set versions and their application dates with their legal sources."""
    with classifier() as ai_act:
        for view in ai_act.rulesets(on=_date(on)):
            marker = " (in force)" if view.in_force else ""
            replaced = f", replaced by {view.replaced_by}" if view.replaced_by else ""
            out.print(
                f"{view.version}{marker}: from {view.effective_from}{replaced}; {view.title.en}",
                markup=False,
            )
            table = Table("date", "applies", "source")
            for when in view.application_dates:
                history = "".join(f"\n(was {old.date}: {old.source})" for old in when.superseded)
                table.add_row(str(when.date), escape(when.label.en), escape(when.source + history))
            out.print(table)


@ai_act_app.command("classify")
def classify(
    answers: Annotated[Path, typer.Argument(help="YAML (or JSON) mapping: question id -> answer.")],
    on: OnOption = None,
    ruleset: RuleSetOption = None,
    lang: LangOption = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
) -> None:
    """Classify an answers file: tier, articles, obligations with their dates, and why."""
    chosen = _lang(lang)
    with classifier() as ai_act:
        result = ai_act.classify(_read_answers(answers), on=_date(on), ruleset=ruleset)
        if as_json:
            typer.echo(result.model_dump_json(indent=2))
            return
        _print(result, chosen)


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        err.print(f"[red]cannot read {escape(str(path))}:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    if not isinstance(data, dict):
        err.print(f"[red]{escape(str(path))}:[/red] expected a mapping of question id to answer")
        raise typer.Exit(2)
    return data


def _print(result: Classification, lang: Lang) -> None:
    route = f" ({result.high_risk_route})" if result.high_risk_route != "none" else ""
    out.print(f"tier: {result.tier}{route}", markup=False, style="bold")
    out.print(f"rule set {result.ruleset}, classified on {result.classified_on}", markup=False)
    if result.needs_compliance_review:
        out.print("needs a compliance review", style="red")
    if result.annex_iii_areas:
        uses = ", ".join(result.annex_iii_uses)
        out.print(f"Annex III: {', '.join(result.annex_iii_areas)} ({uses})", markup=False)
    if result.exception_applied != "none":
        out.print(f"Art. 6(3) exception: {result.exception_applied}", markup=False)
    if result.role_reason is not None:
        out.print(f"role: {result.role}: {result.role_reason.text.pick(lang)}", markup=False)
    out.print(f"articles: {'; '.join(result.articles)}", markup=False)
    out.print("why:")
    for reason in result.reasons:
        out.print(f"  - {reason.rule}: {reason.text.pick(lang)}", markup=False)
    table = Table("article", "obligation", "applies from", "in force", "source")
    for obligation in result.obligations:
        table.add_row(
            escape(obligation.article),
            escape(obligation.text.pick(lang)),
            str(obligation.applies_from),
            "yes" if obligation.in_force else "no",
            escape(obligation.source),
        )
    out.print(table)
    for duty in result.transparency_duties:
        if not duty.yours:
            holders = " or ".join(duty.holders)
            out.print(
                f"transparency duty of the {holders}, not yours: {duty.article}", markup=False
            )


def _condition(data: dict[str, Any]) -> str:
    """A condition of the questionnaire in one readable line."""
    for group_name, joiner in (("all", " and "), ("any", " or ")):
        if group_name in data:
            return "(" + joiner.join(_condition(child) for child in data[group_name]) + ")"
    if "not" in data:
        return f"not {_condition(data['not'])}"
    subject = data.get("answer") or data.get("fact")
    test, value = next((k, v) for k, v in data.items() if k not in ("answer", "fact"))
    return f"{subject} {test.replace('_', ' ')} {value}"
