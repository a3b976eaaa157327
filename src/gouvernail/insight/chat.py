"""Insight as an OpenAI-compatible model: ``insight:<source>`` in a chat completion.

The caller's API key decides who asks (its user's document permissions) and which use case the
answer's model call is made for (its ceiling and allowed models apply). The last user message is
the question; earlier turns are not used for retrieval. The answer carries its sources as text
(numbered like the citations) and, for tools that read it, the whole insight result under
``insight``. A streamed request receives the same answer as one content chunk.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from gouvernail.audit import AuditContext
from gouvernail.audit.events import Actor
from gouvernail.errors import GouvernailError
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.through import Caller
from gouvernail.insight.schemas import AskIn, AskView

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime

PREFIX = "insight:"


def is_insight(raw: bytes) -> bool:
    """A cheap look before parsing: only bodies naming an insight model go this way."""
    return b'"insight:' in raw


async def complete(
    runtime: Runtime, raw: bytes, *, secret: str | None, request_id: str, client: str
) -> dict[str, Any] | AsyncIterator[bytes] | None:
    """The chat completion for an ``insight:<source>`` model, ``None`` if the body names
    another model; refusals raise ``GatewayError``."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, str) or not model.startswith(PREFIX):
        return None
    question = _question(body.get("messages"))
    admitted = await runtime.gateway.admission.admit(secret)
    context = AuditContext(Actor(id=str(admitted.user_id), name=admitted.display_name), request_id)
    try:
        result = await runtime.insight.ask(
            context,
            AskIn(question=question[:4000], sources=[model[len(PREFIX) :]]),
            user_id=admitted.user_id,
            answer_caller=Caller(
                use_case_id=None, secret=secret, client=client, request_id=request_id
            ),
        )
    except GouvernailError as error:
        code = "model_not_found" if error.status == 404 else error.code
        raise GatewayError(error.status, error.message, code=code, param="model") from None
    answer = _completion(model, request_id, result)
    if body.get("stream") is True:
        return _stream(answer)
    return answer


def _question(messages: Any) -> str:
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
                if isinstance(content, str) and content.strip():
                    return content.strip()
    raise GatewayError(
        400,
        "an insight model answers the last user message: send one with text",
        code="invalid_request",
        param="messages",
    )


def _text(result: AskView) -> str:
    if result.mode == "abstained":
        return f"I cannot answer from the documents you may read: {result.reason}."
    lines = [result.answer or result.reason, ""]
    lines.append("Sources:" if result.mode == "answer" else "Passages:")
    for p in result.passages:
        where = f", {p.locator}" if p.locator else ""
        lines.append(f"[{p.number}] {p.title}{where} ({p.path})")
        if result.mode == "passages":
            lines.append(f"    {p.text[:500]}")
    return "\n".join(lines).strip()


def _completion(model: str, request_id: str, result: AskView) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{request_id or 'insight'}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": _text(result)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "insight": result.model_dump(mode="json"),
    }


async def _stream(answer: dict[str, Any]) -> AsyncIterator[bytes]:
    head = {k: answer[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    content = answer["choices"][0]["message"]["content"]
    for delta, finish in (({"role": "assistant", "content": content}, None), ({}, "stop")):
        chunk = head | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    yield b"data: [DONE]\n\n"
