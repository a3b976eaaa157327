"""Value models and the ROI reports computed from them (``runtime.value``).

A value model is set as a whole, in one unit of work of the audit trail: the checks that need
the database (the use case, the key result and its unit, the version) run inside it, so a
refused edit writes nothing. The report is computed on every read from the model, the linked
key result, the request log (token costs, measured tasks, adoption) and the settings; nothing
computed is stored. Who may read or set which use case's model is decided at the route (the
policy, and ownership of the use case, ``owns``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.usage import usage
from gouvernail.identity.models import User
from gouvernail.observatory.licences.schemas import LicenceCost
from gouvernail.observatory.value import roi
from gouvernail.observatory.value.adoption import ANSWERED, adoption
from gouvernail.observatory.value.events import ValueModelSet
from gouvernail.observatory.value.models import UseCaseValue
from gouvernail.observatory.value.schemas import (
    Costs,
    DeclaredTime,
    KeyResultTime,
    Results,
    Sourced,
    StudyTime,
    TimeSavedView,
    ValueModelIn,
    ValueModelView,
    ValueReport,
)
from gouvernail.policy import Policy
from gouvernail.registry.models import KeyResult, MemberRole, UseCase, UseCaseMember
from gouvernail.settings import ValueSettings

ADOPTION_DAYS = 30
MINUTE_UNITS = ("min", "minute", "minutes")
"""Units of a key result that measures minutes per task (``min``, ``minutes per task``…)."""


def _in_minutes(unit: str) -> bool:
    words = unit.lower().replace("/", " ").split()
    return bool(words) and words[0] in MINUTE_UNITS


def _money(value: Decimal | None) -> float:
    return float(value or 0)


class Values:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        settings: ValueSettings,
        now: Callable[[], datetime] = utcnow,
        licence_costs: Callable[[int], list[LicenceCost]] | None = None,
    ) -> None:
        """``licence_costs``: the monthly cost of the licensed tools tied to a use case (the
        licence register); when it prices some in EUR, they replace the declared licence cost."""
        self.database = database
        self.trail = trail
        self.settings = settings
        self.now = now
        self.licence_costs = licence_costs

    # --- who ----------------------------------------------------------------------------------

    def owned(self, user_id: int) -> set[int]:
        """The use cases ``user_id`` owns (member with the owner role)."""
        with self.database.read() as session:
            return set(
                session.scalars(
                    select(UseCaseMember.use_case_id).where(
                        UseCaseMember.user_id == user_id,
                        UseCaseMember.role == MemberRole.OWNER.value,
                    )
                )
            )

    def allowed(
        self,
        policy: Policy,
        roles: Iterable[str],
        user_id: int,
        use_case_id: int | None,
        action: Literal["read", "manage"],
    ) -> bool:
        """May this person ``action`` the value model of ``use_case_id`` (None: of every use
        case)? The policy's ``value, read|manage``, or ``value, manage_own`` for a use case
        they own."""
        roles = tuple(roles)
        if policy.decide(roles, "value", action).allowed:
            return True
        return (
            use_case_id is not None
            and policy.decide(roles, "value", "manage_own").allowed
            and use_case_id in self.owned(user_id)
        )

    # --- writing ------------------------------------------------------------------------------

    def set(
        self, ctx: AuditContext, use_case_id: int, body: ValueModelIn, *, user_id: int
    ) -> ValueModelView:
        """Set or replace ``use_case_id``'s value model for ``user_id`` (who declares)."""

        def work(tx: Tx) -> ValueModelView:
            session = tx.session
            if session.get(UseCase, use_case_id) is None:
                raise NotFoundError(f"no use case with id {use_case_id}")
            _check_baseline(session, use_case_id, body)
            row = session.get(UseCaseValue, use_case_id)
            old = {} if row is None else _inputs(session, row)
            now = self.now()
            if row is None:
                if body.version not in (None, 1):
                    raise ConflictError(
                        f"use case {use_case_id} has no value model yet: leave version empty",
                        field="version",
                        code="version_conflict",
                    )
                row = UseCaseValue(use_case_id=use_case_id, version=0)
                session.add(row)
                time_changed = True
            else:
                if body.version != row.version:
                    raise ConflictError(
                        f"the value model of use case {use_case_id} is at version "
                        f"{row.version}, not {body.version}: send the current version to "
                        "replace it (someone may have changed it meanwhile)",
                        field="version",
                        code="version_conflict",
                    )
                time_changed = _time_of(row) != body.time_saved
            _fill(row, body)
            if time_changed:
                row.time_saved_by, row.time_saved_at = user_id, now
            row.version += 1
            row.updated_by, row.updated_at = user_id, now
            session.flush()
            new = _inputs(session, row)
            tx.emit(
                ValueModelSet(
                    object_id=str(use_case_id),
                    object_version=row.version,
                    old={k: v for k, v in old.items() if new.get(k) != v},
                    new={k: v for k, v in new.items() if old.get(k) != v},
                    reason=body.reason,
                )
            )
            return _view(session, row)

        return self.trail.run(ctx, work)

    # --- reading ------------------------------------------------------------------------------

    def get(self, use_case_id: int) -> ValueModelView:
        with self.database.read() as session:
            return _view(session, _load(session, use_case_id))

    def report(self, use_case_id: int, days: int = 30) -> ValueReport:
        """The value report of one use case over the last ``days`` days."""
        until = self.now()
        with self.database.read() as session:
            return self._report(session, _load(session, use_case_id), days, until)

    def reports(self, days: int = 30, only: Collection[int] | None = None) -> list[ValueReport]:
        """The reports of every use case with a value model (``only``: of these use cases)."""
        until = self.now()
        query = select(UseCaseValue).order_by(UseCaseValue.use_case_id)
        if only is not None:
            query = query.where(UseCaseValue.use_case_id.in_(only))
        with self.database.read() as session:
            return [self._report(session, row, days, until) for row in session.scalars(query)]

    def _report(
        self, session: Session, row: UseCaseValue, days: int, until: datetime
    ) -> ValueReport:
        if not 1 <= days <= 366:
            raise GouvernailError("days must be between 1 and 366", field="days")
        since = until - timedelta(days=days)
        use_case = session.get(UseCase, row.use_case_id)
        assert use_case is not None  # a value model's use case is never deleted
        key_result = session.get(KeyResult, row.key_result_id) if row.key_result_id else None
        notes: list[str] = []

        baseline = (
            Sourced(value=key_result.baseline, source=f"key result #{key_result.id}")
            if key_result is not None
            else Sourced(value=row.baseline_minutes or 0.0, source="declared")
        )
        hourly = (
            Sourced(value=float(row.hourly_cost_eur), source="declared on the use case")
            if row.hourly_cost_eur is not None
            else Sourced(value=self.settings.loaded_hourly_cost_eur, source="setting")
        )
        measured = usage(session, since, until, use_case_id=row.use_case_id).total
        if row.calls_per_task is not None:
            answered = _answered_calls(session, row.use_case_id, since, until)
            tasks = Sourced(
                value=answered / row.calls_per_task,
                source=f"measured: {answered} answered calls / {row.calls_per_task:g} per task",
            )
        else:
            tasks = Sourced(
                value=(row.tasks_per_month or 0.0) * roi.months(days),
                source=f"declared: {row.tasks_per_month:g} per month",
            )
        saved = _time_saved(session, row, key_result, baseline.value, notes)
        licences = self._licences(row, notes)
        outcome = roi.compute(
            roi.Inputs(
                days=days,
                tasks=tasks.value,
                minutes_saved_per_task=saved.minutes_per_task,
                hourly_cost_eur=hourly.value,
                redeployed_share=row.redeployed_share,
                tokens_eur=float(measured.cost_eur),
                licence_eur_per_month=licences,
                hosting_eur_per_month=_money(row.hosting_eur_per_month),
                support_eur_per_month=_money(row.support_eur_per_month),
                build_cost_eur=_money(row.build_cost_eur),
            )
        )
        if row.redeployed_share == 0:
            notes.append(
                "no freed hour is declared redeployed or cut: the hours freed are not savings"
            )
        if outcome.roi is None:
            notes.append("no cost in the period: ROI is undefined")
        if outcome.payback_months is None:
            notes.append("the monthly net is not positive: the build cost is never repaid")
        notes.append("hosting and support costs are declared on the value model")
        return ValueReport(
            use_case_id=row.use_case_id,
            use_case=use_case.title,
            status=use_case.status,
            since=since,
            until=until,
            days=days,
            model=_view(session, row),
            baseline_minutes_per_task=baseline,
            baseline_cost_per_task_eur=baseline.value / 60 * hourly.value,
            hourly_cost_eur=hourly,
            tasks=tasks,
            time_saved=saved,
            adoption=adoption(
                session,
                row.use_case_id,
                until - timedelta(days=ADOPTION_DAYS),
                until,
                ADOPTION_DAYS,
                row.target_users,
            ),
            costs=Costs(
                tokens_eur=float(measured.cost_eur),
                calls=measured.calls,
                licences_eur=outcome.licences_eur,
                hosting_eur=outcome.hosting_eur,
                support_eur=outcome.support_eur,
                total_eur=outcome.costs_eur,
                build_cost_eur=_money(row.build_cost_eur),
            ),
            results=Results(
                hours_freed=outcome.hours_freed,
                hours_freed_value_eur=outcome.hours_freed_value_eur,
                redeployed_share=row.redeployed_share,
                savings_realised_eur=outcome.savings_realised_eur,
                net_eur=outcome.net_eur,
                roi=outcome.roi,
                payback_months=outcome.payback_months,
            ),
            notes=notes,
        )

    # --- helpers ----------------------------------------------------------------------------

    def _licences(self, row: UseCaseValue, notes: list[str]) -> float:
        """The licence cost per month: the register's EUR-priced tools tied to the use case,
        else what the value model declares."""
        tools = self.licence_costs(row.use_case_id) if self.licence_costs else []
        priced = [t for t in tools if t.monthly is not None and t.currency == "EUR"]
        unpriced = [t.tool for t in tools if t not in priced]
        if unpriced:
            notes.append(
                "licensed tools without a seat price in EUR, not counted: " + ", ".join(unpriced)
            )
        if not priced:
            notes.append("the licence cost is declared on the value model")
            return _money(row.licence_eur_per_month)
        notes.append(
            "the licence cost comes from the licence register: "
            + ", ".join(f"{t.tool} ({t.seats_billed} seats)" for t in priced)
        )
        return sum(float(t.monthly or 0) for t in priced)


