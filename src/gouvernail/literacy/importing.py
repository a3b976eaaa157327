"""Checking the rows of an export against the directory and the modules: who, which module,
when, score. Every bad row is reported with its line number, the field and the reason; rows
already recorded (or repeated in the file) are duplicates, skipped without error."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.errors import GouvernailError
from gouvernail.identity.models import User
from gouvernail.literacy import importer
from gouvernail.literacy.models import TrainingCompletion, TrainingModule

SHOWN_IN_MESSAGE = 5


class ImportRowError(BaseModel):
    line: int
    field: str
    reason: str


class ImportReport(BaseModel):
    """What an import found and did. ``committed`` is false for a dry run."""

    filename: str
    format: str
    encoding: str | None
    delimiter: str | None
    rows: int
    valid: int
    imported: int
    duplicates: int
    rejected: int
    committed: bool
    partial: bool
    dry_run: bool
    import_id: int | None
    errors: list[ImportRowError]


class ImportRejectedError(GouvernailError):
    """Some rows are bad and no partial import was asked for: nothing was imported."""

    status = 422
    code = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        shown = "; ".join(
            f"line {e.line} ({e.field}): {e.reason}" for e in report.errors[:SHOWN_IN_MESSAGE]
        )
        more = len(report.errors) - SHOWN_IN_MESSAGE
        super().__init__(
            f"{report.rejected} bad row(s), nothing imported: {shown}"
            + (f"; and {more} more" if more > 0 else "")
            + f". Fix them, or pass partial=true to import the {report.valid} good row(s).",
            field="file",
        )
        self.report = report


def validate_rows(
    session: Session,
    table: importer.Table,
    found: dict[str, int],
    date_format: str | None,
    now: datetime,
    base: dict[str, Any],
) -> tuple[ImportReport, list[dict[str, Any]]]:
    """The report (not yet committed) and the completion rows to insert."""
    by_email: dict[str, int] = {}
    by_username: dict[str, int] = {}
    for user_id, username, email in session.execute(
        select(User.id, User.username, func.lower(User.email))
    ):
        by_username[username] = user_id
        if email:
            by_email[email] = user_id
    modules = {
        code: (module_id, validity)
        for module_id, code, validity in session.execute(
            select(TrainingModule.id, TrainingModule.code, TrainingModule.validity_days)
        )
    }
    named = {str(importer.cell(cells, found["module"]) or "") for _, cells in table.rows}
    seen: set[tuple[int, int, datetime]] = {
        (user_id, module_id, completed_at)
        for user_id, module_id, completed_at in session.execute(
            select(
                TrainingCompletion.user_id,
                TrainingCompletion.module_id,
                TrainingCompletion.completed_at,
            ).where(
                TrainingCompletion.module_id.in_([modules[c][0] for c in named if c in modules])
            )
        )
    }
    errors: list[ImportRowError] = []
    rows: list[dict[str, Any]] = []
    duplicates = 0
    bad_lines: set[int] = set()
    for line, cells in table.rows:

        def bad(field: str, reason: str, line: int = line) -> None:
            errors.append(ImportRowError(line=line, field=field, reason=reason))
            bad_lines.add(line)

        who = str(importer.cell(cells, found["user"]) or "").lower()
        user_id = by_email.get(who) if "@" in who else by_username.get(who)
        if user_id is None:
            bad("user", f"no user with e-mail or username {who!r}" if who else "empty")
        code = str(importer.cell(cells, found["module"]) or "")
        module = modules.get(code)
        if module is None:
            bad("module", f"no training module with code {code!r}" if code else "empty")
        try:
            completed_at = importer.parse_date(
                importer.cell(cells, found["completed_at"]), date_format
            )
            if completed_at > now + timedelta(minutes=5):
                bad("completed_at", f"{completed_at:%Y-%m-%d %H:%M} is in the future")
        except ValueError as error:
            bad("completed_at", str(error))
        try:
            score = importer.parse_score(importer.cell(cells, found.get("score")))
        except ValueError as error:
            bad("score", str(error))
        evidence = importer.cell(cells, found.get("evidence"))
        evidence_text = None if evidence in (None, "") else str(evidence)
        if evidence_text is not None and len(evidence_text) > 500:
            bad("evidence", "more than 500 characters")
        if line in bad_lines or user_id is None or module is None:
            continue
        key = (user_id, module[0], completed_at)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        rows.append(
            {
                "user_id": user_id,
                "module_id": module[0],
                "completed_at": completed_at,
                "expires_at": None
                if module[1] is None
                else completed_at + timedelta(days=module[1]),
                "score": score,
                "source": "imported",
                "evidence": evidence_text,
                "recorded_at": now,
            }
        )
    report = ImportReport(
        **base,
        valid=len(rows),
        imported=0,
        duplicates=duplicates,
        rejected=len(bad_lines),
        committed=False,
        import_id=None,
        errors=errors,
    )
    return report, rows
