"""Feedback on answers and the error rates it gives, per use case, model or prompt version, over
a short and a long window of calls, with confidence intervals.

An answer is flagged by its request id: by the person who made the call, a member of its use
case, the caller's API key bound to that use case, or someone allowed to judge any answer (AI
referents). Refused calls have no answer to judge. A person's later verdict on the same answer
replaces the earlier one (audited with both)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, NotFoundError
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.feedback.events import FeedbackGiven
from gouvernail.observatory.feedback.models import Feedback
from gouvernail.observatory.feedback.rates import wilson
from gouvernail.observatory.feedback.schemas import (
    BAD,
    ErrorRates,
    FeedbackIn,
    FeedbackView,
    Grouping,
    GroupRates,
    Rate,
    WindowRates,
)
from gouvernail.registry.models import PromptVersion, UseCase

ANSWERING = ("chat", "responses")
SHORT_DAYS, LONG_DAYS = 7, 90
LOG_COLUMNS: dict[str, Any] = {
    "use_case": RequestLog.use_case_id,
    "model": RequestLog.model,
    "prompt_version": RequestLog.prompt_version_id,
}
FEEDBACK_COLUMNS: dict[str, Any] = {
    "use_case": Feedback.use_case_id,
    "model": Feedback.model,
    "prompt_version": Feedback.prompt_version_id,
}


class Feedbacks:
    def __init__(
        self, database: Database, trail: AuditTrail, is_member: Callable[[int, int], bool]
    ) -> None:
        self.database = database
        self.trail = trail
        self.is_member = is_member

    def give(
        self,
        context: AuditContext,
        body: FeedbackIn,
        *,
        user_id: int,
        via: str,
        judges_any: bool = False,
        key_use_case_id: int | None = None,
    ) -> FeedbackView:
        """Record ``user_id``'s verdict on the answer of call ``body.request_id``."""
        with self.database.read() as session:
            call = session.execute(
                select(
                    RequestLog.user_id,
                    RequestLog.use_case_id,
                    RequestLog.model,
                    RequestLog.at,
                    RequestLog.status,
                    RequestLog.operation,
                    RequestLog.prompt_version_id,
                )
                .where(RequestLog.request_id == body.request_id)
                .order_by(RequestLog.at.desc())
                .limit(1)
            ).first()
        if call is None:
            raise NotFoundError(f"no gateway call with request id {body.request_id}")
        caller, use_case_id, model, called_at, status, operation, prompt_version_id = call
        allowed = (
            judges_any
            or caller == user_id
            or (use_case_id is not None and key_use_case_id == use_case_id)
            or (use_case_id is not None and self.is_member(use_case_id, user_id))
        )
        if not allowed:
            raise ForbiddenError(
                "only the caller, members of the call's use case or an AI referent may judge "
                "this answer"
            )
        if status != 200 or operation not in ANSWERING:
            raise ConflictError(
                f"call {body.request_id} has no answer to judge (a {operation} call that "
                f"ended with status {status})",
                field="request_id",
            )

        def work(tx: Tx) -> FeedbackView:
            row = tx.session.scalar(
                select(Feedback).where(
                    Feedback.request_id == body.request_id, Feedback.user_id == user_id
                )
            )
            replaced = None if row is None else row.verdict
            if row is None:
                row = Feedback(request_id=body.request_id, user_id=user_id)
                tx.session.add(row)
            row.verdict, row.comment, row.via = body.verdict, body.comment, via
            row.use_case_id, row.model, row.called_at = use_case_id, model, called_at
            row.prompt_version_id = prompt_version_id
            row.at = utcnow()
            tx.session.flush()
            tx.emit(
                FeedbackGiven(
                    object_id=body.request_id,
                    old={} if replaced is None else {"verdict": replaced},
                    new={
                        "verdict": body.verdict,
                        "use_case_id": use_case_id,
                        "model": model,
                        "prompt_version_id": prompt_version_id,
                        "via": via,
                    },
                )
            )
            return FeedbackView(
                request_id=row.request_id,
                verdict=body.verdict,
                comment=row.comment,
                use_case_id=use_case_id,
                model=model,
                prompt_version_id=prompt_version_id,
                called_at=called_at,
                at=row.at,
                replaced=replaced,
            )

        return self.trail.run(context, work)

    def rates(self, by: Grouping, now: datetime | None = None) -> ErrorRates:
        """Error rates per use case, model or prompt version over the last 7 and 90 days of
        calls."""
        now = now or utcnow()
        with self.database.read() as session:
            windows = {
                days: _window(session, by, now - timedelta(days=days))
                for days in (SHORT_DAYS, LONG_DAYS)
            }
            titles = {
                row.id: row.title for row in session.execute(select(UseCase.id, UseCase.title))
            }
            keys = set(windows[LONG_DAYS]) | set(windows[SHORT_DAYS])
            prompts = _prompts(session, keys) if by == "prompt_version" else {}
        groups = []
        for key in sorted(keys, key=lambda k: (k is None, k if isinstance(k, int) else str(k))):
            short = _rates(SHORT_DAYS, windows[SHORT_DAYS].get(key))
            long = _rates(LONG_DAYS, windows[LONG_DAYS].get(key))
            prompt = prompts.get(key)
            use_case_id = key if by == "use_case" and isinstance(key, int) else None
            if prompt is not None:
                use_case_id = prompt.use_case_id
            groups.append(
                GroupRates(
                    use_case_id=use_case_id,
                    use_case=titles.get(use_case_id) if use_case_id is not None else None,
                    model=key if by == "model" and isinstance(key, str) else None,
                    prompt_version_id=prompt.id if prompt is not None else None,
                    prompt_name=prompt.name if prompt is not None else None,
                    prompt_version=prompt.version if prompt is not None else None,
                    short=short,
                    long=long,
                    worsening=(
                        short.rated > 0
                        and long.error_rate.value is not None
                        and short.error_rate.low > long.error_rate.value
                    ),
                )
            )
        return ErrorRates(by=by, at=now, groups=groups)


