"""Evaluation suites over HTTP: import datasets, run them through the gateway, compare runs,
ask the promotion gate.

Rights (``policy/permissions.csv``): ``evaluations, manage`` imports suites, ``run`` creates
and executes runs, ``read`` reads them and asks the gate, for every use case (AI referents and
administrators; the committee and auditors read). ``evaluations, own`` gives use-case owners
all three for the use cases they own. Each run's calls are gateway calls made for the caller on
the run's use case: the gateway admits them or not like any other. Refusals are audited.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import CurrentUser, Rt, audit_context, enforce
from gouvernail.audit import AuditContext
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.jobs.builtin import EvaluationRun
from gouvernail.jobs.schemas import JobView
from gouvernail.observatory.evaluations.schemas import (
    ComparisonView,
    DatasetVersionView,
    GateIn,
    GateView,
    RunIn,
    RunSummary,
    RunView,
    SuiteImportIn,
    SuiteView,
)
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/evaluations", tags=["observatory"])
RESOURCE = "evaluations"


@dataclass(frozen=True, slots=True)
class Rights:
    """What the caller may do: ``action`` everywhere, or only on the use cases they own."""

    principal: Principal
    runtime: Runtime
    request: Request
    action: str
    everywhere: bool

    def on(self, use_case_id: int) -> None:
        """Raise 403 (audited) unless the caller may act on this use case."""
        if self.everywhere or self.runtime.evaluations.owns(use_case_id, self.principal.user_id):
            return
        enforce(self.runtime, self.request, self.principal, RESOURCE, self.action)


class EvaluationRight:
    """Dependency: the caller holds ``evaluations, <action>``, or ``evaluations, own`` (then
    the route checks the use case with ``Rights.on``); anyone else is refused (audited)."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __call__(self, request: Request, principal: CurrentUser, runtime: Rt) -> Rights:
        policy = runtime.policy
        if policy.decide(principal.roles, RESOURCE, self.action).allowed:
            return Rights(principal, runtime, request, self.action, everywhere=True)
        if policy.decide(principal.roles, RESOURCE, "own").allowed:
            return Rights(principal, runtime, request, self.action, everywhere=False)
        enforce(runtime, request, principal, RESOURCE, self.action)
        raise AssertionError("unreachable: enforce refused")  # pragma: no cover

    def __repr__(self) -> str:
        return f"EvaluationRight({self.action!r})"


Manager = Annotated[Rights, Depends(EvaluationRight("manage"))]
Runner = Annotated[Rights, Depends(EvaluationRight("run"))]
Reader = Annotated[Rights, Depends(EvaluationRight("read"))]


@router.post("/suites", status_code=201, response_model=DatasetVersionView)
def import_suite(body: SuiteImportIn, rights: Manager, runtime: Rt) -> DatasetVersionView:
    """Import a dataset (JSONL, YAML, or a promptfoo file) as a new version of the use case's
    suite ``name`` (created with its first version). The whole file is checked first: an error
    names the line and case and imports nothing (422). The same cases as the latest version
    change nothing (``unchanged: true``)."""
    rights.on(body.use_case_id)
    return runtime.evaluations.import_suite(
        audit_context(rights.request, rights.principal), rights.principal.user_id, body
    )


@router.get("/suites", response_model=list[SuiteView])
def list_suites(
    rights: Reader,
    runtime: Rt,
    use_case_id: Annotated[int | None, Query(description="Only this use case's.")] = None,
) -> list[SuiteView]:
    """Suites with their versions (newest first). Use-case owners name one of theirs."""
    if use_case_id is None and not rights.everywhere:
        raise GouvernailError("name the use case (use_case_id)", field="use_case_id")
    if use_case_id is not None:
        rights.on(use_case_id)
    return runtime.evaluations.suites(use_case_id=use_case_id)


@router.get("/suites/{suite_id}", response_model=SuiteView)
def get_suite(suite_id: int, rights: Reader, runtime: Rt) -> SuiteView:
    """A suite and its dataset versions."""
    rights.on(runtime.evaluations.use_case_of_suite(suite_id))
    return runtime.evaluations.suite(suite_id)


@router.get("/suites/{suite_id}/versions/{version}", response_model=DatasetVersionView)
def get_dataset(suite_id: int, version: int, rights: Reader, runtime: Rt) -> DatasetVersionView:
    """A dataset version with its cases (rendered messages, variables, assertions)."""
    rights.on(runtime.evaluations.use_case_of_suite(suite_id))
    return runtime.evaluations.dataset(suite_id, version)


