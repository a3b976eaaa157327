"""Alerts through the API, the CLI and the job handler, on SQLite and PostgreSQL, each produced
from real state: feedback that makes an error rate worsen, gateway calls (fake providers) that
consume a budget past 80 % then 100 %, failing calls that breach a model's SLA, a canary that
drifts when the model behind a name changes, proxy logs with a spike and a direct API call.

Webhooks are received by a real local HTTP server (the signature is checked as a receiver
would), e-mails by a real local SMTP server (aiosmtpd). Also: deduplication (a second check
raises nothing new), resolution, a failing channel retried at the next check, the webhook's
retries and refusal to follow redirects, rights, bad input, and secrets kept out of the trail.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.conftest import invoke
from tests.fake_providers import Persona
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in
from tests.job_helpers import wait_for_job
from tests.shadow_helpers import squid

from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.db.base import utcnow
from gouvernail.gateway.governance import LimitIn
from gouvernail.gateway.models import RequestLog
from gouvernail.jobs.kinds import JobContext, NoParameters
from gouvernail.observatory.alerts.delivery import DeliveryError, Message, Sender, Target
from gouvernail.observatory.alerts.jobs import check_alerts
from gouvernail.observatory.alerts.models import ChannelKind
from gouvernail.observatory.alerts.schemas import RulePatch
from gouvernail.runtime import Runtime
from gouvernail.settings import AlertSettings, Settings

URL = "/api/v1/alerts"
HOOK_PATH = "/hooks/T0KEN-in-the-path"


# --- a real webhook receiver and a real SMTP server ---------------------------------------------


@dataclass
class Receiver:
    """A local HTTP server: records each POST; answers the scripted statuses, then 200."""

    base: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0

    @property
    def url(self) -> str:
        return f"{self.base}{HOOK_PATH}?token=s3cr3t-query"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if state.delay:
                time.sleep(state.delay)
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", f"{state.base}/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], smtp: tuple[int, Inbox]) -> Settings:
    """E-mail to the local SMTP server (no STARTTLS: it has no certificate), webhooks retried
    without waiting; the gateway retries without waiting and never opens its breaker."""
    return make_settings(
        alerts={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[0],
            "smtp_starttls": False,
            "smtp_from": "alerts@gouvernail.example",
            "webhook_backoff_seconds": 0,
            "webhook_timeout_seconds": 2,
        },
        gateway={"backoff_base": 0, "breaker_failures": 1000},
    )


# --- helpers ------------------------------------------------------------------------------------


class Sessions:
    """One sign-in per user and test (sign-ins are rate-limited)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.known: dict[str, dict[str, str]] = {}

    def __call__(self, user: str) -> dict[str, str]:
        if user not in self.known:
            self.known[user] = signed_in(self.client, user)
        return self.known[user]


@pytest.fixture
def who(gw: TestClient) -> Sessions:
    return Sessions(gw)


def channels(
    gw: TestClient, who: Sessions, receiver: Receiver, kind: str, **rule: Any
) -> tuple[int, str]:
    """A webhook to ``receiver`` and an e-mail channel, both on the rule ``kind`` (changed
    with ``rule``'s fields too); returns the webhook's id and signing key."""
    hook = gw.post(
        f"{URL}/channels",
        json={"name": "ops hook", "kind": "webhook", "url": receiver.url, "reason": "ops chat"},
        headers=who("ref"),
    )
    assert hook.status_code == 201, hook.text
    mail = gw.post(
        f"{URL}/channels",
        json={
            "name": "referents",
            "kind": "email",
            "recipients": ["ai-referents@helvia.example", "sec@helvia.example"],
            "reason": "the referents' mailbox",
        },
        headers=who("ref"),
    )
    assert mail.status_code == 201, mail.text
    wire(gw, who, kind, [hook.json()["id"], mail.json()["id"]], **rule)
    return hook.json()["id"], hook.json()["signing_key"]


def wire(gw: TestClient, who: Sessions, kind: str, ids: list[int], **fields: Any) -> Any:
    rule = next(r for r in gw.get(f"{URL}/rules", headers=who("ref")).json() if r["kind"] == kind)
    changed = gw.patch(
        f"{URL}/rules/{kind}",
        json={"version": rule["version"], "reason": "deliver it", "channels": ids} | fields,
        headers=who("ref"),
    )
    assert changed.status_code == 200, changed.text
    return changed.json()


