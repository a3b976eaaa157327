"""Rows into what the API returns, and alerts into the messages channels receive."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.identity.models import User
from gouvernail.observatory.alerts.delivery import Message, Target, redact
from gouvernail.observatory.alerts.models import (
    Alert,
    AlertChannel,
    AlertDelivery,
    AlertRule,
    AlertRuleChannel,
    AlertStatus,
    ChannelKind,
    DeliveryStatus,
    RuleKind,
    Severity,
)
from gouvernail.observatory.alerts.schemas import AlertView, ChannelView, DeliveryView


def recipients_of(row: AlertChannel) -> list[str]:
    if row.kind != ChannelKind.EMAIL.value:
        return []
    found: list[str] = orjson.loads(row.target)
    return found


def shown_target(row: AlertChannel) -> str:
    if row.kind == ChannelKind.WEBHOOK.value:
        return redact(row.target)
    return ", ".join(recipients_of(row))


def target(row: AlertChannel) -> Target:
    webhook = row.kind == ChannelKind.WEBHOOK.value
    return Target(
        id=row.id,
        name=row.name,
        kind=ChannelKind(row.kind),
        url=row.target if webhook else "",
        recipients=tuple(recipients_of(row)),
        signing_key=row.signing_key,
    )


def channel_view(session: Session, row: AlertChannel) -> ChannelView:
    kinds = session.scalars(
        select(AlertRule.kind)
        .join(AlertRuleChannel, AlertRuleChannel.rule_id == AlertRule.id)
        .where(AlertRuleChannel.channel_id == row.id)
        .order_by(AlertRule.kind)
    )
    return ChannelView(
        id=row.id,
        name=row.name,
        kind=ChannelKind(row.kind),
        target=shown_target(row),
        recipients=recipients_of(row),
        signed=bool(row.signing_key),
        enabled=row.enabled,
        rules=[RuleKind(k) for k in kinds],
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def alert_views(session: Session, rows: list[Alert]) -> list[AlertView]:
    ids = [row.id for row in rows]
    deliveries: dict[int, list[DeliveryView]] = defaultdict(list)
    if ids:
        for delivery, name in session.execute(
            select(AlertDelivery, AlertChannel.name)
            .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
            .where(AlertDelivery.alert_id.in_(ids))
            .order_by(AlertDelivery.id)
        ):
            deliveries[delivery.alert_id].append(
                DeliveryView(
                    channel_id=delivery.channel_id,
                    channel=name,
                    status=DeliveryStatus(delivery.status),
                    attempts=delivery.attempts,
                    error=delivery.error,
                    last_attempt_at=delivery.last_attempt_at,
                    delivered_at=delivery.delivered_at,
                )
            )
    people = {r.acknowledged_by for r in rows if r.acknowledged_by is not None}
    names = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all())
        if people
        else {}
    )
    return [
        AlertView(
            id=row.id,
            key=row.key,
            occurrence=row.occurrence,
            kind=RuleKind(row.kind),
            subject=row.subject,
            level=row.level,
            period=row.period,
            severity=Severity(row.severity),
            status=AlertStatus(row.status),
            title=row.title,
            text=row.text,
            facts=orjson.loads(row.facts),
            raised_at=row.raised_at,
            acknowledged_by=names.get(row.acknowledged_by) if row.acknowledged_by else None,
            acknowledged_at=row.acknowledged_at,
            note=row.note,
            resolved_at=row.resolved_at,
            version=row.version,
            deliveries=deliveries[row.id],
        )
        for row in rows
    ]


def alert_view(session: Session, row: Alert) -> AlertView:
    return alert_views(session, [row])[0]


def message(alert: AlertView, public_url: str, sent_at: datetime) -> Message:
    """The webhook JSON and the e-mail of an alert."""
    link = f"{public_url}/api/v1/alerts/{alert.id}"
    payload: dict[str, Any] = {
        "type": "alert",
        "sent_at": sent_at.isoformat(),
        "alert": {
            "id": alert.id,
            "key": alert.key,
            "occurrence": alert.occurrence,
            "kind": alert.kind.value,
            "subject": alert.subject,
            "level": alert.level,
            "period": alert.period,
            "severity": alert.severity.value,
            "status": alert.status.value,
            "title": alert.title,
            "text": alert.text,
            "facts": alert.facts,
            "raised_at": alert.raised_at.isoformat(),
            "url": link,
        },
    }
    lines = [
        alert.text,
        "",
        f"Severity: {alert.severity.value}",
        f"Raised: {alert.raised_at:%Y-%m-%d %H:%M} UTC",
        f"Alert: {alert.id} ({alert.key})",
        "",
        "Figures:",
        *(f"  {name}: {_shown(value)}" for name, value in alert.facts.items()),
        "",
        f"Acknowledge it: {link} (POST {link}/acknowledge) or `gouvernail alert acknowledge "
        f"{alert.id} --note ...`.",
    ]
    subject = f"[Gouvernail] [{alert.severity.value.upper()}] {alert.title}"
    return Message(payload, subject, "\n".join(lines) + "\n")


def test_message(channel: Target, public_url: str, sent_at: datetime) -> Message:
    text = (
        f"This is a test message from Gouvernail ({public_url}) to the alert channel "
        f"{channel.name}. Nothing is wrong."
    )
    payload = {
        "type": "test",
        "sent_at": sent_at.isoformat(),
        "channel": {"id": channel.id, "name": channel.name},
        "text": text,
    }
    return Message(payload, f"[Gouvernail] Test of the alert channel {channel.name}", text + "\n")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)