class _Counts:
    __slots__ = ("calls", "verdicts")

    def __init__(self) -> None:
        self.calls = 0
        self.verdicts: dict[str, int] = defaultdict(int)


def _prompts(session: Session, keys: set[Any]) -> dict[Any, Any]:
    """The prompt versions named by these group keys (ids), with their use case and name."""
    ids = [k for k in keys if isinstance(k, int)]
    if not ids:
        return {}
    rows = session.execute(
        select(
            PromptVersion.id, PromptVersion.use_case_id, PromptVersion.name, PromptVersion.version
        ).where(PromptVersion.id.in_(ids))
    )
    return {row.id: row for row in rows}


def _window(session: Session, by: Grouping, since: datetime) -> dict[Any, _Counts]:
    """Answered calls since ``since`` per group, and the verdicts on them (one per answer: the
    worst any judge gave)."""
    counts: dict[Any, _Counts] = defaultdict(_Counts)
    column = LOG_COLUMNS[by]
    for key, n in session.execute(
        select(column, func.count())
        .where(
            RequestLog.at >= since,
            RequestLog.status == 200,
            RequestLog.operation.in_(ANSWERING),
        )
        .group_by(column)
    ):
        counts[key].calls = int(n)
    group = FEEDBACK_COLUMNS[by]
    per_answer: dict[str, tuple[Any, str]] = {}
    for request_id, key, verdict in session.execute(
        select(Feedback.request_id, group, Feedback.verdict).where(Feedback.called_at >= since)
    ):
        kept = per_answer.get(request_id)
        if kept is None or (verdict in BAD and kept[1] not in BAD):
            per_answer[request_id] = (key, verdict)
    for key, verdict in per_answer.values():
        counts[key].verdicts[verdict] += 1
    return counts


def _rate(count: int, of: int) -> Rate:
    low, high = wilson(count, of)
    return Rate(count=count, of=of, value=count / of if of else None, low=low, high=high)


def _rates(days: int, counts: _Counts | None) -> WindowRates:
    counts = counts or _Counts()
    rated = sum(counts.verdicts.values())
    flagged = sum(n for v, n in counts.verdicts.items() if v in BAD)
    calls = max(counts.calls, rated)  # a purged log row still had an answer
    return WindowRates(
        days=days,
        calls=calls,
        rated=rated,
        flagged=flagged,
        error_rate=_rate(flagged, rated),
        flag_rate=_rate(flagged, calls),
        by_verdict=dict(sorted(counts.verdicts.items())),
    )