def check(gw: TestClient, who: Sessions) -> dict[str, Any]:
    answer = gw.post(f"{URL}/check", headers=who("ref"))
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    assert report["skipped"] == {}
    return report


def actions(rt: Runtime, prefix: str = "alert.") -> list[tuple[str, dict[str, Any]]]:
    with rt.database.read() as session:
        return [
            (r.action, json.loads(r.new_values))
            for r in session.scalars(
                select(AuditRecord)
                .where(AuditRecord.action.startswith(prefix))
                .order_by(AuditRecord.seq)
            )
        ]


def trail_text(rt: Runtime) -> str:
    with rt.database.read() as session:
        return "\n".join(
            f"{r.old_values} {r.new_values} {r.reason}"
            for r in session.scalars(select(AuditRecord))
        )


def verified(receiver: Receiver, key: str) -> list[dict[str, Any]]:
    """The bodies received, each checked as a receiver would: HMAC-SHA256 of the raw body."""
    bodies = []
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-gouvernail-signature-256"], expected)
        assert headers["content-type"] == "application/json"
        bodies.append(json.loads(body))
    return bodies


def call(gw: TestClient, key: str, request_id: str, **body: Any) -> Any:
    return gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "Bonjour"}]} | body,
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": request_id},
    )


# --- error rates --------------------------------------------------------------------------------


def test_a_worsening_error_rate_alerts_once_by_webhook_and_email_until_it_clears(
    gw: TestClient, world: World, who: Sessions, receiver: Receiver, smtp: tuple[int, Inbox]
) -> None:
    hook_id, key = channels(gw, who, receiver, "error_rate", thresholds={"groupings": ["use_case"]})
    api_key = world.key("alice", "drafting")
    for i in range(40):
        assert call(gw, api_key, f"req-w-{i}").status_code == 200
    with world.rt.database.write() as session:  # 30 of the calls were made 40 days ago
        session.execute(
            update(RequestLog)
            .where(RequestLog.request_id.in_([f"req-w-{i}" for i in range(30)]))
            .values(at=utcnow() - timedelta(days=40))
        )
    for i in range(40):  # then: 1 bad answer in 30; this week: 8 in 10
        verdict = "wrong" if i == 0 or 30 <= i < 38 else "useful"
        judged = gw.post(
            "/api/v1/feedback",
            json={"request_id": f"req-w-{i}", "verdict": verdict},
            headers=who("alice"),
        )
        assert judged.status_code == 201, judged.text

    report = check(gw, who)
    (alert,) = report["raised"]
    drafting = world.use_cases["drafting"]
    assert alert["key"] == f"error_rate:use_case:{drafting}:worsening:"
    assert (alert["kind"], alert["severity"], alert["status"]) == ("error_rate", "warning", "open")
    assert alert["facts"]["short_flagged"] == 8
    assert alert["facts"]["short_rated"] == 10
    assert "80.0 %" in alert["text"]
    assert report["delivered"] == 2
    assert report["failed"] == 0

    (payload,) = verified(receiver, key)
    assert payload["type"] == "alert"
    assert payload["alert"]["id"] == alert["id"]
    assert payload["alert"]["key"] == alert["key"]
    assert payload["alert"]["url"].endswith(f"/api/v1/alerts/{alert['id']}")
    headers, _ = receiver.received[0]
    assert headers["x-gouvernail-delivery"].startswith(f"{alert['id']}:")

    _, inbox = smtp
    ((sender, recipients, mail),) = inbox.messages
    assert sender == "alerts@gouvernail.example"
    assert sorted(recipients) == ["ai-referents@helvia.example", "sec@helvia.example"]
    assert mail["Subject"] == f"[Gouvernail] [WARNING] {alert['title']}"
    body = mail.get_content()
    assert alert["text"] in body
    assert f"gouvernail alert acknowledge {alert['id']}" in body

    assert check(gw, who)["raised"] == []  # deduplicated: nothing new, nothing sent again
    assert len(receiver.received) == 1
    assert len(inbox.messages) == 1
    shown = gw.get(f"{URL}/{alert['id']}", headers=who("ref")).json()
    assert {(d["channel"], d["status"], d["attempts"]) for d in shown["deliveries"]} == {
        ("ops hook", "delivered", 1),
        ("referents", "delivered", 1),
    }

    for i in range(30, 38):  # the answers were judged again: they were fine after all
        again = gw.post(
            "/api/v1/feedback",
            json={"request_id": f"req-w-{i}", "verdict": "useful"},
            headers=who("alice"),
        )
        assert again.status_code == 201, again.text
    cleared = check(gw, who)
    assert cleared["resolved"] == [alert["id"]]
    assert cleared["raised"] == []
    assert gw.get(f"{URL}/{alert['id']}", headers=who("ref")).json()["status"] == "resolved"

    done = [a for a, _ in actions(world.rt)]
    assert done.count("alert.raised") == 1
    assert done.count("alert.delivered") == 2
    assert done.count("alert.resolved") == 1
    delivered = [v for a, v in actions(world.rt) if a == "alert.delivered"]
    assert {v["target"] for v in delivered} == {
        f"{receiver.base}/…",
        "ai-referents@helvia.example, sec@helvia.example",
    }
    trail = trail_text(world.rt)
    assert "T0KEN" not in trail
    assert "s3cr3t" not in trail
    assert key not in trail
    assert hook_id in {v["channel_id"] for v in delivered}


