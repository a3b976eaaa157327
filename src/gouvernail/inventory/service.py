"""The model and vendor inventory: ``runtime.inventory``.

Writes are audited units of work (``operations.py``); reads return frozen views. The gateway
reads its routing here (``routable_models``, ``routing``): only approved models are served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.rules import Hosting
from gouvernail.charter.service import Charters
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.inventory import contracts, transfer
from gouvernail.inventory import operations as ops
from gouvernail.inventory.models import Guarantee, InventoryModel, Vendor
from gouvernail.inventory.records import model_spec, vendor_spec
from gouvernail.inventory.routing import RoutableModel
from gouvernail.inventory.sidebyside import CompareRequest, Comparison, compare
from gouvernail.inventory.values import (
    GuaranteeSpec,
    ModelSpec,
    ModelStatus,
    ReviewOutcome,
    VendorSpec,
)
from gouvernail.inventory.views import (
    AffectedModel,
    GuaranteeView,
    ModelView,
    ReviewItem,
    VendorView,
)


class Inventory:
    """Vendors, their contractual guarantees and models; every change audited."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        charters: Charters,
        today: Callable[[], date] = lambda: utcnow().date(),
    ) -> None:
        self.database = database
        self.trail = trail
        self.charters = charters
        self.today = today  # review dates are days in UTC; tests pin it

    def _env(self) -> ops.Env:
        return ops.Env(today=self.today(), charter=self.charters.active())

    # --- views ----------------------------------------------------------------------------------

    def _vendor_view(self, session: Session, vendor: Vendor, today: date) -> VendorView:
        names = session.scalars(
            select(InventoryModel.name)
            .where(InventoryModel.vendor_id == vendor.id)
            .order_by(InventoryModel.name)
        ).all()
        return VendorView.of(vendor, today, list(names))

    def _model_view(self, session: Session, model: InventoryModel, today: date) -> ModelView:
        return ModelView.of(model, today, ops.statuses(session))

    # --- vendors --------------------------------------------------------------------------------

    def create_vendor(
        self, ctx: AuditContext, spec: VendorSpec, guarantees: list[GuaranteeSpec] | None = None
    ) -> VendorView:
        today = self.today()

        def work(tx: Tx) -> VendorView:
            vendor = contracts.create_vendor(tx, spec, guarantees or [])
            return self._vendor_view(tx.session, vendor, today)

        return self.trail.run(ctx, work)

    def update_vendor(
        self,
        ctx: AuditContext,
        slug: str,
        *,
        version: int,
        reason: str,
        changes: Mapping[str, Any],
    ) -> VendorView:
        """Change declared facts; ``version`` is the one you read (409 if it moved since)."""
        reason = ops.require_reason(reason)
        today = self.today()

        def work(tx: Tx) -> VendorView:
            vendor = ops.get_vendor(tx.session, slug)
            ops.check_version(f"vendor {slug}", vendor.version, version)
            spec = ops.merge(vendor_spec(vendor), changes, fixed={"slug"})
            if not contracts.revise_vendor(tx, vendor, spec, reason):
                raise GouvernailError("nothing to change")
            return self._vendor_view(tx.session, vendor, today)

        return self.trail.run(ctx, work)

    def get_vendor(self, slug: str) -> VendorView:
        with self.database.read() as session:
            return self._vendor_view(session, ops.get_vendor(session, slug), self.today())

    def list_vendors(self) -> list[VendorView]:
        today = self.today()
        with self.database.read() as session:
            vendors = session.scalars(select(Vendor).order_by(Vendor.slug)).all()
            return [self._vendor_view(session, v, today) for v in vendors]

    # --- guarantees and their reviews -----------------------------------------------------------

    def add_guarantee(self, ctx: AuditContext, slug: str, spec: GuaranteeSpec) -> GuaranteeView:
        today = self.today()

        def work(tx: Tx) -> GuaranteeView:
            guarantee = contracts.add_guarantee(tx, ops.get_vendor(tx.session, slug), spec)
            return GuaranteeView.of(guarantee, today)

        return self.trail.run(ctx, work)

    def review_guarantee(
        self,
        ctx: AuditContext,
        guarantee_id: int,
        *,
        version: int,
        outcome: ReviewOutcome,
        reason: str,
        next_review_due: date | None = None,
        promised: str | None = None,
    ) -> GuaranteeView:
        """Record a review: ``confirmed`` or ``changed`` (with the new promise) set the next
        review date and clear the overdue flag; ``withdrawn`` ends the guarantee and tells the
        committee members and AI referents."""
        reason = ops.require_reason(reason)
        env = self._env()

        def work(tx: Tx) -> GuaranteeView:
            guarantee = tx.session.get(Guarantee, guarantee_id)
            if guarantee is None:
                raise NotFoundError(f"no guarantee with id {guarantee_id}")
            ops.check_version(f"guarantee {guarantee_id}", guarantee.version, version)
            contracts.review_guarantee(
                tx,
                env,
                guarantee,
                outcome=outcome,
                next_review_due=next_review_due,
                reason=reason,
                promised=promised,
            )
            return GuaranteeView.of(guarantee, env.today)

        return self.trail.run(ctx, work)

    def _review_item(self, session: Session, guarantee: Guarantee, today: date) -> ReviewItem:
        models = session.execute(
            select(InventoryModel.name, InventoryModel.status)
            .where(
                InventoryModel.vendor_id == guarantee.vendor_id,
                InventoryModel.status != ModelStatus.RETIRED.value,
            )
            .order_by(InventoryModel.name)
        )
        return ReviewItem(
            guarantee=GuaranteeView.of(guarantee, today),
            vendor_name=guarantee.vendor.name,
            affected_models=[
                AffectedModel(name=name, status=ModelStatus(status)) for name, status in models
            ],
        )

    def reviews(self, within_days: int = 30) -> list[ReviewItem]:
        """Active guarantees overdue or due within ``within_days``, the most urgent first."""
        today = self.today()
        with self.database.read() as session:
            due = session.scalars(
                select(Guarantee)
                .where(
                    Guarantee.active.is_(True),
                    Guarantee.review_due <= today + timedelta(days=within_days),
                )
                .order_by(Guarantee.review_due, Guarantee.id)
            ).all()
            return [self._review_item(session, g, today) for g in due]

    def check_reviews(self, ctx: AuditContext) -> list[ReviewItem]:
        """Flag each newly overdue guarantee once (audited, notified); return those flagged.
        Meant to run daily (``gouvernail inventory check-reviews``)."""
        env = self._env()

        def work(tx: Tx) -> list[ReviewItem]:
            flagged = contracts.flag_overdue(tx, env)
            return [self._review_item(tx.session, g, env.today) for g in flagged]

        return self.trail.run(ctx, work)

    # --- models ---------------------------------------------------------------------------------

    def create_model(self, ctx: AuditContext, spec: ModelSpec) -> ModelView:
        """Register a model as a candidate (the gateway does not serve it until approved)."""
        env = self._env()

        def work(tx: Tx) -> ModelView:
            model = ops.create_model(tx, env, spec)
            return self._model_view(tx.session, model, env.today)

        return self.trail.run(ctx, work)

    def update_model(
        self,
        ctx: AuditContext,
        name: str,
        *,
        version: int,
        reason: str,
        changes: Mapping[str, Any],
    ) -> ModelView:
        """Change a model's declaration; ``version`` is the one you read (409 if it moved)."""
        reason = ops.require_reason(reason)
        env = self._env()

        def work(tx: Tx) -> ModelView:
            model = ops.get_model(tx.session, name)
            ops.check_version(f"model {name}", model.version, version)
            spec = ops.merge(model_spec(model), changes, fixed={"name"})
            if not ops.revise_model(tx, env, model, spec, reason):
                raise GouvernailError("nothing to change")
            return self._model_view(tx.session, model, env.today)

        return self.trail.run(ctx, work)

    def set_status(
        self,
        ctx: AuditContext,
        name: str,
        status: ModelStatus,
        *,
        reason: str,
        version: int | None = None,
    ) -> ModelView:
        """Approve, suspend or retire a model, with the reason (see ``rules.TRANSITIONS``)."""
        reason = ops.require_reason(reason)
        env = self._env()

        def work(tx: Tx) -> ModelView:
            model = ops.get_model(tx.session, name)
            ops.check_version(f"model {name}", model.version, version)
            ops.change_status(tx, env, model, status, reason)
            return self._model_view(tx.session, model, env.today)

        return self.trail.run(ctx, work)

    def get_model(self, name: str) -> ModelView:
        """Any model, whatever its status (404 if unknown)."""
        with self.database.read() as session:
            return self._model_view(session, ops.get_model(session, name), self.today())

    def list_models(
        self,
        *,
        status: ModelStatus | None = None,
        hosting: Hosting | None = None,
        vendor: str | None = None,
        max_data_class: str | None = None,
        accepting: str | None = None,
    ) -> list[ModelView]:
        """Models by name; ``accepting``: only those whose ceiling admits that data class
        (in the order of the charter in force)."""
        query = select(InventoryModel).order_by(InventoryModel.name)
        if status is not None:
            query = query.where(InventoryModel.status == status.value)
        if hosting is not None:
            query = query.where(InventoryModel.hosting == hosting.value)
        if max_data_class is not None:
            query = query.where(InventoryModel.max_data_class == max_data_class)
        if vendor is not None:
            query = query.join(Vendor).where(Vendor.slug == vendor)
        admits = self._admits(accepting) if accepting is not None else None
        today = self.today()
        with self.database.read() as session:
            known = ops.statuses(session)
            return [
                ModelView.of(m, today, known)
                for m in session.scalars(query).unique()
                if admits is None or m.max_data_class in admits
            ]

    def _admits(self, data_class: str) -> frozenset[str]:
        """The ceilings that admit ``data_class``: that class and every more sensitive one."""
        charter = self.charters.active()
        if charter is None:
            raise ConflictError(
                "no charter is in force: data classes have no order yet", field="accepting"
            )
        names = [c.name for c in charter.rules.data_classes]
        if data_class not in names:
            raise GouvernailError(
                f"unknown data class {data_class!r}: charter {charter.number} defines "
                f"{', '.join(names)}",
                field="accepting",
            )
        return frozenset(names[names.index(data_class) :])

    # --- the gateway's view ---------------------------------------------------------------------

    def routable_models(self, accepting: str | None = None) -> list[RoutableModel]:
        """The approved models, i.e. what the gateway may serve; with ``accepting``, only
        those allowed to receive that data class (for rerouting)."""
        return [
            RoutableModel.of(m)
            for m in self.list_models(status=ModelStatus.APPROVED, accepting=accepting)
        ]

    def routing(self, name: str) -> RoutableModel:
        """How to reach one model; 404 if unknown, 409 (with its status and the reason) if it
        is not approved."""
        model = self.get_model(name)
        if model.status is not ModelStatus.APPROVED:
            raise ConflictError(
                f"model {name} is {model.status}: {model.status_reason}",
                code="model_not_routable",
            )
        return RoutableModel.of(model)

    # --- comparison -----------------------------------------------------------------------------

    def compare(self, request: CompareRequest) -> Comparison:
        """Candidate models side by side for an expected volume."""
        today = self.today()
        with self.database.read() as session:
            rows = {
                m.name: m
                for m in session.scalars(
                    select(InventoryModel).where(InventoryModel.name.in_(request.models))
                ).unique()
            }
            unknown = [name for name in request.models if name not in rows]
            if unknown:
                raise GouvernailError(f"unknown model(s): {', '.join(unknown)}", field="models")
            known = ops.statuses(session)
            models = [ModelView.of(rows[name], today, known) for name in request.models]
            vendors = {
                m.vendor.slug: self._vendor_view(session, m.vendor, today) for m in rows.values()
            }
        return compare(request, models, vendors)

    # --- files ----------------------------------------------------------------------------------

    def load(
        self,
        ctx: AuditContext,
        document: Any,
        *,
        source: str,
        partial: bool = False,
        apply_status: bool = False,
        reason: str = "",
    ) -> transfer.ImportReport:
        """Load an inventory document (see ``transfer.py``)."""
        return transfer.load(
            self.trail,
            ctx,
            self._env(),
            document,
            source=source,
            partial=partial,
            apply_status=apply_status,
            reason=reason,
        )

    def load_file(self, ctx: AuditContext, path: Path, **options: Any) -> transfer.ImportReport:
        return self.load(ctx, transfer.read_yaml(path), source=path.name, **options)

    def export(self) -> dict[str, Any]:
        """The whole inventory as a document that ``load`` reads back unchanged."""
        with self.database.read() as session:
            return transfer.export(session)
