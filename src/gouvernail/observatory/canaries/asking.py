"""One canary call through the gateway, read into a sample: the answer, whether the model
declined, the provider's latency, ``system_fingerprint`` and returned model name, and whether the
model watched is the one that answered (a reroute or a failover is not)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.db.engine import Database
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.through import Caller, Through
from gouvernail.observatory.canaries.models import CanarySample, SampleStatus
from gouvernail.observatory.canaries.prompts import CanaryPrompt, CanaryPrompts

ANSWER_KEPT = 4000


@dataclass(frozen=True, slots=True)
class Asked:
    """One call and what became of it."""

    prompt: CanaryPrompt
    sample: int
    request_id: str
    status: SampleStatus
    answer: str = ""
    length: int | None = None
    refusal: bool | None = None
    latency_ms: float | None = None
    fingerprint: str | None = None
    provider_model: str | None = None
    answered_by: str | None = None
    finish_reason: str | None = None
    decision: str = ""
    error: str = ""


class Asker:
    """Asks through ``through`` (the gateway's pipeline); reads refusals with ``prompts``."""

    def __init__(self, through: Through, prompts: CanaryPrompts) -> None:
        self.through = through
        self.prompts = prompts

    async def ask(self, model: str, caller: Caller, prompt: CanaryPrompt, sample: int) -> Asked:
        """Ask ``prompt`` of ``model`` once; a gateway refusal or failure is a sample too."""
        record: list[str] = []
        try:
            answer = await self.through.chat(
                prompt.messages(),
                model=model,
                caller=caller,
                declared={},
                max_tokens=prompt.max_tokens,
                record=record,
            )
        except GatewayError as error:
            return Asked(
                prompt,
                sample,
                record[0] if record else "",
                SampleStatus.REFUSED if error.status < 500 else SampleStatus.FAILED,
                error=f"{error.code}: {error.message}"[:500],
            )
        call = answer.call
        body = call.response or {}
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        declined = message.get("refusal") if isinstance(message.get("refusal"), str) else None
        text = answer.text or declined or ""
        finish = choice.get("finish_reason")
        answered_by = call.model.name if call.model is not None else None
        fingerprint = body.get("system_fingerprint")
        return Asked(
            prompt,
            sample,
            call.request_id,
            SampleStatus.ANSWERED if answered_by == model else SampleStatus.REROUTED,
            answer=text[:ANSWER_KEPT],
            length=len(text),
            refusal=bool(declined) or finish == "content_filter" or self.prompts.is_refusal(text),
            latency_ms=call.upstream_ms,
            fingerprint=str(fingerprint)[:120] if fingerprint else None,
            provider_model=str(body["model"])[:120] if body.get("model") else None,
            answered_by=answered_by,
            finish_reason=str(finish)[:40] if finish else None,
            decision=call.decision_header()[:200],
        )


def store(database: Database, run_id: int, asked: list[Asked]) -> None:
    with database.write() as session:
        session.add_all(
            CanarySample(
                run_id=run_id,
                prompt_id=a.prompt.id,
                prompt_key=a.prompt.key,
                sample=a.sample,
                request_id=a.request_id,
                status=a.status.value,
                answer=a.answer,
                length=a.length,
                refusal=a.refusal,
                latency_ms=a.latency_ms,
                fingerprint=a.fingerprint,
                provider_model=a.provider_model,
                answered_by=a.answered_by,
                finish_reason=a.finish_reason,
                decision=a.decision,
                error=a.error,
            )
            for a in asked
        )