def _load(session: Session, use_case_id: int) -> UseCaseValue:
    row = session.get(UseCaseValue, use_case_id)
    if row is None:
        if session.get(UseCase, use_case_id) is None:
            raise NotFoundError(f"no use case with id {use_case_id}")
        raise NotFoundError(
            f"use case {use_case_id} has no value model yet: its owner or an AI referent sets "
            f"one (PUT /api/v1/observatory/value/{use_case_id})"
        )
    return row


def _check_baseline(session: Session, use_case_id: int, body: ValueModelIn) -> None:
    """The key result belongs to the use case and counts minutes; a declared saving is no
    longer than the task."""
    baseline = body.baseline_minutes_per_task
    if body.key_result_id is not None:
        baseline = _key_result(session, use_case_id, body).baseline
    time = body.time_saved
    if not isinstance(time, DeclaredTime) or baseline is None:
        return
    if time.minutes_saved_per_task > baseline:
        raise GouvernailError(
            f"the declared time saved ({time.minutes_saved_per_task:g} min) exceeds the "
            f"baseline ({baseline:g} min per task)",
            field="time_saved",
        )


def _key_result(session: Session, use_case_id: int, body: ValueModelIn) -> KeyResult:
    key_result = session.get(KeyResult, body.key_result_id)
    if key_result is None or key_result.use_case_id != use_case_id:
        raise GouvernailError(
            f"use case {use_case_id} has no key result {body.key_result_id}",
            field="key_result_id",
        )
    if not _in_minutes(key_result.unit):
        raise GouvernailError(
            f"key result {key_result.id} is measured in {key_result.unit!r}: link a key result "
            "in minutes per task, or give baseline_minutes_per_task",
            field="key_result_id",
        )
    if isinstance(body.time_saved, KeyResultTime) and key_result.measured_value is None:
        raise ConflictError(
            f"key result {key_result.id} has no measured value yet: record a measurement or "
            "declare the time saved",
            field="time_saved",
        )
    return key_result


