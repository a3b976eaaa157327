"""The steps before forwarding: admit, resolve the model, inspect, decide, enforce, reserve.

Each step is one small class with ``async __call__(call)``; a step that refuses raises a
``GatewayError``. ``pipeline.py`` lists them in order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson

from gouvernail.agents.runs import RunFacts
from gouvernail.charter.rules import CharterRules
from gouvernail.gateway.accounting import (
    Claim,
    Limits,
    Prices,
    QuotaExceeded,
    QuotaStore,
    Scope,
    UnknownPrice,
    estimate_input_tokens,
    reservation_cost,
)
from gouvernail.gateway.admission import Admission, Admitted
from gouvernail.gateway.call import Call
from gouvernail.gateway.errors import GatewayError, invalid
from gouvernail.gateway.parts import extract, replace
from gouvernail.gateway.redaction import Vault
from gouvernail.gateway.rules import Action, Ceiling, Rules, ceiling_for, sensitivity
from gouvernail.inspection.findings import (
    Finding,
    InjectionVerdict,
    Inspection,
    PartFindings,
    TextPart,
)
from gouvernail.inventory.routing import RoutableModel
from gouvernail.inventory.values import Capability
from gouvernail.settings import GatewaySettings

Step = Callable[[Call], Awaitable[None]]
UNINSPECTABLE_TOKENS = 800
"""Tokens reserved for each part the gateway cannot measure (an image, audio, a file)."""

NEEDS = {
    "chat": Capability.CHAT,
    "embeddings": Capability.EMBEDDINGS,
    "responses": Capability.RESPONSES,
}


class Inspects(Protocol):
    async def inspect(
        self,
        parts: list[TextPart],
        *,
        language: str | None = None,
        mode: Any = "full",
        rank: Callable[[str], int] | None = None,
    ) -> Inspection: ...


class Catalogue:
    """The approved models, re-read from the inventory at most every ``ttl`` seconds."""

    def __init__(self, load: Callable[[], list[RoutableModel]], ttl: float) -> None:
        self.load = load
        self.ttl = ttl
        self._models: dict[str, RoutableModel] = {}
        self._loaded_at = -1e9
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        self._loaded_at = -1e9

    async def models(self) -> dict[str, RoutableModel]:
        if time.monotonic() - self._loaded_at < self.ttl:
            return self._models
        async with self._lock:
            if time.monotonic() - self._loaded_at >= self.ttl:
                models = await asyncio.to_thread(self.load)
                self._models = {m.name: m for m in models}
                self._loaded_at = time.monotonic()
        return self._models


def admitted(call: Call) -> Admitted:
    assert call.admitted is not None
    return call.admitted


def capable(model: RoutableModel, call: Call) -> bool:
    if NEEDS[call.operation] not in model.capabilities:
        return False
    return not (call.body.get("tools") and Capability.TOOLS not in model.capabilities)


def allowed_for(model: RoutableModel, call: Call) -> bool:
    who = admitted(call)
    if who.agent is not None and not who.agent.allows(model.name):
        return False
    return who.use_case.allows(model.name)


def ceiling_of(model: RoutableModel, call: Call) -> Ceiling:
    who = admitted(call)
    use_case_max = who.use_case.ceiling
    if who.use_case.sandbox:  # a sandbox sees the lowest data class, whatever it says
        use_case_max = who.charter.class_names[0]
    return ceiling_for(
        who.charter,
        hosting=model.hosting.value,
        model_max=model.max_data_class,
        use_case_max=use_case_max,
    )


def accepts(model: RoutableModel, call: Call, data_class: str | None) -> bool:
    """May ``model`` serve this call carrying data of ``data_class``?"""
    if not (capable(model, call) and allowed_for(model, call)):
        return False
    if data_class is None:
        return True
    charter = admitted(call).charter
    ceiling = ceiling_of(model, call).data_class
    if ceiling not in charter.class_names or data_class not in charter.class_names:
        return False
    return charter.class_rank(data_class) <= charter.class_rank(ceiling)


class Admit:
    def __init__(self, admission: Admission) -> None:
        self.admission = admission

    async def __call__(self, call: Call) -> None:
        call.admitted = await self.admission.admit(
            call.secret, call.use_case_id, acting_for=call.acting_for
        )


def _bad_messages(messages: Any) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty array of messages"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return f"messages[{index}] must be an object with a role"
    return None


class Parse:
    """Read the body: size, encoding, JSON, and the fields every operation needs."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.limit = settings.max_body_bytes

    async def __call__(self, call: Call) -> None:
        if call.oversized:
            raise GatewayError(
                413,
                f"the request body is larger than {self.limit} bytes "
                "(GOUVERNAIL_GATEWAY__MAX_BODY_BYTES)",
                code="request_too_large",
            )
        try:
            body = orjson.loads(call.raw)
        except orjson.JSONDecodeError as error:
            try:
                call.raw.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid(
                    "the request body is not valid UTF-8", code="invalid_encoding"
                ) from None
            raise invalid(
                f"the request body is not valid JSON: {error}", code="invalid_json"
            ) from None
        if not isinstance(body, dict):
            raise invalid("the request body must be a JSON object", code="invalid_json")
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            raise invalid("model is required: the name of an approved model", param="model")
        call.requested_model = model
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise invalid("stream must be true or false", param="stream")
        if call.operation == "chat":
            problem = _bad_messages(body.get("messages"))
            if problem:
                raise invalid(problem, param="messages")
        elif call.operation == "embeddings":
            if stream:
                raise invalid("embeddings cannot be streamed", param="stream")
            if not isinstance(body.get("input"), str | list) or not body.get("input"):
                raise invalid("input must be a string or a non-empty array", param="input")
        elif body.get("input") in (None, "", []):
            raise invalid("input is required", param="input")
        options = body.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise invalid("stream_options must be an object", param="stream_options")
        call.include_usage = bool(options and options.get("include_usage"))
        call.stream = stream
        call.body = body


