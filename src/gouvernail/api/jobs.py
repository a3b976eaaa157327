"""Jobs over HTTP: ask for one, follow it, cancel it; schedules.

Anyone signed in reads and cancels the jobs they asked for; ``jobs, read`` reads all of them
(referents, auditors, administrators) and ``jobs, manage`` cancels any and edits schedules
(administrators, AI referents). Asking for a job needs the right its kind names (see
``GET /api/v1/jobs/kinds``), and a schedule needs it too, from the person who sets it: the
scheduled jobs act with that person's rights.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from gouvernail.api.deps import CurrentUser, Require, Rt, audit_context, enforce
from gouvernail.errors import ForbiddenError, GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.jobs.models import JobStatus
from gouvernail.jobs.schemas import NAME, JobIn, JobView, KindView, ScheduleIn, ScheduleView
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

Manager = Annotated[Principal, Depends(Require("jobs", "manage"))]


class CancelIn(BaseModel):
    reason: str = Field("", max_length=1000)


def _reads_all(runtime: Runtime, principal: Principal) -> bool:
    return runtime.policy.decide(principal.roles, "jobs", "read").allowed


def _kind_right(runtime: Runtime, request: Request, principal: Principal, kind: str) -> None:
    right = runtime.jobs.kinds.get(kind).right
    if right is None:
        raise GouvernailError(
            f"{kind} is run by the product itself (an upload, a built-in schedule), not on demand",
            field="kind",
        )
    enforce(runtime, request, principal, *right)


@router.get("/kinds")
def list_kinds(principal: CurrentUser, runtime: Rt) -> list[KindView]:
    """What a job can be, its parameters and the right needed to ask for it."""
    return runtime.jobs.kind_views()


@router.post("", status_code=202)
def enqueue(body: JobIn, request: Request, principal: CurrentUser, runtime: Rt) -> JobView:
    """Ask for a job; it runs on the next free worker. Follow it with GET /api/v1/jobs/{id}."""
    _kind_right(runtime, request, principal, body.kind)
    return runtime.jobs.enqueue(
        audit_context(request, principal),
        body.kind,
        body.parameters,
        requested_by=principal.user_id,
        run_after=body.run_after,
        priority=body.priority,
    )


@router.get("")
def list_jobs(
    principal: CurrentUser,
    runtime: Rt,
    status: JobStatus | None = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobView]:
    """Newest first: every job with ``jobs, read``, otherwise the caller's own."""
    mine = None if _reads_all(runtime, principal) else principal.user_id
    return runtime.jobs.find(status=status, kind=kind, requested_by=mine, limit=limit)


@router.get("/schedules")
def list_schedules(principal: Manager, runtime: Rt) -> list[ScheduleView]:
    return runtime.schedules.all()


@router.put("/schedules/{name}")
def set_schedule(
    name: Annotated[str, Path(pattern=NAME, max_length=100)],
    body: ScheduleIn,
    request: Request,
    principal: Manager,
    runtime: Rt,
) -> ScheduleView:
    """Create or change a schedule (cron in UTC, or every N minutes). Its jobs act with the
    rights of the person who set it, who must hold the kind's right."""
    _kind_right(runtime, request, principal, body.kind)
    return runtime.schedules.set(
        audit_context(request, principal), name, body, owner_id=principal.user_id
    )


@router.delete("/schedules/{name}", status_code=204)
def remove_schedule(name: str, request: Request, principal: Manager, runtime: Rt) -> None:
    runtime.schedules.remove(audit_context(request, principal), name)


@router.get("/{job_id}")
def get_job(job_id: int, principal: CurrentUser, runtime: Rt) -> JobView:
    job = runtime.jobs.get(job_id)
    if job.requested_by != principal.user_id and not _reads_all(runtime, principal):
        raise ForbiddenError("only who asked for a job, or jobs:read, may read it")
    return job


@router.post("/{job_id}/cancel")
def cancel_job(
    job_id: int, body: CancelIn, request: Request, principal: CurrentUser, runtime: Rt
) -> JobView:
    """A queued job is cancelled at once; a running one stops at its next checkpoint (what it
    committed stays)."""
    job = runtime.jobs.get(job_id)
    if job.requested_by != principal.user_id:
        enforce(runtime, request, principal, "jobs", "manage")
    return runtime.jobs.cancel(audit_context(request, principal), job_id, reason=body.reason)
