"""The audit trail, read-only: records searched by action, object, actor and date, newest first;
the verification of the hash chain and of its signed checkpoints; the signed export.

Each action needs the same right as its API route: ``audit, read`` to search, ``audit, verify``
to verify, ``audit, export`` to download (the export is the API's own route function)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import Select, func, or_, select

from gouvernail.api.audit import AuditRecordOut, export_trail
from gouvernail.api.deps import Rt
from gouvernail.audit import events as ev
from gouvernail.audit.export import ExportFormat
from gouvernail.audit.models import AuditRecord
from gouvernail.audit.verify import VerifyResult, verify_database
from gouvernail.identity.principal import Principal
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("audit", "read"))]
Verifier = Annotated[Principal, Depends(PageRequire("audit", "verify"))]
Exporter = Annotated[Principal, Depends(PageRequire("audit", "export"))]

PAGE_SIZE = 50
TEXT_FILTERS = {"action": 80, "object_type": 60, "object_id": 64, "actor": 200}
DATE_FILTERS = ("since", "until")
LAST_YEAR = 9000


@dataclass(frozen=True)
class Search:
    """The filters of the search form, as typed, and what to fix in them."""

    values: dict[str, str]
    since: date | None
    until: date | None
    before: int | None
    errors: dict[str, str]

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Search:
        values = {
            name: params.get(name, "").strip()[:limit] for name, limit in TEXT_FILTERS.items()
        }
        errors: dict[str, str] = {}
        days: dict[str, date | None] = {}
        for name in DATE_FILTERS:
            raw = params.get(name, "").strip()[:10]
            values[name] = raw
            days[name] = _day(raw)
            if raw and days[name] is None:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
        since, until = days["since"], days["until"]
        if since and until and until < since:
            errors["until"] = _("The end date comes before the start date.")
        raw_before = params.get("before", "")
        before = int(raw_before) if raw_before.isdigit() and len(raw_before) < 19 else None
        return cls(values, since, until, before, errors)

    def query(self) -> Select[AuditRecord]:
        """Records matching the filters, newest first (the API's filters, plus the dates and a
        search of the actor by name)."""
        query = select(AuditRecord)
        for column, name in (
            (AuditRecord.action, "action"),
            (AuditRecord.object_type, "object_type"),
            (AuditRecord.object_id, "object_id"),
        ):
            if self.values[name]:
                query = query.where(column == self.values[name])
        actor = self.values["actor"]
        if actor:
            query = query.where(
                or_(
                    AuditRecord.actor_id == actor,
                    func.lower(AuditRecord.actor_name).contains(actor.lower(), autoescape=True),
                )
            )
        if self.since:
            query = query.where(AuditRecord.ts >= _start_of(self.since))
        if self.until:
            query = query.where(AuditRecord.ts < _start_of(self.until + timedelta(days=1)))
        if self.before:
            query = query.where(AuditRecord.seq < self.before)
        return query.order_by(AuditRecord.seq.desc())

    def link(self, **changes: str | int | None) -> str:
        """This search's address, with some parameters changed (``None`` removes one)."""
        values: dict[str, str | int | None] = {**self.values, **changes}
        return "/audit?" + urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _day(raw: str) -> date | None:
    """The date typed, or None when empty or not a date (years past 9000 are typing slips and
    would overflow the end of the range)."""
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return day if day is None or day.year <= LAST_YEAR else None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _records(runtime: Runtime, search: Search) -> tuple[list[AuditRecordOut], int | None]:
    """One page of records, and the ``before`` of the next (older) page, if any."""
    if search.errors:
        return [], None
    with runtime.database.read() as session:
        rows = [
            AuditRecordOut.model_validate(row, from_attributes=True)
            for row in session.scalars(search.query().limit(PAGE_SIZE + 1))
        ]
    more = rows[PAGE_SIZE - 1].seq if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], more


def _known() -> tuple[list[str], list[str]]:
    """The actions and object types events can have (the search form's suggestions)."""
    kinds = list(ev.event_types())
    return sorted({k.action for k in kinds}), sorted({k.object_type for k in kinds})


def _audit_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    search: Search,
    *,
    verified: VerifyResult | None = None,
    status: int = 200,
) -> HTMLResponse:
    records, older = _records(runtime, search)
    actions, object_types = _known()
    return render(
        request,
        "audit.html",
        {
            "title": _("Audit trail"),
            "search": search,
            "values": search.values,
            "errors": search.errors,
            "records": records,
            "older": search.link(before=older) if older else None,
            "newest": search.link(before=None) if search.before else None,
            "actions": actions,
            "object_types": object_types,
            "verified": verified,
            "key_id": runtime.signer.key_id,
            "formats": [f.value for f in ExportFormat],
        },
        principal=principal,
        status=422 if search.errors else status,
    )


@router.get("/audit")
def audit(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    return _audit_page(request, runtime, principal, Search.of(request.query_params))


@router.post("/audit/verify", dependencies=[Depends(PageRequire("audit", "read"))])
def verify(request: Request, principal: Verifier, runtime: Rt, form: Form) -> HTMLResponse:
    """Walk the whole chain and its signed checkpoints (a POST: it reads every record)."""
    result = verify_database(runtime.database, runtime.signer.public_key)
    return _audit_page(request, runtime, principal, Search.of({}), verified=result)


@router.get("/audit/export")
def export(
    request: Request, principal: Exporter, runtime: Rt, format: ExportFormat = ExportFormat.JSONL
) -> FileResponse:
    """The signed export, exactly as ``GET /api/v1/audit/export`` makes and records it."""
    return export_trail(request, principal, runtime, format)