def _answered_calls(session: Session, use_case_id: int, since: datetime, until: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(RequestLog.id)).where(
                RequestLog.use_case_id == use_case_id,
                RequestLog.at >= since,
                RequestLog.at < until,
                RequestLog.status == 200,
                RequestLog.operation.in_(ANSWERED),
            )
        )
        or 0
    )


def _time_of(row: UseCaseValue) -> DeclaredTime | KeyResultTime | StudyTime:
    if row.time_saved_method == "key_result":
        return KeyResultTime()
    if row.time_saved_method == "study":
        return StudyTime(
            before_minutes=row.study_before_minutes or 0.0,
            after_minutes=row.study_after_minutes or 0.0,
            tasks_timed=row.study_tasks or 1,
            note=row.study_note,
        )
    return DeclaredTime(minutes_saved_per_task=row.declared_minutes_saved or 0.0)


def _fill(row: UseCaseValue, body: ValueModelIn) -> None:
    row.key_result_id = body.key_result_id
    row.baseline_minutes = body.baseline_minutes_per_task
    row.tasks_per_month = body.tasks_per_month
    row.calls_per_task = body.calls_per_task
    row.hourly_cost_eur = body.hourly_cost_eur
    time = body.time_saved
    row.time_saved_method = time.method
    row.declared_minutes_saved = (
        time.minutes_saved_per_task if isinstance(time, DeclaredTime) else None
    )
    study = time if isinstance(time, StudyTime) else None
    row.study_before_minutes = study.before_minutes if study else None
    row.study_after_minutes = study.after_minutes if study else None
    row.study_tasks = study.tasks_timed if study else None
    row.study_note = study.note if study else ""
    row.redeployed_share = body.redeployed_share
    row.redeployment_note = body.redeployment_note
    row.target_users = body.target_users
    row.licence_eur_per_month = body.licence_eur_per_month
    row.hosting_eur_per_month = body.hosting_eur_per_month
    row.support_eur_per_month = body.support_eur_per_month
    row.build_cost_eur = body.build_cost_eur


