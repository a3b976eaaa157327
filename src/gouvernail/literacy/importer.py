"""Reading a learning platform's export (CSV or XLSX) into typed rows, with every bad row
named by its line number, the field and the reason.

CSV: UTF-8 with or without BOM (UTF-16 with BOM too), else Latin-1; separators ``,`` ``;`` or
tab, guessed from the header line. XLSX: the first sheet. Columns are found by a mapping
(header names) or, by default, by common header names. Dates: ISO 8601, else day/month/year,
or the ``date_format`` given (strptime syntax); a date without a time zone is UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.errors import GouvernailError
from gouvernail.tables import MAX_BYTES, Table, read_table

__all__ = ["MAX_BYTES", "ImportMapping", "Table", "columns", "read_table"]

FIELDS = ("user", "module", "completed_at", "score", "evidence")
REQUIRED = ("user", "module", "completed_at")
ALIASES: dict[str, tuple[str, ...]] = {
    "user": (
        "email",
        "e_mail",
        "mail",
        "user_email",
        "learner_email",
        "username",
        "user",
        "login",
        "learner",
        "user_name",
    ),
    "module": ("module", "module_code", "course_code", "course_id", "course", "code", "training"),
    "completed_at": (
        "completed_at",
        "completion_date",
        "completed_on",
        "date_completed",
        "completed",
        "date",
    ),
    "score": ("score", "grade", "result", "score_percent"),
    "evidence": ("evidence", "certificate", "certificate_id", "reference", "record_id"),
}
DAY_FIRST = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y", "%d-%m-%Y")


class ImportMapping(BaseModel):
    """Which header holds each field (default: found by common names), and the date format."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(None, description="Column with the person's e-mail or username.")
    module: str | None = Field(None, description="Column with the module code.")
    completed_at: str | None = Field(None, description="Column with the completion date.")
    score: str | None = Field(None, description="Column with the score (0-100), optional.")
    evidence: str | None = Field(None, description="Column with a certificate id, optional.")
    date_format: str | None = Field(
        None, description="strptime format of dates, e.g. %m/%d/%Y; default ISO or d/m/Y."
    )


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def columns(header: list[str], mapping: ImportMapping) -> dict[str, int]:
    """field -> column index; an error names the mapping field when a column is not found."""
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for name in FIELDS:
        wanted = getattr(mapping, name)
        candidates = (_norm(wanted),) if wanted else ALIASES[name]
        index = next((names.index(c) for c in candidates if c in names), None)
        if index is None and (wanted or name in REQUIRED):
            raise GouvernailError(
                f"no column for {name}: looked for {list(candidates)} in the header "
                f"{header}; name it with mapping.{name}",
                field=f"mapping.{name}",
            )
        if index is not None:
            found[name] = index
    return found


def cell(cells: list[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def parse_date(value: Any, date_format: str | None) -> datetime:
    """A completion time in UTC; ``ValueError`` with the reason otherwise."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif value is None or str(value) == "":
        raise ValueError("no date")
    elif date_format:
        try:
            parsed = datetime.strptime(str(value), date_format)
        except ValueError:
            raise ValueError(f"{value!r} does not match the format {date_format!r}") from None
    else:
        text = str(value)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for fmt in DAY_FIRST:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(
                    f"{text!r} is not a date (YYYY-MM-DD, ISO 8601 or DD/MM/YYYY; "
                    "or give mapping.date_format)"
                ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_score(value: Any) -> float | None:
    if value is None or str(value) == "":
        return None
    if isinstance(value, int | float):
        score = float(value)
    else:
        text = str(value).replace("%", "").replace(",", ".").strip()
        try:
            score = float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if not 0 <= score <= 100:
        raise ValueError(f"{value!r} is not between 0 and 100")
    return score
