"""OpenTelemetry for agents: every span of an agent's run (its model calls, its tool calls)
is a child of one span context carrying the run's W3C trace id, so that a tracing backend
(Jaeger, Tempo, any OTLP collector) shows a whole agent run, and the runs of other agents that
joined its trace through messages, as one trace. Spans are exported only when an OpenTelemetry
SDK is configured by the deployment; otherwise they cost nothing.
"""

from __future__ import annotations

import hashlib

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags


def run_span_id(run_id: str) -> int:
    """A stable 64-bit span id standing for the run itself (never zero)."""
    value = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big")
    return value or 1


def run_context(trace_id: str | None, run_id: str | None) -> Context | None:
    """The parent context of a run's spans: its trace id, the run as the remote parent span;
    None when the call is not an agent's (or the trace id is not a W3C one)."""
    if not trace_id or not run_id:
        return None
    try:
        trace_value = int(trace_id, 16)
    except ValueError:
        return None
    if len(trace_id) != 32 or trace_value == 0:
        return None
    parent = SpanContext(
        trace_id=trace_value,
        span_id=run_span_id(run_id),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(parent))