# --- budgets ------------------------------------------------------------------------------------


def test_budget_alerts_fire_at_80_then_100_percent_once_per_month(
    gw: TestClient, world: World, who: Sessions, receiver: Receiver
) -> None:
    """A model paid only for its answers, 0.001 EUR a token: each call (a six-word answer,
    max_tokens 6) reserves and costs exactly 0.006 EUR; the use case's budget is five calls."""
    _, key = channels(gw, who, receiver, "budget")
    world.add_model(
        "gpt-metered",
        vendor="fakeai",
        upstream_model="gpt-4o-mini",
        endpoint={"base_url": world.openai.base_url},
        credential_ref="FAKE_PROVIDER_KEY",
        capabilities=["chat"],
        max_data_class="confidential",
        pricing={
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 0,
            "output_per_million": 1000,
        },
    )
    drafting = world.use_cases["drafting"]
    world.rt.governance.set_limit(
        AuditContext(SYSTEM, "test"),
        "use_case",
        drafting,
        LimitIn(monthly_budget_eur=Decimal("0.030"), reason="five calls a month"),
    )
    api_key = world.key("alice", "drafting")
    world.openai.reply = "Six words in every single answer."

    def spend(n: int, start: int) -> None:
        for i in range(start, start + n):
            answer = call(gw, api_key, f"req-b-{i}", model="gpt-metered", max_tokens=6)
            assert answer.status_code == 200, answer.text

    spend(3, 0)  # 60 %
    assert check(gw, who)["raised"] == []
    spend(1, 3)  # 80 %
    (eighty,) = check(gw, who)["raised"]
    month = f"{datetime.now(UTC):%Y-%m}"
    assert eighty["key"] == f"budget:use_case:{drafting}:80:{month}"
    assert eighty["severity"] == "warning"
    assert Decimal(eighty["facts"]["spent_eur"]) == Decimal("0.024")
    assert eighty["facts"]["percent"] == 80.0
    spend(1, 4)  # 100 %: the budget is consumed
    (hundred,) = check(gw, who)["raised"]  # the 80 % alert is not raised again
    assert hundred["key"] == f"budget:use_case:{drafting}:100:{month}"
    assert hundred["severity"] == "critical"
    assert "refuses its calls until next month" in hundred["text"]
    refused = call(gw, api_key, "req-b-5", model="gpt-metered", max_tokens=6)
    assert refused.status_code == 429  # the gateway agrees
    assert check(gw, who)["raised"] == []

    assert [b["alert"]["level"] for b in verified(receiver, key)] == ["80", "100"]

    next_month = (datetime.now(UTC).replace(day=1) + timedelta(days=32)).replace(day=2)
    later = world.rt.alerts.run_check(next_month)  # nothing spent yet: both resolve
    assert later.raised == []
    assert sorted(later.resolved) == sorted([eighty["id"], hundred["id"]])


# --- provider SLA -------------------------------------------------------------------------------


