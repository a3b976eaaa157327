"""MCP plumbing of the tool gateway.

``upstream``: ``McpConnector`` lists and calls the tools of registered MCP servers.
``endpoint``: ``McpEndpoint``, the ``/mcp`` endpoint agents connect to, deciding nothing itself:
every decision goes to a ``ToolDoor``.
"""

from gouvernail.agents.mcp.upstream import (
    McpConnector,
    McpUnavailable,
    ServerSpec,
    ToolOutcome,
    ToolSpec,
)

__all__ = ["McpConnector", "McpUnavailable", "ServerSpec", "ToolOutcome", "ToolSpec"]
