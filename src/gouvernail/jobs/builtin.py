"""The kinds of job the product ships, and its housekeeping schedules.

Each handler calls a service that records its own work in the audit trail with the job's
context; long ones report progress and stop at a checkpoint when cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from gouvernail.audit import AuditContext
from gouvernail.audit.events import SYSTEM
from gouvernail.errors import GouvernailError
from gouvernail.jobs.kinds import JobContext, Kind, Kinds
from gouvernail.jobs.schemas import ScheduleIn
from gouvernail.observatory.alerts.jobs import check_alerts
from gouvernail.observatory.shadow.schemas import LogFormat

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime

CONTENT_PURGE = "gateway-content-purge"
CANARIES_DUE = "canaries-due"
ALERTS_CHECK = "alerts-check"


async def purge_content(rt: Runtime, job: JobContext) -> dict[str, Any]:
    from gouvernail.agents.messages.retention import purge_messages
    from gouvernail.gateway.retention import purge_content as purge

    purged = await asyncio.to_thread(purge, rt.database, rt.trail)
    messages = await asyncio.to_thread(purge_messages, rt.trail)
    return {"purged": purged, "messages": messages}


class ShadowImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The uploaded file, inside <data_dir>/shadow-uploads.")
    format: LogFormat
    name: str = Field(min_length=1, max_length=500)


def uploads(rt: Runtime) -> Path:
    """Where uploaded proxy logs wait for their import job."""
    return rt.settings.data_dir / "shadow-uploads"


def _uploaded(folder: Path, name: str) -> Path:
    path = Path(name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise GouvernailError("an import job reads only uploaded files", field="path")
    if not path.is_file():
        raise GouvernailError(f"the uploaded file {path.name} is gone", field="path")
    return path


async def import_shadow_log(rt: Runtime, job: JobContext) -> dict[str, Any]:
    """The file is removed once imported, refused, or failed for good; kept while a retry may
    come (the import resumes from its last committed segment)."""
    parameters = job.parameters
    assert isinstance(parameters, ShadowImport)
    path = await asyncio.to_thread(_uploaded, uploads(rt), parameters.path)

    def progress(done: int, total: int) -> None:
        job.progress(bytes_read=done, bytes_total=total)
        job.checkpoint()

    final = True
    try:
        imported = await asyncio.to_thread(
            rt.shadow.import_file,
            job.audit,
            path,
            parameters.format,
            name=parameters.name,
            progress=progress,
        )
    except GouvernailError:
        raise
    except Exception:
        final = job.attempt >= job.max_attempts
        raise
    finally:
        if final:
            path.unlink(missing_ok=True)
    return {"import_id": imported.id, "status": imported.status, "resumed": imported.resumed}


def checkpointing(job: JobContext) -> Callable[[int, int], None]:
    """A service's progress callback: noted on the job, and the place a cancelled job stops."""

    def progress(done: int, total: int) -> None:
        job.progress(done=done, total=total)
        job.checkpoint()

    return progress


class ActivityImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The uploaded file, inside <data_dir>/licence-uploads.")
    tool: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=500)
    format: str = Field(min_length=1, max_length=40)


def licence_uploads(rt: Runtime) -> Path:
    """Where uploaded compliance exports wait for their import job."""
    return rt.settings.data_dir / "licence-uploads"


async def import_licence_activity(rt: Runtime, job: JobContext) -> dict[str, Any]:
    """All or nothing: a retry after a crash imports the whole file again (nothing of the
    failed attempt was kept). The file is removed once imported, refused, or failed for good."""
    parameters = job.parameters
    assert isinstance(parameters, ActivityImport)
    path = await asyncio.to_thread(_uploaded, licence_uploads(rt), parameters.path)
    final = True
    try:
        imported = await asyncio.to_thread(
            rt.licences.import_activity,
            job.audit,
            parameters.tool,
            path,
            name=parameters.name,
            format=parameters.format,
        )
    except GouvernailError:
        raise
    except Exception:
        final = job.attempt >= job.max_attempts
        raise
    finally:
        if final:
            path.unlink(missing_ok=True)
    return {"import_id": imported.id, "records": imported.records, "malformed": imported.malformed}


class EvaluationRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: int = Field(ge=1)