def test_an_sla_breach_alerts_and_a_failing_webhook_is_retried_at_the_next_check(
    gw: TestClient, world: World, who: Sessions, receiver: Receiver
) -> None:
    _, key = channels(gw, who, receiver, "sla", thresholds={"min_calls": 4})
    (rule,) = [r for r in gw.get(f"{URL}/rules", headers=who("ref")).json() if r["kind"] == "sla"]
    assert rule["thresholds"]["min_calls"] == 4
    assert rule["overrides"] == {"min_calls": 4}
    api_key = world.key("alice", "drafting")
    for i in range(3):
        assert call(gw, api_key, f"req-s-{i}", max_tokens=10).status_code == 200
    world.openai.fail(503, 503, 503, 503)  # retries exhausted: failover to claude-eu
    assert call(gw, api_key, "req-s-3", max_tokens=10).status_code == 200

    receiver.statuses = [500, 502, 503]  # the receiver is down: three tries, all 5xx
    report = check(gw, who)
    (alert,) = report["raised"]
    assert alert["key"] == "sla:model:gpt-eu:breach:"
    assert alert["facts"]["availability_pct"] == 75.0
    assert "availability 75.0 % below the contracted 99.9 %" in alert["text"]
    assert (report["delivered"], report["failed"]) == (1, 1)  # the e-mail went
    assert len(receiver.received) == 3
    failed = [v for a, v in actions(world.rt) if a == "alert.delivery_failed"]
    assert len(failed) == 1
    assert failed[0]["error"] == "answered HTTP 503 (3 tries)"
    assert failed[0]["retried"] is True
    hook = next(d for d in gw.get(f"{URL}/{alert['id']}", headers=who("ref")).json()["deliveries"]
                if d["channel"] == "ops hook")  # fmt: skip
    assert (hook["status"], hook["attempts"]) == ("failed", 1)

    again = check(gw, who)  # the receiver is back: the alert arrives, nothing new is raised
    assert (again["raised"], again["delivered"], again["failed"]) == ([], 1, 0)
    bodies = verified(receiver, key)
    assert [b["alert"]["id"] for b in bodies] == [alert["id"]] * 4
    assert [a for a, _ in actions(world.rt) if a.startswith("alert.deliver")] == [
        "alert.delivery_failed",
        "alert.delivered",  # the e-mail
        "alert.delivered",  # the webhook, at the next check
    ]
    assert check(gw, who)["delivered"] == 0  # delivered once, never again


# --- canary drift -------------------------------------------------------------------------------


def test_a_canary_drift_alerts_once_and_resolves_when_decided(
    gw: TestClient,
    world: World,
    who: Sessions,
    receiver: Receiver,
    compliant_user: Callable[..., None],
) -> None:
    compliant_user(world.users["ref"])
    _, key = channels(gw, who, receiver, "canary_drift")
    world.openai.persona = Persona(lambda q: "A short answer.", system_fingerprint="fp_1")
    configured = gw.put(
        "/api/v1/canaries/configs/gpt-eu",
        json={
            "prompt_set": "standard",
            "samples": 1,
            "use_case_id": world.use_cases["drafting"],
            "acting_for": world.users["ref"],
            "every_hours": 24,
            "reason": "watch the EU model",
        },
        headers=who("ref"),
    )
    assert configured.status_code == 200, configured.text
    for fingerprint in ("fp_1", "fp_2"):  # the baseline, then a silently swapped model
        world.openai.persona = Persona(lambda q: "A short answer.", system_fingerprint=fingerprint)
        asked = gw.post("/api/v1/canaries/runs", json={"model": "gpt-eu"}, headers=who("ref"))
        assert asked.status_code == 202, asked.text
        job = wait_for_job(gw, who("ref"), asked.json()["id"])
        assert job["status"] == "succeeded", job
    run = gw.get(f"/api/v1/canaries/runs/{job['result']['run_id']}", headers=who("ref")).json()
    drift_id = run["drift_id"]
    assert drift_id is not None

    (alert,) = check(gw, who)["raised"]
    assert alert["key"] == f"canary_drift:drift:{drift_id}:drift:"
    assert alert["facts"]["metrics"] == ["system_fingerprint"]
    assert "gpt-eu" in alert["title"]
    assert check(gw, who)["raised"] == []
    decided = gw.post(
        f"/api/v1/canaries/drifts/{drift_id}/acknowledge",
        json={"reason": "the vendor announced the new version"},
        headers=who("ref"),
    )
    assert decided.status_code == 200, decided.text
    assert check(gw, who)["resolved"] == [alert["id"]]
    assert [b["alert"]["kind"] for b in verified(receiver, key)] == ["canary_drift"]


# --- shadow AI ----------------------------------------------------------------------------------


