"""Audit events of agent-to-agent messages (documented in ``docs/audit-events.md``).

Neither ever carries the text of a message: a delivered message is audited with the SHA-256
of its text, its class and its findings counted by type."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class AgentMessageSent(AuditEvent):
    """An agent's message was delivered to another (object: the message id): sender, its run
    and trace id, recipient, the message it answers, its data class, findings counted by type,
    prompt-injection signals, and the SHA-256 and length of its text. Actor: the sender's
    accountable owner."""

    action = "agent.message_sent"
    object_type = "agent_message"


@dataclass(frozen=True, kw_only=True)
class AgentMessageRefused(AuditEvent):
    """An agent's message was refused (object: the message id): sender, its run and trace id,
    the recipient as named, the refusal code and message, and the data class when the refusal
    was about it. Actor: the sender's accountable owner."""

    action = "agent.message_refused"
    object_type = "agent_message"


@dataclass(frozen=True, kw_only=True)
class AgentMessageRead(AuditEvent):
    """An agent acknowledged a message addressed to it without taking it up in a run (a reply
    its waiting run has read): the message id, the recipient and the trace id."""

    action = "agent.message_read"
    object_type = "agent_message"


@dataclass(frozen=True, kw_only=True)
class AgentMessagesPurged(AuditEvent):
    """The text of messages past their retention was cleared (object: the day): how many. The
    message rows and their audit records stay."""

    action = "agent.messages_purged"
    object_type = "agent_message"
