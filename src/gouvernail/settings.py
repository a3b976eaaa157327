"""The one typed settings object.

Every setting is read from a ``GOUVERNAIL_*`` environment variable or from the YAML file named by
``GOUVERNAIL_CONFIG_FILE``; environment variables win. Nothing else in the package reads the
environment: the settings object is built once at start-up and passed in.
"""

from __future__ import annotations

import os
from decimal import Decimal
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


class GatewaySettings(BaseSettings):
    """The OpenAI-compatible gateway (``GOUVERNAIL_GATEWAY__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    inspection: Literal["full", "fast", "off"] = Field(
        "full",
        description="Request inspection: full (every detector, names included), fast (no name "
        "model) or off (no detector; admission, policy, budgets and audit still apply).",
    )
    detectors_files: list[Path] = Field(
        default_factory=list,
        description="Extra detector YAML files (markers, dictionaries, patterns, class mapping) "
        "loaded after the shipped detectors.",
    )
    rules_file: Path | None = Field(
        None,
        description="YAML of the enforcement rules (redact, reroute, block) replacing the "
        "shipped src/gouvernail/gateway/rules.yaml.",
    )
    max_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024, description="Largest request body."
    )
    default_max_tokens: int = Field(
        1024,
        ge=1,
        le=1_000_000,
        description="max_tokens reserved and sent upstream when a request has none.",
    )
    max_tokens_cap: int = Field(
        32768, ge=1, le=10_000_000, description="Largest max_tokens a caller may ask for."
    )
    admission_cache_seconds: float = Field(
        0.5,
        ge=0,
        le=1,
        description="How long a replica reuses what it read about a key (use case, switches, "
        "charter, training): a kill switch or suspension reaches every replica within it.",
    )
    policy_reload_seconds: float = Field(
        2.0,
        ge=0.1,
        le=300,
        description="How often a replica checks for detectors or enforcement rules changed by an "
        "administrator in the portal (they apply at once on the replica that saved them).",
    )
    connect_timeout: float = Field(5.0, gt=0, le=120, description="Upstream connect timeout (s).")
    read_timeout: float = Field(120.0, gt=0, le=3600, description="Upstream read timeout (s).")
    retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx before failing over.")
    backoff_base: float = Field(0.2, ge=0, le=30, description="First retry delay (s), doubled.")
    backoff_max: float = Field(4.0, ge=0, le=120, description="Longest retry delay (s).")
    breaker_failures: int = Field(
        5, ge=1, le=1000, description="Consecutive failures that open a provider's breaker."
    )
    breaker_cooldown: float = Field(
        30.0, ge=0.1, le=3600, description="Seconds an open breaker waits before a trial call."
    )
    fx_to_eur: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "EUR": Decimal(1),
            "USD": Decimal("0.92"),
            "GBP": Decimal("1.17"),
            "CHF": Decimal("1.06"),
        },
        description="Exchange rates to euros of the currencies prices are quoted in.",
    )
    reservation_ttl_seconds: int = Field(
        600, ge=10, le=86400, description="An unsettled budget reservation expires after this."
    )
    user_requests_per_minute: int | None = Field(
        600, ge=1, description="Default per-user request rate (None: no limit)."
    )
    user_tokens_per_minute: int | None = Field(
        None, ge=1, description="Default per-user token rate (None: no limit)."
    )
    user_monthly_budget_eur: Decimal | None = Field(
        None, ge=0, description="Default per-user monthly budget in euros (None: no limit)."
    )
    sandbox_monthly_budget_eur: Decimal = Field(
        Decimal(5), ge=0, le=1000, description="Monthly budget of each personal sandbox."
    )
    sandbox_requests_per_minute: int = Field(
        20, ge=1, le=10000, description="Request rate of each personal sandbox."
    )
    secrets_dir: Path | None = Field(
        None,
        description="Directory of provider keys, one file per credential_ref (mounted secrets); "
        "otherwise the environment variable of that name.",
    )
    unauthenticated_sample_seconds: int = Field(
        60,
        ge=1,
        le=3600,
        description="Refusals of callers without a valid key are counted; one audit record "
        "per client address and period samples them.",
    )
    output_guard_window: int = Field(
        64, ge=16, le=4096, description="Look-behind (characters) of streamed-answer inspection."
    )
    content_purge_minutes: int = Field(
        60, ge=1, le=10080, description="How often stored prompts and answers past retention go."
    )
    high_risk_min_retention_days: int = Field(
        183,
        ge=183,
        le=3650,
        description="Least retention of request logs of high-risk use cases (AI Act Art. 19, "
        "26(6): at least six months).",
    )


class SelfHostedSettings(BaseSettings):
    """Models Gouvernail serves itself under ``/self-hosted/v1``, in OpenAI's format, for the
    gateway to call over loopback like any self-hosted server
    (``GOUVERNAIL_SELF_HOSTED__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    enabled: bool = Field(
        True,
        description="Serve the bundled embedding model at /self-hosted/v1 (loopback callers "
        "only); it loads on first use, or in the background at start-up.",
    )
    embedding_model: str = Field(
        "all-minilm-l6-v2",
        min_length=1,
        max_length=200,
        description="The name the embedding model is served under (the inventory model's "
        "upstream_model).",
    )
    max_batch: int = Field(256, ge=1, le=4096, description="Most inputs in one request.")
    max_input_chars: int = Field(
        20000,
        ge=1,
        le=1_000_000,
        description="Longest input in characters (the model reads its first 256 tokens).",
    )
    threads: int = Field(
        0, ge=0, le=256, description="CPU threads torch uses (0: torch's default, one per core)."
    )


class InsightSettings(BaseSettings):
    """Governed answers from internal documents (``GOUVERNAIL_INSIGHT__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    max_document_bytes: int = Field(
        50 * 2**20,
        ge=1024,
        le=2**31,
        description="Largest file a sync reads; larger ones are reported as too large.",
    )
    parse_timeout_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Longest a document may take to parse (in a worker "
        "process that is killed past it).",
    )
    parse_workers: int = Field(1, ge=1, le=32, description="Parsing worker processes.")
    chunk_chars: int = Field(800, ge=200, le=8000, description="Target length of a passage.")
    chunk_overlap: int = Field(100, ge=0, le=2000, description="Overlap between passages.")
    embedding_batch: int = Field(
        32, ge=1, le=2048, description="Passages per embedding call through the gateway."
    )
    candidates: int = Field(
        50,
        ge=5,
        le=1000,
        description="Chunks each retriever (full text, vectors) proposes before fusion.",
    )
    passages: int = Field(
        6, ge=1, le=50, description="Passages given to the model (and cited) per answer."
    )
    rrf_k: int = Field(60, ge=1, le=1000, description="Reciprocal rank fusion's constant.")
    min_similarity: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="Below this cosine similarity of the best passage and "
        "with no full-text match, the evidence is missing: the answer abstains.",
    )
    sync_lease_seconds: int = Field(
        900,
        ge=10,
        le=86400,
        description="A sync that has not reported for this long is "
        "considered crashed: another may take over and resume from its cursor.",
    )


class JobSettings(BaseSettings):
    """Jobs: imports, runs, purges on demand or on schedules (``GOUVERNAIL_JOBS__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    embedded_worker: bool = Field(
        True,
        description="The server runs a worker in its own process (turn off when dedicated "
        "`gouvernail jobs worker` processes run them).",
    )
    worker_concurrency: int = Field(2, ge=1, le=64, description="Jobs a worker runs at once.")
    poll_seconds: float = Field(
        2.0, ge=0.05, le=3600, description="How often an idle worker looks for due work."
    )
    lease_seconds: int = Field(
        60,
        ge=1,
        le=86400,
        description="A running job whose worker has not renewed its lease for this long is "
        "taken over by another (its worker is renewing every third of it).",
    )
    retry_base_seconds: int = Field(
        30, ge=0, le=86400, description="A failed attempt is retried after this, doubled each time."
    )


class AgentSettings(BaseSettings):
    """The tool gateway of agents (``GOUVERNAIL_AGENTS__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    tool_timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="How long a tool call may take on its MCP server."
    )
    max_tool_result_chars: int = Field(
        200_000,
        ge=1000,
        le=50_000_000,
        description="A longer tool result is refused (the agent is told to ask for less).",
    )
    approval_hours: int = Field(
        72, ge=1, le=24 * 90, description="A pending approval expires after this."
    )


class ShadowSettings(BaseSettings):
    """Shadow-AI discovery from web-proxy logs (``GOUVERNAIL_SHADOW__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    segment_mb: int = Field(
        64, ge=4, le=4096, description="A log is imported (and resumed) by segments of this size."
    )
    max_line_kb: int = Field(
        1024, ge=1, le=1024, description="Longer lines are cut out and counted as malformed."
    )
    duckdb_memory_mb: int = Field(1024, ge=128, le=1 << 20, description="DuckDB's memory limit.")
    duckdb_threads: int = Field(2, ge=1, le=256, description="DuckDB's threads.")
    lease_seconds: int = Field(
        60,
        ge=5,
        le=86400,
        description="An import silent for this long (its importer crashed) may be taken over.",
    )
    gateway_identities: list[str] = Field(
        default_factory=list,
        description="Proxy identities of the gateway's own outbound calls: their calls to model "
        "APIs are not bypasses.",
    )
    upload_alert_mb: int = Field(
        10,
        ge=1,
        le=1 << 20,
        description="Uploads by one person to one unsanctioned service past this are findings.",
    )
    upload_max_mb: int = Field(
        2048, ge=1, le=1 << 20, description="Largest log file accepted over the API."
    )


class LicenceSettings(BaseSettings):
    """Licences and AI tools used outside the gateway (``GOUVERNAIL_LICENCES__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    reclaim_after_days: int = Field(
        60,
        ge=30,
        le=3650,
        description="A seat assigned and inactive this long is recommended for reclaim.",
    )
    upload_max_mb: int = Field(
        512, ge=1, le=1 << 16, description="Largest export accepted over the API."
    )


class ValueSettings(BaseSettings):
    """Value and ROI of use cases (``GOUVERNAIL_VALUE__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    loaded_hourly_cost_eur: float = Field(
        65.0,
        gt=0,
        le=10_000,
        description="Loaded cost of an hour of work (salary, charges, overheads) used when a "
        "use case's value model gives none; the report labels which one it used.",
    )


class SobrietySettings(BaseSettings):
    """Sobriety hints of the environmental report (``GOUVERNAIL_SOBRIETY__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    short_prompt_tokens: int = Field(
        200, ge=1, le=1_000_000, description="A prompt of at most this many tokens is short."
    )
    short_answer_tokens: int = Field(
        200, ge=1, le=1_000_000, description="An answer of at most this many tokens is short."
    )
    max_energy_ratio: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="An approved model is suggested when short calls would have used at most "
        "this share of the energy on it.",
    )


class CanarySettings(BaseSettings):
    """Canaries for silent vendor changes (``GOUVERNAIL_CANARIES__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    alpha: float = Field(
        0.05, gt=0, lt=0.5, description="Significance level after Holm's correction."
    )
    similarity_drop: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Smallest mean drop of answer similarity to the baseline that matters.",
    )
    length_change: float = Field(
        0.3,
        gt=0,
        le=10,
        description="Smallest relative change of the median answer length that matters "
        "(0.3: 30 % longer, or shorter by the inverse ratio).",
    )
    latency_ratio: float = Field(
        1.5,
        gt=1,
        le=100,
        description="Smallest ratio of median latencies (slower or faster) that matters.",
    )
    latency_min_ms: float = Field(
        250, ge=0, le=600_000, description="Smallest change of the median latency that matters."
    )
    concurrency: int = Field(4, ge=1, le=64, description="Canary calls sent together.")
    stale_after_minutes: int = Field(
        60,
        ge=1,
        le=10_080,
        description="A run still running after this long was interrupted: it is closed as "
        "incomplete and another may start.",
    )


class EvaluationSettings(BaseSettings):
    """Evaluation suites and the promotion gate (``GOUVERNAIL_EVALUATIONS__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    max_regression_points: float = Field(
        5.0,
        ge=0,
        le=100,
        description="The gate refuses a prompt version or model whose pass rate drops by more "
        "than this (percentage points) against the one in production.",
    )
    require_suite_for_production: bool = Field(
        False,
        description="A prompt version goes to production only in a use case with an evaluation "
        "suite (its run not regressing); off: use cases without a suite are not held back.",
    )
    max_file_mb: int = Field(5, ge=1, le=200, description="Largest dataset file imported.")
    max_cases: int = Field(2000, ge=1, le=100_000, description="Most cases in a dataset.")
    concurrency: int = Field(4, ge=1, le=64, description="Cases of a run sent together.")
    max_tokens: int = Field(800, ge=1, le=32_000, description="Answer length asked of a target.")
    regex_timeout_seconds: float = Field(
        1.0, gt=0, le=60, description="A regex assertion searching longer is an error."
    )
    lease_seconds: int = Field(
        300,
        ge=10,
        le=86_400,
        description="A running run silent this long was interrupted: it may be executed again.",
    )


class AlertSettings(BaseSettings):
    """Alerts: how often they are checked, the default thresholds of each rule (a rule's
    overrides, edited through the API or `gouvernail alert rule`, win), and the webhook and
    SMTP delivery (``GOUVERNAIL_ALERTS__<NAME>``)."""

    model_config = SettingsConfigDict(extra="forbid")

    check_minutes: int = Field(
        5, ge=1, le=1440, description="How often the housekeeping schedule checks the alerts."
    )
    error_rate_worsening: bool = Field(
        True,
        description="Alert when a short-term (7-day) error rate is significantly above the "
        "long-term (90-day) one (the feedback report's `worsening`).",
    )
    error_rate_max: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Alert when a 7-day error rate (flagged / judged answers) is above this "
        "(None: only worsening).",
    )
    error_rate_min_rated: int = Field(
        10, ge=1, le=1_000_000, description="Judged answers needed before error_rate_max applies."
    )
    error_rate_groupings: list[Literal["use_case", "model", "prompt_version"]] = Field(
        default_factory=lambda: ["use_case", "model"],  # type: ignore[arg-type]
        description="Error rates watched: per use case, model and/or prompt version.",
    )
    budget_levels: list[int] = Field(
        default_factory=lambda: [80, 100],
        description="Percentages of a monthly budget whose crossing raises an alert (once per "
        "month each).",
    )
    sla_days: int = Field(
        1, ge=1, le=90, description="Window of the provider SLA measure, in days back from now."
    )
    sla_min_calls: int = Field(
        20, ge=1, le=1_000_000, description="Calls of a model in the window before its SLA counts."
    )
    drift_days: int = Field(
        30, ge=1, le=365, description="Open canary drifts detected in these last days alert."
    )
    shadow_factor: float = Field(
        3.0,
        gt=1,
        le=1000,
        description="A shadow-AI service spikes when its requests (or people) on the latest "
        "day of the logs exceed this many times its trailing median.",
    )
    shadow_window_days: int = Field(
        14, ge=2, le=90, description="Days of logs before the latest one the median is taken on."
    )
    shadow_min_days: int = Field(
        3, ge=1, le=90, description="Days of logs the window must hold before spikes are judged."
    )
    shadow_min_requests: int = Field(
        20, ge=1, le=10_000_000, description="Fewer requests on the latest day are never a spike."
    )
    shadow_min_people: int = Field(
        3, ge=1, le=1_000_000, description="Fewer people on the latest day are never a spike."
    )
    shadow_direct_api: bool = Field(
        True,
        description="Alert on each new critical finding: someone calling a model API directly, "
        "bypassing the gateway.",
    )
    webhook_timeout_seconds: float = Field(
        5.0, gt=0, le=120, description="Time allowed to a webhook receiver to answer."
    )
    webhook_retries: int = Field(
        2, ge=0, le=10, description="Retries of a webhook after a 5xx answer or a timeout."
    )
    webhook_backoff_seconds: float = Field(
        0.5, ge=0, le=60, description="Wait before the first retry, doubled at each retry."
    )
    max_delivery_attempts: int = Field(
        30,
        ge=1,
        le=10_000,
        description="A delivery failing at this many checks is abandoned (the alert stays).",
    )
    smtp_host: str = Field("", description="SMTP server of e-mail alerts (empty: no e-mail).")
    smtp_port: int = Field(587, ge=1, le=65535, description="Its port.")
    smtp_user: str = Field("", description="User to log in as (empty: no login).")
    smtp_password: SecretStr = Field(SecretStr(""), description="Its password (never logged).")
    smtp_from: str = Field("gouvernail@localhost", description="Sender address of alert e-mails.")
    smtp_starttls: bool = Field(True, description="Upgrade the connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Time allowed to the SMTP server."
    )

    @field_validator("budget_levels")
    @classmethod
    def _levels(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= level <= 1000 for level in value):
            raise ValueError("budget_levels: give percentages between 1 and 1000")
        return sorted(set(value))


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
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    self_hosted: SelfHostedSettings = Field(default_factory=SelfHostedSettings)
    insight: InsightSettings = Field(default_factory=InsightSettings)
    shadow: ShadowSettings = Field(default_factory=ShadowSettings)
    licences: LicenceSettings = Field(default_factory=LicenceSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    value: ValueSettings = Field(default_factory=ValueSettings)
    sobriety: SobrietySettings = Field(default_factory=SobrietySettings)
    canaries: CanarySettings = Field(default_factory=CanarySettings)
    evaluations: EvaluationSettings = Field(default_factory=EvaluationSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    agents: AgentSettings = Field(default_factory=AgentSettings)

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

    def provider_secret(self, name: str) -> SecretStr | None:
        """The provider key a model's ``credential_ref`` names: the file of that name in
        ``gateway.secrets_dir`` if there is one, else the environment variable. Read when asked,
        so a rotated key is picked up; never logged."""
        directory = self.gateway.secrets_dir
        if directory is not None:
            path = directory / name
            if path.is_file():
                return SecretStr(path.read_text(encoding="utf-8").strip())
        value = os.environ.get(name)
        return SecretStr(value) if value else None

    def masked(self) -> dict[str, Any]:
        """The settings as a dict, secrets masked, for logs and `gouvernail config`."""
        return self.model_dump(mode="json")  # SecretStr dumps as '**********'
