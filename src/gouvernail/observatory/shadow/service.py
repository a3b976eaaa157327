"""Shadow-AI discovery: the catalogue of AI services, proxy-log imports, the report, and turning
a discovered service into a use-case idea or a vendor."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gouvernail.audit import SYSTEM, AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.inventory.service import Inventory
from gouvernail.inventory.values import VendorSpec
from gouvernail.observatory.shadow import catalogue
from gouvernail.observatory.shadow.catalogue import Entry, Matcher
from gouvernail.observatory.shadow.events import (
    CatalogueLoaded,
    ServiceAdded,
    ServiceAdopted,
    ServiceChanged,
    ServiceRemoved,
)
from gouvernail.observatory.shadow.importer import Importer, Progress, service_ids
from gouvernail.observatory.shadow.models import ShadowImport, ShadowObservation, ShadowService
from gouvernail.observatory.shadow.report import build_report, usage_of
from gouvernail.observatory.shadow.schemas import (
    AdoptIn,
    AdoptView,
    ImportView,
    Report,
    ServiceIn,
    ServicePatch,
    ServiceView,
)
from gouvernail.registry.models import Hosting, Sourcing
from gouvernail.registry.schemas import UseCaseIn
from gouvernail.registry.service import UseCases
from gouvernail.settings import ShadowSettings

FIELDS = ("name", "vendor", "category", "domains", "patterns", "api", "sanctioned", "note")


class Shadow:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        settings: ShadowSettings,
        *,
        use_cases: UseCases,
        inventory: Inventory,
    ) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings
        self.use_cases = use_cases
        self.inventory = inventory
        self.importer = Importer(database, trail, settings)

    # --- the catalogue ----------------------------------------------------------------------

    def services(self) -> list[ServiceView]:
        self._ensure_catalogue()
        with self.database.read() as session:
            rows = session.scalars(select(ShadowService).order_by(ShadowService.slug))
            return [_view(row) for row in rows]

    def service(self, slug: str) -> ServiceView:
        self._ensure_catalogue()
        with self.database.read() as session:
            return _view(_get(session, slug))

    def add(self, context: AuditContext, body: ServiceIn) -> ServiceView:
        self._ensure_catalogue()
        if not body.domains and not body.patterns:
            raise GouvernailError("give at least one domain or pattern", field="domains")

        def work(tx: Tx) -> ServiceView:
            if tx.session.scalar(select(ShadowService.id).where(ShadowService.slug == body.slug)):
                raise ConflictError(f"a service {body.slug!r} exists already", field="slug")
            row = ShadowService(
                slug=body.slug,
                name=body.name,
                vendor=body.vendor,
                category=body.category,
                domains=_json(body.domains or []),
                patterns=_json(body.patterns or []),
                api=body.api,
                sanctioned=body.sanctioned,
                note=body.note,
                origin="custom",
            )
            tx.session.add(row)
            tx.session.flush()
            _check_unique(tx.session)
            tx.emit(ServiceAdded(object_id=row.slug, object_version=1, new=_fields(row)))
            return _view(row)

        return self.trail.run(context, work)

    def change(self, context: AuditContext, slug: str, patch: ServicePatch) -> ServiceView:
        self._ensure_catalogue()
        given = patch.model_dump(exclude_unset=True, exclude={"version", "reason"})

        def work(tx: Tx) -> ServiceView:
            row = _get(tx.session, slug)
            if row.version != patch.version:
                raise ConflictError(
                    f"{slug} changed since you read it (version {row.version}, you had "
                    f"{patch.version}): read it again",
                    field="version",
                )
            old = _fields(row)
            for name, value in given.items():
                setattr(row, name, _json(value) if name in ("domains", "patterns") else value)
            if not orjson.loads(row.domains) and not orjson.loads(row.patterns):
                raise GouvernailError(
                    "a service keeps at least one domain or pattern", field="domains"
                )
            new = _fields(row)
            if new == old:
                return _view(row)
            row.version += 1
            row.updated_at = utcnow()
            tx.session.flush()
            _check_unique(tx.session)
            changed = [k for k in FIELDS if old[k] != new[k]]
            tx.emit(
                ServiceChanged(
                    object_id=slug,
                    object_version=row.version,
                    old={k: old[k] for k in changed},
                    new={k: new[k] for k in changed},
                    reason=patch.reason,
                )
            )
            return _view(row)

        return self.trail.run(context, work)

    def remove(self, context: AuditContext, slug: str, reason: str) -> None:
        if len(reason.strip()) < 3:
            raise GouvernailError("say why the service is removed", field="reason")
        self._ensure_catalogue()

        def work(tx: Tx) -> None:
            row = _get(tx.session, slug)
            seen = tx.session.scalar(
                select(func.count())
                .select_from(ShadowObservation)
                .where(ShadowObservation.service_id == row.id)
            )
            if seen:
                raise ConflictError(
                    f"imports observed {slug} ({seen} rows): mark it sanctioned or not instead",
                    field="slug",
                )
            tx.emit(
                ServiceRemoved(
                    object_id=slug, object_version=row.version, old=_fields(row), reason=reason
                )
            )
            tx.session.delete(row)

        self.trail.run(context, work)

    def matcher(self) -> tuple[Matcher, dict[str, int]]:
        self._ensure_catalogue()
        with self.database.read() as session:
            rows = list(session.scalars(select(ShadowService)))
            return Matcher(_entry(row) for row in rows), service_ids(session)

    def _ensure_catalogue(self) -> None:
        """Load the shipped catalogue into an empty one (the first time it is needed)."""
        with self.database.read() as session:
            if session.scalar(select(ShadowService.id).limit(1)) is not None:
                return
        version, entries = catalogue.shipped()

        def work(tx: Tx) -> None:
            if tx.session.scalar(select(ShadowService.id).limit(1)) is not None:
                return
            for e in entries:
                tx.session.add(
                    ShadowService(
                        slug=e.slug,
                        name=e.name,
                        vendor=e.vendor,
                        category=e.category,
                        domains=_json(list(e.domains)),
                        patterns=_json(list(e.patterns)),
                        api=e.api,
                        origin="catalogue",
                    )
                )
            tx.emit(
                CatalogueLoaded(
                    object_id="shipped",
                    new={"version": version, "services": len(entries)},
                )
            )

        with contextlib.suppress(IntegrityError):  # another replica loaded it just now
            self.trail.run(AuditContext(actor=SYSTEM), work)

    # --- imports ----------------------------------------------------------------------------

    def import_file(
        self,
        context: AuditContext,
        path: Path,
        kind: str,
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> ImportView:
        """Import a proxy log (resuming an unfinished import of the same file)."""
        matcher, ids = self.matcher()
        claim = self.importer.run(context, path, kind, matcher, ids, name=name, progress=progress)
        return self.get_import(claim.import_id).model_copy(update={"resumed": claim.resumed})

    def check_file(self, path: Path, kind: str) -> None:
        """Refuse now what its import would refuse (see ``Importer.check``)."""
        self.importer.check(path, kind)

    def imports(self, limit: int = 100) -> list[ImportView]:
        with self.database.read() as session:
            rows = session.scalars(
                select(ShadowImport).order_by(ShadowImport.id.desc()).limit(limit)
            )
            return [_import_view(row) for row in rows]

    def get_import(self, import_id: int) -> ImportView:
        with self.database.read() as session:
            row = session.get(ShadowImport, import_id)
            if row is None:
                raise NotFoundError(f"no import {import_id}")
            return _import_view(row)

    # --- what the imports show ----------------------------------------------------------------

    def report(self, since: date, until: date, department: str | None = None) -> Report:
        if until < since:
            raise GouvernailError("until comes before since", field="until")
        self._ensure_catalogue()
        with self.database.read() as session:
            return build_report(session, self.settings, since, until, department)

    def adopt(
        self, context: AuditContext, slug: str, body: AdoptIn, *, requester_id: int
    ) -> AdoptView:
        """Turn a discovered service into a use-case idea (bought tool, external SaaS) or a
        vendor to qualify in the inventory."""
        service = self.service(slug)
        with self.database.read() as session:
            usage = usage_of(session, _get(session, slug).id)
        facts = (
            f"Discovered in web-proxy logs: {usage.requests} requests by {usage.people} people "
            f"in {usage.departments} departments"
            + (f" between {usage.first:%Y-%m-%d} and {usage.last:%Y-%m-%d}" if usage.first else "")
            + ("." if service.sanctioned else "; the service is not sanctioned.")
        )
        if body.as_ == "use_case":
            view = self.use_cases.submit(
                context,
                requester_id,
                UseCaseIn(
                    title=f"Use of {service.name} ({service.vendor})"[:200],
                    description=f"{facts} Qualify this use, or offer a sanctioned alternative.",
                    sourcing=Sourcing.SNACKABLE,
                    preferred_hosting=Hosting.EXTERNAL_SAAS,
                    intended_users=f"{usage.people} people already use it",
                    duplicate_justification=body.justification,
                ),
            )
            result = AdoptView(service=slug, use_case_id=view.id)
        else:
            if body.country is None or body.lock_in is None:
                raise GouvernailError(
                    "a vendor needs its country and lock-in (low, medium, high)", field="country"
                )
            vendor = self.inventory.create_vendor(
                context,
                VendorSpec(
                    slug=body.slug or _slug(service.vendor),
                    name=service.vendor,
                    country=body.country,
                    lock_in=body.lock_in,
                    notes=f"{service.name}: {facts}"[:4000],
                ),
            )
            result = AdoptView(service=slug, vendor=vendor.slug)
        self.trail.record(
            context,
            ServiceAdopted(
                object_id=slug,
                new=result.model_dump(exclude_none=True)
                | {"requests": usage.requests, "people": usage.people},
            ),
        )
        return result


def _get(session: Session, slug: str) -> ShadowService:
    row = session.scalar(select(ShadowService).where(ShadowService.slug == slug))
    if row is None:
        raise NotFoundError(f"no AI service {slug!r} in the catalogue")
    return row


def _check_unique(session: Session) -> None:
    """No domain in two services (the most specific match would be ambiguous)."""
    try:
        catalogue.check([_entry(row) for row in session.scalars(select(ShadowService))])
    except ValueError as error:
        raise ConflictError(str(error), field="domains") from None


def _entry(row: ShadowService) -> Entry:
    return Entry(
        row.slug,
        row.name,
        row.vendor,
        row.category,
        tuple(orjson.loads(row.domains)),
        tuple(orjson.loads(row.patterns)),
        row.api,
    )


def _json(values: list[str]) -> str:
    return orjson.dumps(values).decode()


def _fields(row: ShadowService) -> dict[str, object]:
    return {
        "name": row.name,
        "vendor": row.vendor,
        "category": row.category,
        "domains": orjson.loads(row.domains),
        "patterns": orjson.loads(row.patterns),
        "api": row.api,
        "sanctioned": row.sanctioned,
        "note": row.note,
    }


def _view(row: ShadowService) -> ServiceView:
    return ServiceView(
        slug=row.slug,
        origin=row.origin,
        version=row.version,
        updated_at=row.updated_at,
        **_fields(row),
    )


def _import_view(row: ShadowImport) -> ImportView:
    return ImportView(
        id=row.id,
        name=row.name,
        format=row.format,
        size=row.size,
        status=row.status,
        digest=row.digest,
        lines=row.lines,
        malformed=row.malformed,
        requests=row.requests,
        ai_requests=row.ai_requests,
        examples=orjson.loads(row.examples),
        log_from=row.log_from,
        log_to=row.log_to,
        segments_done=row.segments_done,
        bytes_done=row.bytes_done,
        started_by=row.started_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        seconds=row.seconds,
        error=row.error,
    )


def _slug(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part)[:64] or "vendor"