def shadow_log(path: Path, latest: date) -> Path:
    """Five days of proxy logs: ChatGPT used by two people, 4-6 requests a day, then 60
    requests by seven people on ``latest``; bob calls the OpenAI API directly."""
    lines = []
    for back in range(5, 0, -1):
        day = datetime.combine(latest - timedelta(days=back), datetime.min.time(), UTC)
        start = day.timestamp() + 9 * 3600
        for i in range(4 + back % 3):
            lines.append(squid(start + i, f"user{i % 2}", "CONNECT", "chatgpt.com:443"))
    start = datetime.combine(latest, datetime.min.time(), UTC).timestamp() + 9 * 3600
    for i in range(60):
        lines.append(squid(start + i, f"user{i % 7}", "CONNECT", "chatgpt.com:443"))
    lines.append(squid(start + 100, "bob", "CONNECT", "api.openai.com:443"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_shadow_spike_and_a_direct_api_call_alert_once(
    rt: Runtime, ctx: AuditContext, tmp_path: Path, receiver: Receiver
) -> None:
    latest = date(2026, 11, 20)
    rt.shadow.import_file(ctx, shadow_log(tmp_path / "access.log", latest), "squid")
    now = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)

    raised = rt.alerts.check(now)
    keys = sorted(a.key for a in raised)
    pseudonym = hashlib.sha256(b"bob").hexdigest()[:12]
    assert keys == [
        f"shadow_spike:direct_api:{pseudonym}@openai-api:direct_api:",
        "shadow_spike:service:openai-chatgpt:people:2026-11-20",
        "shadow_spike:service:openai-chatgpt:requests:2026-11-20",
    ]
    by_level = {a.level: a for a in raised}
    requests = by_level["requests"]
    assert (requests.facts["value"], requests.facts["median"], requests.facts["days"]) == (60, 5, 5)
    assert (by_level["people"].facts["value"], by_level["people"].facts["median"]) == (7, 2)
    direct = by_level["direct_api"]
    assert direct.severity.value == "critical"
    assert "bob" not in direct.text
    assert "bob" not in json.dumps(direct.facts)
    assert rt.alerts.check(now) == []  # once

    stricter = rt.alerts.rule(raised[0].kind)
    rt.alerts.change_rule(
        ctx,
        stricter.kind,
        RulePatch(version=stricter.version, reason="fewer alerts", thresholds={"factor": 20}),
    )
    stricter_check = rt.alerts.run_check(now)  # 60 < 20 x 5 and 7 < 20 x 2: no spike now
    assert stricter_check.raised == []
    assert sorted(stricter_check.resolved) == sorted(
        [by_level["requests"].id, by_level["people"].id]
    )


# --- delivery -----------------------------------------------------------------------------------


def _hook(receiver: Receiver) -> Target:
    return Target(1, "hook", ChannelKind.WEBHOOK, receiver.url, (), "k" * 32)


MESSAGE = Message({"type": "test"}, "subject", "text")


@pytest.mark.parametrize(
    ("statuses", "tries", "error"),
    [
        ([], 1, None),
        ([500, 503], 3, None),
        ([500, 502, 504], 3, "answered HTTP 504 (3 tries)"),
        ([302], 1, "answered HTTP 302 (a redirect, not followed)"),
        ([404], 1, "answered HTTP 404"),
    ],
)
def test_webhooks_retry_5xx_and_never_follow_redirects(
    receiver: Receiver, statuses: list[int], tries: int, error: str | None
) -> None:
    receiver.statuses = list(statuses)
    sender = Sender(AlertSettings(webhook_backoff_seconds=0, webhook_retries=2))
    if error is None:
        assert sender.send(_hook(receiver), MESSAGE, "1:1") == "HTTP 200"
    else:
        with pytest.raises(DeliveryError) as failed:
            sender.send(_hook(receiver), MESSAGE, "1:1")
        assert failed.value.message == error
    assert len(receiver.received) == tries


def test_a_slow_webhook_times_out_and_the_backoff_doubles(receiver: Receiver) -> None:
    receiver.delay = 0.3
    waits: list[float] = []
    settings = AlertSettings(
        webhook_timeout_seconds=0.1, webhook_retries=2, webhook_backoff_seconds=0.5
    )
    with pytest.raises(DeliveryError) as failed:
        Sender(settings, sleep=waits.append).send(_hook(receiver), MESSAGE, "1:1")
    assert failed.value.message == "no answer within 0.1 s (3 tries)"
    assert waits == [0.5, 1.0]


def test_email_without_a_server_or_to_a_closed_port_fails_clearly() -> None:
    target = Target(2, "mail", ChannelKind.EMAIL, "", ("a@b.example",), None)
    with pytest.raises(DeliveryError, match=r"no SMTP server: set alerts\.smtp_host"):
        Sender(AlertSettings()).send(target, MESSAGE, "1:2")
    closed = AlertSettings(smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_starttls=False)
    with pytest.raises(DeliveryError, match="SMTP ConnectionRefusedError"):
        Sender(closed).send(target, MESSAGE, "1:2")


# --- rules, channels, rights, bad input ---------------------------------------------------------


def test_channels_are_tested_redacted_and_their_keys_shown_once(
    gw: TestClient, world: World, who: Sessions, receiver: Receiver, smtp: tuple[int, Inbox]
) -> None:
    hook_id, key = channels(gw, who, receiver, "sla")
    listed = gw.get(f"{URL}/channels", headers=who("ref")).json()
    assert [(c["name"], c["target"], c["signed"], c["rules"]) for c in listed] == [
        ("ops hook", f"{receiver.base}/…", True, ["sla"]),
        ("referents", "ai-referents@helvia.example, sec@helvia.example", False, ["sla"]),
    ]
    assert "signing_key" not in listed[0]
    assert key not in json.dumps(listed)

    tested = gw.post(f"{URL}/channels/{hook_id}/test", headers=who("ref"))
    assert tested.json() == {"channel_id": hook_id, "delivered": True, "error": ""}
    (payload,) = verified(receiver, key)
    assert payload["type"] == "test"
    assert payload["channel"]["name"] == "ops hook"
    mail_id = listed[1]["id"]
    assert gw.post(f"{URL}/channels/{mail_id}/test", headers=who("ref")).json()["delivered"]
    (_, _, mail) = smtp[1].messages[0]
    assert mail["Subject"] == "[Gouvernail] Test of the alert channel referents"

    rotated = gw.patch(
        f"{URL}/channels/{hook_id}",
        json={"version": 1, "reason": "key leaked in a screenshot", "new_signing_key": True},
        headers=who("ref"),
    )
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["signing_key"]
    assert new_key
    assert new_key != key
    moved = gw.patch(
        f"{URL}/channels/{hook_id}",
        json={"version": 2, "reason": "new hook", "url": f"{receiver.base}/hooks/OTHER-T0KEN"},
        headers=who("ref"),
    )
    assert moved.status_code == 200
    assert moved.json()["signing_key"] is None
    receiver.statuses = [500, 500, 500]
    failing = gw.post(f"{URL}/channels/{hook_id}/test", headers=who("ref")).json()
    assert failing == {
        "channel_id": hook_id,
        "delivered": False,
        "error": "answered HTTP 500 (3 tries)",
    }
    recorded = [v for a, v in actions(world.rt) if a.startswith("alert.channel")]
    assert [v.get("delivered") for v in recorded if "delivered" in v] == [True, True, False]
    changed = [v for a, v in actions(world.rt) if a == "alert.channel_changed"]
    assert changed == [{"new_signing_key": True}, {"url_changed": True}]
    trail = trail_text(world.rt)
    for secret in ("T0KEN", "s3cr3t", key, new_key):
        assert secret not in trail


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"kind": "webhook", "url": "ftp://example.org/x"}, 400, "http(s) URL"),
        ({"kind": "webhook"}, 400, "http(s) URL"),
        ({"kind": "email", "recipients": []}, 400, "at least one recipient"),
        ({"kind": "email", "recipients": ["not-an-address"]}, 400, "not an e-mail address"),
        ({"kind": "email", "recipients": ["a@b.example"], "url": "https://x.example"}, 400,
         "no URL"),
        ({"kind": "webhook", "url": "https://x.example", "signing_key": "short"}, 422,
         "signing_key"),
        ({"kind": "sms", "url": "https://x.example"}, 422, "kind"),
    ],
)  # fmt: skip
def test_bad_channels_are_refused_saying_what_to_fix(
    client: TestClient,
    make_user: Callable[..., int],
    body: dict[str, Any],
    status: int,
    says: str,
) -> None:
    make_user("ref", "ai_referent")
    ref = signed_in(client, "ref")
    answer = client.post(
        f"{URL}/channels", json={"name": "x", "reason": "testing"} | body, headers=ref
    )
    assert answer.status_code == status, answer.text
    assert says in answer.text
    assert client.get(f"{URL}/channels", headers=ref).json() == []  # nothing half-written