def _name(session: Session, user_id: int) -> str:
    name = session.scalar(select(User.display_name).where(User.id == user_id))
    return name or f"user {user_id}"


def _view(session: Session, row: UseCaseValue) -> ValueModelView:
    return ValueModelView(
        use_case_id=row.use_case_id,
        key_result_id=row.key_result_id,
        baseline_minutes_per_task=row.baseline_minutes,
        tasks_per_month=row.tasks_per_month,
        calls_per_task=row.calls_per_task,
        hourly_cost_eur=row.hourly_cost_eur,
        time_saved=_time_of(row),
        redeployed_share=row.redeployed_share,
        redeployment_note=row.redeployment_note,
        target_users=row.target_users,
        licence_eur_per_month=row.licence_eur_per_month,
        hosting_eur_per_month=row.hosting_eur_per_month,
        support_eur_per_month=row.support_eur_per_month,
        build_cost_eur=row.build_cost_eur,
        version=row.version,
        updated_by=_name(session, row.updated_by),
        updated_at=row.updated_at,
    )


def _inputs(session: Session, row: UseCaseValue) -> dict[str, Any]:
    """The model's inputs as the trail records them (JSON values)."""
    view = _view(session, row).model_dump(
        mode="json", exclude={"use_case_id", "version", "updated_by", "updated_at"}
    )
    view["time_saved_by"] = _name(session, row.time_saved_by)
    return dict(view)


def _time_saved(
    session: Session,
    row: UseCaseValue,
    key_result: KeyResult | None,
    baseline: float,
    notes: list[str],
) -> TimeSavedView:
    by, at = _name(session, row.time_saved_by), row.time_saved_at
    if row.time_saved_method == "key_result" and key_result is not None:
        if key_result.measured_value is None:
            notes.append(f"key result #{key_result.id} has no measured value: no time saved")
            minutes, when = 0.0, "not measured yet"
        else:
            minutes = key_result.baseline - key_result.measured_value
            when = f"measured {key_result.measured_value:g} on {key_result.measured_on}"
        return TimeSavedView(
            minutes_per_task=minutes,
            label="measured",
            method="key_result",
            by=by,
            at=at,
            detail=f"key result #{key_result.id}: baseline {key_result.baseline:g} min, {when}",
        )
    if row.time_saved_method == "study":
        before, after = row.study_before_minutes or 0.0, row.study_after_minutes or 0.0
        return TimeSavedView(
            minutes_per_task=before - after,
            label="measured",
            method="study",
            by=by,
            at=at,
            detail=f"before/after study of {row.study_tasks} tasks: {before:g} → {after:g} min"
            + (f" ({row.study_note})" if row.study_note else ""),
        )
    minutes = row.declared_minutes_saved or 0.0
    if minutes > baseline:  # the key result's baseline was lowered since
        notes.append(
            f"the declared time saved ({minutes:g} min) exceeds the baseline ({baseline:g} min)"
        )
    return TimeSavedView(
        minutes_per_task=minutes,
        label="declared",
        method="declared",
        by=by,
        at=at,
        detail=f"declared by {by} on {at.date().isoformat()}",
    )