class ResolveModel:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    async def __call__(self, call: Call) -> None:
        models = await self.catalogue.models()
        model = models.get(call.requested_model)
        if model is None:
            raise GatewayError(
                404,
                f"the model {call.requested_model!r} does not exist or is not approved; "
                "GET /v1/models lists the models you may use",
                code="model_not_found",
                param="model",
            )
        agent = admitted(call).agent
        if agent is not None and not agent.allows(model.name):
            raise GatewayError(
                403,
                f"the agent {agent.slug} may not use the model {model.name}; allowed: "
                + ", ".join(agent.allowed_models),
                code="agent_model_not_allowed",
                param="model",
            )
        if not allowed_for(model, call):
            allowed = ", ".join(admitted(call).use_case.allowed_models)
            raise GatewayError(
                403,
                f"the use case does not allow the model {model.name}; allowed: {allowed}",
                code="model_not_allowed",
                param="model",
            )
        if not capable(model, call):
            raise invalid(
                f"the model {model.name} does not support {call.operation}"
                + (" with tools" if call.body.get("tools") else ""),
                param="model",
                code="model_not_capable",
            )
        call.model = model


class Inspect:
    def __init__(self, inspector: Inspects | None, mode: str) -> None:
        self.inspector = inspector
        self.mode = mode

    async def __call__(self, call: Call) -> None:
        call.extracted = extract(call.operation, call.body)
        charter = admitted(call).charter
        if self.inspector is not None and self.mode != "off":

            def rank(name: str) -> int:
                return sensitivity(charter, name)

            call.inspection = await self.inspector.inspect(
                [located.part for located in call.extracted.parts], mode=self.mode, rank=rank
            )
        if call.run is not None and call.run.data_class_seen and call.extracted.parts:
            first = call.extracted.parts[0].part  # what the run's tools gave it may be anywhere
            declared = call.declared.get(first.path, ())
            call.declared[first.path] = (*declared, run_data(first.text, call.run))
        if call.declared:
            call.inspection = _with_declared(call, charter)


RUN_DATA = "AGENT_RUN_DATA"


def run_data(text: str, run: RunFacts) -> Finding:
    """What an agent's run received from tools and other agents, as a finding of its class: a
    model call of the run is classed at least that high (rule ``agent-data-stays-inside``)."""
    assert run.data_class_seen is not None
    return Finding(
        type=RUN_DATA,
        start=0,
        end=len(text),
        score=1.0,
        detector="agent_run",
        data_class=run.data_class_seen,
        reason=f"the run {run.run_id} received {run.data_class_seen} data from tools or agents",
    )


def _with_declared(call: Call, charter: CharterRules) -> Inspection:
    """The detectors' findings plus those the calling service vouches for (even with
    inspection off: a declared class is not a detection)."""
    assert call.extracted is not None
    found = {p.path: p for p in call.inspection.parts} if call.inspection else {}
    parts = tuple(
        PartFindings(
            located.part.path,
            (found[located.part.path].findings if located.part.path in found else ())
            + call.declared.get(located.part.path, ()),
            cached=located.part.path in found and found[located.part.path].cached,
        )
        for located in call.extracted.parts
    )
    classes = [f.data_class for part in parts for f in part.findings]
    data_class = charter.most_sensitive(c for c in classes if c in charter.class_names)
    if call.inspection is None:
        return Inspection(parts, data_class, InjectionVerdict(detected=False, score=0.0))
    return dataclasses.replace(call.inspection, parts=parts, data_class=data_class)


class Decide:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    async def __call__(self, call: Call) -> None:
        assert call.model is not None
        assert call.extracted is not None
        call.ceiling = ceiling_of(call.model, call)
        call.decision = self.rules.decide(
            admitted(call).charter, call.ceiling, call.inspection, call.extracted.uninspectable
        )


