"""Bias runs: a template's counterfactual prompts sent to a model through the gateway, acting for
the person who runs the test on a use case, their outcomes stored and reported.

Every prompt is an ordinary gateway call (``insight.through.Through``, temperature 0): the
gateway admits it for that person on that use case (use case live, kill switches, charter,
training, budget, rate limits, the model allowed), inspects it, accounts for it and audits it;
its request id is kept on the prompt's row. A case's prompts are sent together, the cases one
after the other; the first refusal or failure stops the run, which is then ``incomplete`` with
that reason and never reported as complete. An answer the template's pattern cannot read is
stored as ``unparsable`` and counted in the report, never dropped silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import NotFoundError
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.through import Caller, Through
from gouvernail.identity.models import User
from gouvernail.observatory.bias import report as reporting
from gouvernail.observatory.bias.events import BiasRunFinished, BiasRunStarted
from gouvernail.observatory.bias.models import BiasPrompt, BiasRun, PromptStatus, RunStatus
from gouvernail.observatory.bias.pairs import Profile, Prompt, build, comparisons
from gouvernail.observatory.bias.schemas import (
    AttributeView,
    BiasRunIn,
    PromptView,
    Report,
    RunSummary,
    RunView,
    TemplateView,
)
from gouvernail.observatory.bias.templates import ATTRIBUTES, BiasTemplates, Template
from gouvernail.registry.models import UseCase

if TYPE_CHECKING:
    from gouvernail.gateway.pipeline import Gateway

Progress = Callable[[int, int], None]
"""Called after each case with (prompts sent, prompts in the run)."""
ANSWER_KEPT = 300


@dataclass(frozen=True, slots=True)
class Asked:
    """One prompt and what became of it."""

    prompt: Prompt
    request_id: str
    status: PromptStatus
    outcome: float | None = None
    answer: str = ""
    model: str | None = None
    decision: str = ""
    unseen: tuple[str, ...] = ()
    error: str = ""


class BiasTests:
    """``runtime.bias``. ``gateway``: the pipeline, obtained when first needed."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        templates: BiasTemplates,
        gateway: Callable[[], Gateway],
    ) -> None:
        self.database = database
        self.trail = trail
        self.templates = templates
        self.through = Through(gateway)

    # --- templates ----------------------------------------------------------------------------

    def template_views(self) -> list[TemplateView]:
        attributes = self.templates.attributes
        return [
            TemplateView(
                id=t.id,
                title=t.title,
                language=t.language,
                vary=list(t.vary),
                prompt=t.prompt,
                system=t.system,
                fields=t.fields,
                answer=t.outcome.shape,
                pattern=t.outcome.pattern,
                min=t.outcome.min,
                max=t.outcome.max,
                threshold=t.outcome.threshold,
                attributes=[
                    AttributeView(
                        name=a,
                        description=getattr(attributes, a).description,
                        reference=attributes.reference(a),
                        values=attributes.values(a),
                    )
                    for a in t.vary
                ],
            )
            for t in self.templates.templates
        ]

    # --- running ------------------------------------------------------------------------------

    def start(self, context: AuditContext, body: BiasRunIn, *, user_id: int) -> RunView:
        """Create the run (``running`` until executed; audited ``bias.run_started``); what it
        would refuse (an unknown template or use case) is refused here."""
        template = self.templates.get(body.template)
        prompts = build(template, self.templates.attributes, body.cases, body.seed)
        run_id = self._start(context, body, template, user_id, prompts)
        return self.get(run_id)

    async def execute(
        self,
        context: AuditContext,
        run_id: int,
        *,
        user_id: int,
        progress: Progress | None = None,
    ) -> RunView:
        """Send the run's prompts not sent yet (the same template, cases and seed give the same
        prompts) for ``user_id``, then report; the run ends ``complete`` or ``incomplete``. A
        run interrupted midway (a crash, a cancelled job) resumes where it stopped; a run that
        ended is returned as it is."""
        run = await asyncio.to_thread(self._resumable, run_id)
        if run is None:
            return await asyncio.to_thread(self.get, run_id)
        template = self.templates.get(run.template)
        prompts = build(template, self.templates.attributes, run.cases, run.seed)
        sent = await asyncio.to_thread(self._sent, run_id)
        todo = [p for p in prompts if (p.case, p.attribute, p.value) not in sent]
        caller = Caller(
            use_case_id=run.use_case_id,
            user_id=user_id,
            client="bias",
            request_id=f"bias-{run_id}",
        )
        try:
            stopped = await self._send(run_id, template, run.model, caller, todo, progress)
        except BaseException as error:  # the run must not stay "running" (cancelled, a bug)
            why = f"interrupted by {type(error).__name__}: {error}"[:500]
            await asyncio.shield(asyncio.to_thread(self._finish, context, run_id, why))
            raise
        return await asyncio.to_thread(self._finish, context, run_id, stopped)

    async def run(
        self,
        context: AuditContext,
        body: BiasRunIn,
        *,
        user_id: int,
        progress: Progress | None = None,
    ) -> RunView:
        """Start and execute a run here and now (the console's way; the API queues a job)."""
        started = await asyncio.to_thread(self.start, context, body, user_id=user_id)
        return await self.execute(context, started.id, user_id=user_id, progress=progress)

    def _resumable(self, run_id: int) -> BiasRun | None:
        """The run if it is to be executed: never finished, or interrupted midway."""
        with self.database.read() as session:
            run = session.get(BiasRun, run_id)
            if run is None:
                raise NotFoundError(f"no bias run {run_id}")
            interrupted = run.status == RunStatus.INCOMPLETE.value and run.reason.startswith(
                "interrupted by "
            )
            if run.status == RunStatus.RUNNING.value or interrupted:
                session.expunge(run)
                return run
            return None

    def _sent(self, run_id: int) -> set[tuple[int, str | None, str | None]]:
        with self.database.read() as session:
            rows = session.execute(
                select(BiasPrompt.case_index, BiasPrompt.attribute, BiasPrompt.value).where(
                    BiasPrompt.run_id == run_id
                )
            ).all()
        return {(case, attribute, value) for case, attribute, value in rows}

    async def _send(
        self,
        run_id: int,
        template: Template,
        model: str,
        caller: Caller,
        prompts: list[Prompt],
        progress: Progress | None,
    ) -> str:
        """Send the prompts case by case; '' when all were sent, else why it stopped."""
        by_case: dict[int, list[Prompt]] = {}
        for prompt in prompts:
            by_case.setdefault(prompt.case, []).append(prompt)
        sent = 0
        for case_prompts in by_case.values():
            asked = await asyncio.gather(
                *(self._ask(template, model, caller, prompt) for prompt in case_prompts)
            )
            await asyncio.to_thread(self._store, run_id, asked)
            sent += len(asked)
            if progress is not None:
                progress(sent, len(prompts))
            broken = next((a for a in asked if a.status in reporting.NOT_ANSWERED), None)
            if broken is not None:
                return f"call {broken.request_id} {broken.status.value}: {broken.error}"[:500]
        return ""

    async def _ask(self, template: Template, model: str, caller: Caller, prompt: Prompt) -> Asked:
        messages = [{"role": "user", "content": prompt.text}]
        if template.system:
            messages.insert(0, {"role": "system", "content": template.system})
        record: list[str] = []
        try:
            answer = await self.through.chat(
                messages,
                model=model,
                caller=caller,
                declared={},
                max_tokens=template.max_tokens,
                record=record,
            )
        except GatewayError as error:
            return Asked(
                prompt,
                record[0] if record else "",
                PromptStatus.REFUSED if error.status < 500 else PromptStatus.FAILED,
                error=f"{error.code}: {error.message}"[:500],
            )
        call = answer.call
        sent = _sent_text(call.body)
        markers = {"first_name": prompt.first_name}
        if prompt.age is not None:
            markers["age"] = str(prompt.age)
        outcome = template.outcome.read(answer.text)
        unseen = () if sent is None else tuple(n for n, w in markers.items() if w not in sent)
        return Asked(
            prompt,
            call.request_id,
            PromptStatus.ANSWERED if outcome is not None else PromptStatus.UNPARSABLE,
            outcome=outcome,
            answer=answer.text[:ANSWER_KEPT],
            model=call.model.name if call.model is not None else answer.model,
            decision=call.decision_header(),
            unseen=unseen,
        )

    def _start(
        self,
        context: AuditContext,
        body: BiasRunIn,
        template: Template,
        user_id: int,
        prompts: list[Prompt],
    ) -> int:
        def work(tx: Tx) -> int:
            if tx.session.get(UseCase, body.use_case_id) is None:
                raise NotFoundError(f"no use case {body.use_case_id}", field="use_case_id")
            run = BiasRun(
                template=template.id,
                templates_version=self.templates.version,
                model=body.model,
                use_case_id=body.use_case_id,
                cases=body.cases,
                seed=body.seed,
                status=RunStatus.RUNNING.value,
                started_by=user_id,
                started_at=utcnow(),
                prompts=len(prompts),
            )
            tx.session.add(run)
            tx.session.flush()
            tx.emit(
                BiasRunStarted(
                    object_id=str(run.id),
                    new={
                        "template": template.id,
                        "templates_version": self.templates.version,
                        "model": body.model,
                        "use_case_id": body.use_case_id,
                        "cases": body.cases,
                        "seed": body.seed,
                        "prompts": len(prompts),
                        "comparisons": [
                            f"{a}:{v}" for a, v in comparisons(template, self.templates.attributes)
                        ],
                        "for_user": user_id,
                    },
                )
            )
            return run.id

        return self.trail.run(context, work)

    def _store(self, run_id: int, asked: list[Asked]) -> None:
        with self.database.write() as session:
            session.add_all(
                BiasPrompt(
                    run_id=run_id,
                    case_index=a.prompt.case,
                    attribute=a.prompt.attribute,
                    value=a.prompt.value,
                    profile=orjson.dumps(a.prompt.profile.as_dict()).decode(),
                    first_name=a.prompt.first_name,
                    request_id=a.request_id,
                    status=a.status.value,
                    outcome=a.outcome,
                    answer=a.answer,
                    model=a.model,
                    decision=a.decision[:200],
                    unseen=",".join(a.unseen),
                    error=a.error,
                )
                for a in asked
            )

    def _finish(self, context: AuditContext, run_id: int, stopped: str) -> RunView:
        def work(tx: Tx) -> RunView:
            run = tx.session.get(BiasRun, run_id)
            assert run is not None
            rows = tx.session.scalars(select(BiasPrompt).where(BiasPrompt.run_id == run_id)).all()
            template = self.templates.get(run.template)
            report = reporting.build(
                reporting.Run(
                    template=template,
                    attributes=self.templates.attributes,
                    alpha=self.templates.alpha,
                    cases=run.cases,
                    prompts=run.prompts,
                    model=run.model,
                    stopped=stopped,
                ),
                [_row(row) for row in rows],
            )
            run.status = (RunStatus.INCOMPLETE if stopped else RunStatus.COMPLETE).value
            run.reason = stopped
            run.finished_at = utcnow()
            run.report = report.model_dump_json()
            tx.emit(
                BiasRunFinished(
                    object_id=str(run.id),
                    new={
                        "status": run.status,
                        "prompts": report.prompts,
                        "verdicts": {a.attribute: a.verdict for a in report.attributes},
                        "flagged": [
                            {
                                "comparison": f"{c.attribute}:{c.value}",
                                "mean_difference": round(c.mean_difference or 0.0, 4),
                                "p_adjusted": float(f"{c.p_adjusted:.4g}"),
                            }
                            for a in report.attributes
                            for c in a.comparisons
                            if c.flagged
                        ],
                    },
                    reason=stopped,
                )
            )
            return _view(tx.session, run, prompts=False)

        return self.trail.run(context, work)

    # --- reading ------------------------------------------------------------------------------

    def runs(self, *, use_case_id: int | None = None, limit: int = 100) -> list[RunSummary]:
        """The latest runs, newest first."""
        query = select(BiasRun).order_by(BiasRun.id.desc()).limit(limit)
        if use_case_id is not None:
            query = query.where(BiasRun.use_case_id == use_case_id)
        with self.database.read() as session:
            return [
                RunSummary.model_validate(_view(session, run).model_dump())
                for run in session.scalars(query)
            ]

    def get(self, run_id: int, *, prompts: bool = False) -> RunView:
        with self.database.read() as session:
            run = session.get(BiasRun, run_id)
            if run is None:
                raise NotFoundError(f"no bias run {run_id}")
            return _view(session, run, prompts=prompts)


