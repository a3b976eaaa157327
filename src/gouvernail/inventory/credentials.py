"""``credential_ref``: the NAME of the environment variable (or secret) holding a provider key.

The inventory is read by every employee, exported to YAML and recorded in the audit trail, so a
key must never land in it. A reference is an upper-case environment-variable name
(``MISTRAL_API_KEY``); values that look like a key (a known key prefix, an AWS access-key id, a
long run mixing letters and digits) are refused even when they happen to fit that shape.
"""

from __future__ import annotations

import re

NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,127}$")
AWS_ACCESS_KEY = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")

# How well-known credentials begin: OpenAI and Anthropic keys, Google API keys, GitHub and
# Slack tokens, our own API keys and session tokens, an HTTP authorisation header.
KEY_PREFIXES = (
    "sk-",
    "sk_",
    "AIza",
    "ghp_",
    "gho_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "gk_",
    "gs_",
    "Bearer ",
    "bearer ",
)


def _random_looking(segment: str) -> bool:
    """Words separated by '_' are short and have few digits; keys are long and mix them."""
    digits = sum(c.isdigit() for c in segment)
    return len(segment) >= 32 or (len(segment) >= 12 and digits >= 2)


def credential_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable credential reference, or None if it is."""
    if value.startswith(KEY_PREFIXES) or AWS_ACCESS_KEY.match(value):
        return "looks like a secret value (a known key format): give the NAME of the variable"
    if not NAME.match(value):
        return (
            "must be the name of the environment variable holding the key "
            "(upper-case letters, digits and '_', e.g. MISTRAL_API_KEY), never the key itself"
        )
    if any(_random_looking(segment) for segment in value.split("_")):
        return "looks like a secret value (a long run mixing letters and digits): give the NAME"
    return None