def test_rules_are_edited_with_checked_thresholds_and_versions(
    client: TestClient, rt: Runtime, make_user: Callable[..., int]
) -> None:
    make_user("ref", "ai_referent")
    ref = signed_in(client, "ref")
    rules = {r["kind"]: r for r in client.get(f"{URL}/rules", headers=ref).json()}
    assert list(rules) == ["error_rate", "budget", "sla", "canary_drift", "shadow_spike"]
    assert rules["budget"]["thresholds"] == {"levels": [80, 100]}
    assert rules["budget"]["version"] == 0
    assert rules["budget"]["enabled"] is True

    def patch(kind: str, **body: Any) -> Any:
        return client.patch(f"{URL}/rules/{kind}", json={"reason": "tuning"} | body, headers=ref)

    for kind, thresholds, says in [
        ("budget", {"levels": [0]}, "thresholds.levels"),
        ("budget", {"percent": 90}, "budget rules have no threshold percent"),
        ("error_rate", {"max_rate": 2}, "thresholds.max_rate"),
        ("shadow_spike", {"factor": "high"}, "thresholds.factor"),
    ]:
        refused = patch(kind, version=0, thresholds=thresholds)
        assert refused.status_code == 400, refused.text
        assert says in refused.json()["error"]["message"] + str(refused.json()["error"]["field"])
    assert patch("budget", version=0, channels=[99]).status_code == 404
    assert client.patch(f"{URL}/rules/weather", json={}, headers=ref).status_code == 422

    changed = patch("budget", version=0, thresholds={"levels": [100, 50, 90]}, enabled=False)
    assert changed.status_code == 200, changed.text
    assert changed.json()["thresholds"] == {"levels": [50, 90, 100]}
    assert changed.json()["enabled"] is False
    assert changed.json()["version"] == 1
    stale = patch("budget", version=0, enabled=True)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert patch("budget", version=1, enabled=False).status_code == 400  # nothing changes
    back = patch("budget", version=1, thresholds={}, enabled=True).json()
    assert back["thresholds"] == {"levels": [80, 100]}
    assert back["overrides"] == {}
    ((_, first), (_, second)) = actions(rt, "alert.rule_changed")
    assert first == {"enabled": False, "thresholds": {"levels": [50, 90, 100]}}
    assert second == {"enabled": True, "thresholds": {}}


