"""Bias tests by counterfactual pairs over HTTP.

Running a test needs ``bias, run`` (AI referents, committee members, administrators), and each
of its prompts is a gateway call made for the caller on the use case named: the gateway admits
it or not like any other call. Reading templates and reports needs ``bias, read`` (the same
people, and auditors).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.identity.principal import Principal
from gouvernail.jobs.builtin import BiasRun as BiasRunJob
from gouvernail.jobs.schemas import JobView
from gouvernail.observatory.bias.schemas import BiasRunIn, RunSummary, RunView, TemplateView

router = APIRouter(prefix="/api/v1/bias", tags=["observatory"])

Runner = Annotated[Principal, Depends(Require("bias", "run"))]
Reader = Annotated[Principal, Depends(Require("bias", "read"))]


@router.get("/templates", response_model=list[TemplateView])
def list_templates(principal: Reader, runtime: Rt) -> list[TemplateView]:
    """The templates a run may use: prompt, neutral fields, how the outcome is read, the
    attributes varied with their reference value."""
    return runtime.bias.template_views()


@router.post("/runs", status_code=202, response_model=JobView)
async def start_run(body: BiasRunIn, request: Request, principal: Runner, runtime: Rt) -> JobView:
    """Create a run of a template against a model (an unknown template or use case is refused
    at once) and queue it as a job (``parameters.run_id`` names the run); its prompts go through
    the gateway for the caller on ``use_case_id``. Follow the job, then read the run:
    ``complete`` with its report, or ``incomplete`` (a call was refused or failed: ``reason``)
    with partial figures and no verdict."""
    context = audit_context(request, principal)
    run = await asyncio.to_thread(runtime.bias.start, context, body, user_id=principal.user_id)
    return await asyncio.to_thread(
        runtime.jobs.enqueue,
        context,
        "bias.run",
        BiasRunJob(run_id=run.id),
        requested_by=principal.user_id,
        dedupe_key=f"bias:{run.id}",
    )


@router.get("/runs", response_model=list[RunSummary])
def list_runs(
    principal: Reader,
    runtime: Rt,
    use_case_id: Annotated[int | None, Query(description="Only this use case's.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RunSummary]:
    """The latest runs, newest first, with their status and verdict per attribute."""
    return runtime.bias.runs(use_case_id=use_case_id, limit=limit)


@router.get("/runs/{run_id}", response_model=RunView)
def get_run(
    run_id: int,
    principal: Reader,
    runtime: Rt,
    prompts: Annotated[bool, Query(description="Include every prompt's row.")] = False,
) -> RunView:
    """A run and its report: per attribute the verdict and its explanation, per comparison the
    pairs, means, mean difference with its 95 % interval, Wilcoxon and Holm-adjusted p."""
    return runtime.bias.get(run_id, prompts=prompts)
