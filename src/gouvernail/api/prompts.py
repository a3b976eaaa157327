"""The prompt registry over HTTP: versions of a use case's named prompts, their labels and the
history of label moves.

Every employee reads prompts (``prompts, read``, like the use case itself); members of the use
case save versions (``prompts, save`` and membership). Moving a label needs ``prompts, label``
and, beyond it: ``draft`` is moved by members of the use case, ``production`` by its owner;
anyone else needs ``prompts, label_any`` or ``prompts, promote_any`` (AI referents). Promoting
despite a refusing promotion gate needs ``prompts, override_gate`` (AI referents only). Refusals
are audited and reported like any other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context, enforce
from gouvernail.identity.principal import Principal
from gouvernail.registry.prompt_labels import Label
from gouvernail.registry.prompts import (
    NAME_PATTERN,
    LabelIn,
    LabelMoveView,
    PromptIn,
    PromptVersionView,
)

router = APIRouter(prefix="/api/v1/use-cases/{use_case_id}/prompts", tags=["prompt registry"])

Reader = Annotated[Principal, Depends(Require("prompts", "read"))]
Saver = Annotated[Principal, Depends(Require("prompts", "save"))]
Labeller = Annotated[Principal, Depends(Require("prompts", "label"))]
PromptName = Annotated[
    str, Path(min_length=1, max_length=100, pattern=NAME_PATTERN, description="Prompt name.")
]


@router.get("")
def prompt_versions(
    use_case_id: int,
    _: Reader,
    runtime: Rt,
    name: Annotated[str | None, Query(max_length=100, description="Only this prompt.")] = None,
) -> list[PromptVersionView]:
    """Every version of the use case's prompts, newest first, with the labels each holds."""
    return runtime.prompts.versions(use_case_id, name)


@router.post("", status_code=201)
def save_prompt(
    use_case_id: int, body: PromptIn, request: Request, principal: Saver, runtime: Rt
) -> PromptVersionView:
    """Save a new version of a named prompt (members of the use case); it takes the ``draft``
    label. The same text as the latest version saves nothing and returns that version."""
    return runtime.prompts.save(
        audit_context(request, principal), use_case_id, principal.user_id, body
    )


@router.put("/{name}/labels/{label}")
def move_label(
    use_case_id: int,
    name: PromptName,
    label: Label,
    body: LabelIn,
    request: Request,
    principal: Labeller,
    runtime: Rt,
) -> LabelMoveView:
    """Give ``label`` to a version of the prompt. ``production`` needs a reason and passes the
    promotion gate (a refusal is 409, with the gate's reason); moving it to an older version
    is a roll-back, under the same rules. The gateway applies the new production version at
    once on this server, within a second on the others."""
    needed = runtime.prompts.required_rights(
        use_case_id, principal.user_id, label, override=body.override_gate
    )
    for action in needed:
        enforce(runtime, request, principal, "prompts", action)
    return runtime.prompts.move_label(
        audit_context(request, principal),
        use_case_id,
        name,
        label,
        body,
        user_id=principal.user_id,
    )


@router.get("/{name}/history")
def label_history(
    use_case_id: int, name: PromptName, _: Reader, runtime: Rt
) -> list[LabelMoveView]:
    """Every move of the prompt's labels, newest first: version taken, previous holder, who,
    when, why and what the promotion gate said."""
    return runtime.prompts.history(use_case_id, name)
