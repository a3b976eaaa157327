"""Licences and outside tools (``runtime.licences``): declare the tools bought, import the
vendors' seat exports and the outside tools' activity exports, and read the figures.

Both imports are all or nothing: the file is read and (for activity) inspected first, then
everything is written in one unit of work of the audit trail, with the event that records it.
A file is identified by its SHA-256 per tool: the same file again is refused with 409
``already_imported`` and changes nothing. A newer seat export replaces the assignments (seats
it no longer lists are released); an older one only adds the activity dates it knows. The
same message in two activity exports is kept once (the vendor's message id).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.observatory.licences import events as ev
from gouvernail.observatory.licences import report as figures
from gouvernail.observatory.licences.activity import ActivityExport, Message, read_activity
from gouvernail.observatory.licences.formats import SeatExport, SeatRow, read_seats
from gouvernail.observatory.licences.models import (
    LicenceImport,
    LicenceMessage,
    LicenceSeat,
    LicensedTool,
)
from gouvernail.observatory.licences.people import CHUNK, Departments, match_users
from gouvernail.observatory.licences.schemas import (
    Example,
    FindingView,
    ImportView,
    LicenceCost,
    LicenceReport,
    SeatView,
    ToolIn,
    ToolPatch,
    ToolView,
)
from gouvernail.observatory.licences.screening import Screen, Screened
from gouvernail.observatory.licences.tools import (
    check,
    cost,
    effective,
    vendor_id,
    view,
)
from gouvernail.settings import LicenceSettings

if TYPE_CHECKING:
    from gouvernail.inspection import Inspector

MESSAGES = LicenceMessage.__table__
UNKNOWN_KEPT = 1000
FIELDS = (
    "name",
    "vendor",
    "models",
    "use_case_id",
    "hosting",
    "max_data_class",
    "seat_price",
    "currency",
    "billing_period",
    "seats_bought",
    "notes",
)


class Licences:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        settings: LicenceSettings,
        *,
        charter: Callable[[], CharterRules | None],
        inspector: Callable[[], Inspector | None],
        inspection_mode: Literal["full", "fast"] = "full",
        today: Callable[[], date] = lambda: utcnow().date(),
    ) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings
        self.charter = charter
        self.inspector = inspector
        self.inspection_mode = inspection_mode
        self.today = today

    # --- tools --------------------------------------------------------------------------------

    def tools(self) -> list[ToolView]:
        with self.database.read() as session:
            rows = session.scalars(select(LicensedTool).order_by(LicensedTool.slug))
            return [view(session, row) for row in rows]

    def tool(self, slug: str) -> ToolView:
        with self.database.read() as session:
            return view(session, _tool(session, slug))

    def add_tool(self, context: AuditContext, body: ToolIn) -> ToolView:
        charter = self.charter()

        def work(tx: Tx) -> ToolView:
            session = tx.session
            if session.scalar(select(LicensedTool.id).where(LicensedTool.slug == body.slug)):
                raise ConflictError(f"a tool {body.slug!r} exists already", field="slug")
            row = LicensedTool(
                slug=body.slug,
                name=body.name,
                vendor_id=vendor_id(session, body.vendor),
                models=orjson.dumps(body.models).decode(),
                use_case_id=body.use_case_id,
                hosting=body.hosting.value if body.hosting else None,
                max_data_class=body.max_data_class,
                seat_price=body.seat_price,
                currency=body.currency,
                billing_period=body.billing_period,
                seats_bought=body.seats_bought,
                notes=body.notes,
                version=1,
            )
            check(session, row, charter)
            session.add(row)
            session.flush()
            tx.emit(ev.ToolAdded(object_id=row.slug, object_version=1, new=_fields(session, row)))
            return view(session, row)

        return self.trail.run(context, work)

    def change_tool(self, context: AuditContext, slug: str, patch: ToolPatch) -> ToolView:
        given = patch.model_dump(exclude_unset=True, exclude={"version", "reason"})
        if not given:
            raise GouvernailError("nothing to change: send at least one field of the tool")
        charter = self.charter()

        def work(tx: Tx) -> ToolView:
            session = tx.session
            row = _tool(session, slug, lock=True)
            if row.version != patch.version:
                raise ConflictError(
                    f"{slug} changed since you read it (version {row.version}, you had "
                    f"{patch.version}): read it again",
                    field="version",
                    code="version_conflict",
                )
            old = _fields(session, row)
            for name, value in given.items():
                if name == "vendor":
                    row.vendor_id = vendor_id(session, value)
                elif name == "models":
                    row.models = orjson.dumps(value or []).decode()
                elif name == "hosting":
                    row.hosting = str(value) if value is not None else None
                elif name in {"name", "billing_period", "seats_bought", "notes"}:
                    if value is None:
                        raise GouvernailError(f"{name} cannot be cleared", field=name)
                    setattr(row, name, value)
                else:
                    setattr(row, name, value)
            new = _fields(session, row)
            changed = sorted(k for k in new if new[k] != old[k])
            if not changed:
                raise GouvernailError("nothing to change: the values sent are the current ones")
            check(session, row, charter)
            row.version += 1
            row.updated_at = utcnow()
            tx.emit(
                ev.ToolChanged(
                    object_id=row.slug,
                    object_version=row.version,
                    old={k: old[k] for k in changed},
                    new={k: new[k] for k in changed},
                    reason=patch.reason,
                )
            )
            return view(session, row)

        return self.trail.run(context, work)

    # --- costs (read by the ROI figures) -----------------------------------------------------

    def monthly_cost(self, slug: str) -> LicenceCost:
        """What a tool's seats cost per month: seats billed (the larger of bought and
        assigned) x the monthly seat price (an annual price / 12); ``monthly`` is None when
        neither the tool nor its inventory models declare a seat price."""
        with self.database.read() as session:
            return cost(session, _tool(session, slug))

    def use_case_costs(self, use_case_id: int) -> list[LicenceCost]:
        """The monthly cost of each tool tied to a use case (one per tool: currencies may
        differ); empty when no tool is."""
        with self.database.read() as session:
            rows = session.scalars(
                select(LicensedTool)
                .where(LicensedTool.use_case_id == use_case_id)
                .order_by(LicensedTool.slug)
            )
            return [cost(session, row) for row in rows]

    # --- seat exports ------------------------------------------------------------------------

    def import_seats(
        self,
        context: AuditContext,
        slug: str,
        data: bytes,
        *,
        name: str,
        format: str,
        mapping: Mapping[str, str] | None = None,
        as_of: date | None = None,
    ) -> ImportView:
        """Import a vendor's seat export for a tool (see ``formats``); 409 if this file was
        imported for it already."""
        digest = hashlib.sha256(data).hexdigest()
        self._not_imported(slug, "seats", digest)
        export = read_seats(data, name, format, mapping)
        rows = _distinct(export)
        day = export.as_of or as_of or self.today()
        if as_of is not None and export.as_of is not None and as_of != export.as_of:
            raise GouvernailError(
                f"the export says it was refreshed on {export.as_of}: leave as_of out",
                field="as_of",
            )

        def work(tx: Tx) -> ImportView:
            session = tx.session
            tool = _tool(session, slug, lock=True)
            _refuse_duplicate(session, tool.id, "seats", digest)
            record = _import_row(context, tool, "seats", format, name, digest, export, day)
            session.add(record)
            session.flush()
            summary, unknown = _apply_seats(session, tool, record.id, rows, day)
            _finish(record, unknown, summary)
            tx.emit(
                ev.SeatsImported(
                    object_id=str(record.id),
                    new=_event(tool, record) | {"as_of": day.isoformat()},
                )
            )
            return _import_view(record, tool.slug, show_people=True)

        return self.trail.run(context, work)

    # --- activity exports --------------------------------------------------------------------

    def import_activity(
        self, context: AuditContext, slug: str, path: Path, *, name: str, format: str
    ) -> ImportView:
        """Import an outside tool's activity export (JSON lines), inspect what people sent
        against the charter, and keep the figures (never the text); 409 if imported already."""
        charter, hosting, ceiling = self._activity_preconditions(slug, path, format)
        digest = hashlib.sha256()
        export = read_activity(_lines(path, digest))
        sha = digest.hexdigest()
        self._not_imported(slug, "activity", sha)
        screen = Screen(
            self.inspector(),
            charter,
            hosting=hosting,
            max_data_class=ceiling,
            mode=self.inspection_mode,
        )
        unique: dict[str, Message] = {}
        for message in export.messages:
            unique.setdefault(message.external_id, message)
        screened = [(m, screen(m.text)) for m in unique.values()]

        def work(tx: Tx) -> ImportView:
            session = tx.session
            tool = _tool(session, slug, lock=True)
            _refuse_duplicate(session, tool.id, "activity", sha)
            record = _import_row(context, tool, "activity", format, name, sha, export, None)
            session.add(record)
            session.flush()
            summary, unknown = _store_messages(session, tool, record.id, screened)
            summary["duplicates"] += len(export.messages) - len(unique)
            summary["replies"] = export.replies
            _finish(record, unknown, summary)
            tx.emit(ev.ActivityImported(object_id=str(record.id), new=_event(tool, record)))
            return _import_view(record, tool.slug, show_people=True)

        return self.trail.run(context, work)

    # --- reading -----------------------------------------------------------------------------

    def imports(self, *, show_people: bool, limit: int = 100) -> list[ImportView]:
        with self.database.read() as session:
            rows = session.execute(
                select(LicenceImport, LicensedTool.slug)
                .join(LicensedTool, LicensedTool.id == LicenceImport.tool_id)
                .order_by(LicenceImport.id.desc())
                .limit(limit)
            )
            return [_import_view(r, slug, show_people=show_people) for r, slug in rows]

    def get_import(self, import_id: int, *, show_people: bool) -> ImportView:
        with self.database.read() as session:
            found = session.execute(
                select(LicenceImport, LicensedTool.slug)
                .join(LicensedTool, LicensedTool.id == LicenceImport.tool_id)
                .where(LicenceImport.id == import_id)
            ).first()
            if found is None:
                raise NotFoundError(f"no licence import {import_id}")
            return _import_view(found[0], found[1], show_people=show_people)

    def report(
        self,
        *,
        people_visible: bool,
        as_of: date | None = None,
        reclaim_after: int | None = None,
    ) -> LicenceReport:
        """Every tool's figures at ``as_of`` (default today); per-person reclaim rows only
        when ``people_visible``."""
        day = as_of or self.today()
        after = reclaim_after or self.settings.reclaim_after_days
        charter = self.charter()
        with self.database.read() as session:
            departments = Departments(session)
            tools = list(session.scalars(select(LicensedTool).order_by(LicensedTool.slug)))
            return LicenceReport(
                as_of=day,
                windows=list(figures.WINDOWS),
                reclaim_after_days=after,
                people_visible=people_visible,
                tools=[
                    figures.figures(
                        session,
                        tool,
                        day,
                        reclaim_after=after,
                        people_visible=people_visible,
                        charter=charter,
                        departments=departments,
                    )
                    for tool in tools
                ],
            )

    def seats(self, slug: str, as_of: date | None = None) -> list[SeatView]:
        with self.database.read() as session:
            return figures.seat_views(
                session, _tool(session, slug), as_of or self.today(), Departments(session)
            )

    def findings(
        self, *, tool: str | None = None, since: date | None = None, until: date | None = None
    ) -> list[FindingView]:
        """Per tool and person, messages with data above what the charter lets the tool
        receive (default: the last 90 days)."""
        last = until or self.today()
        first = since or last - timedelta(days=89)
        with self.database.read() as session:
            tools = (
                [_tool(session, tool)]
                if tool
                else list(session.scalars(select(LicensedTool).order_by(LicensedTool.slug)))
            )
            return figures.finding_views(
                session, tools, self.charter(), first, last, Departments(session)
            )

    def check_activity(self, slug: str, path: Path, *, format: str) -> None:
        """Refuse now what ``import_activity`` would refuse before reading the messages (the
        format, an empty file, no charter in force, a tool without hosting or ceiling, the
        same file imported already), so an upload is answered at once rather than by a
        failed job."""
        self._activity_preconditions(slug, path, format)
        digest = hashlib.sha256()
        with path.open("rb") as file:
            while block := file.read(1 << 20):
                digest.update(block)
        self._not_imported(slug, "activity", digest.hexdigest())

    def _activity_preconditions(
        self, slug: str, path: Path, format: str
    ) -> tuple[CharterRules, str, str]:
        """The charter in force, the tool's hosting and its data-class ceiling."""
        if format != "chatgpt_compliance":
            raise GouvernailError(
                f"unknown activity export format {format!r}: chatgpt_compliance", field="format"
            )
        if not path.is_file() or path.stat().st_size == 0:
            raise GouvernailError(f"{path.name} is empty or not a file", field="file")
        charter = self.charter()
        if charter is None:
            raise ConflictError(
                "no charter is in force: its data rules decide what each tool may receive; "
                "activate a charter, then import",
                code="no_charter",
            )
        with self.database.read() as session:
            found = effective(session, _tool(session, slug))
        if found.hosting is None or found.max_data_class is None:  # refused when declared
            raise GouvernailError(f"{slug}: give its hosting and max_data_class first")
        return charter, found.hosting, found.max_data_class

    def _not_imported(self, slug: str, kind: str, digest: str) -> None:
        with self.database.read() as session:
            _refuse_duplicate(session, _tool(session, slug).id, kind, digest)


