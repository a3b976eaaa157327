"""Typed audit events: one small class per thing that can happen, documented here.

An event says *what* happened to *which* object (type, id, version, old and new values) and
*why*; the trail adds who, when, the request id and the hash chain. Values must never carry a
secret: the names in ``FORBIDDEN_KEYS`` are refused outright.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

FORBIDDEN_KEYS = frozenset(
    {
        "password",
        "password_hash",
        "secret",
        "secret_hash",
        "token",
        "token_hash",
        "api_key",
        "client_secret",
        "private_key",
    }
)


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who did it: a stable id (never reused) and the printed name at the time."""

    id: str
    name: str


SYSTEM = Actor(id="system", name="Gouvernail")


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """Base class. Subclasses set ``action`` and ``object_type`` and document the event."""

    action: ClassVar[str]
    object_type: ClassVar[str]

    object_id: str
    object_version: int | None = None
    old: Mapping[str, Any] = field(default_factory=dict)
    new: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    def __post_init__(self) -> None:
        for values in (self.old, self.new):
            leaked = FORBIDDEN_KEYS.intersection(values)
            if leaked:
                raise ValueError(f"audit values must not carry secrets: {sorted(leaked)}")


def event_types() -> Iterator[type[AuditEvent]]:
    """Every concrete event class, for the documentation and its test."""
    pending = list(AuditEvent.__subclasses__())
    while pending:
        cls = pending.pop(0)
        pending.extend(cls.__subclasses__())
        if "action" in cls.__dict__:
            yield cls


# --- identity ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TeamCreated(AuditEvent):
    """A team (business unit, department or team) was created."""

    action = "team.created"
    object_type = "team"


@dataclass(frozen=True, kw_only=True)
class UserCreated(AuditEvent):
    """A user account was created (locally, by the CLI or on first single sign-on)."""

    action = "user.created"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class UserUpdated(AuditEvent):
    """A user's printed name, e-mail, team or roles changed (never the username)."""

    action = "user.updated"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class UserDeactivated(AuditEvent):
    """A user was deactivated. Users are never deleted, and their id is never reused."""

    action = "user.deactivated"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class UserReactivated(AuditEvent):
    """A deactivated user was reactivated by an administrator."""

    action = "user.reactivated"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(AuditEvent):
    """A password was set or changed (the hash is never recorded)."""

    action = "user.password_changed"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class AccountLocked(AuditEvent):
    """Too many consecutive failed sign-ins locked the account."""

    action = "user.locked"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class AccountUnlocked(AuditEvent):
    """An administrator unlocked a locked account."""

    action = "user.unlocked"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class SignInSucceeded(AuditEvent):
    """A user signed in (password or single sign-on)."""

    action = "auth.sign_in"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class SignInFailed(AuditEvent):
    """A sign-in failed (unknown user, wrong password, locked, expired or inactive account).

    Reported to the security referents."""

    action = "auth.sign_in_failed"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class SignedOut(AuditEvent):
    """A sign-in session ended."""

    action = "auth.sign_out"
    object_type = "user"


@dataclass(frozen=True, kw_only=True)
class AccessDenied(AuditEvent):
    """An authenticated caller was refused an action by the policy, or a bad credential was
    presented. Reported to the security referents."""

    action = "auth.access_denied"
    object_type = "route"


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(AuditEvent):
    """An API key was created (only its prefix is recorded)."""

    action = "api_key.created"
    object_type = "api_key"


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(AuditEvent):
    """An API key was revoked, with the reason."""

    action = "api_key.revoked"
    object_type = "api_key"


# --- charter and signatures ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CharterDrafted(AuditEvent):
    """A charter version was created as a draft."""

    action = "charter.drafted"
    object_type = "charter_version"


@dataclass(frozen=True, kw_only=True)
class CharterRevised(AuditEvent):
    """A draft charter version was edited (its revision number went up)."""

    action = "charter.revised"
    object_type = "charter_version"


@dataclass(frozen=True, kw_only=True)
class CharterActivated(AuditEvent):
    """A charter version was activated and came into force at once (the previous one is
    superseded; its acceptors keep access for the grace period recorded)."""

    action = "charter.activated"
    object_type = "charter_version"


@dataclass(frozen=True, kw_only=True)
class CharterScheduled(AuditEvent):
    """A charter version was activated to come into force at a later date, with its grace
    period."""

    action = "charter.scheduled"
    object_type = "charter_version"


@dataclass(frozen=True, kw_only=True)
class CharterWithdrawn(AuditEvent):
    """A scheduled charter version was withdrawn before coming into force; those told were
    told again."""

    action = "charter.withdrawn"
    object_type = "charter_version"


@dataclass(frozen=True, kw_only=True)
class CharterRolloutNotified(AuditEvent):
    """Active users were told about a charter version (one notification each, at most once
    per user and version); the user ids are listed."""

    action = "charter.told"
    object_type = "charter_version"


@dataclass(frozen=True, kw_only=True)
class RecordSigned(AuditEvent):
    """An electronic signature was applied to one exact version of a record."""

    action = "signature.applied"
    object_type = "signature"


# --- audit trail --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AuditExported(AuditEvent):
    """The audit trail (or a range of it) was exported."""

    action = "audit.exported"
    object_type = "audit_trail"
