"""An evaluation run and a comparison as plain text lines (the console's report)."""

from __future__ import annotations

from gouvernail.observatory.evaluations.models import ResultStatus
from gouvernail.observatory.evaluations.schemas import ComparisonView, RunView

FAILURES_SHOWN = 10


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f} %"


def _number(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def run_lines(view: RunView) -> list[str]:
    s = view.summary
    target = view.model + (f", prompt {view.prompt_version}" if view.prompt_version else "")
    lines = [
        f"run {view.id}: suite {view.suite_id} '{view.suite}' version {view.dataset_version} "
        f"(sha256 {view.dataset_sha256[:12]}) on {target}, use case {view.use_case_id}: "
        f"{view.status.value}",
    ]
    if view.reason:
        lines.append(f"  reason: {view.reason}")
    lines += [
        f"  cases {s.cases}: {s.passed} pass, {s.failed} fail, {s.errors} error, "
        f"{s.missing} missing; pass rate {_percent(s.pass_rate)} (of the scored), "
        f"mean score {_number(s.mean_score)}",
        f"  latency mean {_number(s.latency_ms_mean, ' ms', 1)}, "
        f"p95 {_number(s.latency_ms_p95, ' ms', 1)}; tokens {s.prompt_tokens} in, "
        f"{s.completion_tokens} out; cost {s.cost_eur:.6f} EUR; answered by "
        + (", ".join(f"{m} {n}" for m, n in s.answered_by.items()) or "-"),
        f"  {'scorer':<12} {'asserts':>7} {'pass':>5} {'fail':>5} {'error':>5} "
        f"{'pass rate':>9} {'mean':>5}",
    ]
    for name, stats in s.by_scorer.items():
        lines.append(
            f"  {name:<12} {stats.assertions:>7} {stats.passed:>5} {stats.failed:>5} "
            f"{stats.errors:>5} {_percent(stats.pass_rate):>9} {_number(stats.mean_score):>5}"
        )
    if view.judge_model or view.embedding_model:
        lines.append(f"  judge {view.judge_model or '-'}, embeddings {view.embedding_model or '-'}")
    shown = [r for r in view.results or [] if r.status is not ResultStatus.PASS]
    for result in shown[:FAILURES_SHOWN]:
        why = result.error or "; ".join(
            f"{a.type}: {a.detail}" for a in result.assertions if a.passed is False
        )
        lines.append(f"  {result.status.value:<5} {result.case_id}: {why}"[:200])
    if len(shown) > FAILURES_SHOWN:
        lines.append(f"  ... and {len(shown) - FAILURES_SHOWN} more not passed")
    return lines


def comparison_lines(view: ComparisonView) -> list[str]:
    def ids(changes: list[object]) -> str:
        return ", ".join(getattr(c, "case_id", "") for c in changes) or "-"

    return [
        f"run {view.base_run} (base) -> run {view.candidate_run} (candidate), "
        f"dataset {view.dataset_id}: {'REGRESSION' if view.regression else 'no regression'}",
        f"  {view.explanation}",
        f"  fixed: {ids(list(view.fixed))}",
        f"  regressed: {ids(list(view.regressed))}",
        f"  unchanged {view.unchanged}, unscored {view.unscored}",
    ]
