"""Model calls made by this process's own services (insight, bias tests, evaluations,
canaries), through the gateway's pipeline like any other call: admitted for a user on a use case,
inspected, decided, accounted, recorded in the request log and the audit trail.

Every passage is declared to the gateway with its source's data class (a ``DOCUMENT_PASSAGE``
finding), so the decision weighs what the passages are, not only what the detectors see: a
passage classed above what a model may receive is rerouted to one that may (self-hosted first)
or refused (rule ``passages-stay-inside``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from gouvernail.gateway.call import Call
from gouvernail.inspection.findings import Finding

if TYPE_CHECKING:
    from gouvernail.gateway.pipeline import Gateway

PASSAGE = "DOCUMENT_PASSAGE"


@dataclass(frozen=True, slots=True)
class Caller:
    """On whose behalf, for which use case: a user insight authenticated itself (``user_id``),
    or the API key a chat tool sent (``secret``)."""

    use_case_id: int | None
    user_id: int | None = None
    secret: str | None = None
    client: str = "insight"
    request_id: str = ""

    def call(self, operation: Any, body: dict[str, Any]) -> Call:
        suffix = secrets.token_hex(4)
        request_id = f"{self.request_id}.{suffix}" if self.request_id else ""
        return Call(
            request_id=request_id or f"{self.client}-{suffix}",
            operation=operation,
            raw=orjson.dumps(body),
            secret=self.secret,
            client=self.client,
            use_case_id=self.use_case_id if self.user_id is not None else None,
            acting_for=self.user_id,
        )


def passage(text: str, data_class: str, source: str) -> Finding:
    return Finding(
        type=PASSAGE,
        start=0,
        end=len(text),
        score=1.0,
        detector="insight",
        data_class=data_class,
        reason=f"passage of source {source}",
    )


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    model: str
    call: Call


class Through:
    """``gateway``: the pipeline, obtained when first needed (building it loads detectors)."""

    def __init__(self, gateway: Callable[[], Gateway]) -> None:
        self._gateway = gateway

    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        caller: Caller,
        data_class: str | None = None,
        source: str = "",
        record: list[str] | None = None,
    ) -> np.ndarray:
        """Unit vectors of ``texts`` (one row each); passages are declared with ``data_class``
        (a question is not declared: the detectors judge it). Raises ``GatewayError``."""
        call = caller.call("embeddings", {"model": model, "input": list(texts)})
        if record is not None:  # the gateway's request id, answered or refused
            record.append(call.request_id)
        if data_class is not None:
            call.declared = {
                f"input[{i}]": (passage(t, data_class, source),) for i, t in enumerate(texts)
            }
        body = await self._gateway().handle(call)
        assert isinstance(body, dict)
        rows = sorted(body.get("data") or [], key=lambda item: int(item.get("index", 0)))
        if len(rows) != len(texts):
            raise ValueError(f"the embedding model returned {len(rows)} vectors for {len(texts)}")
        matrix = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        caller: Caller,
        declared: dict[str, tuple[Finding, ...]],
        max_tokens: int = 800,
        record: list[str] | None = None,
    ) -> Answer:
        """One non-streamed chat completion; raises ``GatewayError`` (refusals included)."""
        call = caller.call(
            "chat",
            {"model": model, "messages": messages, "temperature": 0, "max_tokens": max_tokens},
        )
        call.declared = declared
        if record is not None:
            record.append(call.request_id)
        body = await self._gateway().handle(call)
        assert isinstance(body, dict)
        choice = (body.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content") or ""
        return Answer(str(content), str(body.get("model") or model), call)