# --- helpers -----------------------------------------------------------------------------------


def _tool(session: Session, slug: str, *, lock: bool = False) -> LicensedTool:
    query = select(LicensedTool).where(LicensedTool.slug == slug)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFoundError(f"no licensed tool {slug!r}", field="tool")
    return row


def _fields(session: Session, row: LicensedTool) -> dict[str, Any]:
    found = effective(session, row)
    return {
        "name": row.name,
        "vendor": found.vendor,
        "models": found.models,
        "use_case_id": row.use_case_id,
        "hosting": row.hosting,
        "max_data_class": row.max_data_class,
        "seat_price": None if row.seat_price is None else str(Decimal(row.seat_price).normalize()),
        "currency": row.currency,
        "billing_period": row.billing_period,
        "seats_bought": row.seats_bought,
        "notes": row.notes,
    }


def _refuse_duplicate(session: Session, tool_id: int, kind: str, digest: str) -> None:
    earlier = session.scalar(
        select(LicenceImport).where(
            LicenceImport.tool_id == tool_id,
            LicenceImport.kind == kind,
            LicenceImport.sha256 == digest,
        )
    )
    if earlier is not None:
        raise ConflictError(
            f"this file was imported already (import {earlier.id}, {earlier.name}, "
            f"{earlier.imported_at:%Y-%m-%d %H:%M} UTC): nothing changed",
            field="file",
            code="already_imported",
        )


