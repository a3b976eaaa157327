"""Audit events of the jobs (documented in ``docs/audit-events.md``).

A job asked for by a person, a cancellation, a job that failed for good and every change of a
schedule are recorded; what a job does is recorded by the service it calls (a shadow import, an
evaluation run...), with the job's audit context: the person who asked, the schedule's owner, or
the system.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class JobEnqueued(AuditEvent):
    """A person asked for a job: its kind, parameters, priority and when it may start."""

    action = "job.enqueued"
    object_type = "job"


@dataclass(frozen=True, kw_only=True)
class JobCancelled(AuditEvent):
    """A job was cancelled: its status when asked (a running job stops at its next
    checkpoint)."""

    action = "job.cancelled"
    object_type = "job"


@dataclass(frozen=True, kw_only=True)
class JobFailed(AuditEvent):
    """A job failed for good (its last attempt): the kind, attempts and the error."""

    action = "job.failed"
    object_type = "job"


@dataclass(frozen=True, kw_only=True)
class ScheduleSet(AuditEvent):
    """A schedule was created or changed: old and new kind, parameters, timing, enabled."""

    action = "job.schedule_set"
    object_type = "job_schedule"


@dataclass(frozen=True, kw_only=True)
class ScheduleRemoved(AuditEvent):
    """A schedule was removed (what it was)."""

    action = "job.schedule_removed"
    object_type = "job_schedule"
