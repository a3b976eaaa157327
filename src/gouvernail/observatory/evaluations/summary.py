"""A run's figures, summed from its result rows on every read (never stored apart from them):
cases by status, pass rate over the scored cases, mean score, latency, tokens and cost from the
gateway's accounting of each call, and the same per scorer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gouvernail.observatory.evaluations.models import ResultStatus
from gouvernail.observatory.evaluations.schemas import ResultView, ScorerStats, Summary


@dataclass
class _Tally:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    scores: list[float] = field(default_factory=list)

    def add(self, passed: bool | None, score: float | None) -> None:
        if passed is None:
            self.errors += 1
        elif passed:
            self.passed += 1
        else:
            self.failed += 1
        if score is not None:
            self.scores.append(score)

    def stats(self) -> ScorerStats:
        scored = self.passed + self.failed
        return ScorerStats(
            assertions=scored + self.errors,
            passed=self.passed,
            failed=self.failed,
            errors=self.errors,
            pass_rate=self.passed / scored if scored else None,
            mean_score=_mean(self.scores),
        )


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def summarise(cases: int, results: Sequence[ResultView]) -> Summary:
    by_status = Counter(r.status for r in results)
    passed, failed = by_status[ResultStatus.PASS], by_status[ResultStatus.FAIL]
    scored = passed + failed
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    tallies: dict[str, _Tally] = {}
    for result in results:
        for a in result.assertions:
            tallies.setdefault(a.type, _Tally()).add(a.passed, a.score)
    return Summary(
        cases=cases,
        scored=scored,
        passed=passed,
        failed=failed,
        errors=by_status[ResultStatus.ERROR],
        missing=cases - len(results),
        pass_rate=passed / scored if scored else None,
        mean_score=_mean([r.score for r in results if r.score is not None]),
        latency_ms_mean=_mean(latencies),
        latency_ms_p95=float(np.percentile(latencies, 95)) if latencies else None,
        prompt_tokens=sum(r.prompt_tokens for r in results),
        completion_tokens=sum(r.completion_tokens for r in results),
        cost_eur=round(sum(r.cost_eur for r in results), 8),
        answered_by=dict(Counter(r.model for r in results if r.model)),
        by_scorer={name: t.stats() for name, t in sorted(tallies.items())},
    )
