"""Schedules: a kind run on a cron expression (five fields, UTC) or every N minutes.

Every worker looks for due schedules before claiming work. Taking a due schedule is a
compare-and-set of its ``next_run_at`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): with several
workers, each occurrence enqueues one job. A schedule whose previous job is still queued or
running skips the occurrence (the job's ``dedupe_key`` is the schedule's), so a slow canary never
piles up behind itself. Occurrences missed while no worker ran are not replayed: the next one
is computed from now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from croniter import croniter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import GouvernailError, NotFoundError
from gouvernail.jobs.events import ScheduleRemoved, ScheduleSet
from gouvernail.jobs.models import ACTIVE, Job, JobSchedule
from gouvernail.jobs.queue import Jobs, parse
from gouvernail.jobs.schemas import ScheduleIn, ScheduleView


def next_run(cron: str | None, every_minutes: int | None, after: datetime) -> datetime:
    if cron is not None:
        nxt: datetime = croniter(cron, after).get_next(datetime)
        return nxt
    assert every_minutes is not None
    return after + timedelta(minutes=every_minutes)


def check_cron(cron: str) -> None:
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise GouvernailError(
            f"{cron!r} is not a five-field cron expression (minute hour day month weekday, "
            "UTC), for example '0 6 * * 1-5'",
            field="cron",
        )


def _view(row: JobSchedule) -> ScheduleView:
    return ScheduleView(
        id=row.id,
        name=row.name,
        kind=row.kind,
        parameters=orjson.loads(row.payload),
        cron=row.cron,
        every_minutes=row.every_minutes,
        enabled=row.enabled,
        next_run_at=row.next_run_at,
        last_job_id=row.last_job_id,
        owner_id=row.owner_id,
        version=row.version,
        updated_at=row.updated_at,
    )


def _fields(row: JobSchedule) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "parameters": orjson.loads(row.payload),
        "cron": row.cron,
        "every_minutes": row.every_minutes,
        "enabled": row.enabled,
        "owner_id": row.owner_id,
    }


class Schedules:
    def __init__(self, database: Database, trail: AuditTrail, jobs: Jobs) -> None:
        self.database = database
        self.trail = trail
        self.jobs = jobs

    def all(self) -> list[ScheduleView]:
        with self.database.read() as session:
            return [_view(row) for row in session.scalars(select(JobSchedule).order_by("name"))]

    def get(self, name: str) -> ScheduleView:
        with self.database.read() as session:
            row = session.scalar(select(JobSchedule).where(JobSchedule.name == name))
            if row is None:
                raise NotFoundError(f"no schedule {name!r}")
            return _view(row)

    def set(
        self,
        context: AuditContext,
        name: str,
        body: ScheduleIn,
        *,
        owner_id: int | None,
        reason: str = "",
        builtin: bool = False,
    ) -> ScheduleView:
        """Create or change a schedule; its jobs act with ``owner_id``'s rights (the person who
        set it). ``builtin``: a housekeeping kind that nobody may ask for on demand."""
        kind = self.jobs.kinds.get(body.kind)
        if kind.right is None and not builtin:
            raise GouvernailError(
                f"{kind.name} is run by the product itself and cannot be scheduled",
                field="kind",
            )
        parameters = parse(kind, body.parameters).model_dump(mode="json")
        if body.cron is not None:
            check_cron(body.cron)
        now = utcnow()

        def work(tx: Tx) -> ScheduleView:
            row = tx.session.scalar(select(JobSchedule).where(JobSchedule.name == name))
            old = _fields(row) if row is not None else {}
            if row is None:
                row = JobSchedule(name=name, version=0)
                tx.session.add(row)
            row.kind = kind.name
            row.payload = orjson.dumps(parameters).decode()
            row.cron, row.every_minutes = body.cron, body.every_minutes
            row.enabled = body.enabled
            row.owner_id = owner_id
            row.next_run_at = next_run(body.cron, body.every_minutes, now)
            row.version += 1
            row.updated_at = now
            tx.session.flush()
            tx.emit(
                ScheduleSet(
                    object_id=str(row.id),
                    object_version=row.version,
                    old=old,
                    new=_fields(row) | {"name": name},
                    reason=reason,
                )
            )
            return _view(row)

        return self.trail.run(context, work)

    def remove(self, context: AuditContext, name: str, *, reason: str = "") -> None:
        def work(tx: Tx) -> None:
            row = tx.session.scalar(select(JobSchedule).where(JobSchedule.name == name))
            if row is None:
                raise NotFoundError(f"no schedule {name!r}")
            tx.emit(
                ScheduleRemoved(
                    object_id=str(row.id),
                    object_version=row.version,
                    old=_fields(row) | {"name": name},
                    reason=reason,
                )
            )
            tx.session.delete(row)

        self.trail.run(context, work)

    def ensure(self, context: AuditContext, name: str, body: ScheduleIn) -> None:
        """A built-in housekeeping schedule, created when missing (an administrator's changes
        to it are kept)."""
        with self.database.read() as session:
            exists = session.scalar(select(JobSchedule.id).where(JobSchedule.name == name))
        if exists is None:
            self.set(context, name, body, owner_id=None, builtin=True, reason="built-in")

    def enqueue_due(self, now: datetime | None = None) -> list[int]:
        """Enqueue one job per due schedule; returns the new jobs' ids."""
        now = now or utcnow()
        due = (
            select(JobSchedule.id)
            .where(JobSchedule.enabled.is_(True), JobSchedule.next_run_at <= now)
            .order_by(JobSchedule.next_run_at)
        )
        with self.database.read() as session:
            if not list(session.scalars(due.limit(1))):
                return []
        created: list[int] = []
        with self.database.write() as session:
            query = select(JobSchedule).where(JobSchedule.id.in_(due))
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            for row in session.scalars(query).all():
                moved = session.execute(
                    update(JobSchedule)
                    .where(JobSchedule.id == row.id, JobSchedule.next_run_at == row.next_run_at)
                    .values(next_run_at=next_run(row.cron, row.every_minutes, now))
                    .execution_options(synchronize_session=False)
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another worker took this occurrence
                key = f"schedule:{row.id}"
                running = session.scalar(
                    select(Job.id).where(Job.dedupe_key == key, Job.status.in_(ACTIVE))
                )
                if running is not None or row.kind not in self.jobs.kinds:
                    continue
                kind = self.jobs.kinds.get(row.kind)
                try:
                    with session.begin_nested():
                        job = self.jobs.insert(
                            session,
                            kind,
                            kind.parameters.model_validate(orjson.loads(row.payload)),
                            requested_by=None,
                            run_after=None,
                            priority=0,
                            dedupe_key=key,
                            schedule_id=row.id,
                        )
                except IntegrityError:
                    continue
                row.last_job_id = job.id
                created.append(job.id)
        if created:
            self.jobs.wake()
        return created
