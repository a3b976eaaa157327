"""The observatory from the console: error rates from feedback, and recording a verdict on an
answer for someone (reported by mail or phone), with that person's rights."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from gouvernail.cli._common import console_context, group, out, runtime
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.observatory.feedback.schemas import FeedbackIn, Rate

observatory_app = group("observatory", "Error rates, feedback on answers.")


def _pct(rate: Rate) -> str:
    if rate.value is None:
        return "-"
    return f"{rate.value:.1%} [{rate.low:.1%}, {rate.high:.1%}]"


@observatory_app.command("error-rates")
def error_rates(
    by: Annotated[str, typer.Option(help="use_case, model or prompt_version.")] = "use_case",
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Error rates from feedback over the last 7 and 90 days, with 95 % intervals."""
    if by not in ("use_case", "model", "prompt_version"):
        raise typer.BadParameter("use_case, model or prompt_version", param_hint="--by")
    with runtime() as rt:
        rates = rt.feedback.rates(by)  # type: ignore[arg-type]
    if as_json:
        out.print_json(rates.model_dump_json())
        return
    table = Table(title=f"Error rates by {by.replace('_', ' ')}")
    for column in ("group", "7 days: judged", "error rate", "90 days: judged", "error rate", ""):
        table.add_column(column)
    for g in rates.groups:
        name = g.model or (f"UC-{g.use_case_id} {g.use_case or ''}" if g.use_case_id else "-")
        if by == "prompt_version":
            name = (
                f"UC-{g.use_case_id} {g.prompt_name} v{g.prompt_version} (id {g.prompt_version_id})"
                if g.prompt_version_id is not None
                else "no prompt version recorded"
            )
        table.add_row(
            name[:60],
            f"{g.short.rated}/{g.short.calls}",
            _pct(g.short.error_rate),
            f"{g.long.rated}/{g.long.calls}",
            _pct(g.long.error_rate),
            "worsening" if g.worsening else "",
        )
    out.print(table)


@observatory_app.command("feedback")
def feedback(
    request_id: Annotated[str, typer.Argument(help="The gateway call's request id.")],
    verdict: Annotated[str, typer.Argument(help="useful, wrong, harmful or leaked_data.")],
    as_user: Annotated[str, typer.Option("--as", help="Who gives the verdict (their rights).")],
    comment: Annotated[str, typer.Option(help="What was wrong.")] = "",
) -> None:
    """Record a verdict on an answer for someone, with that person's rights."""
    body = FeedbackIn.model_validate(
        {"request_id": request_id, "verdict": verdict, "comment": comment}
    )
    with runtime() as rt:
        with rt.database.read() as session:
            user = session.scalar(select(User).where(User.username == as_user))
            roles = tuple(user.roles) if user is not None else ()
            user_id = user.id if user is not None else None
        if user_id is None:
            raise GouvernailError(f"no user {as_user!r}", field="as")
        view = rt.feedback.give(
            console_context(),
            body,
            user_id=user_id,
            via="console",
            judges_any=rt.policy.decide(roles, "feedback", "give_any").allowed,
        )
    replaced = f" (replaces {view.replaced})" if view.replaced else ""
    out.print(f"{request_id}: {view.verdict}{replaced}")
