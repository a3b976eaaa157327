"""The one typed settings object.

Every setting is read from a ``GOUVERNAIL_*`` environment variable or from the YAML file named by
``GOUVERNAIL_CONFIG_FILE``; environment variables win. Nothing else in the package reads the
environment: the settings object is built once at start-up and passed in.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from gouvernail.registry.portfolio import Weights

DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - the documented default that prod refuses


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class OidcSettings(BaseSettings):
    """OpenID Connect single sign-on (disabled when ``issuer`` is empty)."""

    model_config = SettingsConfigDict(extra="forbid")

    issuer: str = Field(
        "", description="Issuer URL; its /.well-known/openid-configuration is read."
    )
    client_id: str = Field("", description="Client id registered at the provider.")
    client_secret: SecretStr = Field(SecretStr(""), description="Client secret.")
    scopes: str = Field("openid email profile", description="Scopes asked for.")
    provision_users: bool = Field(
        True, description="Create a local user (role employee) on first sign-on."
    )
    display_name: str = Field("Single sign-on", description="Label of the sign-on button.")

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)


class Settings(BaseSettings):
    """Gouvernail settings. Environment variables: ``GOUVERNAIL_<NAME>`` (nested: ``__``)."""

    model_config = SettingsConfigDict(
        env_prefix="GOUVERNAIL_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    env: Environment = Field(Environment.DEV, description="dev, test or prod.")
    data_dir: Path = Field(Path("var"), description="Where the embedded database and keys live.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at <data_dir>/gouvernail.db."
    )
    redis_url: str = Field(
        "", description="Redis URL for shared counters; empty means in-process counters."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET_KEY), description="Signs session cookies; required outside dev."
    )
    host: str = Field("127.0.0.1", description="Address the server binds.")
    port: int = Field(8080, ge=1, le=65535, description="Port the server binds.")
    public_url: str = Field(
        "", description="External base URL (for SSO redirects); empty means http://host:port."
    )
    log_level: str = Field("INFO", description="Log level of the JSON logs.")
    log_json: bool = Field(True, description="JSON logs (false: human-readable console logs).")

    # Audit trail
    audit_signing_key_file: Path | None = Field(
        None,
        description="Ed25519 private key (PEM) signing audit checkpoints; "
        "dev generates <data_dir>/audit-signing-key.pem.",
    )
    audit_checkpoint_interval: int = Field(
        1000, ge=1, description="Sign a checkpoint every N audit records."
    )
    audit_batch_max: int = Field(
        512, ge=1, le=10000, description="Most audit writes committed in one transaction."
    )

    # Account controls (21 CFR Part 11)
    password_min_length: int = Field(12, ge=8, le=256, description="Minimum password length.")
    password_max_age_days: int = Field(
        90, ge=0, description="Password ageing: days before a change is required (0: never)."
    )
    password_hash_memory_kib: int = Field(
        65536, ge=64, description="argon2id memory cost in KiB (prod: at least 19456, OWASP)."
    )
    password_hash_time_cost: int = Field(
        3, ge=1, le=20, description="argon2id iterations (prod: at least 2, OWASP)."
    )
    lockout_threshold: int = Field(
        5, ge=1, description="Consecutive failed sign-ins that lock an account."
    )
    lockout_minutes: int = Field(
        15, ge=0, description="How long a lockout lasts (0: until an admin unlocks)."
    )
    login_rate_per_minute: int = Field(
        20, ge=1, description="Sign-in attempts allowed per client address and minute."
    )
    session_hours: int = Field(8, ge=1, le=720, description="Lifetime of a sign-in session.")
    signature_reauth_seconds: int = Field(
        300, ge=30, description="How recent an SSO re-authentication must be to sign."
    )
    api_key_default_days: int = Field(
        90, ge=1, le=3650, description="Default lifetime of a new API key."
    )

    # Charter roll-out and AI literacy
    charter_grace_days: int = Field(
        30,
        ge=0,
        le=365,
        description="Default grace period of a new charter version for users who accepted "
        "the previous one.",
    )
    literacy_self_declaration: bool = Field(
        False, description="May employees declare their own training completions?"
    )
    literacy_expiry_warning_days: int = Field(
        30, ge=0, le=365, description="Trainings ending within this many days are 'expiring'."
    )

    approval_workflows_file: Path | None = Field(
        None,
        description="YAML of the approval workflows by risk tier (default: the shipped ones).",
    )
    portfolio_weights: Weights = Field(
        default_factory=Weights,
        description="Weights of value, feasibility and risk in the portfolio priority score.",
    )
    duplicate_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Similarity from which intake suggests an existing use case "
        "(default: the threshold calibrated on the paraphrase benchmark).",
    )

    committee_quorum: str = Field(
        "majority",
        pattern=r"^(majority|two_thirds|all|[1-9][0-9]{0,3})$",
        description="Voting members present for a committee meeting to be held: majority "
        "(more than half), two_thirds, all, or a number.",
    )

    risk_library_file: Path | None = Field(
        None,
        description="YAML library of common AI risks replacing the shipped one "
        "(same shape as src/gouvernail/risk/library.yaml).",
    )
    risk_acceptance_max_level: Literal["low", "medium", "high", "critical"] = Field(
        "medium",
        description="Highest residual risk level that may be accepted (status accepted).",
    )

    ai_act_rules_dir: Path | None = Field(
        None,
        description="Directory of extra EU AI Act rule-set YAML files (corrections or new "
        "versions) loaded after the shipped ones; see docs/ai-act.md.",
    )

    validation_junit_file: Path | None = Field(
        None,
        description="JUnit XML of the test run of the installed version, the evidence of the "
        "validation pack (default: <data_dir>/junit.xml, which `make unit` writes).",
    )
    validation_requirements_file: Path | None = Field(
        None,
        description="The platform requirements traced by the validation pack (default: "
        "docs/requirements.yaml of the source tree).",
    )

    oidc: OidcSettings = Field(default_factory=OidcSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("GOUVERNAIL_CONFIG_FILE")
        if config_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @model_validator(mode="after")
    def _secure_outside_dev(self) -> Settings:
        if self.env is Environment.PROD:
            problems = []
            if self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
                problems.append("GOUVERNAIL_SECRET_KEY is the default")
            elif len(self.secret_key.get_secret_value()) < 32:
                problems.append("GOUVERNAIL_SECRET_KEY is shorter than 32 characters")
            if self.audit_signing_key_file is None:
                problems.append("GOUVERNAIL_AUDIT_SIGNING_KEY_FILE is not set")
            if self.password_hash_memory_kib < 19456 or self.password_hash_time_cost < 2:
                problems.append("the argon2id cost is below the OWASP minimum (19456 KiB, 2)")
            if problems:
                raise ValueError(
                    "refusing to start in prod with default secrets: " + "; ".join(problems)
                )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'gouvernail.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "audit-signing-key.pem"

    def masked(self) -> dict[str, Any]:
        """The settings as a dict, secrets masked, for logs and `gouvernail config`."""
        return self.model_dump(mode="json")  # SecretStr dumps as '**********'
