"""Audit events of agents (documented in ``docs/audit-events.md``).

Every change of the registry carries its reason; a run's start and end carry its trace id."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class AgentRegistered(AuditEvent):
    """An agent was registered: slug, name, use case, accountable owner, purpose, allowed models,
    tools, data classes and peer agents, the approval rule, the per-run limits, and why."""

    action = "agent.registered"
    object_type = "agent"


@dataclass(frozen=True, kw_only=True)
class AgentChanged(AuditEvent):
    """An agent was edited into a new version: the fields that changed, old and new, and why."""

    action = "agent.changed"
    object_type = "agent"


@dataclass(frozen=True, kw_only=True)
class AgentSuspended(AuditEvent):
    """An agent was suspended (its next gateway call is refused): old and new status, and why."""

    action = "agent.suspended"
    object_type = "agent"


@dataclass(frozen=True, kw_only=True)
class AgentResumed(AuditEvent):
    """A suspended agent was made active again: old and new status, and why."""

    action = "agent.resumed"
    object_type = "agent"


@dataclass(frozen=True, kw_only=True)
class AgentRunStarted(AuditEvent):
    """An agent started a run (object: the run id): the agent, the trace id, the key, the
    limits in force, and whether the gateway started it implicitly from a call's header."""

    action = "agent.run_started"
    object_type = "agent_run"


@dataclass(frozen=True, kw_only=True)
class AgentRunEnded(AuditEvent):
    """A run was ended (by the agent, its owner or a referent): its totals of steps, tokens
    and cost from the request log, and why."""

    action = "agent.run_ended"
    object_type = "agent_run"
