"""The typed context one gateway call carries through the pipeline's steps.

Each step reads what earlier steps set and fills its own fields; nothing else travels between
steps. The record step turns the finished context into the request-log row and the audit event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gouvernail.agents.runs import RunFacts
from gouvernail.gateway.accounting import Impact, PriceSheet, Reservation, RunCharge
from gouvernail.gateway.admission import Admitted
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.parts import Extracted
from gouvernail.gateway.providers import Operation, UpstreamUsage
from gouvernail.gateway.redaction import AnswerFilter, Vault
from gouvernail.gateway.rules import Ceiling, Decision
from gouvernail.inspection.findings import Finding, Inspection
from gouvernail.inventory.routing import RoutableModel


@dataclass(slots=True)
class Call:
    request_id: str
    operation: Operation
    raw: bytes
    """The request body as received (``oversized``: cut at the size limit)."""
    secret: str | None
    client: str
    oversized: bool = False
    use_case_id: int | None = None
    """The use case a sign-in session (``secret``, the portal's playground) or a service of
    this process (``acting_for``) acts on."""
    acting_for: int | None = None
    """A service of this process (insight) calls for this user, whom it authenticated."""
    declared: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    """Findings the calling service vouches for, by part path: insight declares each passage
    with its source's data class. The decision weighs them with the detectors' findings."""
    prompt_header: str | None = None
    """The prompt version the caller declares it used (``x-gouvernail-prompt-version``)."""
    run_header: str | None = None
    """The agent run the call is a step of (``x-gouvernail-agent-run``; agents' keys only)."""
    started: float = field(default_factory=time.perf_counter)
    body: dict[str, Any] = field(default_factory=dict)
    """The parsed body; enforcement redacts it in place, so it is what goes upstream."""

    stream: bool = False
    include_usage: bool = False
    """The caller asked for the usage chunk (``stream_options.include_usage``)."""
    requested_model: str = ""

    admitted: Admitted | None = None
    model: RoutableModel | None = None
    """The model that will be (or was) called: the requested one, or the reroute target."""
    extracted: Extracted | None = None
    inspection: Inspection | None = None
    ceiling: Ceiling | None = None
    decision: Decision | None = None
    vault: Vault | None = None
    rerouted_from: str | None = None
    prompt_version_id: int | None = None
    """The registry's prompt version the call used: applied by the gateway, or declared."""

    run: RunFacts | None = None
    """The agent run (``gateway/agent_runs.py``), and what was charged to it."""
    run_charge: RunCharge | None = None

    price: PriceSheet | None = None
    reserved_tokens: int = 0
    reservation: Reservation | None = None

    attempts: int = 0
    failover: list[str] = field(default_factory=list)
    upstream_ms: float | None = None
    ttfb_ms: float | None = None
    answer: AnswerFilter | None = None
    response: dict[str, Any] | None = None
    usage: UpstreamUsage | None = None
    cost_eur: Decimal = Decimal(0)
    impact: Impact | None = None
    answer_text: str = ""
    """What the caller received (restored), kept only for content retention."""

    status: int = 200
    error: GatewayError | None = None

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def decision_header(self) -> str:
        return self.decision.header() if self.decision else "none"
