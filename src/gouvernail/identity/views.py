"""What the identity services return: plain, validated values (never ORM objects)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from gouvernail.identity.models import ApiKey, Team, User


class TeamView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    slug: str
    name: str
    kind: str
    parent_id: int | None
    parent_slug: str | None
    created_at: datetime

    @classmethod
    def of(cls, team: Team) -> TeamView:
        return cls(
            id=team.id,
            slug=team.slug,
            name=team.name,
            kind=team.kind,
            parent_id=team.parent_id,
            parent_slug=team.parent.slug if team.parent else None,
            created_at=team.created_at,
        )


class UserView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    display_name: str
    email: str | None
    team_id: int | None
    team_slug: str | None
    level: str | None
    roles: list[str]
    is_active: bool
    deactivated_at: datetime | None
    locked_until: datetime | None
    failed_logins: int
    must_change_password: bool
    password_changed_at: datetime | None
    last_login_at: datetime | None
    sso: bool
    version: int
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            team_id=user.team_id,
            team_slug=user.team.slug if user.team else None,
            level=user.level,
            roles=user.roles,
            is_active=user.is_active,
            deactivated_at=user.deactivated_at,
            locked_until=user.locked_until,
            failed_logins=user.failed_logins,
            must_change_password=user.must_change_password,
            password_changed_at=user.password_changed_at,
            last_login_at=user.last_login_at,
            sso=user.oidc_subject is not None,
            version=user.version,
            created_at=user.created_at,
        )


class ApiKeyView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    prefix: str
    name: str
    user_id: int
    username: str
    use_case_id: int | None
    agent_id: int | None = None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyView:
        return cls(
            id=key.id,
            prefix=key.prefix,
            name=key.name,
            user_id=key.user_id,
            username=key.user.username,
            use_case_id=key.use_case_id,
            agent_id=key.agent_id,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            revoked_reason=key.revoked_reason,
            last_used_at=key.last_used_at,
        )


class CreatedApiKey(BaseModel):
    """A new key: ``secret`` is shown this once and never again."""

    key: ApiKeyView
    secret: str
