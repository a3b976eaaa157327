"""How a gateway call flows, in one place.

```
authenticate + admit   Admit           key → person, team, use case; live? switches? charter?
agent run              JoinRun         an agent's key: its run (header), not ended, not too old
parse                  Parse           size, JSON, the fields every operation needs
prompt                 ApplyPrompt     the use case's production prompt; the declared version
resolve                ResolveModel    the requested model: approved, allowed, capable
inspect                Inspect         detectors → findings, data class, injection verdict
decide                 Decide          ceiling + rules → allow | redact | reroute | block
enforce                Enforce         placeholders, another model, or a refusal
reserve                Reserve         estimated cost and tokens on every scope, atomically
agent run              ChargeRun       an agent's key: a step, tokens and cost on its run
forward                Forwarder       adapter, retries, breaker, failover to fallback models
inspect output         AnswerFilter    output guard, then placeholders restored
settle                 Settler         real usage → cost, energy, CO2; reservation reconciled
record                 Recorder        request-log row + audit record + metrics + span
```
A refusal at any step skips to *record* (what was decided so far is kept) and answers in
OpenAI's error shape. Streamed answers are filtered chunk by chunk and settled and recorded when
the stream ends, even when the caller goes away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import structlog

from gouvernail.gateway.accounting import Impacts, Prices, QuotaStore, RunCounters, UnknownPrice
from gouvernail.gateway.admission import Admission
from gouvernail.gateway.agent_runs import ChargeRun, JoinRun, RunBook, settle_run
from gouvernail.gateway.call import Call
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.prompting import ApplyPrompt, PromptOwners
from gouvernail.gateway.providers import CircuitOpen, UpstreamError, Upstreams, UpstreamUsage
from gouvernail.gateway.record import Recorder
from gouvernail.gateway.redaction import AnswerFilter, OutputGuard
from gouvernail.gateway.rules import Rules, ceiling_rank, sensitivity
from gouvernail.gateway.steps import (
    Admit,
    Catalogue,
    Decide,
    Enforce,
    Inspect,
    Inspects,
    Parse,
    Reserve,
    ResolveModel,
    Step,
    accepts,
    admitted,
)
from gouvernail.inspection.findings import Finding
from gouvernail.inventory.routing import RoutableModel
from gouvernail.settings import Settings

DONE = b"data: [DONE]\n\n"
log = structlog.get_logger(__name__)


def answer_text(body: dict[str, Any]) -> str:
    """The text of a non-streamed answer (chat choices or Responses output), for retention."""
    texts: list[str] = []
    for choice in body.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            if isinstance(message.get("content"), str):
                texts.append(message["content"])
            for call in message.get("tool_calls") or ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    texts.append(function["arguments"])
    for item in body.get("output") or ():
        for part in (item.get("content") or ()) if isinstance(item, dict) else ():
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "\n".join(texts)


def chunk_text(chunk: dict[str, Any]) -> str:
    out = ""
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict):
            if isinstance(delta.get("content"), str):
                out += delta["content"]
            for call in delta.get("tool_calls") or ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    out += function["arguments"]
    return out


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


class Settler:
    def __init__(
        self, prices: Prices, impacts: Impacts, quotas: QuotaStore, runs: RunCounters
    ) -> None:
        self.prices = prices
        self.impacts = impacts
        self.quotas = quotas
        self.runs = runs

    async def __call__(self, call: Call) -> None:
        try:
            await self._quotas(call)
        finally:
            await settle_run(self.runs, call)

    async def _quotas(self, call: Call) -> None:
        reservation = call.reservation
        if reservation is None:
            return
        call.reservation = None
        usage = call.usage
        if usage is None:
            if call.attempts == 0 or (call.status >= 400 and call.response is None):
                await self.quotas.release(reservation)
                return
            # answered without usage (a provider that does not report it): count the estimate
            usage = UpstreamUsage(call.reserved_tokens, 0, call.reserved_tokens)
            call.usage = usage
        model = call.model
        assert model is not None
        # every candidate model has a price: Reserve and Forwarder.candidates check it
        sheet = self.prices.price_sheet(model)
        call.cost_eur = sheet.cost(usage.prompt_tokens, usage.completion_tokens)
        await self.quotas.settle(reservation, tokens=usage.total_tokens, cost_eur=call.cost_eur)
        call.impact = self.impacts.for_call(
            model,
            input_tokens=usage.prompt_tokens,
            output_tokens=usage.completion_tokens,
            latency_s=(call.upstream_ms or 0.0) / 1000,
        )


class Forwarder:
    """Send to the chosen model; on a retryable failure, to its fallback models in order."""

    def __init__(
        self,
        upstreams: Upstreams,
        catalogue: Catalogue,
        prices: Prices,
        secret: Callable[[str | None], str | None],
    ) -> None:
        self.upstreams = upstreams
        self.catalogue = catalogue
        self.prices = prices
        self.secret = secret

    async def candidates(self, call: Call) -> list[RoutableModel]:
        assert call.model is not None
        models = await self.catalogue.models()
        data_class = sent_class(call)
        chain = [call.model]
        for name in call.model.fallback_models:
            model = models.get(name)
            if model is None or model in chain or not accepts(model, call, data_class):
                continue
            try:
                self.prices.price_sheet(model)
            except UnknownPrice:  # a model without a price is never a fallback
                continue
            chain.append(model)
        return chain

    def _failed_over(self, call: Call, model: RoutableModel, error: UpstreamError) -> bool:
        call.failover.append(model.name)
        return error.retryable or isinstance(error, CircuitOpen) or error.status >= 500

    async def send(self, call: Call) -> dict[str, Any]:
        last: UpstreamError | None = None
        for model in await self.candidates(call):
            call.model = model
            try:
                response = await self.upstreams.send(
                    model, call.operation, call.body, api_key=self.secret(model.credential_ref)
                )
            except UpstreamError as error:
                call.attempts += 1
                last = error
                if self._failed_over(call, model, error):
                    continue
                break
            call.attempts += response.attempts
            call.upstream_ms = response.latency_ms
            call.usage = response.usage
            if call.failover and call.failover[-1] == model.name:
                call.failover.pop()
            return response.body
        assert last is not None
        raise upstream_failure(last)

    async def open_stream(self, call: Call) -> tuple[dict[str, Any], AsyncIterator[dict[str, Any]]]:
        last: UpstreamError | None = None
        for model in await self.candidates(call):
            call.model = model
            started = time.perf_counter()
            chunks = self.upstreams.stream(
                model, call.operation, call.body, api_key=self.secret(model.credential_ref)
            )
            try:
                first = await anext(aiter(chunks))
            except UpstreamError as error:
                call.attempts += 1
                last = error
                if self._failed_over(call, model, error):
                    continue
                break
            except StopAsyncIteration:
                last = UpstreamError(
                    "the provider sent an empty stream", status=502, provider=model.vendor
                )
                call.failover.append(model.name)
                continue
            call.attempts += 1
            call.ttfb_ms = (time.perf_counter() - started) * 1000
            return first, chunks
        assert last is not None
        raise upstream_failure(last)


def sent_class(call: Call) -> str | None:
    """The most sensitive class of what goes upstream: findings replaced by placeholders no
    longer count; a fallback model must be allowed to receive the rest."""
    if call.inspection is None:
        return None
    redacted = set(call.decision.redact) if call.vault is not None and call.decision else set()
    kept = [f for f in call.inspection.findings if f not in redacted]
    if not kept:
        return None
    charter = admitted(call).charter
    return max((f.data_class for f in kept), key=lambda name: sensitivity(charter, name))


def upstream_failure(error: UpstreamError) -> GatewayError:
    headers = {}
    if error.retry_after:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    status = error.status if 400 <= error.status < 600 else 502
    return GatewayError(
        status,
        f"{error.provider}: {error.message}",
        code=error.code,
        headers=headers,
    )


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        admission: Admission,
        catalogue: Catalogue,
        inspector: Inspects | None,
        fast_detect: Callable[[str], list[Finding]] | None,
        rules: Rules,
        prices: Prices,
        impacts: Impacts,
        quotas: QuotaStore,
        upstreams: Upstreams,
        recorder: Recorder,
        prompt_owners: PromptOwners,
        runs: RunBook,
    ) -> None:
        self.settings = settings
        self.admission = admission
        self.catalogue = catalogue
        self.quotas = quotas
        self.upstreams = upstreams
        self.recorder = recorder
        self.fast_detect = fast_detect
        mode = settings.gateway.inspection
        self.steps: list[Step] = [
            Admit(admission),
            JoinRun(runs),  # agents' keys only: the run, its owner, its time limit
            Parse(settings.gateway),
            ApplyPrompt(prompt_owners),  # before inspection: the detectors see what is sent
            ResolveModel(catalogue),
            Inspect(inspector, mode),
            Decide(rules),
            Enforce(catalogue, rules),
            Reserve(prices, quotas, settings.gateway),
            ChargeRun(runs),  # agents' keys only: steps, tokens and cost of the run
        ]
        self.forwarder = Forwarder(upstreams, catalogue, prices, self._secret)
        self.settle = Settler(prices, impacts, quotas, runs.counters)

    def _secret(self, name: str | None) -> str | None:
        if name is None:
            return None
        value = self.settings.provider_secret(name)
        return value.get_secret_value() if value is not None else None

    def _answer_filter(self, call: Call) -> AnswerFilter | None:
        guard = None
        if self.fast_detect is not None and call.ceiling is not None:
            charter = admitted(call).charter
            limit = ceiling_rank(charter, call.ceiling)
            detect = self.fast_detect

            def above(text: str) -> list[Finding]:
                return [f for f in detect(text) if sensitivity(charter, f.data_class) > limit]

            guard = OutputGuard(above, window=self.settings.gateway.output_guard_window)
        if guard is None and call.vault is None:
            return None
        return AnswerFilter(guard, call.vault)

    async def _prepare(self, call: Call) -> None:
        for step in self.steps:
            await step(call)
        call.answer = self._answer_filter(call)

    async def _finish(self, call: Call) -> None:
        """Settle and record; shielded so that a caller going away cannot skip it."""

        async def work() -> None:
            try:
                await self.settle(call)
            finally:
                await self.recorder(call)

        await asyncio.shield(work())

    def _fail(self, call: Call, error: GatewayError) -> None:
        call.error = error
        call.status = error.status

    # --- the call -------------------------------------------------------------------------------

    async def handle(self, call: Call) -> dict[str, Any] | AsyncIterator[bytes]:
        """Run the pipeline. A non-streamed call returns its answer body; a streamed one the
        SSE byte stream, once the first upstream chunk is in (so that refusals and upstream
        failures still get a proper status). Refusals raise ``GatewayError`` once recorded."""
        try:
            await self._prepare(call)
            if call.stream:
                first, chunks = await self.forwarder.open_stream(call)
                return self._relay(call, first, chunks)
            body = await self.forwarder.send(call)
            if call.answer is not None:
                body = self._filter_body(call, body)
            call.response = body
        except GatewayError as error:
            self._fail(call, error)
            await self._finish(call)
            raise
        except Exception as error:
            log.exception("gateway call failed", error=type(error).__name__)
            failure = GatewayError(
                500, f"internal error; quote request id {call.request_id}", code="internal_error"
            )
            self._fail(call, failure)
            await self._finish(call)
            raise failure from None
        if call.admitted is not None and call.admitted.use_case.retention.value != "none":
            call.answer_text = answer_text(body)
        await self._finish(call)
        return body

    def _filter_body(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        answer = call.answer
        assert answer is not None
        if call.operation == "chat":
            return answer.completion(body)
        if call.operation == "responses":
            for item in body.get("output") or ():
                for part in item.get("content") or () if isinstance(item, dict) else ():
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part["text"] = answer.content(0, part["text"]) + answer.finish(0)[0]
            return body
        return body  # embeddings carry no text back

    # --- streamed -------------------------------------------------------------------------------

    async def _relay(
        self, call: Call, first: dict[str, Any], chunks: AsyncIterator[dict[str, Any]]
    ) -> AsyncIterator[bytes]:
        """Filter and forward the chunks; settle and record before the end marker, so that
        a caller who saw ``[DONE]`` can find the call in the log."""
        recorded = False
        try:
            chunk: dict[str, Any] | None = first
            while chunk is not None:
                out = self._chunk(call, chunk)
                if out is not None:
                    yield out
                try:
                    chunk = await anext(aiter(chunks))
                except StopAsyncIteration:
                    chunk = None
            tail = self._tail(call)
            if tail is not None:
                yield tail
            if call.usage is not None and call.include_usage and call.operation == "chat":
                yield _sse(self._usage_chunk(call))
            recorded = True
            await self._finish(call)
            if call.operation == "chat":
                yield DONE
        except UpstreamError as error:
            failure = upstream_failure(error)
            self._fail(call, failure)
            yield _sse(orjson.loads(failure.body()))
        finally:
            closing = getattr(chunks, "aclose", None)
            if closing is not None:  # the upstream connection goes back now, not at collection
                await closing()
            if not recorded:
                if call.error is None:
                    call.status = 499
                    call.error = GatewayError(
                        499, "the caller closed the stream", code="client_closed"
                    )
                await self._finish(call)

    def _chunk(self, call: Call, chunk: dict[str, Any]) -> bytes | None:
        if call.operation == "chat":
            usage = chunk.get("usage")
            if usage:
                call.usage = UpstreamUsage.of(usage) or call.usage
                if not chunk.get("choices"):
                    return None  # re-sent at the end only if the caller asked for it
                chunk = {k: v for k, v in chunk.items() if k != "usage"}
            call.response = chunk
            if call.answer is not None:
                chunk = call.answer.chunk(chunk)
            if self._keep_text(call):
                call.answer_text += chunk_text(chunk)
            return _sse(chunk)
        # responses: events as they come; the final one carries the usage
        kind = chunk.get("type")
        if kind == "response.completed" and isinstance(chunk.get("response"), dict):
            call.usage = UpstreamUsage.of(chunk["response"].get("usage")) or call.usage
        if kind == "response.output_text.delta":
            delta = str(chunk.get("delta", ""))
            if call.answer is not None:
                delta = call.answer.content(0, delta)
                chunk = {**chunk, "delta": delta}
            if self._keep_text(call):
                call.answer_text += delta
        call.response = chunk
        return b"event: " + str(kind).encode() + b"\n" + _sse(chunk)

    @staticmethod
    def _keep_text(call: Call) -> bool:
        who = call.admitted
        return who is not None and who.use_case.retention.value != "none"

    def _tail(self, call: Call) -> bytes | None:
        if call.answer is None or call.operation != "chat":
            return None
        tails = call.answer.close()
        choices = []
        for index, (content, tools) in sorted(tails.items()):
            delta: dict[str, Any] = {}
            if content:
                delta["content"] = content
            if tools:
                delta["tool_calls"] = [
                    {"index": i, "function": {"arguments": text}} for i, text in tools.items()
                ]
            if delta:
                choices.append({"index": index, "delta": delta, "finish_reason": None})
        if not choices:
            return None
        last = call.response or {}
        return _sse(
            {
                "id": last.get("id", call.request_id),
                "object": "chat.completion.chunk",
                "created": last.get("created", int(time.time())),
                "model": last.get("model", call.requested_model),
                "choices": choices,
            }
        )

    def _usage_chunk(self, call: Call) -> dict[str, Any]:
        usage = call.usage
        assert usage is not None
        last = call.response or {}
        return {
            "id": last.get("id", call.request_id),
            "object": "chat.completion.chunk",
            "created": last.get("created", int(time.time())),
            "model": last.get("model", call.requested_model),
            "choices": [],
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
        }
