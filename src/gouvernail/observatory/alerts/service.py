"""Alerts: rules and channels (edited, audited), the check that raises, resolves and delivers
alerts, and acknowledgements.

A check (``Alerts.check``) reads each enabled rule's figures from the services that own them
(``sources.py``), turns them into firings (``firing.py``, ``spikes.py``) and, in one unit of
work of the audit trail, raises what is new (deduplicated by key: ``firing.py``), resolves
what no longer holds for the rules it could evaluate, and queues a delivery per channel of the
rule. Deliveries are then claimed (a lease, so two workers never send the same one), sent
outside any transaction, and their outcome recorded: a failed one is retried at the next check,
so an alert is never lost because a channel was down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit.events import SYSTEM
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.observatory.alerts import editing, firing, outbox, spikes, views
from gouvernail.observatory.alerts import events as ev
from gouvernail.observatory.alerts.delivery import DeliveryError, Sender
from gouvernail.observatory.alerts.firing import Firing
from gouvernail.observatory.alerts.models import (
    Alert,
    AlertChannel,
    AlertDelivery,
    AlertRule,
    AlertRuleChannel,
    AlertStatus,
    DeliveryStatus,
    RuleKind,
)
from gouvernail.observatory.alerts.rules import (
    BudgetThresholds,
    DriftThresholds,
    ErrorRateThresholds,
    ShadowThresholds,
    SlaThresholds,
    Thresholds,
    defaults,
    effective,
)
from gouvernail.observatory.alerts.schemas import (
    AlertView,
    ChannelIn,
    ChannelPatch,
    ChannelSaved,
    ChannelTest,
    ChannelView,
    CheckReport,
    RulePatch,
    RuleView,
)
from gouvernail.observatory.alerts.sources import Sources
from gouvernail.settings import AlertSettings

log = logging.getLogger(__name__)
CHECK = AuditContext(SYSTEM, "alerts-check")


@dataclass(frozen=True)
class _Rule:
    id: int | None
    enabled: bool
    thresholds: Thresholds


class Alerts:
    """The alerts service (``runtime.alerts``); ``now`` is the clock (tests move it)."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        settings: AlertSettings,
        sources: Sources,
        *,
        public_url: str,
        sender: Sender | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings
        self.sources = sources
        self.public_url = public_url.rstrip("/")
        self.sender = sender or Sender(settings)
        self.now = now

    # --- rules -----------------------------------------------------------------------------------

    def rules(self) -> list[RuleView]:
        with self.database.read() as session:
            rows = {r.kind: r for r in session.scalars(select(AlertRule))}
            views_ = []
            for kind in RuleKind:
                row = rows.get(kind.value)
                overrides = orjson.loads(row.thresholds) if row else {}
                views_.append(
                    RuleView(
                        kind=kind,
                        enabled=row.enabled if row else True,
                        thresholds=effective(kind, self.settings, overrides).model_dump(
                            mode="json"
                        ),
                        overrides=overrides,
                        defaults=defaults(kind, self.settings),
                        channels=editing.rule_channels(session, row.id) if row else [],
                        version=row.version if row else 0,
                        updated_at=row.updated_at if row else None,
                    )
                )
        return views_

    def rule(self, kind: RuleKind) -> RuleView:
        return next(r for r in self.rules() if r.kind is kind)

    def change_rule(self, ctx: AuditContext, kind: RuleKind, patch: RulePatch) -> RuleView:
        """Enable or disable a rule, replace its threshold overrides or its channels."""
        self.trail.run(ctx, lambda tx: editing.change_rule(tx, self.settings, kind, patch))
        return self.rule(kind)

    # --- channels --------------------------------------------------------------------------------

    def channels(self) -> list[ChannelView]:
        with self.database.read() as session:
            rows = session.scalars(select(AlertChannel).order_by(AlertChannel.id)).all()
            return [views.channel_view(session, row) for row in rows]

    def add_channel(self, ctx: AuditContext, body: ChannelIn) -> ChannelSaved:
        def work(tx: Tx) -> ChannelSaved:
            row, key = editing.add_channel(tx, body)
            return self._saved(tx, row, key)

        return self.trail.run(ctx, work)

    def change_channel(
        self, ctx: AuditContext, channel_id: int, patch: ChannelPatch
    ) -> ChannelSaved:
        def work(tx: Tx) -> ChannelSaved:
            row, key = editing.change_channel(tx, channel_id, patch)
            return self._saved(tx, row, key)

        return self.trail.run(ctx, work)

    @staticmethod
    def _saved(tx: Tx, row: AlertChannel, key: str | None) -> ChannelSaved:
        view = views.channel_view(tx.session, row)
        return ChannelSaved(**view.model_dump(), signing_key=key)

    def test_channel(self, ctx: AuditContext, channel_id: int) -> ChannelTest:
        """Send a test message to a channel now (disabled ones too: that is how they are
        checked before being enabled)."""
        with self.database.read() as session:
            row = session.get(AlertChannel, channel_id)
            if row is None:
                raise NotFoundError(f"no alert channel {channel_id}")
            target = views.target(row)
            shown = views.shown_target(row)
        now = self.now()
        error, result = "", ""
        try:
            result = self.sender.send(
                target,
                views.test_message(target, self.public_url, now),
                f"test:{channel_id}:{int(now.timestamp())}",
            )
        except DeliveryError as failure:
            error = failure.message
        self.trail.record(
            ctx,
            ev.AlertChannelTested(
                object_id=str(channel_id),
                new={
                    "channel": target.name,
                    "kind": target.kind.value,
                    "target": shown,
                    "delivered": not error,
                    "result": result,
                    "error": error,
                },
            ),
        )
        return ChannelTest(channel_id=channel_id, delivered=not error, error=error)

    # --- alerts ----------------------------------------------------------------------------------

    def find(
        self,
        status: AlertStatus | None = None,
        kind: RuleKind | None = None,
        limit: int = 200,
    ) -> list[AlertView]:
        """Alerts, newest first."""
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Alert.status == status.value)
        if kind is not None:
            query = query.where(Alert.kind == kind.value)
        with self.database.read() as session:
            return views.alert_views(session, list(session.scalars(query)))

    def get(self, alert_id: int) -> AlertView:
        with self.database.read() as session:
            row = session.get(Alert, alert_id)
            if row is None:
                raise NotFoundError(f"no alert {alert_id}")
            return views.alert_view(session, row)

    def acknowledge(
        self, ctx: AuditContext, user_id: int | None, alert_id: int, note: str
    ) -> AlertView:
        """Someone is on it: an open alert becomes acknowledged (it still resolves by itself)."""
        note = note.strip()
        if not note:
            raise GouvernailError("say what is being done about the alert", field="note")

        def work(tx: Tx) -> AlertView:
            row = tx.session.get(Alert, alert_id)
            if row is None:
                raise NotFoundError(f"no alert {alert_id}")
            if row.status != AlertStatus.OPEN.value:
                raise ConflictError(
                    f"alert {alert_id} is {row.status}: only an open alert is acknowledged",
                    field="status",
                )
            row.status = AlertStatus.ACKNOWLEDGED.value
            row.acknowledged_by, row.acknowledged_at = user_id, self.now()
            row.note = note
            row.version += 1
            tx.session.flush()
            tx.emit(
                ev.AlertAcknowledged(
                    object_id=str(row.id),
                    object_version=row.version,
                    old={"status": AlertStatus.OPEN.value},
                    new={"status": row.status, "key": row.key},
                    reason=note,
                )
            )
            return views.alert_view(tx.session, row)

        return self.trail.run(ctx, work)

    # --- the check -------------------------------------------------------------------------------

    def check(self, now: datetime | None = None, ctx: AuditContext = CHECK) -> list[AlertView]:
        """Evaluate every enabled rule now; the alerts raised by this check."""
        return self.run_check(now, ctx).raised

    def run_check(self, now: datetime | None = None, ctx: AuditContext = CHECK) -> CheckReport:
        """Raise, resolve and deliver; what happened."""
        now = now or self.now()
        rules = self._rule_states()
        firings: list[Firing] = []
        evaluated: set[RuleKind] = set()
        skipped: dict[str, str] = {}
        for kind, rule in rules.items():
            if not rule.enabled:
                continue
            try:
                firings += self._evaluate(kind, rule.thresholds, now)
            except Exception as error:  # one source failing must not silence the others
                log.exception("alerts: the %s figures could not be read", kind.value)
                skipped[kind.value] = f"{type(error).__name__}: {error}"
                continue
            evaluated.add(kind)
        raised, resolved = self.trail.run(
            ctx, lambda tx: self._record(tx, rules, firings, evaluated, now)
        )
        delivered, failed = self._deliver(ctx, now)
        with self.database.read() as session:
            rows = list(session.scalars(select(Alert).where(Alert.id.in_(raised))))
            raised_views = sorted(views.alert_views(session, rows), key=lambda a: a.id)
        return CheckReport(
            at=now,
            raised=raised_views,
            resolved=resolved,
            delivered=delivered,
            failed=failed,
            skipped=skipped,
        )

    def _rule_states(self) -> dict[RuleKind, _Rule]:
        with self.database.read() as session:
            rows = {r.kind: r for r in session.scalars(select(AlertRule))}
        states = {}
        for kind in RuleKind:
            row = rows.get(kind.value)
            overrides = orjson.loads(row.thresholds) if row else {}
            states[kind] = _Rule(
                row.id if row else None,
                row.enabled if row else True,
                effective(kind, self.settings, overrides),
            )
        return states

    def _evaluate(self, kind: RuleKind, t: Thresholds, now: datetime) -> list[Firing]:
        s = self.sources
        if kind is RuleKind.ERROR_RATE:
            assert isinstance(t, ErrorRateThresholds)
            return [f for by in t.groupings for f in firing.error_rates(s.error_rates(by, now), t)]
        if kind is RuleKind.BUDGET:
            assert isinstance(t, BudgetThresholds)
            return firing.budgets(s.budgets(now), t)
        if kind is RuleKind.SLA:
            assert isinstance(t, SlaThresholds)
            return firing.sla(s.sla(t.days, now), t)
        if kind is RuleKind.CANARY_DRIFT:
            assert isinstance(t, DriftThresholds)
            return firing.drifts(s.drifts(now - timedelta(days=t.days)))
        assert isinstance(t, ShadowThresholds)
        return spikes.shadow(s.shadow, now.date(), t)

    def _record(
        self,
        tx: Tx,
        rules: dict[RuleKind, _Rule],
        firings: list[Firing],
        evaluated: set[RuleKind],
        now: datetime,
    ) -> tuple[list[int], list[int]]:
        session = tx.session
        by_key = {f.key: f for f in firings}
        latest: dict[str, Alert] = {}
        if by_key:
            for row in session.scalars(
                select(Alert).where(Alert.key.in_(list(by_key))).order_by(Alert.occurrence)
            ):
                latest[row.key] = row
        channels = self._channels_of(tx, rules)
        raised: list[int] = []
        for key, f in by_key.items():
            before = latest.get(key)
            if before is not None and (before.status != AlertStatus.RESOLVED.value or f.period):
                continue  # still active, or already raised for this period
            row = Alert(
                key=key,
                occurrence=before.occurrence + 1 if before else 1,
                kind=f.kind.value,
                subject=f.subject,
                level=f.level,
                period=f.period,
                severity=f.severity.value,
                status=AlertStatus.OPEN.value,
                title=f.title[:300],
                text=f.text,
                facts=orjson.dumps(f.facts).decode(),
                raised_at=now,
                note="",
                version=1,
            )
            session.add(row)
            session.flush()
            targets = channels.get(f.kind, [])
            session.add_all(
                AlertDelivery(
                    alert_id=row.id,
                    channel_id=channel.id,
                    status=DeliveryStatus.PENDING.value,
                    attempts=0,
                    error="",
                    due_at=now,
                )
                for channel in targets
            )
            tx.emit(
                ev.AlertRaised(
                    object_id=str(row.id),
                    object_version=1,
                    new={
                        "key": key,
                        "occurrence": row.occurrence,
                        "kind": f.kind.value,
                        "subject": f.subject,
                        "level": f.level,
                        "period": f.period,
                        "severity": f.severity.value,
                        "title": row.title,
                        "facts": f.facts,
                        "channels": [
                            {"id": c.id, "name": c.name, "target": views.shown_target(c)}
                            for c in targets
                        ],
                    },
                )
            )
            raised.append(row.id)
        resolved: list[int] = []
        if evaluated:
            active = session.scalars(
                select(Alert)
                .where(
                    Alert.status != AlertStatus.RESOLVED.value,
                    Alert.kind.in_([k.value for k in evaluated]),
                )
                .order_by(Alert.id)
            )
            for row in active:
                if row.key in by_key:
                    continue
                old = row.status
                row.status = AlertStatus.RESOLVED.value
                row.resolved_at = now
                row.version += 1
                tx.emit(
                    ev.AlertResolved(
                        object_id=str(row.id),
                        object_version=row.version,
                        old={"status": old},
                        new={"status": row.status, "key": row.key},
                        reason="the condition no longer holds at this check",
                    )
                )
                resolved.append(row.id)
        return raised, resolved

    @staticmethod
    def _channels_of(tx: Tx, rules: dict[RuleKind, _Rule]) -> dict[RuleKind, list[AlertChannel]]:
        kinds = {rule.id: kind for kind, rule in rules.items() if rule.id is not None}
        found: dict[RuleKind, list[AlertChannel]] = {}
        if not kinds:
            return found
        for rule_id, channel in tx.session.execute(
            select(AlertRuleChannel.rule_id, AlertChannel)
            .join(AlertChannel, AlertChannel.id == AlertRuleChannel.channel_id)
            .where(AlertRuleChannel.rule_id.in_(list(kinds)), AlertChannel.enabled.is_(True))
            .order_by(AlertChannel.id)
        ):
            found.setdefault(kinds[rule_id], []).append(channel)
        return found

    # --- delivery --------------------------------------------------------------------------------

    def _deliver(self, ctx: AuditContext, now: datetime) -> tuple[int, int]:
        delivered = failed = 0
        for claimed in outbox.claim(self.database, now, self.public_url):
            error, result = "", ""
            try:
                result = self.sender.send(claimed.target, claimed.message, claimed.delivery)
            except DeliveryError as failure:
                error = failure.message
            outbox.record(
                self.trail,
                ctx,
                claimed,
                now,
                result=result,
                error=error,
                max_attempts=self.settings.max_delivery_attempts,
            )
            delivered += not error
            failed += bool(error)
        return delivered, failed
