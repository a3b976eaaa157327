"""Agent-to-agent messages between registered peers, checked and audited like model calls
(``docs/agent-messages.md``).

Public: ``AgentMessages`` (send, inbox, read), ``take_up`` (a run starting from a message).
"""

from gouvernail.agents.messages.service import AgentMessages, take_up

__all__ = ["AgentMessages", "take_up"]
