"""The tool gateway of agents: MCP servers and their tools in the inventory (``inventory``),
every tool call under the agent's identity, the charter and the audit (``gateway``), and human
approvals of consequential calls (``approvals``). See ``docs/agents.md``."""
