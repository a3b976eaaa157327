"""The prompt registry from the console: a use case's prompt versions with their labels, moving
a label for someone (with that person's rights), and the history of label moves."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from gouvernail.cli._common import console_context, err, group, out, runtime
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.identity.models import User
from gouvernail.registry.prompt_labels import Label
from gouvernail.registry.prompts import LabelIn, LabelMoveView

prompt_app = group("prompt", "The prompt registry: versions, labels (draft, production), history.")


def _move_line(move: LabelMoveView) -> str:
    was = f"was v{move.previous_version}" if move.previous_version else "new label"
    gate = move.gate.value + (f" ({move.gate_refusal})" if move.gate_refusal else "")
    return (
        f"{move.moved_at:%Y-%m-%d %H:%M} {move.name} {move.label} -> v{move.version} "
        f"({was}) by {move.moved_by}; gate {gate}; {move.reason}"
    )


@prompt_app.command("versions")
def versions(
    use_case_id: Annotated[int, typer.Argument(help="Use case id.")],
    name: Annotated[str | None, typer.Option(help="Only this prompt.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """A use case's prompt versions, newest first, with their labels."""
    with runtime() as rt:
        found = rt.prompts.versions(use_case_id, name)
    if as_json:
        out.print_json(data=[v.model_dump(mode="json") for v in found])
        return
    if not found:
        out.print(f"use case {use_case_id} has no saved prompt")
    for v in found:
        labels = f" [{', '.join(v.labels)}]" if v.labels else ""
        note = f": {v.note}" if v.note else ""
        out.print(
            f"{v.name} v{v.version} (id {v.id}){labels} {v.created_at:%Y-%m-%d} "
            f"by {v.created_by}{note}",
            markup=False,
        )


@prompt_app.command("label")
def label(
    use_case_id: Annotated[int, typer.Argument(help="Use case id.")],
    name: Annotated[str, typer.Argument(help="Prompt name (e.g. system).")],
    which: Annotated[str, typer.Argument(metavar="LABEL", help="draft or production.")],
    version: Annotated[int, typer.Option(help="The version that takes the label.")],
    as_user: Annotated[str, typer.Option("--as", help="Who moves it (their rights).")],
    reason: Annotated[str, typer.Option(help="Why (required for production).")] = "",
    override_gate: Annotated[
        bool, typer.Option(help="Promote although the promotion gate refuses (AI referents).")
    ] = False,
) -> None:
    """Move a label to a version for someone, with that person's rights: members move draft,
    the use case's owner production (or AI referents); rolling back is moving production to an
    older version."""
    try:
        chosen: Label = TypeAdapter(Label).validate_python(which)
        body = LabelIn(version=version, reason=reason, override_gate=override_gate)
    except ValidationError as error:
        err.print(f"[red]invalid label move:[/red] {error}")
        raise typer.Exit(2) from None
    with runtime() as rt:
        with rt.database.read() as session:
            user = session.scalar(select(User).where(User.username == as_user))
            roles = tuple(user.roles) if user is not None else ()
            user_id = user.id if user is not None else None
        if user_id is None:
            raise GouvernailError(f"no user {as_user!r}", field="as")
        for action in rt.prompts.required_rights(
            use_case_id, user_id, chosen, override=override_gate
        ):
            decision = rt.policy.decide(roles, "prompts", action)
            if not decision.allowed:
                raise ForbiddenError(f"{as_user} may not {action} prompts: {decision.reason}")
        move = rt.prompts.move_label(
            console_context(), use_case_id, name, chosen, body, user_id=user_id
        )
    out.print(_move_line(move), markup=False)


@prompt_app.command("history")
def history(
    use_case_id: Annotated[int, typer.Argument(help="Use case id.")],
    name: Annotated[str | None, typer.Option(help="Only this prompt.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result.")] = False,
) -> None:
    """Every move of a label, newest first: version, previous holder, who, why, the gate."""
    with runtime() as rt:
        moves = rt.prompts.history(use_case_id, name)
    if as_json:
        out.print_json(data=[m.model_dump(mode="json") for m in moves])
        return
    for move in moves:
        out.print(_move_line(move), markup=False)
