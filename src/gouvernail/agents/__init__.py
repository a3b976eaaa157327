"""Agents: registered like use cases, each with an accountable owner, keys of their own, a
kill switch and per-run limits the gateway enforces (``docs/agents.md``).

Public: ``Agents`` (the registry, ``runtime.agents``), ``AgentRuns`` (runs and their trace ids).
"""

from gouvernail.agents.runs import AgentRuns
from gouvernail.agents.service import Agents

__all__ = ["AgentRuns", "Agents"]
