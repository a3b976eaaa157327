"""Evaluation suites: datasets imported per use case and versioned, runs through the gateway
against a target, each case's result committed as it is scored, comparisons and the gate.

Every model call (the target's answer, a judge's grade, embeddings for similarity) is an
ordinary gateway call (``gateway.through.Through``, temperature 0) made for the person who
executes the run, on the run's use case, as client ``evaluation``: admitted, inspected,
accounted and audited like any other; its request id is kept on the case's result.

A run is created ``queued`` (``create_run``) and executed by ``execute(run_id)``, which scores
only the cases without a result or whose result is an error: executing again after an
interruption resumes, executing a complete run changes nothing. A refused or failed call is an
error for its case and stops the execution (the next calls would meet the same refusal); a
scorer that cannot read an answer (a judge's unreadable verdict, a regex timeout) is an error
for that case only. A run is ``complete`` only when every case is scored (pass or fail);
otherwise ``incomplete``, with the reason, never reported as complete.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.through import Caller, Through
from gouvernail.observatory.evaluations import datasets, scorers
from gouvernail.observatory.evaluations import gate as gates
from gouvernail.observatory.evaluations.cases import Case, render
from gouvernail.observatory.evaluations.datasets import Dataset
from gouvernail.observatory.evaluations.events import (
    EvaluationGateRefused,
    EvaluationRunCreated,
    EvaluationRunFinished,
    EvaluationRunStarted,
    EvaluationSuiteImported,
)
from gouvernail.observatory.evaluations.models import (
    EvalDataset,
    EvalResult,
    EvalRun,
    EvalSuite,
    ResultStatus,
    RunStatus,
)
from gouvernail.observatory.evaluations.schemas import (
    ComparisonView,
    DatasetVersionView,
    RunIn,
    RunSummary,
    RunView,
    SuiteImportIn,
    SuiteView,
)
from gouvernail.observatory.evaluations.views import (
    compare_runs,
    dataset_view,
    get_run,
    run_summary,
    run_view,
    suite_view,
)
from gouvernail.registry.models import MemberRole, PromptVersion, UseCase, UseCaseMember
from gouvernail.settings import EvaluationSettings

if TYPE_CHECKING:
    from gouvernail.gateway.pipeline import Gateway

Progress = Callable[[int, int], None]
"""Called after each batch of cases with (cases scored in this execution, cases to score); it
may raise to interrupt the run (a job's checkpoint): the run is then left ``incomplete``."""
OUTPUT_KEPT = 2000


@dataclass(slots=True)
class Outcome:
    """One case executed: its result, and whether the execution must stop (a refused or
    failed call)."""

    index: int
    case: Case
    status: ResultStatus
    score: float | None = None
    output: str = ""
    assertions: list[dict[str, Any]] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    model: str | None = None
    latency_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_eur: Decimal = Decimal(0)
    error: str = ""
    stop: str = ""


@dataclass(frozen=True, slots=True)
class _Plan:
    run_id: int
    model: str
    judge_model: str | None
    embedding_model: str | None
    system: str | None
    use_case_id: int
    todo: list[tuple[int, Case]]


class Evaluations:
    """``runtime.evaluations``. ``gateway``: the pipeline, obtained when first needed."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        settings: EvaluationSettings,
        gateway: Callable[[], Gateway],
    ) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings
        self.through = Through(gateway)

    # --- suites -------------------------------------------------------------------------------

    def parse(self, content: str, fmt: datasets.Format) -> Dataset:
        limit = self.settings.max_file_mb * 1024 * 1024
        if len(content.encode("utf-8")) > limit:
            raise datasets.DatasetError(
                f"the file is larger than {self.settings.max_file_mb} MB "
                "(evaluations.max_file_mb): split it"
            )
        return datasets.parse(content, fmt, max_cases=self.settings.max_cases)

    def import_suite(
        self, context: AuditContext, user_id: int, body: SuiteImportIn
    ) -> DatasetVersionView:
        """A new version of the suite ``body.name`` of the use case (the suite is created with
        its first version); the same cases as the latest version change nothing."""
        dataset = self.parse(body.content, body.format)

        def work(tx: Tx) -> DatasetVersionView:
            session = tx.session
            if session.get(UseCase, body.use_case_id) is None:
                raise NotFoundError(f"no use case {body.use_case_id}", field="use_case_id")
            suite = session.scalar(
                select(EvalSuite).where(
                    EvalSuite.use_case_id == body.use_case_id, EvalSuite.name == body.name
                )
            )
            if suite is None:
                suite = EvalSuite(
                    use_case_id=body.use_case_id,
                    name=body.name,
                    created_by=user_id,
                    created_at=utcnow(),
                )
                session.add(suite)
                session.flush()
            latest = session.scalar(
                select(EvalDataset)
                .where(EvalDataset.suite_id == suite.id)
                .order_by(EvalDataset.version.desc())
                .limit(1)
            )
            sha = dataset.sha256
            if latest is not None and latest.sha256 == sha:
                return dataset_view(session, latest, unchanged=True)
            row = EvalDataset(
                suite_id=suite.id,
                version=(latest.version if latest is not None else 0) + 1,
                sha256=sha,
                format=dataset.format,
                source=body.source,
                description=dataset.description,
                cases=datasets.canonical(dataset.cases).decode(),
                case_count=len(dataset.cases),
                scorers=",".join(dataset.scorers()),
                imported_by=user_id,
                imported_at=utcnow(),
            )
            session.add(row)
            session.flush()
            tx.emit(
                EvaluationSuiteImported(
                    object_id=str(suite.id),
                    object_version=row.version,
                    new={
                        "use_case_id": body.use_case_id,
                        "name": body.name,
                        "format": dataset.format,
                        "source": body.source,
                        "sha256": sha,
                        "cases": len(dataset.cases),
                        "scorers": dataset.scorers(),
                        "previous_version": latest.version if latest is not None else None,
                    },
                )
            )
            return dataset_view(session, row)

        return self.trail.run(context, work)

    def suites(self, *, use_case_id: int | None = None) -> list[SuiteView]:
        query = select(EvalSuite).order_by(EvalSuite.use_case_id, EvalSuite.name)
        if use_case_id is not None:
            query = query.where(EvalSuite.use_case_id == use_case_id)
        with self.database.read() as session:
            return [suite_view(session, s) for s in session.scalars(query)]

    def suite(self, suite_id: int) -> SuiteView:
        with self.database.read() as session:
            return suite_view(session, self._suite(session, suite_id))

    def dataset(self, suite_id: int, version: int) -> DatasetVersionView:
        """A version with its cases."""
        with self.database.read() as session:
            row = self._dataset(session, suite_id, version)
            return dataset_view(session, row, cases=True)

    def use_case_of_suite(self, suite_id: int) -> int:
        with self.database.read() as session:
            return self._suite(session, suite_id).use_case_id

    def use_case_of_run(self, run_id: int) -> int:
        with self.database.read() as session:
            return get_run(session, run_id).use_case_id

    def owns(self, use_case_id: int, user_id: int) -> bool:
        """Whether the user is an owner of the use case (use-case owners evaluate their own)."""
        with self.database.read() as session:
            return (
                session.scalar(
                    select(UseCaseMember.id).where(
                        UseCaseMember.use_case_id == use_case_id,
                        UseCaseMember.user_id == user_id,
                        UseCaseMember.role == MemberRole.OWNER.value,
                    )
                )
                is not None
            )

    @staticmethod
    def _suite(session: Any, suite_id: int) -> EvalSuite:
        suite: EvalSuite | None = session.get(EvalSuite, suite_id)
        if suite is None:
            raise NotFoundError(f"no evaluation suite {suite_id}", field="suite_id")
        return suite

    @staticmethod
    def _dataset(session: Any, suite_id: int, version: int | None) -> EvalDataset:
        query = select(EvalDataset).where(EvalDataset.suite_id == suite_id)
        if version is None:
            query = query.order_by(EvalDataset.version.desc()).limit(1)
        else:
            query = query.where(EvalDataset.version == version)
        row: EvalDataset | None = session.scalar(query)
        if row is None:
            raise NotFoundError(
                f"suite {suite_id} has no dataset version {version or ''}".rstrip(),
                field="version",
            )
        return row

    # --- runs ---------------------------------------------------------------------------------

    def create_run(self, context: AuditContext, body: RunIn, *, user_id: int) -> RunView:
        """A queued run of the suite's dataset version against the target; refused when the
        prompt version is not the use case's, or the dataset's scorers need a judge or an
        embedding model the run does not name."""

        def work(tx: Tx) -> RunView:
            session = tx.session
            suite = self._suite(session, body.suite_id)
            dataset = self._dataset(session, suite.id, body.version)
            if body.prompt_version_id is not None:
                version = session.get(PromptVersion, body.prompt_version_id)
                if version is None or version.use_case_id != suite.use_case_id:
                    raise GouvernailError(
                        f"prompt version {body.prompt_version_id} is not a prompt of use case "
                        f"{suite.use_case_id}",
                        field="prompt_version_id",
                        status=422,
                    )
            used = [name for name in dataset.scorers.split(",") if name]
            needs = {name: scorers.SCORERS[name].needs for name in used}
            lacking = [
                f"{name} assertions need `{need}`"
                for name, need in needs.items()
                if need is not None and getattr(body, need) is None
            ]
            if lacking:
                raise GouvernailError(f"the dataset's {'; '.join(lacking)}", status=422)
            run = EvalRun(
                use_case_id=suite.use_case_id,
                suite_id=suite.id,
                dataset_id=dataset.id,
                model=body.model,
                prompt_version_id=body.prompt_version_id,
                judge_model=body.judge_model,
                embedding_model=body.embedding_model,
                status=RunStatus.QUEUED.value,
                reason="",
                cases=dataset.case_count,
                executions=0,
                created_by=user_id,
                created_at=utcnow(),
            )
            session.add(run)
            session.flush()
            tx.emit(
                EvaluationRunCreated(
                    object_id=str(run.id),
                    new={
                        "use_case_id": suite.use_case_id,
                        "suite_id": suite.id,
                        "suite": suite.name,
                        "dataset_version": dataset.version,
                        "dataset_sha256": dataset.sha256,
                        "model": body.model,
                        "prompt_version_id": body.prompt_version_id,
                        "judge_model": body.judge_model,
                        "embedding_model": body.embedding_model,
                        "cases": dataset.case_count,
                    },
                )
            )
            return run_view(session, run)

        return self.trail.run(context, work)

    async def execute(
        self,
        context: AuditContext,
        run_id: int,
        *,
        user_id: int,
        progress: Progress | None = None,
    ) -> RunView:
        """Score the run's cases that have no result or an error, for ``user_id``; answers
        when the execution ends (``complete`` or ``incomplete``). A complete run is returned
        as it is; one running elsewhere (heartbeat within ``lease_seconds``) is refused."""
        plan = await asyncio.to_thread(self._begin, context, run_id, user_id)
        if plan is None:
            return await asyncio.to_thread(self.get, run_id)
        caller = Caller(
            use_case_id=plan.use_case_id,
            user_id=user_id,
            client="evaluation",
            request_id=f"eval-{run_id}",
        )
        try:
            stopped = await self._score_all(plan, caller, progress)
        except BaseException as error:  # the run must not stay "running" (cancelled, a bug)
            await asyncio.to_thread(
                self._finish,
                context,
                run_id,
                f"interrupted by {type(error).__name__}: {error}"[:500],
            )
            raise
        return await asyncio.to_thread(self._finish, context, run_id, stopped)

    def _begin(self, context: AuditContext, run_id: int, user_id: int) -> _Plan | None:
        def work(tx: Tx) -> _Plan | None:
            session = tx.session
            run = get_run(session, run_id)
            if run.status == RunStatus.COMPLETE.value:
                return None
            now = utcnow()
            lease = timedelta(seconds=self.settings.lease_seconds)
            if (
                run.status == RunStatus.RUNNING.value
                and run.heartbeat_at is not None
                and now - run.heartbeat_at < lease
            ):
                raise ConflictError(
                    f"run {run_id} is being executed (last progress at "
                    f"{run.heartbeat_at:%H:%M:%S} UTC); if its process died, execute it again "
                    f"after {self.settings.lease_seconds} s without progress"
                )
            dataset = session.get(EvalDataset, run.dataset_id)
            assert dataset is not None
            cases = datasets.load_cases(dataset.cases)
            scored = set(
                session.scalars(
                    select(EvalResult.case_index).where(
                        EvalResult.run_id == run_id,
                        EvalResult.status != ResultStatus.ERROR.value,
                    )
                )
            )
            system = None
            if run.prompt_version_id is not None:
                version = session.get(PromptVersion, run.prompt_version_id)
                assert version is not None
                system = version.text
            resumed = run.executions > 0
            run.status = RunStatus.RUNNING.value
            run.reason = ""
            run.executions += 1
            run.started_at = run.started_at or now
            run.heartbeat_at = now
            run.finished_at = None
            todo = [(i, c) for i, c in enumerate(cases) if i not in scored]
            tx.emit(
                EvaluationRunStarted(
                    object_id=str(run.id),
                    new={
                        "execution": run.executions,
                        "resumed": resumed,
                        "to_score": len(todo),
                        "already_scored": len(scored),
                        "for_user": user_id,
                    },
                )
            )
            return _Plan(
                run_id=run.id,
                model=run.model,
                judge_model=run.judge_model,
                embedding_model=run.embedding_model,
                system=system,
                use_case_id=run.use_case_id,
                todo=todo,
            )

        return self.trail.run(context, work)

    async def _score_all(self, plan: _Plan, caller: Caller, progress: Progress | None) -> str:
        """Score the plan's cases, batch by batch; '' when all were tried, else why it
        stopped."""
        size = self.settings.concurrency
        done = 0
        for start in range(0, len(plan.todo), size):
            batch = plan.todo[start : start + size]
            outcomes = await asyncio.gather(
                *(self._score_and_store(plan, caller, index, case) for index, case in batch)
            )
            done += len(outcomes)
            if progress is not None:
                progress(done, len(plan.todo))
            stop = next((o.stop for o in outcomes if o.stop), "")
            if stop:
                return stop
        return ""

    async def _score_and_store(
        self, plan: _Plan, caller: Caller, index: int, case: Case
    ) -> Outcome:
        outcome = await self._score(plan, caller, index, case)
        await asyncio.to_thread(self._store, plan.run_id, outcome)
        return outcome

    async def _score(self, plan: _Plan, caller: Caller, index: int, case: Case) -> Outcome:
        outcome = Outcome(index, case, ResultStatus.ERROR)
        messages = [m.model_dump() for m in case.messages]
        if plan.system is not None:
            system = render(plan.system, case.vars, strict=False)
            messages.insert(0, {"role": "system", "content": system})
        record: list[str] = outcome.request_ids
        started = time.perf_counter()
        try:
            answer = await self.through.chat(
                messages,
                model=plan.model,
                caller=caller,
                declared={},
                max_tokens=self.settings.max_tokens,
                record=record,
            )
        except GatewayError as error:
            return self._stopped(outcome, error)
        call = answer.call
        outcome.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        outcome.output = answer.text[:OUTPUT_KEPT]
        outcome.model = call.model.name if call.model is not None else answer.model
        if call.usage is not None:
            outcome.prompt_tokens = call.usage.prompt_tokens
            outcome.completion_tokens = call.usage.completion_tokens
        outcome.cost_eur = call.cost_eur
        tools = self._tools(plan, caller, record)
        values: list[float] = []
        errors: list[str] = []
        for number, assertion in enumerate(case.asserts):
            try:
                result = await scorers.score(answer.text, assertion, case, tools)
            except GatewayError as error:
                return self._stopped(outcome, error, scoring=assertion.type)
            outcome.assertions.append(
                {
                    "type": assertion.type,
                    "name": assertion.name,
                    "passed": result.passed,
                    "score": result.score,
                    "detail": result.detail,
                    "error": result.error,
                }
            )
            if result.passed is None:
                errors.append(f"asserts[{number}] ({assertion.type}): {result.error}")
            elif result.score is not None:
                values.append(result.score)
        if errors:
            outcome.error = "; ".join(errors)[:1000]
            return outcome
        passed = all(a["passed"] for a in outcome.assertions)
        outcome.status = ResultStatus.PASS if passed else ResultStatus.FAIL
        outcome.score = float(np.mean(values)) if values else None
        return outcome

    @staticmethod
    def _stopped(outcome: Outcome, error: GatewayError, scoring: str = "") -> Outcome:
        kind = "refused" if error.status < 500 else "failed"
        what = f"the {scoring} scorer's call" if scoring else "call"
        request = outcome.request_ids[-1] if outcome.request_ids else "?"
        outcome.status = ResultStatus.ERROR
        outcome.error = f"{what} {request} {kind}: {error.code}: {error.message}"[:1000]
        outcome.stop = f"case {outcome.case.id!r}: {outcome.error}"[:500]
        return outcome

    def _tools(self, plan: _Plan, caller: Caller, record: list[str]) -> scorers.Tools:
        judge = embed = None
        if plan.judge_model is not None:
            judge_model = plan.judge_model

            async def judge(messages: list[dict[str, str]]) -> str:
                answer = await self.through.chat(
                    messages, model=judge_model, caller=caller, declared={}, record=record
                )
                return answer.text

        if plan.embedding_model is not None:
            embedding_model = plan.embedding_model

            async def embed(texts: list[str]) -> np.ndarray:
                return await self.through.embed(
                    texts, model=embedding_model, caller=caller, record=record
                )

        return scorers.Tools(
            regex_timeout=self.settings.regex_timeout_seconds, judge=judge, embed=embed
        )

    def _store(self, run_id: int, outcome: Outcome) -> None:
        """Commit one case's result (an error is replaced when the case is tried again)."""
        values = {
            "case_id": outcome.case.id,
            "status": outcome.status.value,
            "score": outcome.score,
            "output": outcome.output,
            "scores": orjson.dumps(outcome.assertions).decode(),
            "request_ids": ",".join(outcome.request_ids),
            "model": outcome.model,
            "latency_ms": outcome.latency_ms,
            "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens,
            "cost_eur": outcome.cost_eur,
            "error": outcome.error,
            "scored_at": utcnow(),
        }
        try:
            with self.database.write() as session:
                row = session.scalar(
                    select(EvalResult).where(
                        EvalResult.run_id == run_id, EvalResult.case_index == outcome.index
                    )
                )
                if row is None:
                    session.add(EvalResult(run_id=run_id, case_index=outcome.index, **values))
                elif row.status == ResultStatus.ERROR.value:
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.attempts += 1
                run = session.get(EvalRun, run_id)
                assert run is not None
                run.heartbeat_at = utcnow()
        except IntegrityError:  # scored meanwhile by another execution: its result stands
            return

    def _finish(self, context: AuditContext, run_id: int, stopped: str) -> RunView:
        def work(tx: Tx) -> RunView:
            session = tx.session
            run = get_run(session, run_id)
            counts = dict(
                session.execute(
                    select(EvalResult.status, func.count())
                    .where(EvalResult.run_id == run_id)
                    .group_by(EvalResult.status)
                ).all()
            )
            passed = counts.get(ResultStatus.PASS.value, 0)
            failed = counts.get(ResultStatus.FAIL.value, 0)
            errors = counts.get(ResultStatus.ERROR.value, 0)
            missing = run.cases - passed - failed - errors
            reason = stopped
            if not reason and errors:
                first = session.scalar(
                    select(EvalResult)
                    .where(
                        EvalResult.run_id == run_id,
                        EvalResult.status == ResultStatus.ERROR.value,
                    )
                    .order_by(EvalResult.case_index)
                    .limit(1)
                )
                assert first is not None
                reason = (
                    f"{errors} case(s) could not be scored; first, case {first.case_id!r}: "
                    f"{first.error}"
                )[:500]
            if not reason and missing:
                reason = f"{missing} case(s) not scored"
            complete = not reason
            run.status = (RunStatus.COMPLETE if complete else RunStatus.INCOMPLETE).value
            run.reason = reason
            run.finished_at = utcnow()
            scored = passed + failed
            tx.emit(
                EvaluationRunFinished(
                    object_id=str(run.id),
                    new={
                        "status": run.status,
                        "incomplete": not complete,
                        "execution": run.executions,
                        "passed": passed,
                        "failed": failed,
                        "errors": errors,
                        "missing": missing,
                        "pass_rate": round(passed / scored, 4) if scored else None,
                    },
                    reason=reason,
                )
            )
            return run_view(session, run)

        return self.trail.run(context, work)

    # --- reading ------------------------------------------------------------------------------

    def runs(
        self,
        *,
        use_case_id: int | None = None,
        suite_id: int | None = None,
        limit: int = 100,
    ) -> list[RunSummary]:
        """The latest runs, newest first."""
        query = select(EvalRun).order_by(EvalRun.id.desc()).limit(limit)
        if use_case_id is not None:
            query = query.where(EvalRun.use_case_id == use_case_id)
        if suite_id is not None:
            query = query.where(EvalRun.suite_id == suite_id)
        with self.database.read() as session:
            return [run_summary(session, run) for run in session.scalars(query)]

    def get(self, run_id: int, *, results: bool = False) -> RunView:
        with self.database.read() as session:
            return run_view(session, get_run(session, run_id), with_results=results)

    def compare(self, base_run_id: int, candidate_run_id: int) -> ComparisonView:
        """Case by case, on the same dataset version, with McNemar's exact test."""
        with self.database.read() as session:
            return compare_runs(
                session,
                base_run_id,
                candidate_run_id,
                threshold_points=self.settings.max_regression_points,
            )

    # --- the gate -----------------------------------------------------------------------------

    def promotion_gate(self, use_case_id: int, prompt_version_id: int) -> str | None:
        """The registry's gate: a use case with an evaluation suite promotes only a prompt
        version whose latest complete run does not regress (``gate``); one without a suite is
        not held back, unless ``evaluations.require_suite_for_production``."""
        with self.database.read() as session:
            has_suite = session.scalar(
                select(EvalSuite.id).where(EvalSuite.use_case_id == use_case_id).limit(1)
            )
        if has_suite is None:
            if self.settings.require_suite_for_production:
                return (
                    f"use case {use_case_id} has no evaluation suite, and "
                    "evaluations.require_suite_for_production is on: import one "
                    "(`gouvernail eval import`) and run it on this prompt version"
                )
            return None
        return self.gate(use_case_id, prompt_version_id)

    def gate(
        self,
        use_case_id: int,
        prompt_version_id: int,
        *,
        baseline_version_id: int | None = None,
        context: AuditContext | None = None,
    ) -> str | None:
        """None if the prompt version may be promoted, else why not: the registry's promotion
        gate (``registry.prompts.Prompts(gate=...)``, which audits its refusals itself). The
        baseline is ``baseline_version_id``, else the version labelled ``production``; with
        none, a complete run of the candidate suffices. With ``context``, a refusal is recorded
        in the audit trail (so never call it with a context inside a unit of work)."""
        with self.database.read() as session:
            verdict = gates.prompt_gate(
                session,
                use_case_id,
                prompt_version_id,
                baseline_version_id,
                self.settings.max_regression_points,
            )
        candidate = {
            "prompt_version_id": prompt_version_id,
            "baseline_version_id": baseline_version_id,
        }
        return self._record(context, use_case_id, "prompt_version", candidate, verdict)

    def gate_model(
        self,
        use_case_id: int,
        model: str,
        baseline_model: str,
        *,
        context: AuditContext | None = None,
    ) -> str | None:
        """None if ``model`` may replace ``baseline_model`` for the use case, else why not."""
        with self.database.read() as session:
            verdict = gates.model_gate(
                session, use_case_id, model, baseline_model, self.settings.max_regression_points
            )
        candidate = {"model": model, "baseline_model": baseline_model}
        return self._record(context, use_case_id, "model", candidate, verdict)

    def _record(
        self,
        context: AuditContext | None,
        use_case_id: int,
        kind: str,
        candidate: dict[str, Any],
        verdict: gates.Verdict,
    ) -> str | None:
        if verdict.reason is not None and context is not None:
            self.trail.record(
                context,
                EvaluationGateRefused(
                    object_id=str(use_case_id),
                    new={"kind": kind, **candidate, **verdict.details},
                    reason=verdict.reason[:1000],
                ),
            )
        return verdict.reason