def _distinct(export: SeatExport) -> list[SeatRow]:
    """Rows with the identity listed first; a later row for the same person is malformed."""
    seen: set[str] = set()
    rows = []
    for row in export.rows:
        if row.identity in seen:
            export.refuse(row.line, "the same person is listed again: the first row is kept")
            continue
        seen.add(row.identity)
        rows.append(row)
    return rows


def _import_row(
    context: AuditContext,
    tool: LicensedTool,
    kind: str,
    format: str,
    name: str,
    digest: str,
    export: SeatExport | ActivityExport,
    as_of: date | None,
) -> LicenceImport:
    return LicenceImport(
        tool_id=tool.id,
        kind=kind,
        format=format,
        name=name[:500],
        sha256=digest,
        as_of=as_of,
        records=export.records,
        malformed=export.malformed,
        examples=orjson.dumps([{"line": n, "why": w} for n, w in export.examples]).decode(),
        imported_by=context.actor.name[:200],
        imported_at=utcnow(),
    )


def _apply_seats(
    session: Session, tool: LicensedTool, import_id: int, rows: list[SeatRow], day: date
) -> tuple[dict[str, int], list[str]]:
    newer = tool.seats_as_of is None or day >= tool.seats_as_of
    existing = {
        s.identity: s
        for s in session.scalars(select(LicenceSeat).where(LicenceSeat.tool_id == tool.id))
    }
    people = match_users(session, [r.identity for r in rows])
    counts = dict.fromkeys(("added", "updated", "released", "reassigned", "older_export"), 0)
    counts["older_export"] = 0 if newer else 1
    unknown: list[str] = []
    for row in rows:
        person = people.get(row.identity)
        if person is None:
            unknown.append(row.identity)
        seat = existing.get(row.identity)
        if seat is None:
            if not row.assigned or not newer:
                continue
            session.add(
                LicenceSeat(
                    tool_id=tool.id,
                    identity=row.identity[:320],
                    display_name=row.display_name,
                    user_id=person.user_id if person else None,
                    assigned=True,
                    assigned_since=day,
                    vendor_last_active=row.last_active,
                    apps=_apps("{}", row.apps),
                    import_id=import_id,
                )
            )
            counts["added"] += 1
            continue
        before = (
            seat.assigned,
            seat.vendor_last_active,
            seat.apps,
            seat.user_id,
            seat.display_name,
        )
        if row.last_active is not None:
            seat.vendor_last_active = max(filter(None, (seat.vendor_last_active, row.last_active)))
        seat.apps = _apps(seat.apps, row.apps)
        if newer:
            seat.user_id = person.user_id if person else seat.user_id
            seat.display_name = row.display_name or seat.display_name
            if row.assigned and not seat.assigned:
                seat.assigned, seat.assigned_since, seat.released_on = True, day, None
                counts["reassigned"] += 1
            elif not row.assigned and seat.assigned:
                seat.assigned, seat.released_on = False, day
                counts["released"] += 1
        after = (seat.assigned, seat.vendor_last_active, seat.apps, seat.user_id, seat.display_name)
        if after != before:
            seat.import_id = import_id
            counts["updated"] += 1
    if newer:
        listed = {r.identity for r in rows}
        for identity, seat in existing.items():
            if identity not in listed and seat.assigned:
                seat.assigned, seat.released_on, seat.import_id = False, day, import_id
                counts["released"] += 1
                counts["updated"] += 1
        tool.seats_as_of = day
    return counts, unknown


