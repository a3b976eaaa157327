"""The risk register of a use case: create, edit, change status, start from the library.

Every write runs as one unit of work of the audit trail: the checks that need the database
(use case, owner, version) run inside it, so a refused change writes nothing and leaves no
record, and two concurrent edits of the same version cannot both succeed (the second gets 409).
Scores and levels come from ``risk/scoring.py`` only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.identity.models import User
from gouvernail.risk import events as ev
from gouvernail.risk.assessment import GxpAssessments
from gouvernail.risk.checks import (
    TRANSITIONS,
    check_inherent_against_residual,
    check_may_become,
    check_owner,
    check_ratings,
    check_status_still_holds,
    check_version,
    load_risk,
    load_use_case,
)
from gouvernail.risk.gxp import GxpRules
from gouvernail.risk.heatmap import portfolio_heatmap, use_case_heatmap
from gouvernail.risk.library import RiskLibrary, check_language
from gouvernail.risk.models import Risk, RiskStatus
from gouvernail.risk.schemas import HeatMap, LibraryImport, RiskIn, RiskPatch, RiskView
from gouvernail.risk.scoring import Level
from gouvernail.risk.views import CONTENT, audit_values, residual_of, view_of

REQUIRED = frozenset({"category", "title", "likelihood", "severity"})


class Risks:
    """The risk register service (``runtime.risks``); ``gxp`` holds the GxP assessments and
    ``library`` the common risks to start from."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        library: RiskLibrary,
        rules: GxpRules,
        *,
        acceptance_max: Level = Level.MEDIUM,
    ) -> None:
        self.database = database
        self.trail = trail
        self.library = library
        self.rules = rules
        self.acceptance_max = acceptance_max
        self.gxp = GxpAssessments(database, trail, rules)

    # --- reading ------------------------------------------------------------------------------

    def list_risks(self, use_case_id: int, *, status: RiskStatus | None = None) -> list[RiskView]:
        with self.database.read() as session:
            load_use_case(session, use_case_id)
            query = (
                select(Risk, User.display_name)
                .outerjoin(User, User.id == Risk.owner_id)
                .where(Risk.use_case_id == use_case_id)
                .order_by(Risk.number)
            )
            if status is not None:
                query = query.where(Risk.status == status.value)
            return [view_of(risk, name) for risk, name in session.execute(query)]

    def get(self, use_case_id: int, number: int) -> RiskView:
        with self.database.read() as session:
            load_use_case(session, use_case_id)
            return self._view(session, load_risk(session, use_case_id, number))

    def heatmap(self, use_case_id: int) -> HeatMap:
        with self.database.read() as session:
            load_use_case(session, use_case_id)
            return use_case_heatmap(session, use_case_id)

    def portfolio_heatmap(
        self, *, department: str | None = None, statuses: list[str] | None = None
    ) -> HeatMap:
        """Every use case's risks; ``department`` is a team slug (its sub-teams included),
        ``statuses`` use-case lifecycle statuses."""
        with self.database.read() as session:
            return portfolio_heatmap(session, department=department, statuses=statuses or [])

    # --- writing ------------------------------------------------------------------------------

    def create(self, ctx: AuditContext, use_case_id: int, data: RiskIn) -> RiskView:
        def work(tx: Tx) -> RiskView:
            load_use_case(tx.session, use_case_id, writing=True)
            risk = self._new(tx.session, use_case_id, data.model_dump(), source=None)
            check_ratings(risk)
            check_owner(tx.session, risk.owner_id)
            return self._insert(tx, risk)

        return self.trail.run(ctx, work)

    def import_from_library(
        self, ctx: AuditContext, use_case_id: int, request: LibraryImport
    ) -> list[RiskView]:
        """Create one open risk per library id, with the library's typical rating, to adapt.
        The suggested mitigations are appended to the description, not taken as mitigation:
        the register is complete only once someone states what is actually done."""
        lang = check_language(request.lang)
        if len(set(request.ids)) != len(request.ids):
            raise GouvernailError("a library id appears twice", field="ids")
        entries = []
        for risk_id in request.ids:
            entry = self.library.find(risk_id)
            if entry is None:
                raise GouvernailError(f"no risk {risk_id!r} in the library", field="ids")
            entries.append(entry)

        def work(tx: Tx) -> list[RiskView]:
            load_use_case(tx.session, use_case_id, writing=True)
            check_owner(tx.session, request.owner_id)
            views = []
            for entry in entries:
                present = tx.session.scalar(
                    select(Risk.number).where(
                        Risk.use_case_id == use_case_id, Risk.source == entry.id
                    )
                )
                if present is not None:
                    raise ConflictError(
                        f"library risk {entry.id!r} is already risk #{present} of this use case",
                        field="ids",
                    )
                text = entry.text(lang)
                suggestions = "\n".join(f"- {item}" for item in text.mitigations)
                heading = "Mesures suggérées" if lang == "fr" else "Suggested mitigations"
                values = {
                    "category": entry.category.value,
                    "title": text.title,
                    "description": f"{text.description}\n\n{heading}:\n{suggestions}",
                    "likelihood": entry.likelihood,
                    "severity": entry.severity,
                    "owner_id": request.owner_id,
                }
                views.append(self._insert(tx, self._new(tx.session, use_case_id, values, entry.id)))
            return views

        return self.trail.run(ctx, work)

    def update(
        self, ctx: AuditContext, use_case_id: int, number: int, patch: RiskPatch
    ) -> RiskView:
        changes = {name: getattr(patch, name) for name in patch.model_fields_set if name in CONTENT}
        for name in REQUIRED & changes.keys():
            if changes[name] is None:
                raise GouvernailError(f"{name} cannot be cleared", field=name)
        if not changes:
            raise GouvernailError("nothing to change: send at least one field of the risk")

        def work(tx: Tx) -> RiskView:
            load_use_case(tx.session, use_case_id, writing=True)
            risk = load_risk(tx.session, use_case_id, number)
            check_version(risk, patch.version)
            changed = {name for name, value in changes.items() if getattr(risk, name) != value}
            if not changed:
                raise GouvernailError("nothing to change: the values sent are the current ones")
            old = audit_values(risk, changed)
            for name in changed:
                value = changes[name]
                setattr(risk, name, value.value if name == "category" else value)
            if "likelihood" in changed or "severity" in changed:
                check_inherent_against_residual(risk, changed)
            check_ratings(risk)
            if "owner_id" in changed:
                check_owner(tx.session, risk.owner_id)
            check_status_still_holds(risk, self.acceptance_max)
            risk.version += 1
            risk.updated_at = utcnow()
            tx.emit(
                ev.RiskUpdated(
                    object_id=str(risk.id),
                    object_version=risk.version,
                    old=old,
                    new={
                        "use_case_id": use_case_id,
                        "number": number,
                        **audit_values(risk, changed),
                    },
                    reason=patch.reason.strip(),
                )
            )
            return self._view(tx.session, risk)

        return self.trail.run(ctx, work)

    def change_status(
        self,
        ctx: AuditContext,
        use_case_id: int,
        number: int,
        *,
        status: RiskStatus,
        reason: str,
        version: int,
    ) -> RiskView:
        if not reason.strip():
            raise GouvernailError("a reason is required to change a risk's status", field="reason")
        status = RiskStatus(status)

        def work(tx: Tx) -> RiskView:
            load_use_case(tx.session, use_case_id, writing=True)
            risk = load_risk(tx.session, use_case_id, number)
            check_version(risk, version)
            current = RiskStatus(risk.status)
            if status not in TRANSITIONS[current]:
                raise ConflictError(
                    f"risk #{number} is {current.value}; it can become "
                    f"{', '.join(sorted(s.value for s in TRANSITIONS[current]))}, not "
                    f"{status.value}",
                    field="status",
                )
            check_may_become(risk, status, self.acceptance_max)
            risk.status = status.value
            risk.status_reason = reason.strip()
            risk.version += 1
            risk.updated_at = utcnow()
            residual = residual_of(risk)
            tx.emit(
                ev.RiskStatusChanged(
                    object_id=str(risk.id),
                    object_version=risk.version,
                    old={"status": current.value},
                    new={
                        "use_case_id": use_case_id,
                        "number": number,
                        "status": status.value,
                        "residual_score": residual.score if residual else None,
                        "residual_level": residual.level.value if residual else None,
                    },
                    reason=reason.strip(),
                )
            )
            return self._view(tx.session, risk)

        return self.trail.run(ctx, work)

    # --- rules ----------------------------------------------------------------------------------

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _new(
        session: Session, use_case_id: int, values: dict[str, Any], source: str | None
    ) -> Risk:
        session.flush()
        number = (
            session.scalar(select(func.max(Risk.number)).where(Risk.use_case_id == use_case_id))
            or 0
        ) + 1
        now = utcnow()
        category = values.pop("category")
        return Risk(
            use_case_id=use_case_id,
            number=number,
            category=getattr(category, "value", category),
            status=RiskStatus.OPEN.value,
            status_reason="",
            source=source,
            version=1,
            created_at=now,
            updated_at=now,
            description=values.pop("description", ""),
            mitigation=values.pop("mitigation", ""),
            **values,
        )

    def _insert(self, tx: Tx, risk: Risk) -> RiskView:
        tx.session.add(risk)
        tx.session.flush()
        tx.emit(
            ev.RiskCreated(
                object_id=str(risk.id),
                object_version=1,
                new={
                    "use_case_id": risk.use_case_id,
                    "number": risk.number,
                    "status": risk.status,
                    "source": risk.source,
                    **audit_values(risk),
                },
            )
        )
        return self._view(tx.session, risk)

    @staticmethod
    def _view(session: Session, risk: Risk) -> RiskView:
        owner = session.get(User, risk.owner_id) if risk.owner_id is not None else None
        return view_of(risk, owner.display_name if owner else None)
