"""The job queue, in the database: enqueue, claim under a lease, renew, finish, retry, cancel.

Claiming is safe with several workers in several processes. On PostgreSQL the candidate row is
selected ``FOR UPDATE SKIP LOCKED`` (two workers never wait on, nor take, the same job); on SQLite
the write transaction (``BEGIN IMMEDIATE``) serialises claims. Either way the claim is a
compare-and-set on the status and lease, so a job is never run by two workers at once while its
lease holds. A worker that dies leaves a ``running`` job whose lease expires; the next claim takes
it over (one more attempt), or fails it for good when its attempts are spent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit.events import SYSTEM, Actor
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.jobs.events import JobCancelled, JobEnqueued, JobFailed
from gouvernail.jobs.kinds import Kind, Kinds
from gouvernail.jobs.models import ACTIVE, Job, JobStatus
from gouvernail.jobs.schemas import JobView, KindView
from gouvernail.settings import JobSettings

MAX_ERROR = 2_000


@dataclass(frozen=True)
class Claimed:
    """A job this worker now holds."""

    id: int
    kind: Kind
    parameters: BaseModel
    attempt: int
    user_id: int | None
    audit: AuditContext


@dataclass(frozen=True)
class Lease:
    held: bool
    cancel_requested: bool


def view(job: Job) -> JobView:
    return JobView(
        id=job.id,
        kind=job.kind,
        parameters=orjson.loads(job.payload),
        status=JobStatus(job.status),
        priority=job.priority,
        run_after=job.run_after,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        worker=job.lease_owner,
        lease_expires_at=job.lease_expires_at,
        cancel_requested=job.cancel_requested,
        requested_by=job.requested_by,
        schedule_id=job.schedule_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        progress=orjson.loads(job.progress) if job.progress else None,
        result=orjson.loads(job.result) if job.result else None,
        error=job.error,
    )


def parse(kind: Kind, parameters: dict[str, Any]) -> BaseModel:
    """The kind's parameters, validated; a 422-like 400 naming the field otherwise."""
    try:
        return kind.parameters.model_validate(parameters)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "parameters"
        raise GouvernailError(
            f"parameters of {kind.name}: {where}: {first['msg']}", field=f"parameters.{where}"
        ) from None


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


