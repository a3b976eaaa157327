"""Changes to rules and channels, each inside a unit of work of the audit trail: checked
against the database first (a refused change writes nothing), then one typed event."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gouvernail.audit import Tx
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.observatory.alerts import events as ev
from gouvernail.observatory.alerts.delivery import redact
from gouvernail.observatory.alerts.models import (
    AlertChannel,
    AlertRule,
    AlertRuleChannel,
    ChannelKind,
    RuleKind,
)
from gouvernail.observatory.alerts.rules import checked_overrides
from gouvernail.observatory.alerts.schemas import EMAIL, ChannelIn, ChannelPatch, RulePatch
from gouvernail.settings import AlertSettings


def rule_channels(session: Session, rule_id: int) -> list[int]:
    return list(
        session.scalars(
            select(AlertRuleChannel.channel_id)
            .where(AlertRuleChannel.rule_id == rule_id)
            .order_by(AlertRuleChannel.channel_id)
        )
    )


def change_rule(tx: Tx, settings: AlertSettings, kind: RuleKind, patch: RulePatch) -> AlertRule:
    session = tx.session
    row = session.scalar(select(AlertRule).where(AlertRule.kind == kind.value).with_for_update())
    version = row.version if row is not None else 0
    if patch.version != version:
        raise ConflictError(
            f"the {kind.value} rule is at version {version}, not {patch.version}: someone changed "
            "it meanwhile; reload it and apply your change again",
            field="version",
            code="version_conflict",
        )
    if row is None:
        row = AlertRule(kind=kind.value, enabled=True, thresholds="{}", version=0)
        session.add(row)
        session.flush()
    old: dict[str, Any] = {
        "enabled": row.enabled,
        "thresholds": orjson.loads(row.thresholds),
        "channels": rule_channels(session, row.id),
    }
    new = dict(old)
    if patch.enabled is not None:
        new["enabled"] = patch.enabled
    if patch.thresholds is not None:
        new["thresholds"] = checked_overrides(kind, settings, patch.thresholds)
    if patch.channels is not None:
        wanted = sorted(set(patch.channels))
        known = set(session.scalars(select(AlertChannel.id).where(AlertChannel.id.in_(wanted))))
        missing = [str(c) for c in wanted if c not in known]
        if missing:
            raise NotFoundError(f"no alert channel {', '.join(missing)}", field="channels")
        new["channels"] = wanted
    changed = sorted(k for k in new if new[k] != old[k])
    if not changed:
        raise GouvernailError("nothing to change: the values sent are the current ones")
    row.enabled = new["enabled"]
    row.thresholds = orjson.dumps(new["thresholds"]).decode()
    if "channels" in changed:
        session.execute(delete(AlertRuleChannel).where(AlertRuleChannel.rule_id == row.id))
        session.add_all(AlertRuleChannel(rule_id=row.id, channel_id=c) for c in new["channels"])
    row.version += 1
    row.updated_at = utcnow()
    session.flush()
    tx.emit(
        ev.AlertRuleChanged(
            object_id=kind.value,
            object_version=row.version,
            old={k: old[k] for k in changed},
            new={k: new[k] for k in changed},
            reason=patch.reason.strip(),
        )
    )
    return row


def _url(value: str | None) -> str:
    url = (value or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GouvernailError("a webhook needs an http(s) URL with a host", field="url")
    return url


def _recipients(values: list[str] | None) -> list[str]:
    found = list(dict.fromkeys(v.strip() for v in values or [] if v.strip()))
    if not found:
        raise GouvernailError("an e-mail channel needs at least one recipient", field="recipients")
    wrong = [v for v in found if not re.fullmatch(EMAIL, v)]
    if wrong:
        raise GouvernailError(f"not an e-mail address: {', '.join(wrong)}", field="recipients")
    return found


def _audited(row: AlertChannel) -> dict[str, Any]:
    """A channel's fields for the trail: the URL redacted, never the signing key."""
    shown: Any = (
        redact(row.target) if row.kind == ChannelKind.WEBHOOK.value else orjson.loads(row.target)
    )
    return {
        "name": row.name,
        "kind": row.kind,
        "target": shown,
        "signed": bool(row.signing_key),
        "enabled": row.enabled,
    }


