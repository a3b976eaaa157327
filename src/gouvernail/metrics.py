"""Prometheus metrics, in a registry owned by the runtime (never the process-global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "gouvernail_http_requests_total",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "gouvernail_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.audit_records = Counter(
            "gouvernail_audit_records_total", "Audit records committed.", registry=self.registry
        )
        self.audit_batches = Histogram(
            "gouvernail_audit_batch_units",
            "Units of work committed per audit transaction.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )

        self.gateway_calls = Counter(
            "gouvernail_gateway_calls_total",
            "Gateway calls, by model, decision and status.",
            ["model", "decision", "status"],
            registry=self.registry,
        )
        self.gateway_unauthenticated = Counter(
            "gouvernail_gateway_unauthenticated_total",
            "Gateway calls refused for want of a valid key (sampled in the audit trail).",
            registry=self.registry,
        )
        self.gateway_tokens = Counter(
            "gouvernail_gateway_tokens_total",
            "Tokens used through the gateway (gen_ai.token.type: input or output).",
            ["model", "type"],
            registry=self.registry,
        )
        self.gateway_cost = Counter(
            "gouvernail_gateway_cost_eur_total",
            "Cost of gateway calls in euros.",
            ["model"],
            registry=self.registry,
        )
        self.gateway_energy = Counter(
            "gouvernail_gateway_energy_wh_total",
            "Estimated energy of gateway calls (Wh); calls without an estimate are not added.",
            ["model"],
            registry=self.registry,
        )
        self.gateway_duration = Histogram(
            "gouvernail_gateway_call_duration_seconds",
            "Time to answer a gateway call, end to end.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.record_duration = Histogram(
            "gouvernail_gateway_record_duration_seconds",
            "Time to make a call's request-log row and audit record durable (group commit).",
            buckets=(0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.5),
            registry=self.registry,
        )
        self.upstream_duration = Histogram(
            "gouvernail_gateway_upstream_duration_seconds",
            "Time the provider took (gen_ai.client.operation.duration), by provider and model.",
            ["provider", "model"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_outcomes = Counter(
            "gouvernail_gateway_upstream_calls_total",
            "Provider calls by outcome (ok, error, timeout, circuit_open): availability.",
            ["provider", "model", "outcome"],
            registry=self.registry,
        )
        self.breaker_open = Gauge(
            "gouvernail_gateway_breaker_open",
            "1 while a provider's circuit breaker is open.",
            ["provider"],
            registry=self.registry,
        )

    def audit_committed(self, units: int, records: int) -> None:
        self.audit_batches.observe(units)
        self.audit_records.inc(records)