class Jobs:
    """``wake`` is called after a job is enqueued, so this process's worker claims it at once
    (other processes' workers find it at their next poll)."""

    def __init__(
        self, database: Database, trail: AuditTrail, settings: JobSettings, kinds: Kinds
    ) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings
        self.kinds = kinds
        self.wakers: list[Callable[[], None]] = []

    # --- asking -------------------------------------------------------------------------

    def kind_views(self) -> list[KindView]:
        return [
            KindView(
                name=kind.name,
                summary=kind.summary,
                parameters=kind.parameters.model_json_schema(),
                on_demand=kind.right is not None,
                right=":".join(kind.right) if kind.right else None,
                max_attempts=kind.max_attempts,
            )
            for kind in self.kinds
        ]

    def enqueue(
        self,
        context: AuditContext,
        kind_name: str,
        parameters: dict[str, Any] | BaseModel,
        *,
        requested_by: int | None,
        run_after: datetime | None = None,
        priority: int = 0,
        dedupe_key: str | None = None,
    ) -> JobView:
        """A job for a person (audited as ``job.enqueued``). ``dedupe_key``: refused (409) while
        another job of the same key is queued or running."""
        kind = self.kinds.get(kind_name)
        valid = parameters if isinstance(parameters, BaseModel) else parse(kind, parameters or {})

        def work(tx: Tx) -> JobView:
            job = self.insert(
                tx.session,
                kind,
                valid,
                requested_by=requested_by,
                run_after=run_after,
                priority=priority,
                dedupe_key=dedupe_key,
                schedule_id=None,
            )
            tx.emit(
                JobEnqueued(
                    object_id=str(job.id),
                    new={
                        "kind": kind.name,
                        "parameters": valid.model_dump(mode="json"),
                        "priority": priority,
                        "run_after": job.run_after.isoformat(),
                    },
                )
            )
            return view(job)

        try:
            job = self.trail.run(context, work)
        except IntegrityError:
            raise ConflictError(
                f"a {kind.name} job with the same key is already queued or running",
                code="job_active",
            ) from None
        self.wake()
        return job

    def insert(
        self,
        session: Session,
        kind: Kind,
        parameters: BaseModel,
        *,
        requested_by: int | None,
        run_after: datetime | None,
        priority: int,
        dedupe_key: str | None,
        schedule_id: int | None,
    ) -> Job:
        now = utcnow()
        job = Job(
            kind=kind.name,
            payload=orjson.dumps(parameters.model_dump(mode="json")).decode(),
            status=JobStatus.QUEUED.value,
            priority=priority,
            run_after=max(run_after or now, now),
            attempts=0,
            max_attempts=kind.max_attempts,
            cancel_requested=False,
            dedupe_key=dedupe_key,
            requested_by=requested_by,
            schedule_id=schedule_id,
            created_at=now,
        )
        session.add(job)
        session.flush()
        return job

    def wake(self) -> None:
        for waker in self.wakers:
            waker()

    # --- reading ------------------------------------------------------------------------

    def get(self, job_id: int) -> JobView:
        with self.database.read() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFoundError(f"no job {job_id}")
            return view(job)

    def find(
        self,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        requested_by: int | None = None,
        limit: int = 100,
    ) -> list[JobView]:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Job.status == status.value)
        if kind is not None:
            query = query.where(Job.kind == kind)
        if requested_by is not None:
            query = query.where(Job.requested_by == requested_by)
        with self.database.read() as session:
            return [view(job) for job in session.scalars(query)]

    # --- cancelling ---------------------------------------------------------------------

    def cancel(self, context: AuditContext, job_id: int, *, reason: str = "") -> JobView:
        """A queued job is cancelled at once; a running one stops at its next checkpoint."""

        def work(tx: Tx) -> JobView:
            job = tx.session.get(Job, job_id)
            if job is None:
                raise NotFoundError(f"no job {job_id}")
            if job.status not in ACTIVE:
                raise ConflictError(f"job {job_id} is {job.status}: nothing to cancel")
            before = job.status
            if job.status == JobStatus.QUEUED.value:
                job.status = JobStatus.CANCELLED.value
                job.finished_at = utcnow()
            job.cancel_requested = True
            tx.emit(
                JobCancelled(
                    object_id=str(job.id),
                    old={"status": before},
                    new={"status": job.status, "kind": job.kind},
                    reason=reason,
                )
            )
            tx.session.flush()
            return view(job)

        return self.trail.run(context, work)

    # --- the worker's side --------------------------------------------------------------

    def _claimable(self, now: datetime, kinds: Collection[str]) -> ColumnElement[bool]:
        return and_(
            Job.kind.in_(list(kinds)),
            or_(
                and_(Job.status == JobStatus.QUEUED.value, Job.run_after <= now),
                and_(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < now),
            ),
        )

    def claim(self, worker: str, kinds: Collection[str] | None = None) -> Claimed | None:
        """The most urgent due job (or one whose worker stopped renewing its lease), now held
        by ``worker``; ``None`` when there is none."""
        names = list(kinds) if kinds is not None else [kind.name for kind in self.kinds]
        now = utcnow()
        with self.database.read() as session:  # a cheap look first: no write lock when idle
            if session.scalar(select(Job.id).where(self._claimable(now, names)).limit(1)) is None:
                return None
        abandoned: Job | None = None
        with self.database.write() as session:
            query = (
                select(Job)
                .where(self._claimable(now, names))
                .order_by(Job.priority.desc(), Job.run_after, Job.id)
                .limit(1)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            job = session.scalar(query)
            if job is None:
                return None
            if job.status == JobStatus.RUNNING.value and job.attempts >= job.max_attempts:
                job.status = JobStatus.FAILED.value
                job.finished_at = now
                job.error = (
                    f"its worker stopped {job.attempts} time(s) without finishing "
                    f"(last: {job.lease_owner})"
                )
                job.lease_owner = job.lease_expires_at = None
                abandoned = job
            else:
                taken = session.execute(
                    update(Job)
                    .where(Job.id == job.id, self._claimable(now, names))
                    .values(
                        status=JobStatus.RUNNING.value,
                        lease_owner=worker,
                        lease_expires_at=now + timedelta(seconds=self.settings.lease_seconds),
                        attempts=Job.attempts + 1,
                        started_at=now,
                        finished_at=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    return None
                session.refresh(job)
            payload, user_id = job.payload, job.requested_by
            job_id, kind_name, attempt = job.id, job.kind, job.attempts
            if abandoned is None:
                user_id = user_id or self._schedule_owner(session, job)
                actor = self._actor(session, user_id)
        if abandoned is not None:
            self._record_failure(job_id, kind_name, attempt, abandoned.error or "")
            return None
        kind = self.kinds.get(kind_name)
        return Claimed(
            id=job_id,
            kind=kind,
            parameters=kind.parameters.model_validate(orjson.loads(payload)),
            attempt=attempt,
            user_id=user_id,
            audit=AuditContext(actor, f"job-{job_id}"),
        )

    def _schedule_owner(self, session: Session, job: Job) -> int | None:
        from gouvernail.jobs.models import JobSchedule

        if job.schedule_id is None:
            return None
        schedule = session.get(JobSchedule, job.schedule_id)
        return schedule.owner_id if schedule else None

    def _actor(self, session: Session, user_id: int | None) -> Actor:
        if user_id is None:
            return SYSTEM
        user = session.get(User, user_id)
        name = f"{user.display_name} ({user.username})" if user else f"user {user_id}"
        return Actor(id=str(user_id), name=name)

    def renew(self, job_id: int, worker: str, note: dict[str, Any] | None = None) -> Lease:
        """Extend the lease (and save the handler's progress note); ``held`` is false when the
        job is no longer this worker's."""
        values: dict[str, Any] = {
            "lease_expires_at": utcnow() + timedelta(seconds=self.settings.lease_seconds)
        }
        if note is not None:
            values["progress"] = orjson.dumps(note).decode()
        with self.database.write() as session:
            renewed = session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.lease_owner == worker,
                    Job.status == JobStatus.RUNNING.value,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                return Lease(held=False, cancel_requested=False)
            cancel = session.scalar(select(Job.cancel_requested).where(Job.id == job_id))
        return Lease(held=True, cancel_requested=bool(cancel))

    def _finish(self, job_id: int, worker: str, **values: Any) -> bool:
        with self.database.write() as session:
            done = session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.lease_owner == worker,
                    Job.status == JobStatus.RUNNING.value,
                )
                .values(lease_owner=None, lease_expires_at=None, **values)
                .execution_options(synchronize_session=False)
            )
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def succeed(
        self, job_id: int, worker: str, result: dict[str, Any] | None, note: dict[str, Any] | None
    ) -> bool:
        return self._finish(
            job_id,
            worker,
            status=JobStatus.SUCCEEDED.value,
            finished_at=utcnow(),
            result=orjson.dumps(result).decode() if result is not None else None,
            progress=orjson.dumps(note).decode() if note is not None else None,
            error=None,
        )

    def cancelled(self, job_id: int, worker: str) -> bool:
        return self._finish(job_id, worker, status=JobStatus.CANCELLED.value, finished_at=utcnow())

    def release(self, job_id: int, worker: str) -> bool:
        """This worker stops (shutdown) before the job is done: it is queued again at once and
        the attempt does not count."""
        return self._finish(
            job_id, worker, status=JobStatus.QUEUED.value, attempts=Job.attempts - 1
        )

    def fail(self, job_id: int, worker: str, exc: BaseException) -> JobStatus:
        """An attempt failed: queued again after a backoff (30 s, 60 s, 120 s... by
        ``jobs.retry_base_seconds``) while attempts remain, failed for good (audited) after."""
        error = _error_text(exc)
        with self.database.read() as session:
            job = session.get(Job, job_id)
            if job is None:
                return JobStatus.FAILED
            attempts, kind, limit = job.attempts, job.kind, job.max_attempts
        retry = attempts < limit and not isinstance(exc, GouvernailError)
        if retry:
            delay = self.settings.retry_base_seconds * 2 ** (attempts - 1)
            self._finish(
                job_id,
                worker,
                status=JobStatus.QUEUED.value,
                run_after=utcnow() + timedelta(seconds=delay),
                error=error,
            )
            return JobStatus.QUEUED
        if self._finish(
            job_id, worker, status=JobStatus.FAILED.value, finished_at=utcnow(), error=error
        ):
            self._record_failure(job_id, kind, attempts, error)
        return JobStatus.FAILED

    def _record_failure(self, job_id: int, kind: str, attempts: int, error: str) -> None:
        self.trail.record(
            AuditContext(SYSTEM, f"job-{job_id}"),
            JobFailed(
                object_id=str(job_id), new={"kind": kind, "attempts": attempts, "error": error}
            ),
        )
