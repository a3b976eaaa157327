"""Reading suites, dataset versions, runs and their results into the API's views."""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.errors import GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.observatory.evaluations.comparison import compare
from gouvernail.observatory.evaluations.models import (
    EvalDataset,
    EvalResult,
    EvalRun,
    EvalSuite,
    ResultStatus,
    RunStatus,
)
from gouvernail.observatory.evaluations.schemas import (
    AssertionResult,
    ComparisonView,
    DatasetVersionView,
    ResultView,
    RunSummary,
    RunView,
    SuiteView,
)
from gouvernail.observatory.evaluations.summary import summarise
from gouvernail.registry.models import PromptVersion


def _username(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.username if user is not None else str(user_id)


def dataset_view(
    session: Session, row: EvalDataset, *, cases: bool = False, unchanged: bool = False
) -> DatasetVersionView:
    return DatasetVersionView(
        id=row.id,
        suite_id=row.suite_id,
        version=row.version,
        sha256=row.sha256,
        format=row.format,
        source=row.source,
        description=row.description,
        cases=row.case_count,
        scorers=[s for s in row.scorers.split(",") if s],
        imported_by=_username(session, row.imported_by),
        imported_at=row.imported_at,
        unchanged=unchanged,
        case_rows=orjson.loads(row.cases) if cases else None,
    )


def suite_view(session: Session, suite: EvalSuite) -> SuiteView:
    versions = session.scalars(
        select(EvalDataset)
        .where(EvalDataset.suite_id == suite.id)
        .order_by(EvalDataset.version.desc())
    )
    return SuiteView(
        id=suite.id,
        use_case_id=suite.use_case_id,
        name=suite.name,
        created_by=_username(session, suite.created_by),
        created_at=suite.created_at,
        versions=[dataset_view(session, v) for v in versions],
    )


def get_run(session: Session, run_id: int) -> EvalRun:
    run = session.get(EvalRun, run_id)
    if run is None:
        raise NotFoundError(f"no evaluation run {run_id}", field="run_id")
    return run


def result_view(row: EvalResult) -> ResultView:
    return ResultView(
        case_index=row.case_index,
        case_id=row.case_id,
        status=ResultStatus(row.status),
        score=row.score,
        output=row.output,
        assertions=[AssertionResult.model_validate(a) for a in orjson.loads(row.scores)],
        request_ids=[r for r in row.request_ids.split(",") if r],
        model=row.model,
        latency_ms=row.latency_ms,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost_eur=float(row.cost_eur),
        error=row.error,
        attempts=row.attempts,
    )


def results(session: Session, run_id: int) -> list[ResultView]:
    rows = session.scalars(
        select(EvalResult).where(EvalResult.run_id == run_id).order_by(EvalResult.case_index)
    )
    return [result_view(row) for row in rows]


def prompt_label(session: Session, prompt_version_id: int | None) -> str | None:
    if prompt_version_id is None:
        return None
    version = session.get(PromptVersion, prompt_version_id)
    return f"{version.name} v{version.version}" if version is not None else None


def run_view(session: Session, run: EvalRun, *, with_results: bool = False) -> RunView:
    found = results(session, run.id)
    suite = session.get(EvalSuite, run.suite_id)
    dataset = session.get(EvalDataset, run.dataset_id)
    assert suite is not None
    assert dataset is not None
    summary = summarise(run.cases, found)
    return RunView(
        id=run.id,
        use_case_id=run.use_case_id,
        suite_id=run.suite_id,
        suite=suite.name,
        dataset_id=run.dataset_id,
        dataset_version=dataset.version,
        dataset_sha256=dataset.sha256,
        model=run.model,
        prompt_version_id=run.prompt_version_id,
        prompt_version=prompt_label(session, run.prompt_version_id),
        judge_model=run.judge_model,
        embedding_model=run.embedding_model,
        status=RunStatus(run.status),
        reason=run.reason,
        cases=run.cases,
        executions=run.executions,
        created_by=_username(session, run.created_by),
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        pass_rate=summary.pass_rate,
        summary=summary,
        results=found if with_results else None,
    )


def run_summary(session: Session, run: EvalRun) -> RunSummary:
    return RunSummary.model_validate(run_view(session, run).model_dump(exclude={"summary"}))


def compare_runs(
    session: Session, base_id: int, candidate_id: int, *, threshold_points: float
) -> ComparisonView:
    base, candidate = get_run(session, base_id), get_run(session, candidate_id)
    if base.dataset_id != candidate.dataset_id:
        raise GouvernailError(
            f"runs {base_id} and {candidate_id} ran different dataset versions: only runs of "
            "the same version compare case by case (run the other target on the same version)",
            field="candidate",
            status=422,
        )
    return compare(
        base.id,
        candidate.id,
        base.dataset_id,
        results(session, base.id),
        results(session, candidate.id),
        cases=base.cases,
        threshold_points=threshold_points,
    )
