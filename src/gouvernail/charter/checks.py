"""Checks on charter input: rules, text limits, known trainings, activation schedule. Each
refusal names the field at fault; nothing is written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.charter.acceptance import Timeline
from gouvernail.charter.rules import CharterRules, RuleError
from gouvernail.errors import GouvernailError
from gouvernail.literacy.models import TrainingModule

MAX_BODY = 100_000
MAX_GRACE_DAYS = 365
MAX_SCHEDULE_DAYS = 366


def parse_rules(rules: Any) -> CharterRules:
    try:
        return CharterRules.model_validate(rules)
    except ValidationError as error:
        first = error.errors()[0]
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, RuleError):
            raise GouvernailError(
                f"charter rules: {cause.field}: {cause}", field=f"rules.{cause.field}"
            ) from None
        where = ".".join(str(part) for part in first["loc"])
        raise GouvernailError(
            f"charter rules: {where or 'rules'}: {first['msg']}",
            field=f"rules.{where}" if where else "rules",
        ) from None


def check_text(title: str | None, body: str | None) -> None:
    if title is not None and not title.strip():
        raise GouvernailError("the charter needs a title", field="title")
    if title is not None and len(title.strip()) > 200:
        raise GouvernailError("the title has at most 200 characters", field="title")
    if body is not None and not body.strip():
        raise GouvernailError("the charter needs its text (Markdown)", field="body")
    if body is not None and len(body) > MAX_BODY:
        raise GouvernailError(
            f"the charter text has {len(body)} characters; at most {MAX_BODY}", field="body"
        )


def check_trainings(session: Session, rules: CharterRules) -> None:
    """Once training modules exist, the required trainings must name existing ones."""
    known = set(session.scalars(select(TrainingModule.code)))
    unknown = sorted(set(rules.required_trainings) - known)
    if known and unknown:
        raise GouvernailError(
            f"required_trainings names unknown training module(s) {unknown}; known modules: "
            f"{sorted(known)} (create the module first)",
            field="rules.required_trainings",
        )


def check_schedule(session: Session, effective: datetime, now: datetime) -> None:
    if effective < now - timedelta(minutes=1):
        raise GouvernailError(
            "effective_at is in the past; omit it to put the charter in force now",
            field="effective_at",
        )
    if effective > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise GouvernailError(
            f"effective_at is more than {MAX_SCHEDULE_DAYS} days away", field="effective_at"
        )
    last = Timeline.load(session).versions
    if last and effective < last[-1].effective_at:
        raise GouvernailError(
            f"charter {last[-1].number} comes into force on "
            f"{last[-1].effective_at:%Y-%m-%d %H:%M} UTC; a new version cannot come into force "
            "before it (withdraw it first)",
            field="effective_at",
        )
