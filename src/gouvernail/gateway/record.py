"""Record: one request-log row and one audit record per call, in one unit of work.

The row and the audit event carry the principal, the use case, the model, the decision with its
rule ids and reasons, the findings counted by type (never the text they matched), tokens, cost,
energy, CO2, latency and status. Prompts and answers are stored apart, only when the use case's
retention policy says so, until the purge job deletes them. Callers without a valid key are
counted, and sampled into the trail once per client address and period.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from opentelemetry import trace

from gouvernail.agents.telemetry import run_context
from gouvernail.audit import AuditContext, AuditTrail
from gouvernail.audit.events import SYSTEM, Actor
from gouvernail.audit.trail import Row
from gouvernail.db.base import utcnow
from gouvernail.gateway import events as ev
from gouvernail.gateway.call import Call
from gouvernail.gateway.models import ContentRetention, RequestContent, RequestLog
from gouvernail.gateway.redaction import Detect, Vault
from gouvernail.metrics import Metrics

tracer = trace.get_tracer("gouvernail.gateway")
# the tables themselves: a call's rows are plain inserts, batched by the audit writer
_LOG = RequestLog.metadata.tables[RequestLog.__tablename__]
_CONTENT = RequestContent.metadata.tables[RequestContent.__tablename__]


def findings_summary(call: Call) -> dict[str, int]:
    if call.inspection is None:
        return {}
    return dict(Counter(f.type for f in call.inspection.findings))


def _decision(call: Call) -> tuple[str, list[str], list[str]]:
    if call.decision is None:
        return "refused" if call.error else "allow", [], []
    return call.decision.action.value, list(call.decision.rule_ids), list(call.decision.reasons)


def summary(call: Call) -> dict[str, Any]:
    """What the audit record says about a call (the request-log row says the same)."""
    action, rule_ids, reasons = _decision(call)
    who = call.admitted
    usage = call.usage
    impact = call.impact
    out: dict[str, Any] = {
        "request_id": call.request_id,
        "operation": call.operation,
        "stream": call.stream,
        "use_case_id": who.use_case.id if who else None,
        "key_prefix": who.key_prefix if who else None,
        "model_requested": call.requested_model,
        "model": call.model.name if call.model else None,
        "rerouted_from": call.rerouted_from,
        "failover": list(call.failover),
        "decision": action,
        "rule_ids": rule_ids,
        "reasons": reasons,
        "data_class": call.inspection.data_class if call.inspection else None,
        "ceiling": call.ceiling.data_class if call.ceiling else None,
        "findings": findings_summary(call),
        "injection": bool(call.inspection and call.inspection.injection.detected),
        "status": call.status,
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "cost_eur": str(call.cost_eur),
        "energy_wh": impact.energy_wh if impact else None,
        "gco2e": impact.gco2e if impact else None,
        "impact_source": impact.source if impact else None,
        "latency_ms": round(call.elapsed_ms, 2),
        "prompt_version_id": call.prompt_version_id,
    }
    agent = who.agent if who else None
    if agent is not None:  # the actor is the accountable owner; the agent acted
        out["agent_id"] = agent.id
        out["agent"] = agent.slug
        out["agent_run"] = call.run.run_id if call.run else call.run_header
        out["trace_id"] = call.run.trace_id if call.run else None
    if call.answer is not None and call.answer.unknown:
        out["unrestored_placeholders"] = len(call.answer.unknown)
    if call.error is not None:
        out["error_code"] = call.error.code
        out["error"] = call.error.message[:500]
    return out


def _content(call: Call, detect: Detect | None) -> tuple[str, str] | None:
    """Prompt and answer as the use case's retention says: ``full`` keeps what the caller sent
    and received; ``redacted`` keeps what left the company (placeholders) and the answer with
    the caller's originals put back into their placeholders, then both masked again by the fast
    detectors, so that no recognised personal data is stored."""
    who = call.admitted
    if who is None or who.use_case.retention is ContentRetention.NONE:
        return None
    if who.use_case.retention is ContentRetention.FULL:
        return call.raw.decode("utf-8", "replace"), call.answer_text
    prompt = orjson.dumps(call.body).decode()
    answer = call.vault.pseudonymise(call.answer_text) if call.vault else call.answer_text
    if detect is not None:
        prompt, answer = (Vault().redact(text, detect(text)) for text in (prompt, answer))
    return prompt, answer


@dataclass(slots=True)
class _Sample:
    started: float
    count: int = 0
    prefixes: set[str] = field(default_factory=set)


class Recorder:
    def __init__(
        self,
        trail: AuditTrail,
        metrics: Metrics,
        *,
        sample_seconds: int,
        detect: Detect | None = None,
    ) -> None:
        self.trail = trail
        self.metrics = metrics
        self.detect = detect
        self.sample_seconds = sample_seconds
        self._samples: dict[str, _Sample] = {}

    async def __call__(self, call: Call) -> None:
        if call.admitted is None and call.status == 401:
            await self.unauthenticated(call)
            return
        data = summary(call)
        self._metrics(call, data)
        self._span(call, data)
        who = call.admitted
        actor = Actor(id=str(who.user_id), name=who.display_name) if who else SYSTEM
        event_type = ev.GatewayCallRefused if call.error else ev.GatewayCallCompleted
        content = _content(call, self.detect)

        now = utcnow()
        rows: list[Row] = [
            (
                _LOG,
                {
                    "at": now,
                    "request_id": call.request_id,
                    "user_id": who.user_id if who else None,
                    "team_id": who.team_id if who else None,
                    "use_case_id": who.use_case.id if who else None,
                    "api_key_id": who.key_id if who else None,
                    "operation": call.operation,
                    "stream": call.stream,
                    "model_requested": call.requested_model[:200],
                    "model": data["model"],
                    "provider": call.model.vendor if call.model else None,
                    "decision": data["decision"],
                    "rule_ids": orjson.dumps(data["rule_ids"]).decode(),
                    "reasons": orjson.dumps(data["reasons"]).decode(),
                    "findings": orjson.dumps(data["findings"]).decode(),
                    "data_class": data["data_class"],
                    "injection": data["injection"],
                    "status": call.status,
                    "error_code": call.error.code if call.error else None,
                    "prompt_tokens": data["prompt_tokens"],
                    "completion_tokens": data["completion_tokens"],
                    "cost_eur": call.cost_eur,
                    "price_source": call.price.source if call.price else None,
                    "energy_wh": data["energy_wh"],
                    "gco2e": data["gco2e"],
                    "impact_source": data["impact_source"],
                    "latency_ms": data["latency_ms"],
                    "upstream_ms": call.upstream_ms,
                    "ttfb_ms": call.ttfb_ms,
                    "attempts": call.attempts,
                    "failover": orjson.dumps(call.failover).decode(),
                    "prompt_version_id": call.prompt_version_id,
                    "agent_id": who.agent.id if who and who.agent else None,
                    "agent_run_id": call.run.id if call.run else None,
                },
            )
        ]
        if content is not None and who is not None:
            rows.append(
                (
                    _CONTENT,
                    {
                        "request_id": call.request_id,
                        "at": now,
                        "use_case_id": who.use_case.id,
                        "mode": who.use_case.retention.value,
                        "prompt": content[0],
                        "answer": content[1],
                        "purge_after": now + timedelta(days=who.use_case.retention_days),
                    },
                )
            )
        event = event_type(object_id=call.request_id, new=data)
        started = time.perf_counter()
        await self.trail.aappend(AuditContext(actor, call.request_id), rows, event)
        self.metrics.record_duration.observe(time.perf_counter() - started)

    async def unauthenticated(self, call: Call) -> None:
        """Count every refusal; write one audit record per client address and period."""
        self.metrics.gateway_unauthenticated.inc()
        now = time.monotonic()
        sample = self._samples.get(call.client)
        if sample is not None and now - sample.started < self.sample_seconds:
            sample.count += 1
            if call.secret and len(sample.prefixes) < 10:
                sample.prefixes.add(call.secret[:15])
            return
        previous = sample.count if sample else 0
        if len(self._samples) > 10_000:
            self._samples.clear()
        self._samples[call.client] = _Sample(now)
        error = call.error
        await self.trail.arecord(
            AuditContext(SYSTEM, call.request_id),
            ev.GatewayUnauthenticatedSampled(
                object_id=call.client[:64],
                new={
                    "count_previous_period": previous,
                    "period_seconds": self.sample_seconds,
                    "code": error.code if error else None,
                    "key_prefixes": sorted(sample.prefixes) if sample else [],
                },
            ),
        )

    def _metrics(self, call: Call, data: dict[str, Any]) -> None:
        model = data["model"] or "-"
        m = self.metrics
        m.gateway_calls.labels(model, data["decision"], str(call.status)).inc()
        m.gateway_duration.labels(call.operation).observe(call.elapsed_ms / 1000)
        if call.usage is not None:
            m.gateway_tokens.labels(model, "input").inc(call.usage.prompt_tokens)
            m.gateway_tokens.labels(model, "output").inc(call.usage.completion_tokens)
            m.gateway_cost.labels(model).inc(float(call.cost_eur))
        if call.impact is not None and call.impact.energy_wh is not None:
            m.gateway_energy.labels(model).inc(call.impact.energy_wh)
        if call.model is not None and call.upstream_ms is not None:
            m.upstream_duration.labels(call.model.vendor, model).observe(call.upstream_ms / 1000)

    @staticmethod
    def _span(call: Call, data: dict[str, Any]) -> None:
        """One span per call with the OpenTelemetry ``gen_ai.*`` attributes (exported only when
        an OpenTelemetry SDK is configured; otherwise a no-op)."""
        span = tracer.start_span(
            f"{call.operation} {data['model'] or call.requested_model}",
            kind=trace.SpanKind.SERVER,
            context=run_context(data.get("trace_id"), data.get("agent_run")),
        )
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat" if call.operation == "chat" else call.operation,
            "gen_ai.request.model": call.requested_model,
            "gen_ai.response.model": data["model"] or "",
            "gen_ai.system": call.model.vendor if call.model else "",
            "gen_ai.usage.input_tokens": data["prompt_tokens"],
            "gen_ai.usage.output_tokens": data["completion_tokens"],
            "gouvernail.decision": data["decision"],
            "gouvernail.rule_ids": data["rule_ids"],
            "gouvernail.use_case.id": data["use_case_id"] or 0,
            "http.response.status_code": call.status,
        }
        if "agent" in data:  # an agent's call: a child of its run, in the run's trace
            attributes["gouvernail.agent"] = data["agent"]
            attributes["gouvernail.agent.run"] = data["agent_run"] or ""
            attributes["gouvernail.agent.trace_id"] = data["trace_id"] or ""
        span.set_attributes(attributes)
        if call.error is not None:
            span.set_attribute("error.type", call.error.code)
        span.end()
