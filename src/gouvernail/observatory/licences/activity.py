"""Outside tools' activity exports read into the messages people sent.

``chatgpt_compliance``: JSON lines shaped like the ChatGPT Enterprise Compliance API's records
(``GET /v1/compliance/workspaces/{id}/conversations``), one object per line, either

- a conversation: ``id``, ``user_email`` (or ``user: {email}``), ``messages`` (a list, or the
  API's ``{"data": [...]}`` page) of messages; or
- a single message: ``id``, ``conversation_id``, ``user_email`` and the message fields,

where a message has ``id``, ``created_at`` (Unix seconds or ISO 8601), ``author.role``
(``user``, ``assistant``, ``tool``, ``system``), ``content`` (``{"content_type": "text",
"parts": [...]}``, or ``text``) and optionally ``model`` (or ``metadata.model_slug``). The API
names a conversation's user by ``user_id``; exporters add the e-mail from its users endpoint
(``/users``: ``id`` → ``email``). Only the messages people wrote (``author.role`` ``user``)
are kept; the assistant's and tools' are counted and dropped. A line that cannot be read is
counted as malformed with its number and why (never its content, which may hold personal
data); a message without an id gets one from the hash of its conversation, author, time and
text, so the same message in two exports is counted once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

EXAMPLES = 10
MAX_TEXT = 200_000
"""Characters of one message inspected (the rest is counted, not read)."""


@dataclass(frozen=True, slots=True)
class Message:
    line: int
    external_id: str
    conversation_id: str
    identity: str
    at: datetime
    model: str
    text: str
    characters: int


@dataclass
class ActivityExport:
    messages: list[Message] = field(default_factory=list)
    records: int = 0
    malformed: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)
    replies: int = 0
    """Messages not written by the person (assistant, tools, system), counted and dropped."""

    def refuse(self, line: int, why: str) -> None:
        self.malformed += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append((line, why))


class _BadError(ValueError):
    pass


def read_activity(lines: Iterable[bytes]) -> ActivityExport:
    export = ActivityExport()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        export.records += 1
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            export.refuse(number, f"not JSON ({str(error).split(':')[0]})")
            continue
        if not isinstance(record, dict):
            export.refuse(number, "not a JSON object")
            continue
        problems: list[str] = []
        try:
            _record(export, number, record, problems)
        except _BadError as error:
            export.refuse(number, str(error))
            continue
        if problems:
            export.refuse(number, "; ".join(problems[:3]))
    return export


def _record(export: ActivityExport, line: int, record: dict[str, Any], problems: list[str]) -> None:
    if "messages" in record:
        messages = record["messages"]
        if isinstance(messages, dict):
            messages = messages.get("data")
        if not isinstance(messages, list):
            raise _BadError("messages is neither a list nor a page with data")
        conversation = _text(record.get("id"))
        owner = _email(record)
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                problems.append(f"message {index}: not an object")
                continue
            try:
                _message(export, line, message, conversation, owner)
            except _BadError as error:
                problems.append(f"message {index}: {error}")
        return
    if "author" not in record and "content" not in record:
        raise _BadError("neither a conversation (messages) nor a message (author, content)")
    _message(export, line, record, _text(record.get("conversation_id")), None)


def _message(
    export: ActivityExport,
    line: int,
    message: dict[str, Any],
    conversation: str,
    owner: str | None,
) -> None:
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if role is None:
        raise _BadError("no author.role")
    if role != "user":
        export.replies += 1
        return
    identity = _email(message) or owner
    if not identity:
        raise _BadError("no user_email: add each conversation's user e-mail to the export")
    at = _time(message.get("created_at"))
    text = _content(message.get("content"))
    metadata = message.get("metadata")
    model = _text(message.get("model")) or (
        _text(metadata.get("model_slug")) if isinstance(metadata, dict) else ""
    )
    external = _text(message.get("id")) or _digest(conversation, identity, at, text)
    export.messages.append(
        Message(
            line=line,
            external_id=external[:200],
            conversation_id=conversation[:200],
            identity=identity,
            at=at,
            model=model[:200],
            text=text[:MAX_TEXT],
            characters=len(text),
        )
    )


def _email(record: dict[str, Any]) -> str | None:
    value = record.get("user_email")
    user = record.get("user")
    if value is None and isinstance(user, dict):
        value = user.get("email")
    text = _text(value).lower()
    if not text:
        return None
    if "@" not in text or len(text) > 320:
        raise _BadError("user_email is not an e-mail")
    return text


def _time(value: Any) -> datetime:
    if isinstance(value, bool) or value is None:
        raise _BadError("no created_at")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise _BadError(f"created_at {value!r} is out of range") from None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _BadError("created_at is neither Unix seconds nor ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _content(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, dict):
        raise _BadError("content is neither text nor an object")
    parts = content.get("parts")
    if isinstance(parts, list):
        texts = [
            p if isinstance(p, str) else _text(p.get("text")) if isinstance(p, dict) else ""
            for p in parts
        ]
        return "\n".join(t for t in texts if t)
    return _text(content.get("text"))


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _digest(conversation: str, identity: str, at: datetime, text: str) -> str:
    material = "\x1f".join((conversation, identity, at.isoformat(), text))
    return "sha256:" + hashlib.sha256(material.encode()).hexdigest()
