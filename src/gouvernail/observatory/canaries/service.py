"""Canary runs: a model's fixed prompts sent through the gateway on a schedule, the answers
stored, the run compared with the model's baseline, and a drift recorded when it differs.

Every call is an ordinary gateway call (``gateway.through.Through``, temperature 0) made for the
person the canary is configured to act for, on its use case: admitted, inspected, accounted and
audited like any other, its request id (``canary-<run>.<suffix>``) kept on the sample's row.

``run(model)`` is one complete unit: it starts a run, makes every call, and ends the run
``complete`` (compared with the baseline, or made the baseline if there is none) or
``incomplete`` (a call refused by the gateway, failed, or answered by another model; an
interruption). An incomplete run is never compared and never a baseline. With a ``key`` (a
scheduler's slot), a run already ended under that key is returned as it is: retrying a job
makes no new calls. A run left ``running`` by a process that died is closed as incomplete once
``stale_after_minutes`` have passed, by the next run of that model or ``run_due``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gouvernail.audit import SYSTEM, AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.gateway.through import Caller, Through
from gouvernail.identity.models import User
from gouvernail.inventory.models import InventoryModel
from gouvernail.observatory.canaries import decisions, detection, views
from gouvernail.observatory.canaries.asking import Asker, store
from gouvernail.observatory.canaries.events import (
    CanaryBaselinePinned,
    CanaryConfigured,
    CanaryDriftDetected,
    CanaryRunFinished,
    CanaryRunStarted,
)
from gouvernail.observatory.canaries.models import (
    CanaryConfig,
    CanaryDrift,
    CanaryRun,
    DriftStatus,
    RunStatus,
    SampleStatus,
)
from gouvernail.observatory.canaries.prompts import CanaryPrompts
from gouvernail.observatory.canaries.schemas import (
    CanaryConfigIn,
    CanaryRunView,
    Comparison,
    ConfigView,
    DriftView,
    PromptSetView,
    PromptView,
    RunSummary,
)
from gouvernail.registry.models import UseCase
from gouvernail.settings import CanarySettings

if TYPE_CHECKING:
    from gouvernail.gateway.pipeline import Gateway

Progress = Callable[[int, int], None]
"""Called after each batch of calls with (calls made, calls in the run)."""
ANSWER_KEPT = 4000
CONFIG_FIELDS = ("enabled", "prompt_set", "samples", "use_case_id", "acting_for", "every_hours")


@dataclass(frozen=True, slots=True)
class _Started:
    run_id: int
    new: bool
    """False: the run of this key already existed (nothing to send)."""


class Canaries:
    """``runtime.canaries``. ``gateway``: the pipeline, obtained when first needed; ``may_run``:
    whether roles hold ``canaries, run`` (the person calls are made for must)."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        prompts: CanaryPrompts,
        settings: CanarySettings,
        gateway: Callable[[], Gateway],
        may_run: Callable[[Sequence[str]], bool],
    ) -> None:
        self.database = database
        self.trail = trail
        self.prompts = prompts
        self.settings = settings
        self.asker = Asker(Through(gateway), prompts)
        self.may_run = may_run
        self.now: Callable[[], datetime] = utcnow

    @property
    def limits(self) -> detection.Thresholds:
        s = self.settings
        return detection.Thresholds(
            alpha=s.alpha,
            similarity_drop=s.similarity_drop,
            length_change=s.length_change,
            latency_ratio=s.latency_ratio,
            latency_min_ms=s.latency_min_ms,
        )

    # --- prompt sets and configuration --------------------------------------------------------

    def prompt_sets(self) -> list[PromptSetView]:
        return [
            PromptSetView(
                id=s.id,
                title=s.title,
                version=self.prompts.version,
                prompts=[
                    PromptView(
                        id=p.id,
                        language=p.language,
                        kind=p.kind,
                        prompt=p.prompt,
                        system=p.system,
                        max_tokens=p.max_tokens,
                        refuse=p.refuse,
                    )
                    for p in s.prompts
                ],
            )
            for s in self.prompts.sets
        ]

    def configure(self, context: AuditContext, model: str, body: CanaryConfigIn) -> ConfigView:
        """Create or change ``model``'s canary. Another prompt set drops the baseline (the next
        complete run becomes it)."""
        self.prompts.get(body.prompt_set)

        def work(tx: Tx) -> ConfigView:
            session = tx.session
            if (
                session.scalar(select(InventoryModel.id).where(InventoryModel.name == model))
                is None
            ):
                raise NotFoundError(f"no model {model!r} in the inventory", field="model")
            if session.get(UseCase, body.use_case_id) is None:
                raise NotFoundError(f"no use case {body.use_case_id}", field="use_case_id")
            user = session.get(User, body.acting_for)
            if user is None or not user.is_active:
                raise NotFoundError(f"no active user {body.acting_for}", field="acting_for")
            if not self.may_run(user.roles):
                raise GouvernailError(
                    f"{user.username} may not run canaries: name an AI or security referent",
                    field="acting_for",
                )
            config = session.scalar(select(CanaryConfig).where(CanaryConfig.model == model))
            old: dict[str, Any] = {}
            if config is None:
                config = CanaryConfig(model=model, version=0, baseline_run_id=None)
                session.add(config)
            else:
                old = {name: getattr(config, name) for name in CONFIG_FIELDS}
            dropped = config.baseline_run_id is not None and config.prompt_set != body.prompt_set
            for name in CONFIG_FIELDS:
                setattr(config, name, getattr(body, name))
            if dropped:
                config.baseline_run_id = None
            config.version += 1
            config.updated_at = self.now()
            session.flush()
            new = {name: getattr(config, name) for name in CONFIG_FIELDS}
            changed = {k for k in new if old.get(k) != new[k]}
            tx.emit(
                CanaryConfigured(
                    object_id=model,
                    object_version=config.version,
                    old={k: v for k, v in old.items() if k in changed},
                    new={
                        **{k: v for k, v in new.items() if k in changed},
                        "baseline_dropped": dropped,
                    },
                    reason=body.reason,
                )
            )
            return self._config_view(session, config)

        return self.trail.run(context, work)

    def configs(self) -> list[ConfigView]:
        with self.database.read() as session:
            rows = session.scalars(select(CanaryConfig).order_by(CanaryConfig.model))
            return [self._config_view(session, c) for c in rows]

    def config(self, model: str) -> ConfigView:
        with self.database.read() as session:
            return self._config_view(session, decisions.config(session, model))

    # --- running ------------------------------------------------------------------------------

    async def run_due(self, context: AuditContext | None = None) -> list[CanaryRunView]:
        """Run every enabled canary whose last run started ``every_hours`` ago or more (or
        never), one after the other; a canary already running elsewhere is skipped."""
        now = self.now()
        with self.database.read() as session:
            due = [
                (c.model, c.every_hours)
                for c in session.scalars(select(CanaryConfig).order_by(CanaryConfig.model))
                if self._due(session, c, now)
            ]
        done = []
        for model, every in due:
            slot = int(now.timestamp()) // (every * 3600)
            try:
                done.append(await self.run(model, context=context, key=f"{model}@{every}h#{slot}"))
            except ConflictError:
                continue  # running elsewhere
        return done

    async def run(
        self,
        model: str,
        *,
        context: AuditContext | None = None,
        key: str | None = None,
        progress: Progress | None = None,
    ) -> CanaryRunView:
        """Run ``model``'s canary (see the module's docstring); 404 if it has none, 409 if it
        is disabled or already running."""
        context = context or AuditContext(SYSTEM, f"canary-{model}")
        started = await asyncio.to_thread(self._start, context, model, key)
        if not started.new:
            return self.get(started.run_id)
        run_id = started.run_id
        try:
            stopped = await self._send(run_id, progress)
        except BaseException as error:  # the run must not stay "running" (cancelled, a bug)
            self._finish(context, run_id, f"stopped by {type(error).__name__}: {error}"[:500])
            raise
        return await asyncio.to_thread(self._finish, context, run_id, stopped)

    def _start(self, context: AuditContext, model: str, key: str | None) -> _Started:
        if key is not None:
            with self.database.read() as session:
                found = session.scalar(select(CanaryRun).where(CanaryRun.key == key))
                if found is not None and found.model != model:
                    raise ConflictError(f"key {key!r} is run {found.id} of {found.model}")
                if found is not None and found.status != RunStatus.RUNNING.value:
                    return _Started(found.id, new=False)

        def work(tx: Tx) -> _Started:
            session = tx.session
            config = decisions.config(session, model)
            if not config.enabled:
                raise ConflictError(f"the canary of {model} is disabled", field="model")
            self._close_stale(tx, model)
            running = session.scalar(
                select(CanaryRun).where(
                    CanaryRun.model == model, CanaryRun.status == RunStatus.RUNNING.value
                )
            )
            if running is not None:
                raise ConflictError(
                    f"canary run {running.id} of {model} is running since "
                    f"{running.started_at:%Y-%m-%d %H:%M} UTC"
                )
            if key is not None:
                ended = session.scalar(select(CanaryRun).where(CanaryRun.key == key))
                if ended is not None:  # closed as stale just now
                    return _Started(ended.id, new=False)
            prompt_set = self.prompts.get(config.prompt_set)
            run = CanaryRun(
                model=model,
                key=key,
                prompt_set=prompt_set.id,
                prompts_version=self.prompts.version,
                samples=config.samples,
                calls=len(prompt_set.prompts) * config.samples,
                use_case_id=config.use_case_id,
                acting_for=config.acting_for,
                started_by=tx.context.actor.name[:200],
                status=RunStatus.RUNNING.value,
                started_at=self.now(),
            )
            session.add(run)
            session.flush()
            tx.emit(
                CanaryRunStarted(
                    object_id=str(run.id),
                    new={
                        "model": model,
                        "prompt_set": run.prompt_set,
                        "prompts_version": run.prompts_version,
                        "samples": run.samples,
                        "calls": run.calls,
                        "use_case_id": run.use_case_id,
                        "for_user": run.acting_for,
                        "key": key,
                        "baseline_run_id": config.baseline_run_id,
                    },
                )
            )
            return _Started(run.id, new=True)

        try:
            return self.trail.run(context, work)
        except IntegrityError:  # another worker took this key at the same moment
            with self.database.read() as session:
                found = session.scalar(select(CanaryRun).where(CanaryRun.key == key))
            if found is None:
                raise
            if found.status == RunStatus.RUNNING.value:
                raise ConflictError(f"canary run {found.id} of {model} is running") from None
            return _Started(found.id, new=False)

    def _close_stale(self, tx: Tx, model: str) -> None:
        limit = self.now() - timedelta(minutes=self.settings.stale_after_minutes)
        for run in tx.session.scalars(
            select(CanaryRun).where(
                CanaryRun.model == model,
                CanaryRun.status == RunStatus.RUNNING.value,
                CanaryRun.started_at < limit,
            )
        ):
            reason = (
                f"interrupted: still running after {self.settings.stale_after_minutes} minutes "
                "(its process stopped)"
            )
            run.status = RunStatus.INCOMPLETE.value
            run.reason = reason
            run.finished_at = self.now()
            tx.emit(
                CanaryRunFinished(
                    object_id=str(run.id),
                    new={"status": run.status, "calls": views.counts(tx.session, run.id)},
                    reason=reason,
                )
            )

    async def _send(self, run_id: int, progress: Progress | None) -> str:
        """Make the run's calls, ``concurrency`` at a time; '' when all were answered by the
        model, else why it stopped (the first call that was not)."""
        with self.database.read() as session:
            run = session.get(CanaryRun, run_id)
            assert run is not None
            model, samples, set_id = run.model, run.samples, run.prompt_set
            caller = Caller(
                use_case_id=run.use_case_id,
                user_id=run.acting_for,
                client="canary",
                request_id=f"canary-{run_id}",
            )
        calls = [
            (prompt, sample)
            for sample in range(samples)
            for prompt in self.prompts.get(set_id).prompts
        ]
        width = self.settings.concurrency
        for start in range(0, len(calls), width):
            batch = calls[start : start + width]
            asked = await asyncio.gather(*(self.asker.ask(model, caller, p, s) for p, s in batch))
            await asyncio.to_thread(store, self.database, run_id, list(asked))
            if progress is not None:
                progress(start + len(batch), len(calls))
            broken = next((a for a in asked if a.status is not SampleStatus.ANSWERED), None)
            if broken is not None:
                what = broken.error or f"answered by {broken.answered_by}"
                return f"call {broken.request_id} {broken.status.value}: {what}"[:500]
        return ""

    def _finish(self, context: AuditContext, run_id: int, stopped: str) -> CanaryRunView:
        with self.database.read() as session:  # compare outside the audit writer
            run = session.get(CanaryRun, run_id)
            assert run is not None
            baseline_id = decisions.config(session, run.model).baseline_run_id
            reason = stopped or _shortfall(session, run)
            comparison = None
            if not reason and baseline_id is not None:
                comparison = self._compare(session, run_id, baseline_id)

        def work(tx: Tx) -> CanaryRunView:
            session = tx.session
            run = session.get(CanaryRun, run_id)
            assert run is not None
            if run.status != RunStatus.RUNNING.value:  # closed as stale meanwhile
                return views.run_view(session, run)
            config = decisions.config(session, run.model)
            run.finished_at = self.now()
            run.status = (RunStatus.INCOMPLETE if reason else RunStatus.COMPLETE).value
            run.reason = reason
            finished: dict[str, Any] = {
                "status": run.status,
                "calls": views.counts(session, run_id),
            }
            current = comparison
            if not reason and config.baseline_run_id is None:
                config.baseline_run_id = run.id
                finished["baseline"] = True
                tx.emit(
                    CanaryBaselinePinned(
                        object_id=run.model,
                        object_version=config.version,
                        old={"baseline_run_id": None},
                        new={"baseline_run_id": run.id},
                        reason="the first complete run is the baseline",
                    )
                )
            elif not reason:
                assert config.baseline_run_id is not None
                if current is None or current.baseline_run_id != config.baseline_run_id:
                    current = self._compare(session, run_id, config.baseline_run_id)
                run.baseline_run_id = current.baseline_run_id
                run.comparison = current.model_dump_json()
                finished["compared_with"] = current.baseline_run_id
                finished["changed"] = current.changed
                if current.changed:
                    self._record_drift(tx, run, current)
            tx.emit(CanaryRunFinished(object_id=str(run.id), new=finished, reason=reason))
            return views.run_view(session, run)

        return self.trail.run(context, work)

    def _compare(self, session: Session, run_id: int, baseline_id: int) -> Comparison:
        return detection.compare(
            run_id,
            baseline_id,
            views.observed(session, baseline_id),
            views.observed(session, run_id),
            self.limits,
        )

    def _record_drift(self, tx: Tx, run: CanaryRun, comparison: Comparison) -> None:
        drift = CanaryDrift(
            model=run.model,
            run_id=run.id,
            baseline_run_id=comparison.baseline_run_id,
            metrics=",".join(comparison.changed),
            detected_at=self.now(),
            status=DriftStatus.OPEN.value,
            reason="",
        )
        tx.session.add(drift)
        tx.session.flush()
        tx.emit(
            CanaryDriftDetected(
                object_id=str(drift.id),
                new={
                    "model": run.model,
                    "run_id": run.id,
                    "baseline_run_id": comparison.baseline_run_id,
                    "prompts_compared": comparison.prompts_compared,
                    "metrics": {
                        m.name: {
                            "baseline": m.values_baseline if m.p_value is None else m.baseline,
                            "current": m.values_current if m.p_value is None else m.current,
                            "effect": m.effect,
                            "p_value": _sig(m.p_value),
                            "p_adjusted": _sig(m.p_adjusted),
                        }
                        for m in comparison.metrics
                        if m.changed
                    },
                },
            )
        )

    # --- decisions ----------------------------------------------------------------------------

    def acknowledge(self, context: AuditContext, drift_id: int, reason: str) -> DriftView:
        """An open drift needs nothing more (why in ``reason``); the baseline stays."""

        def work(tx: Tx) -> DriftView:
            drift = decisions.acknowledge(tx, drift_id, reason, self.now())
            return views.drift_view(drift, tx.session)

        return self.trail.run(context, work)

    def rebaseline(self, context: AuditContext, drift_id: int, reason: str) -> DriftView:
        """Accept an open drift's change: its run becomes the model's baseline."""

        def work(tx: Tx) -> DriftView:
            drift = decisions.open_drift(tx.session, drift_id)
            decisions.pin(tx, drift.model, drift.run_id, reason, drift, self.now())
            return views.drift_view(drift, tx.session)

        return self.trail.run(context, work)

    def pin_baseline(
        self, context: AuditContext, model: str, run_id: int, reason: str
    ) -> ConfigView:
        """Make a complete run of ``model`` its baseline."""

        def work(tx: Tx) -> ConfigView:
            config = decisions.pin(tx, model, run_id, reason, None, self.now())
            return self._config_view(tx.session, config)

        return self.trail.run(context, work)

    # --- reading ------------------------------------------------------------------------------

    def runs(self, *, model: str | None = None, limit: int = 100) -> list[RunSummary]:
        """The latest runs, newest first."""
        query = select(CanaryRun).order_by(CanaryRun.id.desc()).limit(limit)
        if model is not None:
            query = query.where(CanaryRun.model == model)
        with self.database.read() as session:
            return [
                RunSummary.model_validate(views.run_view(session, run).model_dump())
                for run in session.scalars(query)
            ]

    def get(self, run_id: int, *, samples: bool = False) -> CanaryRunView:
        with self.database.read() as session:
            run = session.get(CanaryRun, run_id)
            if run is None:
                raise NotFoundError(f"no canary run {run_id}")
            return views.run_view(session, run, samples=samples)

    def drifts(
        self,
        since: datetime | None = None,
        *,
        model: str | None = None,
        status: DriftStatus | None = None,
    ) -> list[DriftView]:
        """Drifts detected at or after ``since``, newest first (for alerts and the API)."""
        query = select(CanaryDrift).order_by(CanaryDrift.id.desc())
        if since is not None:
            query = query.where(CanaryDrift.detected_at >= since)
        if model is not None:
            query = query.where(CanaryDrift.model == model)
        if status is not None:
            query = query.where(CanaryDrift.status == status.value)
        with self.database.read() as session:
            return [views.drift_view(d, session) for d in session.scalars(query)]

    def drift(self, drift_id: int) -> DriftView:
        with self.database.read() as session:
            return views.drift_view(decisions.drift(session, drift_id), session)

    def _due(self, session: Session, config: CanaryConfig, now: datetime) -> bool:
        if not config.enabled:
            return False
        last = session.scalar(
            select(func.max(CanaryRun.started_at)).where(CanaryRun.model == config.model)
        )
        return last is None or now - last >= timedelta(hours=config.every_hours)

    def _config_view(self, session: Session, config: CanaryConfig) -> ConfigView:
        user = session.get(User, config.acting_for)
        last = session.scalars(
            select(CanaryRun).where(CanaryRun.model == config.model).order_by(CanaryRun.id.desc())
        ).first()
        open_drifts = session.scalar(
            select(func.count())
            .select_from(CanaryDrift)
            .where(CanaryDrift.model == config.model, CanaryDrift.status == DriftStatus.OPEN.value)
        )
        return ConfigView(
            model=config.model,
            enabled=config.enabled,
            prompt_set=config.prompt_set,
            samples=config.samples,
            use_case_id=config.use_case_id,
            acting_for=config.acting_for,
            acting_for_name=user.username if user is not None else str(config.acting_for),
            every_hours=config.every_hours,
            baseline_run_id=config.baseline_run_id,
            version=config.version,
            updated_at=config.updated_at,
            last_run_id=last.id if last is not None else None,
            last_run_at=last.started_at if last is not None else None,
            due=self._due(session, config, self.now()),
            open_drifts=open_drifts or 0,
        )


def _shortfall(session: Session, run: CanaryRun) -> str:
    """Why a run whose calls all went through is still not complete ('' if it is)."""
    counts = views.counts(session, run.id)
    answered = counts.get(SampleStatus.ANSWERED.value, 0)
    if answered != run.calls or sum(counts.values()) != run.calls:
        return f"{answered} of {run.calls} calls answered by {run.model}"
    return ""


def _sig(p: float | None) -> float | None:
    return None if p is None else float(f"{p:.4g}")
