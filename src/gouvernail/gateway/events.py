"""Audit events of the gateway (documented in ``docs/audit-events.md``).

A gateway call records who called (the trail's actor), the use case, the model, the decision with
its rule ids and reasons, a summary of the findings by type — never the text they matched —,
tokens, cost, energy, CO2, latency and status.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class GatewayCallCompleted(AuditEvent):
    """A model call went through the gateway and was answered (possibly after redaction,
    rerouting or failover); ``new`` holds the decision, findings by type, usage and cost."""

    action = "gateway.call_completed"
    object_type = "gateway_call"


@dataclass(frozen=True, kw_only=True)
class GatewayCallRefused(AuditEvent):
    """A model call was refused (admission, policy block, quota, bad input) or failed upstream;
    ``new`` holds the status, the error code and the decision with its reasons."""

    action = "gateway.call_refused"
    object_type = "gateway_call"


@dataclass(frozen=True, kw_only=True)
class GatewayUnauthenticatedSampled(AuditEvent):
    """Calls without a valid key from one client address over a sampling period: counted, and
    recorded once per period (``new.count``, the key prefixes seen) rather than each."""

    action = "gateway.unauthenticated_sampled"
    object_type = "gateway_client"


@dataclass(frozen=True, kw_only=True)
class KillSwitchChanged(AuditEvent):
    """A kill switch (global, department or use case) was engaged or released, with why."""

    action = "kill_switch.changed"
    object_type = "kill_switch"


@dataclass(frozen=True, kw_only=True)
class UseCaseGatewayChanged(AuditEvent):
    """How the gateway serves a use case changed: data-class ceiling, allowed models, content
    retention (old and new values)."""

    action = "use_case.gateway_changed"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class GatewayLimitChanged(AuditEvent):
    """Rate limits or the monthly budget of a user, team, use case or key changed."""

    action = "gateway.limit_changed"
    object_type = "gateway_limit"


@dataclass(frozen=True, kw_only=True)
class SandboxCreated(AuditEvent):
    """A personal sandbox use case was opened for an employee to prototype (idea stage, lowest
    data class, small capped budget)."""

    action = "use_case.sandbox_created"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class RequestContentPurged(AuditEvent):
    """Stored prompts and answers past their retention were deleted (count, oldest, newest);
    request-log rows and audit records are kept."""

    action = "gateway.content_purged"
    object_type = "request_content"


@dataclass(frozen=True, kw_only=True)
class PolicyDocumentSaved(AuditEvent):
    """An administrator saved a new version of the detectors overlay or of the enforcement rules
    (kind, version, digests of the previous and new text, the reason); it applies on every
    replica within ``gateway.policy_reload_seconds``."""

    action = "gateway.policy_saved"
    object_type = "policy_document"
