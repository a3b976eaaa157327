"""The authenticated caller of a request."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import Actor


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

    @property
    def actor(self) -> Actor:
        return Actor(id=str(self.user_id), name=f"{self.display_name} ({self.username})")
