"""Canaries for silent vendor changes over HTTP.

Reading prompt sets, configurations, runs and drifts needs ``canaries, read`` (AI and security
referents, the committee, auditors, administrators). Configuring a model's canary, pinning its
baseline and deciding on a drift (acknowledge, re-baseline) need ``canaries, manage``; running
one now needs ``canaries, run`` (AI and security referents). A run's calls are made for the
person the canary is configured to act for, on its use case: the gateway admits them or not.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.errors import ConflictError
from gouvernail.identity.principal import Principal
from gouvernail.jobs.builtin import CanaryRun
from gouvernail.jobs.schemas import JobView
from gouvernail.observatory.canaries.models import DriftStatus
from gouvernail.observatory.canaries.schemas import (
    BaselineIn,
    CanaryConfigIn,
    CanaryRunIn,
    CanaryRunView,
    ConfigView,
    DriftView,
    PromptSetView,
    ReasonIn,
    RunSummary,
)

router = APIRouter(prefix="/api/v1/canaries", tags=["observatory"])

Reader = Annotated[Principal, Depends(Require("canaries", "read"))]
Manager = Annotated[Principal, Depends(Require("canaries", "manage"))]
Runner = Annotated[Principal, Depends(Require("canaries", "run"))]


@router.get("/prompt-sets", response_model=list[PromptSetView])
def list_prompt_sets(principal: Reader, runtime: Rt) -> list[PromptSetView]:
    """The prompt sets a canary may ask (shipped, and the company's), every prompt listed."""
    return runtime.canaries.prompt_sets()


@router.get("/configs", response_model=list[ConfigView])
def list_configs(principal: Reader, runtime: Rt) -> list[ConfigView]:
    """Every model's canary: settings, baseline, last run, whether it is due, open drifts."""
    return runtime.canaries.configs()


@router.get("/configs/{model}", response_model=ConfigView)
def get_config(model: str, principal: Reader, runtime: Rt) -> ConfigView:
    """One model's canary."""
    return runtime.canaries.config(model)


@router.put("/configs/{model}", response_model=ConfigView)
def configure(
    model: str, body: CanaryConfigIn, request: Request, principal: Manager, runtime: Rt
) -> ConfigView:
    """Create or change the canary of an inventory model: prompt set, samples per prompt, use
    case and person the calls are made for, schedule hint, enabled. Another prompt set drops
    the baseline (the next complete run becomes it)."""
    return runtime.canaries.configure(audit_context(request, principal), model, body)


@router.post("/configs/{model}/baseline", response_model=ConfigView)
def pin_baseline(
    model: str, body: BaselineIn, request: Request, principal: Manager, runtime: Rt
) -> ConfigView:
    """Make a complete run of this model its baseline (later runs are compared with it)."""
    return runtime.canaries.pin_baseline(
        audit_context(request, principal), model, body.run_id, body.reason
    )


@router.post("/runs", status_code=202, response_model=JobView)
async def start_run(body: CanaryRunIn, request: Request, principal: Runner, runtime: Rt) -> JobView:
    """Queue a run of a model's canary (a job; its result names the run). The run calls the
    model through the gateway and ends ``complete`` and compared with the baseline
    (``comparison``, ``drift_id`` if it drifted), or made the baseline; or ``incomplete``
    (``reason``), never compared. With ``key``, a run already ended under that key is returned
    without new calls. 404 for a model without a canary, 409 for a disabled one or while a job
    for it is queued or running (a run left running by another process fails the job)."""
    config = await asyncio.to_thread(runtime.canaries.config, body.model)
    if not config.enabled:
        raise ConflictError(f"the canary of {body.model} is disabled", field="model")
    return await asyncio.to_thread(
        runtime.jobs.enqueue,
        audit_context(request, principal),
        "canary.run",
        CanaryRun(model=body.model, key=body.key),
        requested_by=principal.user_id,
        dedupe_key=f"canary:{body.model}",
    )


@router.get("/runs", response_model=list[RunSummary])
def list_runs(
    principal: Reader,
    runtime: Rt,
    model: Annotated[str | None, Query(description="Only this model's.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RunSummary]:
    """The latest runs, newest first, with their status and the metrics that changed."""
    return runtime.canaries.runs(model=model, limit=limit)


@router.get("/runs/{run_id}", response_model=CanaryRunView)
def get_run(
    run_id: int,
    principal: Reader,
    runtime: Rt,
    samples: Annotated[bool, Query(description="Include every call's row.")] = False,
) -> CanaryRunView:
    """A run and its comparison with the baseline: per metric the values, the effect, the
    test, the p-value and the Holm-adjusted one; per prompt the similarity and lengths."""
    return runtime.canaries.get(run_id, samples=samples)


@router.get("/drifts", response_model=list[DriftView])
def list_drifts(
    principal: Reader,
    runtime: Rt,
    since: Annotated[
        datetime | None, Query(description="Detected at or after (ISO 8601 with a zone).")
    ] = None,
    model: Annotated[str | None, Query(description="Only this model's.")] = None,
    status: Annotated[DriftStatus | None, Query(description="open, acknowledged…")] = None,
) -> list[DriftView]:
    """Drifts, newest first: the runs compared and the metrics that changed."""
    return runtime.canaries.drifts(since, model=model, status=status)


@router.get("/drifts/{drift_id}", response_model=DriftView)
def get_drift(drift_id: int, principal: Reader, runtime: Rt) -> DriftView:
    """One drift with the whole comparison."""
    return runtime.canaries.drift(drift_id)


@router.post("/drifts/{drift_id}/acknowledge", response_model=DriftView)
def acknowledge_drift(
    drift_id: int, body: ReasonIn, request: Request, principal: Manager, runtime: Rt
) -> DriftView:
    """An open drift needs nothing more (the reason says why); the baseline stays."""
    return runtime.canaries.acknowledge(audit_context(request, principal), drift_id, body.reason)


@router.post("/drifts/{drift_id}/rebaseline", response_model=DriftView)
def rebaseline(
    drift_id: int, body: ReasonIn, request: Request, principal: Manager, runtime: Rt
) -> DriftView:
    """Accept an open drift's change: its run becomes the model's baseline."""
    return runtime.canaries.rebaseline(audit_context(request, principal), drift_id, body.reason)
