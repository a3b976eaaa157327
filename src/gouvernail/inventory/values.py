"""What vendors and models declare: validated, frozen values shared by the API, the inventory
files and the service.

Field rules that need nothing else live here (formats, ranges, enumerations); rules that
relate several fields, the charter or the database live in ``rules.py``. Prices are
``Decimal`` (exact in Python, numbers in JSON).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from gouvernail.charter.rules import Hosting  # one hosting vocabulary: the charter's
from gouvernail.inventory.credentials import credential_problem


class ProviderKind(StrEnum):
    """Which provider adapter of the gateway speaks to the model."""

    OPENAI_COMPATIBLE = "openai_compatible"
    AZURE_OPENAI = "azure_openai"
    ANTHROPIC = "anthropic"


class Capability(StrEnum):
    CHAT = "chat"
    EMBEDDINGS = "embeddings"
    TOOLS = "tools"
    VISION = "vision"
    RESPONSES = "responses"


class ModelStatus(StrEnum):
    """Lifecycle: candidate → approved ⇄ suspended → retired (see ``rules.TRANSITIONS``)."""

    CANDIDATE = "candidate"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class LockIn(StrEnum):
    """How hard leaving the vendor would be (formats, proprietary features, contract terms)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class GuaranteeKind(StrEnum):
    """What a contractual guarantee is about; one guarantee of each kind per vendor."""

    NO_TRAINING = "no_training"
    RETENTION = "retention"
    DATA_RESIDENCY = "data_residency"
    SLA = "sla"
    DPA = "dpa"
    SUB_PROCESSORS = "sub_processors"
    BREACH_NOTIFICATION = "breach_notification"
    AUDIT_RIGHTS = "audit_rights"
    ENCRYPTION = "encryption"
    MODEL_CHANGE_NOTICE = "model_change_notice"
    EXIT_ASSISTANCE = "exit_assistance"


class ReviewOutcome(StrEnum):
    """What a review of a guarantee found in the vendor's current terms."""

    CONFIRMED = "confirmed"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$", max_length=64)]
ModelName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._:-]{1,63}$",
        max_length=64,
        description="The id clients send to the gateway (e.g. mistral-large-eu).",
    ),
]
DataClassName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", max_length=40)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=16, decimal_places=6),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- vendor -------------------------------------------------------------------------------------


class Contact(Value):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field("", max_length=100, description="e.g. account manager, DPO, support")
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class Certification(Value):
    name: str = Field(
        min_length=2, max_length=100, description="e.g. ISO 27001, SOC 2 Type II, HDS, ISO 42001"
    )
    issuer: str = Field("", max_length=200, description="Certification body or auditor.")
    valid_until: date
    reference: str = Field("", max_length=300, description="Certificate number or report.")


class ExitPlan(Value):
    """How to leave the vendor: what is portable, what it would cost, how long it would take."""

    summary: str = Field(min_length=1, max_length=4000)
    data_portability: str = Field("", max_length=2000)
    prompt_portability: str = Field("", max_length=2000)
    switching_cost: Money | None = None
    currency: Currency | None = None
    switching_weeks: int | None = Field(None, ge=0, le=520)


class GuaranteeSpec(Value):
    kind: GuaranteeKind
    promised: str = Field(
        min_length=1, max_length=2000, description="What the contract promises, in its terms."
    )
    document_ref: str = Field(
        "", max_length=300, description="Contract, clause or page (e.g. 'DPA v3 §4.2')."
    )
    review_due: date = Field(description="When someone must check it against current terms.")


class VendorSpec(Value):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166 code of the contracting entity."
    )
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    dpa_signed_on: date | None = Field(
        None, description="Data processing agreement (GDPR Art. 28)."
    )
    certifications: list[Certification] = Field(default_factory=list, max_length=50)
    exit_plan: ExitPlan | None = None
    lock_in: LockIn
    notes: str = Field("", max_length=4000)


# --- model --------------------------------------------------------------------------------------


