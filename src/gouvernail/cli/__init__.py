"""The ``gouvernail`` command: a thin layer over the same services as the API.

Its help text is the reference: ``gouvernail --help``, ``gouvernail <group> --help``. Each
module of this package owns one group of commands and registers it on the root app.
"""

from gouvernail.cli import agents as agent_commands
from gouvernail.cli import aiact as ai_act_commands
from gouvernail.cli import alerts as alert_commands
from gouvernail.cli import audit, charter, identity, server
from gouvernail.cli import bias as bias_commands
from gouvernail.cli import canaries as canary_commands
from gouvernail.cli import committee as committee_commands
from gouvernail.cli import demo as demo_commands
from gouvernail.cli import docs as docs_commands
from gouvernail.cli import environment as environment_commands
from gouvernail.cli import evaluations as evaluation_commands
from gouvernail.cli import gateway as gateway_commands
from gouvernail.cli import incidents as incident_commands
from gouvernail.cli import insight as insight_commands
from gouvernail.cli import inspect as inspect_commands
from gouvernail.cli import inventory as inventory_commands
from gouvernail.cli import jobs as job_commands
from gouvernail.cli import licences as licence_commands
from gouvernail.cli import literacy as literacy_commands
from gouvernail.cli import mcp as mcp_commands
from gouvernail.cli import observatory as observatory_commands
from gouvernail.cli import prompts as prompt_commands
from gouvernail.cli import registry as registry_commands
from gouvernail.cli import risk as risk_commands
from gouvernail.cli import shadow as shadow_commands
from gouvernail.cli import value as value_commands
from gouvernail.cli._common import app

__all__ = [
    "agent_commands",
    "ai_act_commands",
    "alert_commands",
    "app",
    "audit",
    "bias_commands",
    "canary_commands",
    "charter",
    "committee_commands",
    "demo_commands",
    "docs_commands",
    "environment_commands",
    "evaluation_commands",
    "gateway_commands",
    "identity",
    "incident_commands",
    "insight_commands",
    "inspect_commands",
    "inventory_commands",
    "job_commands",
    "licence_commands",
    "literacy_commands",
    "main",
    "mcp_commands",
    "observatory_commands",
    "prompt_commands",
    "registry_commands",
    "risk_commands",
    "server",
    "shadow_commands",
    "value_commands",
]


def main() -> None:
    app()
