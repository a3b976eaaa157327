"""Audit events of the tool gateway (documented in ``docs/audit-events.md``).

Arguments and results of tool calls are never in the trail: their SHA-256, their data classes,
the counts of what the detectors found and the prompt-injection signals are."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class McpServerRegistered(AuditEvent):
    """An MCP server was registered in the inventory: slug, name, transport, command or URL,
    the names (never the values) of the secrets it receives, hosting, the most sensitive class
    it may be sent, its owner, and why."""

    action = "mcp_server.registered"
    object_type = "mcp_server"


@dataclass(frozen=True, kw_only=True)
class McpServerStatusChanged(AuditEvent):
    """An MCP server was suspended (none of its tools may be called) or made active again:
    old and new status, and why."""

    action = "mcp_server.status_changed"
    object_type = "mcp_server"


@dataclass(frozen=True, kw_only=True)
class McpToolsSynced(AuditEvent):
    """The tools an MCP server lists were read into the inventory: tools added, changed (their
    description or input schema) and gone; new tools start suspended until governed."""

    action = "mcp_server.tools_synced"
    object_type = "mcp_server"


@dataclass(frozen=True, kw_only=True)
class ToolGoverned(AuditEvent):
    """A tool's governance was set (object: ``<server>.<tool>``): the class of its results,
    whether it is consequential or GxP-relevant, what to do with a result carrying
    instructions, its rate limit, budget and cost per call, old and new, and why."""

    action = "agent_tool.governed"
    object_type = "agent_tool"


@dataclass(frozen=True, kw_only=True)
class ToolStatusChanged(AuditEvent):
    """A tool was suspended (an agent's next call is refused) or made active again: old and
    new status, and why."""

    action = "agent_tool.status_changed"
    object_type = "agent_tool"


@dataclass(frozen=True, kw_only=True)
class ToolCalled(AuditEvent):
    """An agent called a tool through the gateway (object: the tool call id): agent, run,
    trace id, tool, outcome (completed, failed, refused, withheld, awaiting approval) and its
    code, the arguments' SHA-256 and class, the result's class, counts of findings,
    prompt-injection signals, the approval used, cost and latency. Actor: the accountable
    owner."""

    action = "agent.tool_called"
    object_type = "agent_tool_call"


@dataclass(frozen=True, kw_only=True)
class ToolApprovalRequested(AuditEvent):
    """A consequential tool call waits for a human (object: the approval id): agent, run,
    trace id, tool, the arguments' SHA-256, who must decide, whether an electronic signature is
    required, whether the run received untrusted input, and until when."""

    action = "agent.approval_requested"
    object_type = "agent_approval"


@dataclass(frozen=True, kw_only=True)
class ToolApprovalDecided(AuditEvent):
    """A human approved or rejected a tool call (object: the approval id): the decision, the
    signature when one was required, and why."""

    action = "agent.approval_decided"
    object_type = "agent_approval"