def _sent_text(body: dict[str, Any]) -> str | None:
    """The messages' text as it left for the model (after the gateway's redaction), or None
    when the body has no messages to read."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    parts: list[str] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def _row(row: BiasPrompt) -> reporting.Row:
    profile = orjson.loads(row.profile)
    return reporting.Row(
        case=row.case_index,
        profile=Profile(**{a: profile.get(a) for a in ATTRIBUTES}),
        status=PromptStatus(row.status),
        outcome=row.outcome,
        model=row.model,
        unseen=frozenset(filter(None, row.unseen.split(","))),
        decision=row.decision,
    )


def _view(session: Session, run: BiasRun, *, prompts: bool = False) -> RunView:
    user = session.get(User, run.started_by)
    report = Report.model_validate_json(run.report) if run.report else None
    rows = None
    if prompts:
        rows = [
            PromptView(
                case=row.case_index,
                attribute=row.attribute,
                value=row.value,
                profile=orjson.loads(row.profile),
                first_name=row.first_name,
                request_id=row.request_id,
                status=PromptStatus(row.status),
                outcome=row.outcome,
                answer=row.answer,
                model=row.model,
                decision=row.decision,
                unseen=[m for m in row.unseen.split(",") if m],
                error=row.error,
            )
            for row in session.scalars(
                select(BiasPrompt)
                .where(BiasPrompt.run_id == run.id)
                .order_by(BiasPrompt.case_index, BiasPrompt.id)
            )
        ]
    return RunView(
        id=run.id,
        template=run.template,
        model=run.model,
        use_case_id=run.use_case_id,
        cases=run.cases,
        seed=run.seed,
        status=RunStatus(run.status),
        reason=run.reason,
        started_by=user.username if user is not None else str(run.started_by),
        started_at=run.started_at,
        finished_at=run.finished_at,
        prompts=run.prompts,
        verdicts={a.attribute: a.verdict for a in report.attributes} if report else {},
        templates_version=run.templates_version,
        report=report,
        prompt_rows=rows,
    )
