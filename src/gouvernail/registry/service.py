"""The use-case registry: intake, edits, answers, lifecycle transitions.

Every write runs as one unit of the audit trail: the rows and their audit events commit
together or not at all. Writes name the ``version`` they read; a stale one gets 409 and nothing
is written (optimistic versioning). Content changes raise the ``revision`` that approvals bind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit.events import AuditEvent
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.identity.models import User
from gouvernail.registry import content, events, fields, lifecycle, views
from gouvernail.registry.approvals import get
from gouvernail.registry.duplicates import Duplicates
from gouvernail.registry.models import (
    KeyResult,
    MemberRole,
    Status,
    Transition,
    UseCase,
    UseCaseMember,
)
from gouvernail.registry.portfolio import Weights
from gouvernail.registry.schemas import (
    ClassificationIn,
    DeploymentIn,
    MeasurementIn,
    Prerequisite,
    QualificationIn,
    TransitionCheck,
    TransitionIn,
    UseCaseIn,
    UseCasePatch,
    UseCaseSummary,
    UseCaseView,
)
from gouvernail.registry.workflows import Workflows

Classify = Callable[[dict[str, Any], date | None], dict[str, Any]]
DataClasses = Callable[[], list[str] | None]


class TransitionRefusedError(GouvernailError):
    status = 409
    code = "prerequisites_missing"

    def __init__(self, to: str, missing: list[Prerequisite]) -> None:
        listed = "; ".join(f"{p.code}: {p.message}" for p in missing)
        super().__init__(
            f"cannot move to {to}: {listed}",
            field="to",
            details=[p.model_dump() for p in missing],
        )
        self.missing = missing


def _rehearsed(use_case: UseCase) -> str | None:
    value = orjson.loads(use_case.deployment or "{}").get("fallback_last_rehearsed")
    return str(value) if value else None


class UseCases:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        *,
        workflows: Workflows,
        weights: Weights,
        duplicates: Duplicates,
        classify: Classify,
        data_classes: DataClasses,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.database = database
        self.trail = trail
        self.workflows = workflows
        self.weights = weights
        self.duplicates = duplicates
        self.classify_answers = classify
        self.data_classes = data_classes
        self.today = today

    # --- reading ----------------------------------------------------------------------------

    def view(self, session: Session, use_case: UseCase) -> UseCaseView:
        return views.full(session, use_case, self.workflows, self.weights, self.today())

    def get(self, use_case_id: int) -> UseCaseView:
        with self.database.read() as session:
            return self.view(session, get(session, use_case_id))

    def is_member(self, use_case_id: int, user_id: int) -> bool:
        with self.database.read() as session:
            get(session, use_case_id)
            return (
                session.scalar(
                    select(UseCaseMember.id).where(
                        UseCaseMember.use_case_id == use_case_id, UseCaseMember.user_id == user_id
                    )
                )
                is not None
            )

    def memberships(self, user_id: int) -> list[UseCaseSummary]:
        """The use cases ``user_id`` works on (those they may get API keys for)."""
        with self.database.read() as session:
            rows = session.scalars(
                select(UseCase)
                .join(UseCaseMember, UseCaseMember.use_case_id == UseCase.id)
                .where(UseCaseMember.user_id == user_id)
                .order_by(UseCase.id)
            ).all()
            today = self.today()
            return [
                views.summary(session, row, self.workflows, self.weights, today) for row in rows
            ]

    # --- intake -----------------------------------------------------------------------------

    def submit(self, ctx: AuditContext, requester_id: int, body: UseCaseIn) -> UseCaseView:
        """Register an idea. If similar use cases exist, the requester must join one instead
        or justify a new one (``duplicate_justification``)."""
        suggestions = self.duplicates.suggest(body.title, body.description)
        if suggestions and not body.duplicate_justification.strip():
            listed = "; ".join(
                f"{views.reference(s.id)} {s.title!r} ({s.similarity:.0%})" for s in suggestions
            )
            raise GouvernailError(
                f"similar use cases exist: {listed}. Join one (POST /api/v1/use-cases/ID/join) "
                "or explain in duplicate_justification why yours is different",
                field="duplicate_justification",
                code="possible_duplicate",
                status=409,
            )

        def work(tx: Tx) -> UseCaseView:
            use_case = self.create(tx, requester_id, body, [s.id for s in suggestions])
            return self.view(tx.session, use_case)

        return self.trail.run(ctx, work)

    def create(self, tx: Tx, requester_id: int, body: UseCaseIn, suggested: list[int]) -> UseCase:
        """Inside a unit of work: the use case, its members and child rows, its audit event."""
        session = tx.session
        requester = session.get(User, requester_id)
        if requester is None or not requester.is_active:
            raise GouvernailError(f"no active user with id {requester_id}", field="requester")
        use_case = UseCase(
            title=body.title,
            description=body.description,
            sourcing=body.sourcing.value,
            requester_id=requester_id,
            duplicate_justification=body.duplicate_justification,
            department_id=requester.team_id,
            search_terms=self.duplicates.terms(body.title, body.description),
        )
        session.add(use_case)
        session.flush()
        fields.apply(session, use_case, body, self.data_classes())
        session.add(
            UseCaseMember(use_case_id=use_case.id, user_id=requester_id, role=MemberRole.OWNER)
        )
        for username in dict.fromkeys(body.members):
            member = fields.active_user(session, username, "members")
            if member.id != requester_id:
                session.add(
                    UseCaseMember(
                        use_case_id=use_case.id, user_id=member.id, role=MemberRole.MEMBER
                    )
                )
        session.flush()
        tx.emit(
            events.UseCaseSubmitted(
                object_id=str(use_case.id),
                object_version=1,
                new={
                    **content.snapshot(session, use_case),
                    "members": sorted(set(body.members)),
                    "suggested_duplicates": suggested,
                },
                reason=body.duplicate_justification,
            )
        )
        return use_case

    # --- edits ------------------------------------------------------------------------------

    def _edit(
        self,
        ctx: AuditContext,
        use_case_id: int,
        version: int,
        change: Callable[[Session, UseCase], None],
        event: type[AuditEvent],
        reason: str = "",
    ) -> UseCaseView:
        """Apply ``change`` under optimistic versioning; raise the revision if content changed."""

        def work(tx: Tx) -> UseCaseView:
            session = tx.session
            use_case = self.locked(session, use_case_id, version)
            before = content.snapshot(session, use_case)
            rehearsed_before = _rehearsed(use_case)
            change(session, use_case)
            session.flush()
            after = content.snapshot(session, use_case)
            rehearsed_after = _rehearsed(use_case)
            old = {k: v for k, v in before.items() if after.get(k) != v}
            new = {k: after[k] for k in old}
            if after != before:
                use_case.revision += 1
                new["revision"] = use_case.revision
            if rehearsed_after != rehearsed_before:
                old["fallback_last_rehearsed"] = rehearsed_before
                new["fallback_last_rehearsed"] = rehearsed_after
            if not new:
                return self.view(session, use_case)
            use_case.version += 1
            use_case.updated_at = utcnow()
            if "title" in new or "description" in new:
                use_case.search_terms = self.duplicates.terms(use_case.title, use_case.description)
            tx.emit(
                event(
                    object_id=str(use_case.id),
                    object_version=use_case.version,
                    old=old,
                    new=new,
                    reason=reason,
                )
            )
            return self.view(session, use_case)

        return self.trail.run(ctx, work)

    @staticmethod
    def locked(session: Session, use_case_id: int, version: int | None) -> UseCase:
        use_case = session.scalar(
            select(UseCase).where(UseCase.id == use_case_id).with_for_update()
        ) or get(session, use_case_id)
        if version is not None and use_case.version != version:
            raise ConflictError(
                f"use case {views.reference(use_case.id)} changed since you read it (your "
                f"version {version}, now {use_case.version}): reload it and apply your change "
                "again",
                field="version",
                code="version_conflict",
            )
        if use_case.status == Status.RETIRED.value:
            raise ConflictError(
                f"use case {views.reference(use_case.id)} is retired and can no longer change"
            )
        return use_case

    def update(self, ctx: AuditContext, use_case_id: int, patch: UseCasePatch) -> UseCaseView:
        return self._edit(
            ctx,
            use_case_id,
            patch.version,
            lambda session, use_case: fields.apply(session, use_case, patch, self.data_classes()),
            events.UseCaseUpdated,
            patch.reason,
        )

    def record_qualification(
        self, ctx: AuditContext, use_case_id: int, body: QualificationIn
    ) -> UseCaseView:
        def change(_: Session, use_case: UseCase) -> None:
            use_case.qualification = orjson.dumps(
                body.qualification.model_dump(mode="json")
            ).decode()
            use_case.automation = orjson.dumps(body.automation.model_dump(mode="json")).decode()

        return self._edit(ctx, use_case_id, body.version, change, events.UseCaseQualified)

    def classify(self, ctx: AuditContext, use_case_id: int, body: ClassificationIn) -> UseCaseView:
        result = self.classify_answers(body.answers, body.on)

        def change(_: Session, use_case: UseCase) -> None:
            record = {"answers": body.answers, "result": result}
            use_case.classification = orjson.dumps(record).decode()
            use_case.ai_act_tier = str(result["tier"])

        return self._edit(ctx, use_case_id, body.version, change, events.UseCaseClassified)

    def record_deployment(
        self, ctx: AuditContext, use_case_id: int, body: DeploymentIn
    ) -> UseCaseView:
        def change(_: Session, use_case: UseCase) -> None:
            use_case.deployment = orjson.dumps(body.deployment.model_dump(mode="json")).decode()

        return self._edit(ctx, use_case_id, body.version, change, events.DeploymentAnswersRecorded)

    def measure(
        self, ctx: AuditContext, use_case_id: int, key_result_id: int, body: MeasurementIn
    ) -> UseCaseView:
        if body.measured_on > self.today():
            raise GouvernailError(
                "a measurement cannot be dated in the future", field="measured_on"
            )

        def work(tx: Tx) -> UseCaseView:
            use_case = self.locked(tx.session, use_case_id, None)
            result = tx.session.get(KeyResult, key_result_id)
            if result is None or result.use_case_id != use_case.id:
                raise GouvernailError(
                    f"use case {views.reference(use_case.id)} has no key result {key_result_id}",
                    field="key_result_id",
                    status=404,
                    code="not_found",
                )
            old = {"measured_value": result.measured_value, "measured_on": result.measured_on}
            result.measured_value = body.measured_value
            result.measured_on = body.measured_on
            result.measurement_note = body.note
            use_case.version += 1
            use_case.updated_at = utcnow()
            tx.emit(
                events.KeyResultMeasured(
                    object_id=str(use_case.id),
                    object_version=use_case.version,
                    old={k: (v.isoformat() if isinstance(v, date) else v) for k, v in old.items()},
                    new={
                        "key_result": result.description,
                        "measured_value": body.measured_value,
                        "measured_on": body.measured_on.isoformat(),
                        "target": result.target,
                    },
                    reason=body.note,
                )
            )
            return self.view(tx.session, use_case)

        return self.trail.run(ctx, work)

    # --- lifecycle --------------------------------------------------------------------------

    def check(
        self, use_case_id: int, to: str, pilot_end_date: date | None = None
    ) -> TransitionCheck:
        target = self._status(to)
        with self.database.read() as session:
            use_case = get(session, use_case_id)
            found = views.facts(session, use_case, self.workflows, self.today(), pilot_end_date)
            missing = lifecycle.missing(found, target)
        return TransitionCheck(to=target.value, allowed=not missing, missing=missing)

    @staticmethod
    def _status(to: str) -> Status:
        try:
            return Status(to)
        except ValueError:
            raise GouvernailError(
                f"unknown status {to!r}; the lifecycle is {' → '.join(s.value for s in Status)}",
                field="to",
            ) from None

    def transition(self, ctx: AuditContext, use_case_id: int, body: TransitionIn) -> UseCaseView:
        """Move along the lifecycle, or refuse and say which prerequisites are missing (the
        refusal is audited too)."""
        target = self._status(body.to)

        def work(tx: Tx) -> UseCaseView | list[Prerequisite]:
            session = tx.session
            use_case = self.locked(session, use_case_id, body.version)
            found = views.facts(
                session, use_case, self.workflows, self.today(), body.pilot_end_date
            )
            missing = lifecycle.missing(found, target)
            if missing:
                tx.emit(
                    events.TransitionRefused(
                        object_id=str(use_case.id),
                        object_version=use_case.version,
                        old={"status": use_case.status},
                        new={"to": target.value, "missing": [p.code for p in missing]},
                        reason=body.reason,
                    )
                )
                return missing
            source = use_case.status
            if target is Status.SUSPENDED:
                use_case.previous_status = source
            if target is Status.PILOT:
                use_case.pilot_started_on = self.today()
                use_case.pilot_end_date = body.pilot_end_date
            use_case.status = target.value
            use_case.version += 1
            use_case.updated_at = utcnow()
            session.add(
                Transition(
                    use_case_id=use_case.id,
                    from_status=source,
                    to_status=target.value,
                    reason=body.reason,
                    actor_id=tx.context.actor.id,
                    actor_name=tx.context.actor.name,
                )
            )
            tx.emit(
                events.UseCaseTransitioned(
                    object_id=str(use_case.id),
                    object_version=use_case.version,
                    old={"status": source},
                    new={
                        "status": target.value,
                        "revision": use_case.revision,
                        **(
                            {"pilot_end_date": body.pilot_end_date.isoformat()}
                            if target is Status.PILOT and body.pilot_end_date
                            else {}
                        ),
                    },
                    reason=body.reason,
                )
            )
            session.flush()
            return self.view(session, use_case)

        outcome = self.trail.run(ctx, work)
        if isinstance(outcome, list):
            raise TransitionRefusedError(target.value, outcome)
        return outcome
