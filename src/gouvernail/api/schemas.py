"""Request bodies of the API: strict (unknown fields refused) and bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=100_000)


class Reason(Strict):
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit).")


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChangeIn(Strict):
    username: str = Field(min_length=1, max_length=200)
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PasswordSetIn(Reason):
    password: str = Field(min_length=1, max_length=1024)


class TeamIn(Strict):
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field("department", description="business_unit, department or team")
    parent: str | None = Field(None, description="Slug of the parent team.")


class UserIn(Strict):
    username: str = Field(max_length=64)
    display_name: str = Field(max_length=200, description="Printed name used in signatures.")
    email: str | None = Field(None, max_length=320)
    team: str | None = Field(None, description="Team slug.")
    level: str | None = Field(None, description="executive, manager or staff.")
    roles: list[str] = Field(default_factory=list)
    password: str | None = Field(
        None, max_length=1024, description="Initial password (changed at first sign-in)."
    )


class UserPatch(Reason):
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    team: str | None = None
    level: str | None = Field(None, description="executive, manager, staff, or '' to clear.")
    roles: list[str] | None = None


class KeyIn(Strict):
    name: str = Field(max_length=200)
    expires_in_days: int | None = Field(None, ge=1, le=3650)
    user_id: int | None = Field(None, description="Owner (admins only); default: you.")
    use_case_id: int | None = Field(
        None, description="Bind the key to a use case; its owner must be a member of it."
    )


class SignIn(Strict):
    object_type: str = Field(max_length=60)
    object_id: str = Field(max_length=64)
    meaning: str = Field(description="authored, reviewed, approved, rejected or accepted")
    reason: str = Field("", max_length=2000)
    password: str | None = Field(
        None,
        max_length=1024,
        description="Your password; SSO users re-authenticate instead (GET /auth/oidc/reauth).",
    )
    version: int | None = Field(None, description="The version you reviewed (refused if stale).")


class CharterIn(Strict):
    number: str = Field(max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(
        max_length=1_000_000,  # the service refuses past 100,000 characters, naming the field
        description="The charter's text, Markdown (at most 100,000 characters).",
    )
    rules: dict[str, Any]


class CharterPatch(Reason):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=1_000_000, description="Markdown.")
    rules: dict[str, Any] | None = None


class ActivateIn(Reason):
    effective_at: datetime | None = Field(
        None, description="When it comes into force (with a time zone); default: now."
    )
    grace_days: int | None = Field(
        None,
        ge=0,
        le=365,
        description="Days users who accepted the previous version keep access; default: "
        "the charter_grace_days setting.",
    )


class AcceptIn(Strict):
    password: str | None = Field(None, max_length=1024)
    version_id: int | None = Field(
        None, description="The version accepted; default: the newest activated one."
    )


class CompletionIn(Strict):
    user_id: int = Field(description="Who completed the module.")
    module: str = Field(max_length=64, description="Module code.")
    completed_at: datetime | None = Field(
        None, description="When (a date is midnight UTC); default: now."
    )
    score: float | None = Field(None, ge=0, le=100)
    evidence: str | None = Field(
        None, max_length=500, description="Certificate id or where the proof is kept."
    )


class DeclareIn(Strict):
    module: str = Field(max_length=64, description="Module code.")
    completed_at: datetime | None = Field(None, description="When; default: now.")
    score: float | None = Field(None, ge=0, le=100)
    evidence: str | None = Field(None, max_length=500)
