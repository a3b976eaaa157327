"""Authorisation policy: which role may do which action on which resource.

The rules are plain data (``permissions.csv``), evaluated by Casbin; routes declare what they
need with ``Require(resource, action)`` and never test roles themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import casbin

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class Policy:
    def __init__(
        self, model: Path = HERE / "model.conf", rules: Path = HERE / "permissions.csv"
    ) -> None:
        self._enforcer = casbin.Enforcer(str(model), str(rules))

    def decide(self, roles: Iterable[str], resource: str, action: str) -> Decision:
        held = ["employee", *roles]
        for role in held:
            if self._enforcer.enforce(role, resource, action):
                return Decision(True, f"role {role} may {action} {resource}")
        return Decision(False, f"none of the roles {sorted(set(held))} may {action} {resource}")

    def permissions(self, roles: Iterable[str]) -> list[str]:
        """Every ``resource:action`` the roles grant (for ``GET /api/v1/me``)."""
        granted: set[str] = set()
        for role in ["employee", *roles]:
            for _, resource, action in self._enforcer.get_implicit_permissions_for_user(role):
                granted.add(f"{resource}:{action}")
        return sorted(granted)