class Endpoint(Value):
    base_url: str = Field(max_length=500, description="Provider base URL, e.g. https://…/v1.")
    azure_deployment: str | None = Field(None, max_length=200)
    azure_api_version: str | None = Field(None, max_length=40, pattern=r"^[0-9a-z.-]+$")

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials: use credential_ref")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment (keys never go in URLs)")
        return value.rstrip("/")


class PerTokenPricing(Value):
    mode: Literal["per_token"] = "per_token"
    currency: Currency
    input_per_million: Money
    output_per_million: Money


class FlatRatePricing(Value):
    """A subscription: a fixed monthly fee and/or a price per seat, optionally with an included
    token volume beyond which overage prices apply (dedicated capacity, enterprise seats)."""

    mode: Literal["flat_rate"] = "flat_rate"
    currency: Currency
    monthly_fee: Money = Decimal(0)
    per_seat_monthly: Money | None = None
    included_tokens_per_month: int | None = Field(None, ge=1, description="None: unlimited.")
    overage_input_per_million: Money | None = None
    overage_output_per_million: Money | None = None


Pricing = Annotated[PerTokenPricing | FlatRatePricing, Field(discriminator="mode")]


class Infrastructure(Value):
    """What running the model ourselves costs, for the total cost of ownership."""

    currency: Currency
    monthly_cost_per_instance: Money = Field(
        description="GPU server rented or amortised, hosting and power, per instance."
    )
    tokens_per_month_per_instance: int | None = Field(
        None, ge=1, description="Sustained capacity of one instance; None: one instance."
    )
    ops_hours_per_month: float = Field(0, ge=0, le=10_000)
    ops_hourly_rate: Money = Decimal(0)
    setup_cost: Money = Field(Decimal(0), description="One-off cost, spread over amortisation.")
    amortisation_months: int = Field(36, ge=1, le=120)


class Energy(Value):
    wh_per_1k_tokens: float = Field(gt=0, le=1000, description="Energy per 1,000 tokens (Wh).")
    grid_gco2e_per_kwh: float = Field(ge=0, le=2000, description="Carbon intensity of the region.")
    source: str = Field("", max_length=300, description="Where the figures come from.")


class Sla(Value):
    availability_pct: float = Field(gt=0, le=100)
    latency_p95_ms: int | None = Field(None, ge=1)


class ModelCard(Value):
    url: str | None = Field(None, max_length=500, pattern=r"^https?://")
    text: str | None = Field(None, max_length=20_000)
    version: str = Field("", max_length=60)
    published_on: date | None = None


class ModelSpec(Value):
    name: ModelName
    vendor: Slug
    description: str = Field("", max_length=2000)
    provider_kind: ProviderKind
    upstream_model: str = Field(min_length=1, max_length=200, description="The provider's name.")
    endpoint: Endpoint
    credential_ref: str | None = Field(
        None,
        max_length=128,
        description="NAME of the environment variable holding the provider key, never the key.",
    )
    capabilities: list[Capability] = Field(min_length=1, max_length=len(Capability))
    hosting: Hosting
    region: str = Field(min_length=2, max_length=64, description="e.g. francecentral, eu-west-3")
    retention_days: int = Field(ge=0, le=3650, description="0: zero retention.")
    no_training: bool = Field(description="The vendor does not train on our data.")
    max_data_class: DataClassName = Field(description="A data class of the charter in force.")
    pricing: Pricing | None = None
    infrastructure: Infrastructure | None = None
    energy: Energy | None = None
    context_window: int | None = Field(None, ge=1, le=100_000_000)
    sla: Sla | None = None
    model_card: ModelCard | None = None
    fallback_models: list[ModelName] = Field(
        default_factory=list, max_length=10, description="Tried in order if this one fails."
    )

    @field_validator("credential_ref")
    @classmethod
    def _credential(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = credential_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("capabilities", "fallback_models")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        if len(values) != len(set(values)):
            raise ValueError("must not repeat an entry")
        return values