async def run_evaluation(rt: Runtime, job: JobContext) -> dict[str, Any]:
    """Execute (or resume) an evaluation run for the person who asked for it: an interrupted
    run is left ``incomplete`` and the next attempt scores only what is missing."""
    parameters = job.parameters
    assert isinstance(parameters, EvaluationRun)
    if job.user_id is None:
        raise GouvernailError("an evaluation run acts for a person: ask for it through the API")
    run = await rt.evaluations.execute(
        job.audit, parameters.run_id, user_id=job.user_id, progress=checkpointing(job)
    )
    return {"run_id": run.id, "status": run.status}


class BiasRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: int = Field(ge=1)


async def run_bias_test(rt: Runtime, job: JobContext) -> dict[str, Any]:
    """Send a bias run's prompts for the person who asked for it; a run interrupted midway
    resumes where it stopped at the next attempt."""
    parameters = job.parameters
    assert isinstance(parameters, BiasRun)
    if job.user_id is None:
        raise GouvernailError("a bias run acts for a person: ask for it through the API")
    run = await rt.bias.execute(
        job.audit, parameters.run_id, user_id=job.user_id, progress=checkpointing(job)
    )
    return {"run_id": run.id, "status": run.status}


class CanaryRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=64)
    key: str | None = Field(None, min_length=1, max_length=120)


async def run_canary(rt: Runtime, job: JobContext) -> dict[str, Any]:
    parameters = job.parameters
    assert isinstance(parameters, CanaryRun)
    run = await rt.canaries.run(
        parameters.model, context=job.audit, key=parameters.key, progress=checkpointing(job)
    )
    return {"run_id": run.id, "status": run.status, "drift_id": run.drift_id}


async def run_due_canaries(rt: Runtime, job: JobContext) -> dict[str, Any]:
    runs = await rt.canaries.run_due(job.audit)
    return {"runs": [run.id for run in runs], "drifts": [r.drift_id for r in runs if r.drift_id]}


def builtin_kinds() -> Kinds:
    return Kinds(
        [
            Kind(
                name="gateway.purge_content",
                summary="Delete stored prompts and answers, and the text of agents' messages, "
                "whose retention is over.",
                handler=purge_content,
                right=("jobs", "manage"),
            ),
            Kind(
                name="shadow.import",
                summary="Import an uploaded web-proxy log (POST /api/v1/shadow/imports).",
                handler=import_shadow_log,
                parameters=ShadowImport,
                max_attempts=3,
            ),
            Kind(
                name="licences.activity_import",
                summary="Import an outside tool's uploaded compliance export "
                "(POST /api/v1/licences/tools/{slug}/activity-imports).",
                handler=import_licence_activity,
                parameters=ActivityImport,
                max_attempts=2,
            ),
            Kind(
                name="evaluation.run",
                summary="Execute or resume an evaluation run (POST /api/v1/evaluations/runs).",
                handler=run_evaluation,
                parameters=EvaluationRun,
                max_attempts=2,
            ),
            Kind(
                name="bias.run",
                summary="Send a bias run's counterfactual prompts (POST /api/v1/bias/runs).",
                handler=run_bias_test,
                parameters=BiasRun,
                max_attempts=2,
            ),
            Kind(
                name="canary.run",
                summary="Run one model's canary prompts and compare them with its baseline.",
                handler=run_canary,
                parameters=CanaryRun,
                right=("canaries", "run"),
                max_attempts=1,
            ),
            Kind(
                name="alerts.check",
                summary="Evaluate the alert rules, raise and resolve alerts, deliver them.",
                handler=check_alerts,
                right=("alerts", "manage"),
                max_attempts=1,
            ),
            Kind(
                name="canaries.due",
                summary="Run every canary whose interval has passed.",
                handler=run_due_canaries,
                right=("canaries", "run"),
                max_attempts=1,
            ),
        ]
    )


def housekeeping(rt: Runtime) -> dict[str, ScheduleIn]:
    """The schedules every installation has (created when missing; editable)."""
    return {
        CONTENT_PURGE: ScheduleIn(
            kind="gateway.purge_content",
            every_minutes=rt.settings.gateway.content_purge_minutes,
        ),
        CANARIES_DUE: ScheduleIn(kind="canaries.due", every_minutes=15),
        ALERTS_CHECK: ScheduleIn(
            kind="alerts.check", every_minutes=rt.settings.alerts.check_minutes
        ),
    }


def ensure_housekeeping(rt: Runtime) -> None:
    """The built-in schedules exist (created by the system at start-up; an administrator's
    changes to them are kept); the workers run them."""
    context = AuditContext(SYSTEM, "startup")
    for name, schedule in housekeeping(rt).items():
        rt.schedules.ensure(context, name, schedule)
