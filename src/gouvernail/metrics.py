"""Prometheus metrics, in a registry owned by the runtime (never the process-global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


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

    def audit_committed(self, units: int, records: int) -> None:
        self.audit_batches.observe(units)
        self.audit_records.inc(records)
