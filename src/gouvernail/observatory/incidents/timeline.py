"""The lines of an incident's timeline: who wrote them (``Author``) and what each change says,
including the serious-incident flag being raised, moved or dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gouvernail.observatory.incidents.models import Incident, IncidentEntry
from gouvernail.observatory.incidents.schemas import Assessment
from gouvernail.observatory.incidents.views import FIELDS


@dataclass(frozen=True)
class Author:
    """Who writes a timeline line: a user and their printed name at the time."""

    user_id: int
    name: str


def add_line(
    session: Session, incident: Incident, author: Author, kind: str, text: str, now: datetime
) -> IncidentEntry:
    entry = IncidentEntry(
        incident_id=incident.id,
        at=now,
        author_id=author.user_id,
        author_name=author.name,
        kind=kind,
        text=text,
    )
    session.add(entry)
    session.flush()
    return entry


def change_lines(old: dict[str, Any], new: dict[str, Any], reason: str) -> list[tuple[str, str]]:
    """The (kind, text) lines of a change: status, severity and harms each their own line, the
    other fields together."""
    lines: list[tuple[str, str]] = []
    for name in ("status", "severity", "harms"):
        if name in new:
            was, now = old[name], new[name]
            if name == "harms":
                was, now = ", ".join(was), ", ".join(now)
            label = "Reopened" if name == "status" and now == "open" else name.capitalize()
            lines.append((name, f"{label}: {was} → {now}. {reason}"))
    rest = [n for n in FIELDS if n in new and n not in ("status", "severity", "harms")]
    if rest:
        shown = [
            n if n in ("title", "description") else f"{n} {_text(old[n])} → {_text(new[n])}"
            for n in rest
        ]
        lines.append(("changed", f"Changed {'; '.join(shown)}. {reason}"))
    return lines


def flag_line(before: Assessment | None, after: Assessment) -> str | None:
    """The text of an ``assessment`` line when the serious-incident flag is raised, dropped or
    its deadline moves; None when nothing changed."""
    was = (before.possibly_serious, before.report_by) if before else (False, None)
    if was == (after.possibly_serious, after.report_by):
        return None
    if not after.possibly_serious:
        return "No longer flagged as a possible serious incident under the AI Act."
    deadline = min(after.deadlines, key=lambda d: d.due_at)
    return (
        f"Possibly a serious incident under the AI Act: report it to the market surveillance "
        f"authority by {deadline.due_at:%Y-%m-%d %H:%M} UTC ({deadline.article}, "
        f"{deadline.days} days from detection)."
    )


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
