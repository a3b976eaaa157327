"""Vendors' seat exports (CSV or XLSX) read into seat rows.

- ``m365_copilot``: the Microsoft 365 admin centre's *Copilot usage* user detail report
  (Microsoft Graph ``getMicrosoft365CopilotUsageUserDetail``): ``Report Refresh Date``,
  ``User Principal Name``, ``Display Name``, ``Last Activity Date`` and one ``<app> Last
  Activity Date`` column per Copilot app (Teams, Word, Excel, PowerPoint, Outlook, OneNote,
  Loop, Copilot Chat…). It lists the people holding a Copilot licence, so every row is an
  assigned seat; the export's date is its ``Report Refresh Date``.
- ``generic``: any export with an e-mail column, optionally the last activity date, whether
  the seat is assigned and a display name; the column names default to ``email``,
  ``last_active``, ``assigned`` and ``display_name`` and a mapping renames them (a ChatGPT
  Enterprise or any other admin console's user export is read this way).

A row that cannot be read (no e-mail or UPN, a date that is not a date) is counted as
malformed with its line number and why, and the others are imported; a missing column refuses
the whole file. Dates are ISO (``2026-11-20``, or a date-time whose date is kept) or XLSX dates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gouvernail.errors import GouvernailError
from gouvernail.tables import read_table

EXAMPLES = 10
GENERIC_COLUMNS = ("email", "last_active", "assigned", "display_name")
IDENTITY = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,200}$")
TRUE = {"", "1", "true", "yes", "y", "assigned", "active", "licensed", "oui", "vrai"}
FALSE = {"0", "false", "no", "n", "unassigned", "removed", "inactive", "unlicensed", "non", "faux"}
M365_LAST = "last activity date"


@dataclass(frozen=True, slots=True)
class SeatRow:
    line: int
    identity: str
    """E-mail or UPN in lower case."""
    display_name: str
    assigned: bool
    last_active: date | None
    apps: dict[str, date]


@dataclass
class SeatExport:
    as_of: date | None
    """The export's own date when it has one (Microsoft's ``Report Refresh Date``)."""
    rows: list[SeatRow] = field(default_factory=list)
    records: int = 0
    malformed: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)

    def refuse(self, line: int, why: str) -> None:
        self.malformed += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append((line, why))


class _BadError(ValueError):
    pass


def read_seats(
    data: bytes, filename: str, kind: str, mapping: Mapping[str, str] | None = None
) -> SeatExport:
    """The seat rows of an export of format ``kind``; ``mapping``: generic column → header."""
    table = read_table(data, filename)
    header = [_norm(h) for h in table.header]
    if kind == "m365_copilot":
        if mapping:
            raise GouvernailError("a column mapping is for the generic format only", field="map")
        return _m365(header, table.rows)
    if kind == "generic":
        return _generic(header, table.rows, dict(mapping or {}))
    raise GouvernailError(
        f"unknown seat export format {kind!r}: m365_copilot or generic", field="format"
    )


def _m365(header: list[str], rows: list[tuple[int, list[Any]]]) -> SeatExport:
    upn = _column(header, "user principal name", "m365_copilot")
    last = _column(header, M365_LAST, "m365_copilot")
    name = _optional(header, "display name")
    refresh = _optional(header, "report refresh date")
    apps = {
        i: column.removesuffix(M365_LAST).strip()
        for i, column in enumerate(header)
        if column.endswith(" " + M365_LAST)
    }
    export = SeatExport(as_of=None)
    for line, cells in rows:
        export.records += 1
        try:
            identity = _identity(_cell(cells, upn), concealed=True)
            row = SeatRow(
                line=line,
                identity=identity,
                display_name=_text(_cell(cells, name))[:200],
                assigned=True,
                last_active=_date(_cell(cells, last), "Last Activity Date"),
                apps={
                    app: day
                    for i, app in apps.items()
                    if (day := _date(_cell(cells, i), f"{app} Last Activity Date")) is not None
                },
            )
            refreshed = _date(_cell(cells, refresh), "Report Refresh Date")
        except _BadError as error:
            export.refuse(line, str(error))
            continue
        if refreshed is not None:
            export.as_of = refreshed if export.as_of is None else max(export.as_of, refreshed)
        export.rows.append(row)
    return export


def _generic(
    header: list[str], rows: list[tuple[int, list[Any]]], mapping: dict[str, str]
) -> SeatExport:
    unknown = sorted(set(mapping) - set(GENERIC_COLUMNS))
    if unknown:
        raise GouvernailError(
            f"unknown column role(s) {unknown} in the mapping: {', '.join(GENERIC_COLUMNS)}",
            field="map",
        )
    names = {role: _norm(mapping.get(role, role)) for role in GENERIC_COLUMNS}
    email = _column(header, names["email"], "generic (map email=<your column>)")
    last = _optional(header, names["last_active"])
    assigned = _optional(header, names["assigned"])
    name = _optional(header, names["display_name"])
    for role in ("last_active", "assigned", "display_name"):
        if role in mapping and _optional(header, names[role]) is None:
            raise GouvernailError(
                f"the mapping names column {mapping[role]!r} for {role}, which the file does "
                f"not have (its columns: {', '.join(header)})",
                field="map",
            )
    export = SeatExport(as_of=None)
    for line, cells in rows:
        export.records += 1
        try:
            export.rows.append(
                SeatRow(
                    line=line,
                    identity=_identity(_cell(cells, email), concealed=False),
                    display_name=_text(_cell(cells, name))[:200],
                    assigned=_flag(_cell(cells, assigned)),
                    last_active=_date(_cell(cells, last), "last_active"),
                    apps={},
                )
            )
        except _BadError as error:
            export.refuse(line, str(error))
    return export


# --- cells -------------------------------------------------------------------------------------


def _norm(name: Any) -> str:
    text = re.sub(r"\s+", " ", str(name or "")).strip().lower()
    return text.removesuffix(" (utc)").strip()


def _column(header: list[str], name: str, kind: str) -> int:
    found = _optional(header, name)
    if found is None:
        raise GouvernailError(
            f"the file has no column {name!r}, which the {kind} format needs "
            f"(its columns: {', '.join(header) or 'none'})",
            field="file",
        )
    return found


def _optional(header: list[str], name: str) -> int | None:
    return header.index(name) if name in header else None


def _cell(cells: list[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _identity(cell: Any, *, concealed: bool) -> str:
    text = _text(cell).lower()
    if not text:
        raise _BadError("no e-mail or UPN")
    if not IDENTITY.match(text) or len(text) > 320:
        hint = (
            " (the report hides user names: turn off 'Display concealed user, group, and site "
            "names in all reports' in the admin centre's Org settings > Reports)"
            if concealed
            else ""
        )
        raise _BadError(f"not an e-mail or UPN{hint}")
    return text


def _date(cell: Any, column: str) -> date | None:
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = str(cell).strip()
    if not text or text.lower() in {"-", "never", "none", "null", "n/a"}:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise _BadError(f"{column} {text[:40]!r} is not an ISO date (YYYY-MM-DD)") from None


def _flag(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    text = _text(cell).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise _BadError(f"assigned {text[:40]!r} is neither yes nor no")
