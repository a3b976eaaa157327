"""The catalogue: every use case with its status, tier, department, priority score and flags;
filters, sorting, text search, CSV and XLSX export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select

from gouvernail.identity.models import Team
from gouvernail.registry import views
from gouvernail.registry.models import UseCase
from gouvernail.registry.schemas import UseCaseSummary
from gouvernail.registry.service import UseCases


class Sort(StrEnum):
    PRIORITY = "priority"
    UPDATED = "updated"
    TITLE = "title"
    STATUS = "status"
    RELEVANCE = "relevance"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass
class Filters:
    status: list[str] = field(default_factory=list)
    tier: list[str] = field(default_factory=list)
    department: str | None = None
    flag: str | None = None
    q: str | None = None
    min_score: float | None = None


def search(use_cases: UseCases, filters: Filters, sort: Sort) -> list[UseCaseSummary]:
    relevance: dict[int, float] = {}
    if filters.q and filters.q.strip():
        for match in use_cases.duplicates.suggest(filters.q, "", k=1000, threshold=0.0):
            relevance[match.id] = match.similarity
    with use_cases.database.read() as session:
        query = select(UseCase)
        if filters.status:
            query = query.where(UseCase.status.in_(filters.status))
        if filters.tier:
            query = query.where(UseCase.ai_act_tier.in_(filters.tier))
        if filters.department:
            team = session.scalar(select(Team.id).where(Team.slug == filters.department))
            query = query.where(UseCase.department_id == team)
        if filters.q is not None:
            query = query.where(UseCase.id.in_(relevance))
        today = use_cases.today()
        found = list(session.scalars(query))
        loaded = views.Loaded.of(session, found)
        rows = [
            views.summary(session, use_case, use_cases.workflows, use_cases.weights, today, loaded)
            for use_case in found
        ]
    if filters.flag:
        rows = [row for row in rows if filters.flag in row.flags]
    if filters.min_score is not None:
        minimum = filters.min_score
        rows = [row for row in rows if (row.priority_score or 0) >= minimum]
    if sort is Sort.RELEVANCE or (filters.q and sort is Sort.PRIORITY):
        rows.sort(key=lambda row: -relevance.get(row.id, 0))
    elif sort is Sort.PRIORITY:
        rows.sort(key=lambda row: (row.priority_score is None, -(row.priority_score or 0), row.id))
    elif sort is Sort.UPDATED:
        rows.sort(key=lambda row: row.updated_at, reverse=True)
    else:
        rows.sort(key=lambda row: (getattr(row, sort.value), row.id))
    return rows


COLUMNS = (
    "reference",
    "title",
    "status",
    "ai_act_tier",
    "department",
    "requester",
    "sourcing",
    "priority_score",
    "flags",
    "updated_at",
)


def _cells(row: UseCaseSummary) -> list[str | float | None]:
    return [
        row.reference,
        row.title,
        row.status,
        row.ai_act_tier,
        row.department,
        row.requester.display_name,
        row.sourcing,
        row.priority_score,
        ", ".join(row.flags),
        row.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    ]


def _safe(value: str | float | None) -> str | float | None:
    """Neutralise spreadsheet formulas typed into a title (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def export(rows: Sequence[UseCaseSummary], fmt: ExportFormat) -> tuple[bytes, str]:
    if fmt is ExportFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_safe(cell) for cell in _cells(row)])
        return buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    from openpyxl import Workbook  # imported when used: 30 MB the server need not hold

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "use cases"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_safe(cell) for cell in _cells(row)])
    out = io.BytesIO()
    book.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