def test_who_may_read_and_manage_alerts(
    client: TestClient, rt: Runtime, make_user: Callable[..., int]
) -> None:
    for name, role in [
        ("ref", "ai_referent"),
        ("sec", "security_referent"),
        ("board", "committee_member"),
        ("aud", "auditor"),
        ("emp", None),
    ]:
        make_user(name, *([role] if role else []))
    sessions = {name: signed_in(client, name) for name in ("ref", "sec", "board", "aud", "emp")}
    assert client.get(URL).status_code == 401
    for reader in ("ref", "sec", "board", "aud"):
        for path in ("", "/rules", "/channels"):
            assert client.get(f"{URL}{path}", headers=sessions[reader]).status_code == 200
    writes = [
        ("post", "/check", None),
        ("patch", "/rules/sla", {"version": 0, "reason": "off", "enabled": False}),
        ("post", "/channels", {"name": "x", "kind": "email", "recipients": ["a@b.example"],
                               "reason": "why not"}),
        ("post", "/channels/1/test", None),
        ("post", "/1/acknowledge", {"note": "on it"}),
    ]  # fmt: skip
    for refused in ("board", "aud", "emp"):
        assert client.get(URL, headers=sessions["emp"]).status_code == 403
        for method, path, body in writes:
            answer = client.request(method, f"{URL}{path}", json=body, headers=sessions[refused])
            assert answer.status_code == 403, (refused, path)
    assert client.post(f"{URL}/check", headers=sessions["sec"]).status_code == 200
    unknown = client.post(f"{URL}/1/acknowledge", json={"note": "x"}, headers=sessions["sec"])
    assert unknown.status_code == 404
    assert rt.alerts.find() == []


