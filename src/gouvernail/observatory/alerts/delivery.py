"""Sending alerts: webhooks (a JSON POST signed with HMAC-SHA256, retried on 5xx and timeouts
with a doubling backoff, redirects never followed) and e-mail (SMTP through the standard
library, STARTTLS optional). A failure raises ``DeliveryError`` with a message fit for the audit
trail: never the webhook URL (it may hold a token), the signing key or the SMTP password.

A receiver checks a webhook by recomputing ``hex(HMAC-SHA256(key, raw body))`` and comparing it
in constant time with the ``X-Gouvernail-Signature-256: sha256=<hex>`` header
(``docs/observatory.md``, Alerts)."""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from gouvernail import __version__
from gouvernail.observatory.alerts.models import ChannelKind
from gouvernail.settings import AlertSettings

SIGNATURE_HEADER = "X-Gouvernail-Signature-256"


class DeliveryError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Target:
    """A channel as the sender needs it."""

    id: int
    name: str
    kind: ChannelKind
    url: str
    recipients: tuple[str, ...]
    signing_key: str | None


@dataclass(frozen=True, slots=True)
class Message:
    """One alert (or a test) ready to send: the webhook's JSON and the e-mail's subject and
    text."""

    payload: dict[str, Any]
    subject: str
    text: str


def redact(url: str) -> str:
    """A webhook URL fit for display and the audit trail: scheme, host and port; the path and
    query (where tokens live) hidden."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    hidden = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def signature(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


class Sender:
    """Sends messages with the ``alerts.*`` settings; ``sleep`` is the backoff's clock."""

    def __init__(
        self, settings: AlertSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self.sleep = sleep

    def send(self, target: Target, message: Message, delivery: str) -> str:
        """Deliver ``message``; returns what to record (e.g. the HTTP status). ``delivery``: an
        id the receiver can deduplicate on (``X-Gouvernail-Delivery``)."""
        if target.kind is ChannelKind.WEBHOOK:
            return self._post(target, message, delivery)
        return self._mail(target, message, delivery)

    # --- webhooks ------------------------------------------------------------------------------

    def _post(self, target: Target, message: Message, delivery: str) -> str:
        s = self.settings
        body = orjson.dumps(message.payload)
        headers = {
            "content-type": "application/json",
            "user-agent": f"Gouvernail/{__version__}",
            "x-gouvernail-delivery": delivery,
        }
        if target.signing_key:
            headers[SIGNATURE_HEADER.lower()] = signature(target.signing_key, body)
        wait = s.webhook_backoff_seconds
        error = ""
        with httpx.Client(timeout=s.webhook_timeout_seconds, follow_redirects=False) as client:
            for attempt in range(s.webhook_retries + 1):
                if attempt:
                    self.sleep(wait)
                    wait *= 2
                try:
                    response = client.post(target.url, content=body, headers=headers)
                except httpx.TimeoutException:
                    error = f"no answer within {s.webhook_timeout_seconds:g} s"
                    continue
                except httpx.HTTPError as failure:
                    error = f"could not reach {redact(target.url)}: {type(failure).__name__}"
                    continue
                status = response.status_code
                if 200 <= status < 300:
                    return f"HTTP {status}"
                if 300 <= status < 400:
                    raise DeliveryError(f"answered HTTP {status} (a redirect, not followed)")
                if status < 500:
                    raise DeliveryError(f"answered HTTP {status}")
                error = f"answered HTTP {status}"
        tries = s.webhook_retries + 1
        raise DeliveryError(f"{error} ({tries} tr{'ies' if tries > 1 else 'y'})")

    # --- e-mail --------------------------------------------------------------------------------

    def _mail(self, target: Target, message: Message, delivery: str) -> str:
        s = self.settings
        if not s.smtp_host:
            raise DeliveryError("no SMTP server: set alerts.smtp_host")
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = s.smtp_from
        mail["To"] = ", ".join(target.recipients)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(idstring=delivery.replace(":", "."), domain="gouvernail")
        mail["X-Gouvernail-Delivery"] = delivery
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
                refused = smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as failure:
            raise DeliveryError(f"SMTP login refused (code {failure.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as failure:
            raise DeliveryError(
                f"every recipient was refused: {', '.join(sorted(failure.recipients))}"
            ) from None
        except (smtplib.SMTPException, OSError) as failure:
            raise DeliveryError(f"SMTP {type(failure).__name__}: {failure}") from None
        if refused:
            return f"sent; refused for {', '.join(sorted(refused))}"
        return f"sent to {len(target.recipients)} recipient(s)"
