"""The deliveries waiting to be sent: claimed with a lease (so that two workers checking at the
same time never send the same one), and their outcome recorded with its audit event. A failed
delivery is due again at once, so the next check retries it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.engine import Database
from gouvernail.observatory.alerts import events as ev
from gouvernail.observatory.alerts import views
from gouvernail.observatory.alerts.delivery import Message, Target, redact
from gouvernail.observatory.alerts.models import (
    Alert,
    AlertChannel,
    AlertDelivery,
    ChannelKind,
    DeliveryStatus,
)

LEASE = timedelta(minutes=10)
"""A claimed delivery another check may take over after this (its sender died)."""


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    alert_id: int
    target: Target
    message: Message

    @property
    def delivery(self) -> str:
        """What the receiver may deduplicate on."""
        return f"{self.alert_id}:{self.delivery_id}"


def claim(database: Database, now: datetime, public_url: str) -> list[Claimed]:
    """Deliveries due (pending, or failed at an earlier check) to enabled channels, leased to
    the caller."""
    with database.write() as session:
        rows = session.execute(
            select(AlertDelivery, AlertChannel)
            .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
            .where(
                AlertDelivery.status.in_(
                    [DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value]
                ),
                AlertDelivery.due_at <= now,
                AlertChannel.enabled.is_(True),
            )
            .order_by(AlertDelivery.id)
            .with_for_update(skip_locked=True, of=AlertDelivery)
        ).all()
        if not rows:
            return []
        wanted = {delivery.alert_id for delivery, _ in rows}
        alerts = {
            a.id: a
            for a in views.alert_views(
                session, list(session.scalars(select(Alert).where(Alert.id.in_(wanted))))
            )
        }
        claimed = []
        for delivery, channel in rows:
            delivery.due_at = now + LEASE
            claimed.append(
                Claimed(
                    delivery.id,
                    delivery.alert_id,
                    views.target(channel),
                    views.message(alerts[delivery.alert_id], public_url, now),
                )
            )
    return claimed


def record(
    trail: AuditTrail,
    ctx: AuditContext,
    claimed: Claimed,
    now: datetime,
    *,
    result: str,
    error: str,
    max_attempts: int,
) -> None:
    """The outcome of one attempt: delivered, or failed (due again at once; abandoned after
    ``max_attempts``)."""

    def work(tx: Tx) -> None:
        row = tx.session.get(AlertDelivery, claimed.delivery_id)
        assert row is not None
        row.attempts += 1
        row.last_attempt_at = now
        target = claimed.target
        facts = {
            "channel_id": target.id,
            "channel": target.name,
            "channel_kind": target.kind.value,
            "target": (
                redact(target.url)
                if target.kind is ChannelKind.WEBHOOK
                else ", ".join(target.recipients)
            ),
            "attempt": row.attempts,
        }
        if not error:
            row.status, row.delivered_at, row.error = DeliveryStatus.DELIVERED.value, now, ""
            tx.emit(
                ev.AlertDelivered(object_id=str(claimed.alert_id), new=facts | {"result": result})
            )
            return
        abandoned = row.attempts >= max_attempts
        row.status = (DeliveryStatus.ABANDONED if abandoned else DeliveryStatus.FAILED).value
        row.error = error
        row.due_at = now  # retried at the next check
        tx.emit(
            ev.AlertDeliveryFailed(
                object_id=str(claimed.alert_id),
                new=facts | {"error": error, "retried": not abandoned},
            )
        )

    trail.run(ctx, work)