def test_an_alert_is_acknowledged_once_and_still_resolves(
    gw: TestClient, world: World, who: Sessions, make_user: Callable[..., int]
) -> None:
    wire(gw, who, "sla", [], thresholds={"min_calls": 1})
    api_key = world.key("alice", "drafting")
    world.openai.fail(503, 503, 503, 503)
    assert call(gw, api_key, "req-a-1", max_tokens=10).status_code == 200
    (alert,) = check(gw, who)["raised"]
    make_user("board", "committee_member")
    refused = gw.post(
        f"{URL}/{alert['id']}/acknowledge", json={"note": "on it"}, headers=who("board")
    )
    assert refused.status_code == 403
    empty = gw.post(f"{URL}/{alert['id']}/acknowledge", json={"note": "  "}, headers=who("ref"))
    assert empty.status_code == 400
    assert empty.json()["error"]["field"] == "note"
    done = gw.post(
        f"{URL}/{alert['id']}/acknowledge",
        json={"note": "ticket with the vendor"},
        headers=who("ref"),
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["note"]) == (
        "acknowledged",
        "ticket with the vendor",
    )
    assert done.json()["acknowledged_by"] == "Ref"
    twice = gw.post(f"{URL}/{alert['id']}/acknowledge", json={"note": "again"}, headers=who("ref"))
    assert twice.status_code == 409
    assert check(gw, who)["raised"] == []  # acknowledged is still active: not raised again
    listed = gw.get(URL, params={"status": "acknowledged"}, headers=who("board")).json()
    assert [a["id"] for a in listed] == [alert["id"]]
    (record,) = [v for a, v in actions(world.rt) if a == "alert.acknowledged"]
    assert record["status"] == "acknowledged"

    later = world.rt.alerts.run_check(datetime.now(UTC) + timedelta(days=2))  # out of the window
    assert later.resolved == [alert["id"]]


# --- the job handler and the CLI ----------------------------------------------------------------


def test_the_job_handler_checks_and_counts(rt: Runtime, ctx: AuditContext, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    rt.shadow.import_file(ctx, shadow_log(tmp_path / "access.log", today), "squid")
    job = JobContext(
        id=1, kind="alerts.check", parameters=NoParameters(), attempt=1, audit=ctx, user_id=None
    )
    counts = asyncio.run(check_alerts(rt, job))
    assert counts == {"raised": 3, "resolved": 0, "delivered": 0, "failed": 0, "skipped": []}
    assert asyncio.run(check_alerts(rt, job))["raised"] == 0


def test_alerts_from_the_command_line(
    cli_env: Settings, rt: Runtime, ctx: AuditContext, tmp_path: Path, receiver: Receiver
) -> None:
    today = datetime.now(UTC).date()
    rt.shadow.import_file(ctx, shadow_log(tmp_path / "access.log", today), "squid")

    code, output = invoke("alert", "add-channel", "ops", "--webhook", receiver.url,
                          "--reason", "ops chat")  # fmt: skip
    assert code == 0, output
    assert f"channel 1: ops (webhook, signed, enabled) {receiver.base}/…" in output
    assert "signing key (shown once): " in output
    assert "T0KEN" not in output
    code, output = invoke(
        "alert", "rule", "shadow_spike", "--set", "direct_api=false", "--channel", "1",
        "--reason", "spikes only",
    )  # fmt: skip
    assert code == 0, output
    assert "shadow_spike: enabled, channels 1, version 1" in output
    assert "direct_api = false (overridden)" in output
    code, output = invoke("alert", "rules", "--json")
    assert code == 0, output
    shadow_rule = next(r for r in json.loads(output) if r["kind"] == "shadow_spike")
    assert shadow_rule["overrides"] == {"direct_api": False}

    code, output = invoke("alert", "check", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert [a["level"] for a in report["raised"]] == ["requests", "people"]
    assert report["delivered"] == 2
    code, output = invoke("alert", "check")
    assert code == 0
    assert "raised 0, resolved 0, delivered 0, failed 0" in output

    first = report["raised"][0]["id"]
    code, output = invoke("alert", "acknowledge", str(first), "--note", "asked the team")
    assert code == 0, output
    assert f"alert {first}: acknowledged warning shadow_spike" in output
    code, output = invoke("alert", "list", "--status", "acknowledged")
    assert code == 0
    assert f"alert {first}: acknowledged" in output
    code, output = invoke("alert", "show", str(first), "--json")
    assert json.loads(output)["note"] == "asked the team"
    code, output = invoke("alert", "channels")
    assert code == 0
    assert "rules: shadow_spike" in output
    code, output = invoke("alert", "test-channel", "1")
    assert code == 0
    assert "channel 1: test message delivered" in output
    code, output = invoke("alert", "test-channel", "7")
    assert code == 1
    assert "no alert channel 7" in output
    code, output = invoke("alert", "rule", "budget", "--set", "levels=[0]", "--reason", "bad")
    assert code == 1
    assert "thresholds.levels" in output