def _apps(stored: str, new: dict[str, date]) -> str:
    apps: dict[str, str] = orjson.loads(stored)
    for app, day in new.items():
        apps[app] = max(apps.get(app, ""), day.isoformat())
    return orjson.dumps(dict(sorted(apps.items()))).decode()


def _store_messages(
    session: Session,
    tool: LicensedTool,
    import_id: int,
    screened: list[tuple[Message, Screened]],
) -> tuple[dict[str, int], list[str]]:
    known: set[str] = set()
    ids = [m.external_id for m, _ in screened]
    for start in range(0, len(ids), CHUNK):
        known.update(
            session.scalars(
                select(LicenceMessage.external_id).where(
                    LicenceMessage.tool_id == tool.id,
                    LicenceMessage.external_id.in_(ids[start : start + CHUNK]),
                )
            )
        )
    fresh = [(m, s) for m, s in screened if m.external_id not in known]
    people = match_users(session, {m.identity for m, _ in fresh})
    rows = [
        {
            "tool_id": tool.id,
            "import_id": import_id,
            "external_id": m.external_id,
            "conversation_id": m.conversation_id,
            "at": m.at,
            "identity": m.identity[:320],
            "user_id": people[m.identity].user_id if m.identity in people else None,
            "model": m.model,
            "characters": m.characters,
            "inspected": s.inspected,
            "data_class": s.data_class,
            "over_ceiling": s.over_ceiling,
            "findings": orjson.dumps(s.types).decode(),
        }
        for m, s in fresh
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(_table()), rows[start : start + CHUNK])
    summary = {
        "messages": len(rows),
        "duplicates": len(screened) - len(rows),
        "inspected": sum(1 for _, s in fresh if s.inspected),
        "with_findings": sum(1 for _, s in fresh if s.data_class is not None),
        "over_ceiling": sum(1 for _, s in fresh if s.over_ceiling),
        "people": len({m.identity for m, _ in fresh}),
    }
    return summary, sorted({m.identity for m, _ in fresh if m.identity not in people})