class Enforce:
    """Refuse, reroute, or replace what must not leave by placeholders."""

    def __init__(self, catalogue: Catalogue, rules: Rules) -> None:
        self.catalogue = catalogue
        self.rules = rules

    async def __call__(self, call: Call) -> None:
        decision = call.decision
        assert decision is not None
        assert call.model is not None
        if decision.action is Action.BLOCK:
            raise self._blocked(call, "; ".join(decision.reasons))
        if decision.action is Action.REROUTE:
            await self._reroute(call)
            decision = call.decision
            assert decision is not None
            if decision.action is Action.BLOCK:
                raise self._blocked(call, "; ".join(decision.reasons))
        if decision.redact:
            self._redact(call)

    @staticmethod
    def _blocked(call: Call, reasons: str) -> GatewayError:
        decision = call.decision
        assert decision is not None
        return GatewayError(
            403,
            f"the charter does not let this request through: {reasons}",
            code="policy_blocked",
            extra={"rule_ids": list(decision.rule_ids), "reasons": list(decision.reasons)},
        )

    async def _reroute(self, call: Call) -> None:
        decision = call.decision
        assert decision is not None
        assert call.model is not None
        needed = decision.needed_class
        models = await self.catalogue.models()
        candidates = sorted(
            (m for m in models.values() if m.name != call.model.name),
            key=lambda m: (m.hosting.value != "self_hosted", m.name),
        )
        target = next((m for m in candidates if accepts(m, call, needed)), None)
        if target is None:
            raise self._blocked(
                call,
                "; ".join(decision.reasons)
                + f"; no approved model allowed for this use case may receive {needed} data",
            )
        call.rerouted_from = call.model.name
        call.model = target
        call.ceiling = ceiling_of(target, call)
        assert call.extracted is not None
        after = self.rules.decide(
            admitted(call).charter, call.ceiling, call.inspection, call.extracted.uninspectable
        )
        rule_ids = tuple(dict.fromkeys(decision.rule_ids + after.rule_ids))
        reasons = (
            *decision.reasons,
            f"rerouted from {call.rerouted_from} to {target.name} ({target.hosting.value})",
            *after.reasons,
        )
        action = Action.BLOCK if after.action is Action.BLOCK else Action.REROUTE
        call.decision = type(decision)(
            action,
            rule_ids,
            reasons,
            redact=after.redact,
            needed_class=needed,
            flags=decision.flags,
        )

    @staticmethod
    def _redact(call: Call) -> None:
        decision = call.decision
        assert decision is not None
        assert call.inspection is not None
        assert call.extracted is not None
        wanted = set(decision.redact)
        charter = admitted(call).charter
        vault = Vault(rank=lambda name: charter.class_rank(name))
        for located in call.extracted.parts:  # placeholders already in the text stay theirs
            vault.observe(located.part.text)
        for located, found in zip(call.extracted.parts, call.inspection.parts, strict=True):
            chosen = [f for f in found.findings if f in wanted]
            if chosen:
                replace(call.body, located.path, vault.redact(located.part.text, chosen))
        call.vault = vault


def _max_tokens(call: Call, settings: GatewaySettings) -> int:
    if call.operation == "embeddings":
        return 0
    names = (
        ("max_output_tokens",)
        if call.operation == "responses"
        else (
            "max_completion_tokens",
            "max_tokens",
        )
    )
    for name in names:
        value = call.body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise invalid(f"{name} must be a positive integer", param=name)
        if value > settings.max_tokens_cap:
            raise invalid(
                f"{name} is {value}; the gateway allows at most {settings.max_tokens_cap}",
                param=name,
            )
        return value
    # No limit asked: reserve the capped default and send it upstream too.
    call.body[names[-1]] = settings.default_max_tokens
    return settings.default_max_tokens


class Reserve:
    def __init__(self, prices: Prices, quotas: QuotaStore, settings: GatewaySettings) -> None:
        self.prices = prices
        self.quotas = quotas
        self.settings = settings

    async def __call__(self, call: Call) -> None:
        assert call.model is not None
        assert call.extracted is not None
        output = _max_tokens(call, self.settings)
        try:
            call.price = self.prices.price_sheet(call.model)
        except UnknownPrice as error:
            raise GatewayError(
                403,
                f"the model {call.model.name} has no known price, so its use cannot be counted: "
                f"{error}. Record its pricing in the inventory.",
                code="model_price_unknown",
            ) from None
        chars = sum(len(located.part.text) for located in call.extracted.parts)
        prompt = estimate_input_tokens(chars) + UNINSPECTABLE_TOKENS * len(
            call.extracted.uninspectable
        )
        call.reserved_tokens = prompt + output
        cost = reservation_cost(call.price, prompt, output)
        who = admitted(call)
        claims = [
            Claim(
                Scope(spec.scope, str(spec.target_id)),  # type: ignore[arg-type]
                Limits(spec.requests_per_minute, spec.tokens_per_minute, spec.monthly_budget_eur),
            )
            for spec in who.limits
        ]
        try:
            call.reservation = await self.quotas.reserve(
                claims, request_id=call.request_id, tokens=call.reserved_tokens, cost_eur=cost
            )
        except QuotaExceeded as error:
            raise GatewayError(
                429,
                error.message,
                code=error.code,
                headers={"retry-after": str(max(1, error.retry_after))},
            ) from None
