"""Request bodies of the API: strict (unknown fields refused) and bounded."""

from __future__ import annotations

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
    roles: list[str] = Field(default_factory=list)
    password: str | None = Field(
        None, max_length=1024, description="Initial password (changed at first sign-in)."
    )


class UserPatch(Reason):
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    team: str | None = None
    roles: list[str] | None = None


class KeyIn(Strict):
    name: str = Field(max_length=200)
    expires_in_days: int | None = Field(None, ge=1, le=3650)
    user_id: int | None = Field(None, description="Owner (admins only); default: you.")


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
    body: str
    rules: dict[str, Any]


class CharterPatch(Reason):
    title: str | None = Field(None, max_length=200)
    body: str | None = None
    rules: dict[str, Any] | None = None


class AcceptIn(Strict):
    password: str | None = Field(None, max_length=1024)
