"""The authenticated caller of a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gouvernail.audit.events import Actor

if TYPE_CHECKING:
    from gouvernail.identity.views import UserView


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    team_id: int | None
    via: str  # "session" or "api_key"
    session_id: int | None = None
    api_key_id: int | None = None
    use_case_id: int | None = None
    agent_id: int | None = None
    """An agent's key: the agent acting (with none of its owner's roles)."""

    @classmethod
    def signed_in(cls, user: UserView) -> Principal:
        """``user`` as a sign-in session sees them (scripts and tests acting for a person)."""
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            roles=tuple(user.roles),
            team_id=user.team_id,
            via="session",
        )

    @property
    def actor(self) -> Actor:
        return Actor(id=str(self.user_id), name=f"{self.display_name} ({self.username})")
