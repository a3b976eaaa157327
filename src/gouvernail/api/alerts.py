"""Alerts over HTTP.

Reading alerts, rules and channels needs ``alerts, read`` (referents, the committee, auditors,
administrators); acknowledging an alert, editing rules and channels, testing a channel and
running a check now need ``alerts, manage`` (AI and security referents, administrators).
Webhook URLs are shown redacted; a signing key is returned once, when it is generated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.identity.principal import Principal
from gouvernail.observatory.alerts.models import AlertStatus, RuleKind
from gouvernail.observatory.alerts.schemas import (
    AcknowledgeIn,
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

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

Reader = Annotated[Principal, Depends(Require("alerts", "read"))]
Manager = Annotated[Principal, Depends(Require("alerts", "manage"))]


@router.get("")
def list_alerts(
    _: Reader,
    runtime: Rt,
    status: AlertStatus | None = None,
    kind: RuleKind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertView]:
    """Alerts, newest first, with their deliveries."""
    return runtime.alerts.find(status, kind, limit)


@router.post("/check")
def check_now(request: Request, principal: Manager, runtime: Rt) -> CheckReport:
    """Evaluate every enabled rule now: the alerts raised, those resolved, deliveries made
    (the housekeeping schedule does this every ``alerts.check_minutes``)."""
    return runtime.alerts.run_check(ctx=audit_context(request, principal))


@router.get("/rules")
def list_rules(_: Reader, runtime: Rt) -> list[RuleView]:
    """The five rules with their thresholds (effective, overridden, defaults) and channels."""
    return runtime.alerts.rules()


@router.patch("/rules/{kind}")
def change_rule(
    kind: RuleKind, body: RulePatch, request: Request, principal: Manager, runtime: Rt
) -> RuleView:
    """Enable or disable a rule, replace its threshold overrides ({} restores the defaults) or
    its channels; ``version`` must be the one read (0 for a rule never edited)."""
    return runtime.alerts.change_rule(audit_context(request, principal), kind, body)


@router.get("/channels")
def list_channels(_: Reader, runtime: Rt) -> list[ChannelView]:
    """Webhooks (URL redacted) and e-mail channels, with the rules delivering to each."""
    return runtime.alerts.channels()


@router.post("/channels", status_code=201)
def add_channel(body: ChannelIn, request: Request, principal: Manager, runtime: Rt) -> ChannelSaved:
    """A webhook (URL, optional signing key: generated and returned once if absent) or an
    e-mail channel (recipients)."""
    return runtime.alerts.add_channel(audit_context(request, principal), body)


@router.patch("/channels/{channel_id}")
def change_channel(
    channel_id: int, body: ChannelPatch, request: Request, principal: Manager, runtime: Rt
) -> ChannelSaved:
    """Rename, re-target, enable or disable a channel, or give a webhook a new signing key."""
    return runtime.alerts.change_channel(audit_context(request, principal), channel_id, body)


@router.post("/channels/{channel_id}/test")
def test_channel(channel_id: int, request: Request, principal: Manager, runtime: Rt) -> ChannelTest:
    """Send a test message to the channel now; whether it arrived, and the error if not."""
    return runtime.alerts.test_channel(audit_context(request, principal), channel_id)


@router.get("/{alert_id}")
def get_alert(alert_id: int, _: Reader, runtime: Rt) -> AlertView:
    return runtime.alerts.get(alert_id)


@router.post("/{alert_id}/acknowledge")
def acknowledge(
    alert_id: int, body: AcknowledgeIn, request: Request, principal: Manager, runtime: Rt
) -> AlertView:
    """Someone is on it: an open alert becomes acknowledged, with a note (audited)."""
    return runtime.alerts.acknowledge(
        audit_context(request, principal), principal.user_id, alert_id, body.note
    )
