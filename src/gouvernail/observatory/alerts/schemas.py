"""What the alerts API reads and returns. Input models are strict: unknown fields are refused
with a 422 naming them; what needs the database (a channel, a version) is checked by the
service, with a 4xx naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.observatory.alerts.models import (
    AlertStatus,
    ChannelKind,
    DeliveryStatus,
    RuleKind,
    Severity,
)

EMAIL = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class RuleView(BaseModel):
    kind: RuleKind
    enabled: bool
    thresholds: dict[str, Any] = Field(description="What the rule applies now.")
    overrides: dict[str, Any] = Field(description="The thresholds set on the rule itself.")
    defaults: dict[str, Any] = Field(description="The thresholds the settings give.")
    channels: list[int] = Field(description="Ids of the channels it delivers to.")
    version: int = Field(description="0: never edited.")
    updated_at: datetime | None


class RulePatch(_Strict):
    version: int = Field(description="The version you read; 409 if it changed meanwhile.")
    reason: str = Field(min_length=3, max_length=2000, description="Why (kept in the audit).")
    enabled: bool | None = None
    thresholds: dict[str, Any] | None = Field(
        None,
        description="The rule's overrides, replacing those it had ({}: back to the defaults); "
        "names and limits as in `defaults`.",
    )
    channels: list[int] | None = Field(
        None, max_length=50, description="Ids of the channels it delivers to (replaces the list)."
    )


class ChannelIn(_Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: ChannelKind
    url: str | None = Field(
        None,
        max_length=2000,
        description="Webhook: the http(s) URL it posts to (it may hold a token: it is shown "
        "and audited redacted).",
    )
    recipients: list[str] | None = Field(
        None, max_length=50, description="E-mail: the addresses it writes to."
    )
    signing_key: str | None = Field(
        None,
        min_length=32,
        max_length=200,
        description="Webhook: the HMAC-SHA256 key of the signature header (default: generated "
        "and returned once).",
    )
    reason: str = Field(min_length=3, max_length=2000)


class ChannelPatch(_Strict):
    version: int
    reason: str = Field(min_length=3, max_length=2000)
    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, max_length=2000)
    recipients: list[str] | None = Field(None, max_length=50)
    enabled: bool | None = None
    new_signing_key: bool = Field(
        False, description="Webhook: generate a new signing key (returned once)."
    )


class ChannelView(BaseModel):
    id: int
    name: str
    kind: ChannelKind
    target: str = Field(description="The webhook URL redacted, or the e-mail recipients.")
    recipients: list[str]
    signed: bool = Field(description="Webhook bodies carry an HMAC-SHA256 signature.")
    enabled: bool
    rules: list[RuleKind]
    version: int
    created_at: datetime
    updated_at: datetime


class ChannelSaved(ChannelView):
    signing_key: str | None = Field(
        None, description="Only when a key was generated: keep it, it is not shown again."
    )


class DeliveryView(BaseModel):
    channel_id: int
    channel: str
    status: DeliveryStatus
    attempts: int
    error: str
    last_attempt_at: datetime | None
    delivered_at: datetime | None


class AlertView(BaseModel):
    id: int
    key: str = Field(description="kind:subject:level:period, what deduplicates alerts.")
    occurrence: int
    kind: RuleKind
    subject: str
    level: str
    period: str
    severity: Severity
    status: AlertStatus
    title: str
    text: str
    facts: dict[str, Any] = Field(description="The figures it fired on.")
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    note: str
    resolved_at: datetime | None
    version: int
    deliveries: list[DeliveryView]


class AcknowledgeIn(_Strict):
    note: str = Field(min_length=1, max_length=4000, description="What is being done.")


class CheckReport(BaseModel):
    at: datetime
    raised: list[AlertView] = Field(description="Alerts raised by this check.")
    resolved: list[int] = Field(description="Ids of alerts this check found no longer true.")
    delivered: int
    failed: int
    skipped: dict[str, str] = Field(
        description="Rules not evaluated because their figures could not be read, and why."
    )


class ChannelTest(BaseModel):
    channel_id: int
    delivered: bool
    error: str
