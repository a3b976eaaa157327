"""The playground: any employee prototypes on their personal sandbox use case, chatting with
an approved model through the gateway itself (same admission, inspection, policy, budget and
audit as any call), with system prompts saved as versions, and for each message the detections
and the decision that applied. One click turns the prototype into an idea of the registry.

The conversation travels in the page (a hidden field), not in the database: the gateway's
request log keeps what the content-retention policy says it keeps, nothing more.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from gouvernail.api.deps import SESSION_COOKIE, Rt, audit_context, client_of, request_id
from gouvernail.errors import GouvernailError
from gouvernail.gateway.call import Call
from gouvernail.gateway.errors import GatewayError
from gouvernail.identity.principal import Principal
from gouvernail.inventory.values import Capability, ModelStatus
from gouvernail.observatory.feedback.schemas import FeedbackIn
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import labels_of
from gouvernail.portal.templating import render
from gouvernail.registry.models import UseCase
from gouvernail.registry.prompts import MAX_PROMPT, PromptIn
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Prototyper = Annotated[Principal, Depends(PageRequire("keys", "manage_own"))]
Judge = Annotated[Principal, Depends(PageRequire("feedback", "give"))]
MAX_TURNS = 20
MAX_MESSAGE = 8_000


def sandbox_of(runtime: Runtime, user_id: int) -> int | None:
    with runtime.database.read() as session:
        found = session.scalar(select(UseCase.id).where(UseCase.sandbox_of == user_id))
        return int(found) if found is not None else None


def _conversation(raw: str) -> list[dict[str, Any]]:
    """The turns carried by the page; anything malformed starts a new conversation."""
    try:
        turns = orjson.loads(raw) if raw else []
    except orjson.JSONDecodeError:
        return []
    if not isinstance(turns, list):
        return []
    kept = [
        t
        for t in turns
        if isinstance(t, dict)
        and t.get("role") in ("user", "assistant")
        and isinstance(t.get("content"), str)
    ]
    return kept[-2 * MAX_TURNS :]


def _models(runtime: Runtime) -> list[str]:
    return [
        m.name
        for m in runtime.inventory.list_models(status=ModelStatus.APPROVED)
        if Capability.CHAT in m.capabilities
    ]


def _page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    *,
    turns: list[dict[str, Any]] | None = None,
    system: str | None = None,
    model: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
    refused_verdict: tuple[str, str] | None = None,
) -> HTMLResponse:
    """``refused_verdict``: the answer's request id and why its verdict was refused."""
    sandbox = sandbox_of(runtime, principal.user_id)
    versions = runtime.prompts.versions(sandbox, "system") if sandbox else []
    if system is None:
        system = versions[0].text if versions else ""
    turns = turns or []
    models = _models(runtime)
    prototype = "\n\n".join(
        part
        for part in (
            _("Prototyped in the playground."),
            (_("System prompt:") + "\n" + system) if system else "",
        )
        if part
    )
    return render(
        request,
        "playground.html",
        {
            "title": _("Playground"),
            "sandbox": runtime.use_cases.get(sandbox) if sandbox else None,
            "versions": versions,
            "system": system,
            "turns": turns,
            "conversation": orjson.dumps(turns).decode(),
            "models": models,
            "model": model or (models[0] if models else ""),
            "errors": errors or {},
            "notice": notice,
            "verdicts": labels_of("feedback"),
            "refused_verdict": refused_verdict,
            "idea_link": "/ideas/new?"
            + urlencode({"title": "", "description": prototype[:20_000]}),
            "budget": runtime.settings.gateway.sandbox_monthly_budget_eur,
        },
        principal=principal,
        status=status,
    )


@router.get("/playground")
def playground(request: Request, principal: Prototyper, runtime: Rt) -> HTMLResponse:
    return _page(request, runtime, principal)


@router.post("/playground/open")
def open_sandbox(request: Request, principal: Prototyper, runtime: Rt, form: Form) -> Response:
    """Create (once) the user's sandbox use case."""
    runtime.governance.open_sandbox(audit_context(request, principal), principal.user_id)
    return RedirectResponse("/playground", 303)


@router.post("/playground/prompt")
def save_prompt(request: Request, principal: Prototyper, runtime: Rt, form: Form) -> Response:
    """Save the system prompt as a new version of the sandbox's prompt."""
    sandbox = sandbox_of(runtime, principal.user_id)
    system = text_of(form, "system", MAX_PROMPT + 1)
    turns = _conversation(text_of(form, "conversation", 400_000))
    if sandbox is None:
        return RedirectResponse("/playground", 303)
    try:
        body = PromptIn(name="system", text=system, note=text_of(form, "note", 500))
    except ValidationError:
        errors = {"system": _("Write a system prompt (at most 20,000 characters) to save it.")}
        return _page(
            request, runtime, principal, turns=turns, system=system, errors=errors, status=422
        )
    saved = runtime.prompts.save(
        audit_context(request, principal), sandbox, principal.user_id, body
    )
    notice = _("System prompt saved as version %(version)s.", version=saved.version)
    return _page(request, runtime, principal, turns=turns, system=system, notice=notice)