def _table() -> Table:
    table = MESSAGES
    assert isinstance(table, Table)
    return table


def _finish(record: LicenceImport, unknown: list[str], summary: dict[str, int]) -> None:
    record.unknown = orjson.dumps(sorted(set(unknown))[:UNKNOWN_KEPT]).decode()
    record.unknown_count = len(set(unknown))
    record.summary = orjson.dumps(summary).decode()


def _event(tool: LicensedTool, record: LicenceImport) -> dict[str, Any]:
    return {
        "tool": tool.slug,
        "file": record.name,
        "format": record.format,
        "sha256": record.sha256,
        "records": record.records,
        "malformed": record.malformed,
        "unknown_people": record.unknown_count,
        **orjson.loads(record.summary),
    }


def _import_view(record: LicenceImport, slug: str, *, show_people: bool) -> ImportView:
    return ImportView(
        id=record.id,
        tool=slug,
        kind="seats" if record.kind == "seats" else "activity",
        format=record.format,
        name=record.name,
        sha256=record.sha256,
        as_of=record.as_of,
        records=record.records,
        malformed=record.malformed,
        examples=[Example.model_validate(e) for e in orjson.loads(record.examples)],
        unknown=orjson.loads(record.unknown) if show_people else None,
        unknown_count=record.unknown_count,
        summary=orjson.loads(record.summary),
        imported_by=record.imported_by,
        imported_at=record.imported_at,
    )


def _lines(path: Path, digest: Any) -> Iterator[bytes]:
    with path.open("rb") as file:
        for line in file:
            digest.update(line)
            yield line
