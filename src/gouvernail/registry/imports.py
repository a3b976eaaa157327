"""Importing an existing inventory of AI use cases (CSV or XLSX, one row per use case).

Every row is checked first; each bad row is reported with its line, the column at fault and
what to fix. If any row is bad nothing is imported, unless ``partial`` is asked, in which case
the good rows are imported and the bad ones reported. A title already in the registry (or twice
in the file) is a bad row, so importing the same file again adds nothing.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select

from gouvernail.audit import AuditContext, Tx
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import Team, User
from gouvernail.registry.models import Status, UseCase
from gouvernail.registry.schemas import UseCaseIn
from gouvernail.registry.service import UseCases
from gouvernail.tables import MAX_BYTES, read_table

__all__ = ["MAX_BYTES", "ImportReport", "ImportRowError", "import_use_cases"]

COLUMNS = {
    "title": ("title", "titre", "name", "nom"),
    "description": ("description",),
    "requester": ("requester", "demandeur", "owner", "username"),
    "department": ("department", "departement", "team", "equipe"),
    "sponsor": ("sponsor",),
    "business_problem": ("business_problem", "probleme_metier", "problem"),
    "current_process": ("current_process", "processus_actuel"),
    "target_process": ("target_process", "processus_cible"),
    "objective": ("objective", "objectif"),
    "intended_users": ("intended_users", "utilisateurs"),
    "affected_people": ("affected_people", "personnes_concernees"),
    "expected_benefit": ("expected_benefit", "benefice_attendu", "benefit"),
    "sourcing": ("sourcing", "build_or_buy"),
    "preferred_hosting": ("preferred_hosting", "hebergement"),
}


class ImportRowError(BaseModel):
    line: int
    field: str
    message: str


class ImportReport(BaseModel):
    rows: int
    imported: list[str]
    errors: list[ImportRowError]
    partial: bool


def _norm(header: str) -> str:
    folded = header.strip().lower().translate(str.maketrans("éèêàçô", "eeeaco"))
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def _mapping(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _norm(name)
        for field, aliases in COLUMNS.items():
            if key in aliases and field not in found:
                found[field] = index
    for required in ("title", "description", "requester"):
        if required not in found:
            raise GouvernailError(
                f"the file has no {required!r} column (accepted: {', '.join(COLUMNS[required])})",
                field="file",
            )
    return found


def _cell(cells: list[Any], index: int | None) -> str:
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    return str(cells[index]).strip()


def import_use_cases(
    use_cases: UseCases,
    ctx: AuditContext,
    data: bytes,
    filename: str,
    *,
    partial: bool = False,
) -> ImportReport:
    table = read_table(data, filename)
    columns = _mapping(table.header)
    errors: list[ImportRowError] = []
    valid: list[tuple[int, int, UseCaseIn]] = []
    with use_cases.database.read() as session:
        users = {
            u.username: u.id for u in session.scalars(select(User).where(User.is_active.is_(True)))
        }
        teams = set(session.scalars(select(Team.slug)))
        titles = {
            t.casefold(): ref
            for t, ref in session.execute(
                select(func.lower(UseCase.title), UseCase.id).where(
                    UseCase.status != Status.RETIRED.value
                )
            )
        }
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        values = {field: _cell(cells, index) for field, index in columns.items()}
        requester = values.pop("requester")

        def bad(field: str, message: str, line: int = line) -> None:
            errors.append(ImportRowError(line=line, field=field, message=message))

        if requester not in users:
            bad("requester", f"no active user {requester!r}")
        if values.get("department") and values["department"] not in teams:
            bad("department", f"no team {values['department']!r}")
        if values.get("sponsor") and values["sponsor"] not in users:
            bad("sponsor", f"no active user {values['sponsor']!r}")
        key = values["title"].casefold()
        if key in titles:
            bad("title", f"already in the registry as UC-{titles[key]:04d}")
        elif key in seen:
            bad("title", f"the same title is on line {seen[key]}")
        seen.setdefault(key, line)
        fields = {name: value for name, value in values.items() if value}
        fields["duplicate_justification"] = f"imported from {filename}, line {line}"
        try:
            body = UseCaseIn.model_validate(fields)
        except ValidationError as error:
            for problem in error.errors():
                bad(".".join(str(p) for p in problem["loc"]), problem["msg"])
            continue
        if requester in users:
            valid.append((line, users[requester], body))
    lines_with_errors = {e.line for e in errors}
    if errors and not partial:
        raise GouvernailError(
            f"{len(lines_with_errors)} bad row(s); nothing was imported (fix them, or import "
            "the good rows only with partial=true)",
            field="file",
            code="import_rejected",
            status=422,
            details=[e.model_dump() for e in errors],
        )
    keep = [
        (line, requester_id, body)
        for line, requester_id, body in valid
        if line not in lines_with_errors
    ]

    def work(tx: Tx) -> list[str]:
        return [
            f"UC-{use_cases.create(tx, requester_id, body, []).id:04d}"
            for _, requester_id, body in keep
        ]

    imported = use_cases.trail.run(ctx, work) if keep else []
    return ImportReport(rows=len(table.rows), imported=imported, errors=errors, partial=partial)