@router.post("/playground/chat")
async def chat(request: Request, principal: Prototyper, runtime: Rt, form: Form) -> Response:
    """Send the message through the gateway, on the sandbox use case, as the signed-in user."""
    sandbox = await asyncio.to_thread(sandbox_of, runtime, principal.user_id)
    system = text_of(form, "system", MAX_PROMPT)
    message = text_of(form, "message", MAX_MESSAGE + 1)
    model = text_of(form, "model", 64)
    turns = _conversation(text_of(form, "conversation", 400_000))
    errors: dict[str, str] = {}
    if sandbox is None:
        return RedirectResponse("/playground", 303)
    if not message:
        errors["message"] = _("Write a message.")
    elif len(message) > MAX_MESSAGE:
        errors["message"] = _("A message has at most 8,000 characters.")
    if not model:
        errors["model"] = _("Choose a model.")
    if errors:
        return await asyncio.to_thread(
            partial(
                _page,
                request,
                runtime,
                principal,
                turns=turns,
                system=system,
                model=model,
                errors=errors,
                status=422,
            )
        )
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": t["role"], "content": t["content"]} for t in turns]
    messages.append({"role": "user", "content": message})
    call = Call(
        request_id=request_id(request),
        operation="chat",
        raw=orjson.dumps({"model": model, "messages": messages}),
        secret=request.cookies.get(SESSION_COOKIE),
        client=client_of(request),
        use_case_id=sandbox,
    )
    turn: dict[str, Any] = {"role": "user", "content": message}
    try:
        answer = await runtime.gateway.gateway.handle(call)
    except GatewayError as refusal:
        turn["refusal"] = {"code": refusal.code, "message": refusal.message}
        answer = None
    turn["checks"] = _checks(call)
    turns.append(turn)
    if isinstance(answer, dict):
        choice = (answer.get("choices") or [{}])[0]
        text = (choice.get("message") or {}).get("content") or ""
        turns.append(
            {
                "role": "assistant",
                "content": str(text),
                "model": answer.get("model"),
                "request_id": call.request_id,
            }
        )
    return await asyncio.to_thread(
        partial(_page, request, runtime, principal, turns=turns, system=system, model=model)
    )


@router.post("/playground/feedback")
async def judge(request: Request, principal: Judge, runtime: Rt, form: Form) -> Response:
    """The signed-in user's verdict on one of the playground's answers (as over
    ``POST /api/v1/feedback``): it counts in the error rates of the sandbox and the model."""
    turns = _conversation(text_of(form, "conversation", 400_000))
    system = text_of(form, "system", MAX_PROMPT)
    model = text_of(form, "model", 64)
    judged = text_of(form, "request_id", 64)
    refused: str | None = None
    notice = None
    try:
        body = FeedbackIn(
            request_id=judged,
            verdict=text_of(form, "verdict", 20),  # validated here
            comment=text_of(form, "comment", 2000),
        )
    except ValidationError:
        refused = _("Choose a verdict for the answer.")
    else:
        try:
            await asyncio.to_thread(
                partial(
                    runtime.feedback.give,
                    audit_context(request, principal),
                    body,
                    user_id=principal.user_id,
                    via="portal",
                    judges_any=runtime.policy.decide(
                        principal.roles, "feedback", "give_any"
                    ).allowed,
                )
            )
        except GouvernailError as error:
            refused = error.message
        else:
            for turn in turns:
                if turn.get("request_id") == judged:
                    turn["verdict"] = body.verdict
            notice = _("Thank you: your verdict is recorded and counts in the error rates.")
    return await asyncio.to_thread(
        partial(
            _page,
            request,
            runtime,
            principal,
            turns=turns,
            system=system,
            model=model,
            notice=notice,
            status=422 if refused else 200,
            refused_verdict=(judged, refused) if refused else None,
        )
    )


def _checks(call: Call) -> dict[str, Any]:
    """What the gateway found and decided for this message (no matched text: types only)."""
    found: dict[str, int] = {}
    if call.inspection is not None:
        for finding in call.inspection.findings:
            found[finding.type] = found.get(finding.type, 0) + 1
    decision = call.decision
    return {
        "request_id": call.request_id,
        "decision": decision.action.value if decision else None,
        "rules": list(decision.rule_ids) if decision else [],
        "reasons": list(decision.reasons) if decision else [],
        "findings": found,
        "data_class": call.inspection.data_class if call.inspection else None,
        "injection": bool(call.inspection and call.inspection.injection.detected),
        "model": call.model.name if call.model else None,
        "rerouted_from": call.rerouted_from,
        "cost_eur": str(call.cost_eur),
        "gco2e": call.impact.gco2e if call.impact else None,
    }