@router.post("/runs", status_code=202, response_model=JobView)
async def start_run(body: RunIn, rights: Runner, runtime: Rt) -> JobView:
    """Create a run of the suite's dataset version (the latest unless ``version``) against
    ``model`` (with ``prompt_version_id`` as the system prompt) and queue its execution as a
    job (``parameters.run_id`` names the run); each call is made through the gateway for the
    caller on the suite's use case. Follow the job (GET /api/v1/jobs/{id}), then read the run:
    ``complete`` (every case scored) or ``incomplete`` (``reason``; execute it again to
    resume). What the run would refuse (a prompt version of another use case, a missing judge
    or embedding model) is refused here at once."""
    rights.on(runtime.evaluations.use_case_of_suite(body.suite_id))
    context = audit_context(rights.request, rights.principal)
    user_id = rights.principal.user_id
    created = await asyncio.to_thread(
        runtime.evaluations.create_run, context, body, user_id=user_id
    )
    return await asyncio.to_thread(_queue, runtime, context, created.id, user_id)


@router.post("/runs/{run_id}/execute", status_code=202, response_model=JobView)
async def execute_run(run_id: int, rights: Runner, runtime: Rt) -> JobView:
    """Queue the execution of a queued or incomplete run: only the cases without a result, or
    whose result is an error, are scored. 409 while a job for this run is queued or running."""
    rights.on(runtime.evaluations.use_case_of_run(run_id))
    context = audit_context(rights.request, rights.principal)
    return await asyncio.to_thread(_queue, runtime, context, run_id, rights.principal.user_id)


def _queue(runtime: Runtime, context: AuditContext, run_id: int, user_id: int) -> JobView:
    return runtime.jobs.enqueue(
        context,
        "evaluation.run",
        EvaluationRun(run_id=run_id),
        requested_by=user_id,
        dedupe_key=f"evaluation:{run_id}",
    )


@router.get("/runs", response_model=list[RunSummary])
def list_runs(
    rights: Reader,
    runtime: Rt,
    use_case_id: Annotated[int | None, Query(description="Only this use case's.")] = None,
    suite_id: Annotated[int | None, Query(description="Only this suite's.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RunSummary]:
    """The latest runs, newest first, with their status and pass rate."""
    if use_case_id is None and not rights.everywhere:
        raise GouvernailError("name the use case (use_case_id)", field="use_case_id")
    if use_case_id is not None:
        rights.on(use_case_id)
    return runtime.evaluations.runs(use_case_id=use_case_id, suite_id=suite_id, limit=limit)


@router.get("/runs/{run_id}", response_model=RunView)
def get_run(
    run_id: int,
    rights: Reader,
    runtime: Rt,
    results: Annotated[bool, Query(description="Include every case's result.")] = False,
) -> RunView:
    """A run and its figures: cases by status, pass rate and mean score overall and per
    scorer, latency, tokens and cost."""
    rights.on(runtime.evaluations.use_case_of_run(run_id))
    return runtime.evaluations.get(run_id, results=results)


@router.get("/compare", response_model=ComparisonView)
def compare_runs(
    rights: Reader,
    runtime: Rt,
    base: Annotated[int, Query(description="The base run (e.g. production).")],
    candidate: Annotated[int, Query(description="The candidate run.")],
) -> ComparisonView:
    """Two runs of the same dataset version, case by case: fixed, regressed, unchanged, the
    difference of pass rates, McNemar's exact test and whether it passes the threshold."""
    rights.on(runtime.evaluations.use_case_of_run(base))
    rights.on(runtime.evaluations.use_case_of_run(candidate))
    return runtime.evaluations.compare(base, candidate)


@router.post("/gate", response_model=GateView)
def ask_gate(body: GateIn, rights: Reader, runtime: Rt) -> GateView:
    """Would the gate let this prompt version (``prompt_version_id``, against
    ``baseline_version_id`` or the version in production) or this model (``model`` against
    ``baseline_model``) through? A refusal is recorded in the audit trail."""
    rights.on(body.use_case_id)
    context = audit_context(rights.request, rights.principal)
    if body.prompt_version_id is not None and body.model is None:
        reason = runtime.evaluations.gate(
            body.use_case_id,
            body.prompt_version_id,
            baseline_version_id=body.baseline_version_id,
            context=context,
        )
    elif (
        body.model is not None
        and body.baseline_model is not None
        and not (body.prompt_version_id or body.baseline_version_id)
    ):
        reason = runtime.evaluations.gate_model(
            body.use_case_id, body.model, body.baseline_model, context=context
        )
    else:
        raise GouvernailError(
            "ask about a prompt version (prompt_version_id) or a model (model and "
            "baseline_model), not both",
            status=422,
        )
    return GateView(allowed=reason is None, reason=reason or "")