def _unique_name(session: Session, name: str, channel_id: int | None = None) -> None:
    other = session.scalar(select(AlertChannel.id).where(AlertChannel.name == name))
    if other is not None and other != channel_id:
        raise ConflictError(f"an alert channel is already named {name!r}", field="name")


def new_key() -> str:
    return secrets.token_urlsafe(32)


def add_channel(tx: Tx, body: ChannelIn) -> tuple[AlertChannel, str | None]:
    """The channel, and its signing key when one was generated (shown once)."""
    name = body.name.strip()
    if not name:
        raise GouvernailError("give the channel a name", field="name")
    _unique_name(tx.session, name)
    generated = None
    if body.kind is ChannelKind.WEBHOOK:
        if body.recipients:
            raise GouvernailError("a webhook has no recipients", field="recipients")
        target = _url(body.url)
        key = body.signing_key
        if key is None:
            key = generated = new_key()
    else:
        if body.url is not None:
            raise GouvernailError("an e-mail channel has no URL", field="url")
        if body.signing_key is not None:
            raise GouvernailError("e-mails are not signed", field="signing_key")
        target = orjson.dumps(_recipients(body.recipients)).decode()
        key = None
    now = utcnow()
    row = AlertChannel(
        name=name,
        kind=body.kind.value,
        target=target,
        signing_key=key,
        enabled=True,
        version=1,
        created_at=now,
        updated_at=now,
    )
    tx.session.add(row)
    tx.session.flush()
    tx.emit(
        ev.AlertChannelAdded(
            object_id=str(row.id), object_version=1, new=_audited(row), reason=body.reason.strip()
        )
    )
    return row, generated


def change_channel(tx: Tx, channel_id: int, patch: ChannelPatch) -> tuple[AlertChannel, str | None]:
    row = tx.session.get(AlertChannel, channel_id)
    if row is None:
        raise NotFoundError(f"no alert channel {channel_id}")
    if row.version != patch.version:
        raise ConflictError(
            f"alert channel {channel_id} is at version {row.version}, not {patch.version}: "
            "reload it and apply your change again",
            field="version",
            code="version_conflict",
        )
    webhook = row.kind == ChannelKind.WEBHOOK.value
    before = _audited(row)
    old_target = row.target
    generated = None
    if patch.name is not None and patch.name.strip() != row.name:
        _unique_name(tx.session, patch.name.strip(), row.id)
        row.name = patch.name.strip()
    if patch.url is not None:
        if not webhook:
            raise GouvernailError("an e-mail channel has no URL", field="url")
        row.target = _url(patch.url)
    if patch.recipients is not None:
        if webhook:
            raise GouvernailError("a webhook has no recipients", field="recipients")
        row.target = orjson.dumps(_recipients(patch.recipients)).decode()
    if patch.enabled is not None:
        row.enabled = patch.enabled
    if patch.new_signing_key:
        if not webhook:
            raise GouvernailError("e-mails are not signed", field="new_signing_key")
        row.signing_key = generated = new_key()
    after = _audited(row)
    changed = sorted(k for k in after if after[k] != before[k])
    url_changed = webhook and row.target != old_target
    if not changed and generated is None and not url_changed:
        raise GouvernailError("nothing to change: the values sent are the current ones")
    row.version += 1
    row.updated_at = utcnow()
    tx.session.flush()
    new = {k: after[k] for k in changed}
    if url_changed:
        new["url_changed"] = True  # the redacted URL may look the same
    if generated is not None:
        new["new_signing_key"] = True
    tx.emit(
        ev.AlertChannelChanged(
            object_id=str(row.id),
            object_version=row.version,
            old={k: before[k] for k in changed},
            new=new,
            reason=patch.reason.strip(),
        )
    )
    return row, generated
