"""Audit events of alerts (documented in ``docs/audit-events.md``).

Webhook URLs may hold tokens: events carry them redacted (scheme, host and port only); signing
keys and the SMTP password never appear. A check acts as the system (or as whoever ran it)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class AlertRaised(AuditEvent):
    """A check raised an alert: its key, occurrence, kind, subject, level, period, severity,
    title and the figures it fired on, and the channels it will be delivered to."""

    action = "alert.raised"
    object_type = "alert"


@dataclass(frozen=True, kw_only=True)
class AlertResolved(AuditEvent):
    """A check found an open or acknowledged alert no longer true (an error rate back to
    normal, a drift decided, a new month…): old and new status."""

    action = "alert.resolved"
    object_type = "alert"


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(AuditEvent):
    """Someone who manages alerts acknowledged an open alert, with a note (the reason)."""

    action = "alert.acknowledged"
    object_type = "alert"


@dataclass(frozen=True, kw_only=True)
class AlertDelivered(AuditEvent):
    """An alert reached a channel: channel id, name, kind, redacted target, attempt number
    and, for a webhook, the receiver's HTTP status."""

    action = "alert.delivered"
    object_type = "alert"


@dataclass(frozen=True, kw_only=True)
class AlertDeliveryFailed(AuditEvent):
    """An alert could not be delivered to a channel: channel, attempt number, the error, and
    whether it is retried at the next check or abandoned (too many attempts)."""

    action = "alert.delivery_failed"
    object_type = "alert"


@dataclass(frozen=True, kw_only=True)
class AlertRuleChanged(AuditEvent):
    """An alert rule changed (object: its kind): enabled, threshold overrides and channels,
    old and new, and why."""

    action = "alert.rule_changed"
    object_type = "alert_rule"


@dataclass(frozen=True, kw_only=True)
class AlertChannelAdded(AuditEvent):
    """An alert channel was added: name, kind, redacted URL or recipients, whether bodies are
    signed, and why (never the signing key)."""

    action = "alert.channel_added"
    object_type = "alert_channel"


@dataclass(frozen=True, kw_only=True)
class AlertChannelChanged(AuditEvent):
    """An alert channel changed: the fields that changed, old and new (URLs redacted), whether
    a new signing key was generated, and why."""

    action = "alert.channel_changed"
    object_type = "alert_channel"


@dataclass(frozen=True, kw_only=True)
class AlertChannelTested(AuditEvent):
    """A test message was sent to a channel: delivered or not, and the error."""

    action = "alert.channel_tested"
    object_type = "alert_channel"
