"""The job that checks alerts (kind ``alerts.check``, registered with the built-in kinds and
run by the housekeeping schedule every ``alerts.check_minutes``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from gouvernail.jobs.kinds import JobContext

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime


async def check_alerts(rt: Runtime, job: JobContext) -> dict[str, Any]:
    """Run ``Alerts.run_check`` in a thread, acting as the job's actor; return its counts."""
    report = await asyncio.to_thread(rt.alerts.run_check, None, job.audit)
    return {
        "raised": len(report.raised),
        "resolved": len(report.resolved),
        "delivered": report.delivered,
        "failed": report.failed,
        "skipped": sorted(report.skipped),
    }
