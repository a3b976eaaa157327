"""A complete run against its model's baseline: each metric measured, tested and judged.

Pure: answers in, a ``Comparison`` out. Prompts are matched by key (id and text digest), so a
prompt whose text changed since the baseline is compared with nothing (and said so).

A tested metric **changed** when its Holm-adjusted p-value is below ``alpha`` and, for the
similarity, the length and the latency, the effect is also past its practical threshold
(settings): significant *and* large enough to matter, so that a provider's usual jitter never
raises an alarm. The system fingerprint and the model name the provider returns are compared
exactly: a value the baseline never showed is a change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gouvernail.observatory.canaries import statistics as st
from gouvernail.observatory.canaries.schemas import (
    Comparison,
    Metric,
    MetricName,
    PromptComparison,
)


@dataclass(frozen=True, slots=True)
class Observed:
    """One answer of the model watched."""

    prompt_id: str
    prompt_key: str
    answer: str
    length: int
    refusal: bool
    latency_ms: float | None
    fingerprint: str | None
    provider_model: str | None


@dataclass(frozen=True, slots=True)
class Thresholds:
    alpha: float
    similarity_drop: float
    length_change: float
    latency_ratio: float
    latency_min_ms: float


def _by_key(samples: Sequence[Observed]) -> dict[str, list[Observed]]:
    grouped: dict[str, list[Observed]] = defaultdict(list)
    for sample in samples:
        grouped[sample.prompt_key].append(sample)
    return grouped


def _fmt_p(p: float | None) -> str:
    return "-" if p is None else f"{p:.2g}"


def _beyond(ratio: float | None, change: float) -> bool:
    return ratio is not None and (ratio >= 1 + change or ratio <= 1 / (1 + change))


def compare(
    run_id: int,
    baseline_run_id: int,
    baseline: Sequence[Observed],
    current: Sequence[Observed],
    limits: Thresholds,
) -> Comparison:
    base, now = _by_key(baseline), _by_key(current)
    keys = [k for k in base if k in now]
    notes: list[str] = []
    left_out = sorted({s.prompt_id for k in now if k not in base for s in now[k]})
    if left_out:
        notes.append(
            f"not in the baseline (new or changed text), not compared: {', '.join(left_out)}"
        )
    base = {k: base[k] for k in keys}
    now = {k: now[k] for k in keys}

    prompts = [_prompt(base[k], now[k]) for k in keys]
    tested = [
        _similarity(prompts, limits),
        _refusals(base, now),
        _lengths(base, now, limits),
        _latency(base, now, limits),
    ]
    for metric, p_adjusted in zip(tested, st.holm([m.p_value or 1.0 for m in tested]), strict=True):
        metric.p_adjusted = p_adjusted
        metric.changed = p_adjusted < limits.alpha and metric.changed
        metric.explanation = _explain(metric, limits)
    exact = [
        _exact("system_fingerprint", base, now, lambda s: s.fingerprint),
        _exact("provider_model", base, now, lambda s: s.provider_model),
    ]
    notes += _refusal_flips(prompts)
    if len(keys) < 6:
        notes.append(f"only {len(keys)} prompts compared: the tests can hardly reach significance")
    if not any(s.fingerprint for s in current):
        notes.append("the provider sends no system_fingerprint: that check is not available")
    metrics = [*tested, *exact]
    return Comparison(
        run_id=run_id,
        baseline_run_id=baseline_run_id,
        prompts_compared=len(keys),
        alpha=limits.alpha,
        changed=[m.name for m in metrics if m.changed],
        metrics=metrics,
        prompts=prompts,
        notes=notes,
    )


def _prompt(base: list[Observed], now: list[Observed]) -> PromptComparison:
    return PromptComparison(
        prompt_id=now[0].prompt_id,
        similarity=round(st.mean_similarity([s.answer for s in now], [s.answer for s in base]), 4),
        baseline_similarity=round(st.mean_pairwise([s.answer for s in base]), 4),
        baseline_length=st.median([s.length for s in base]) or 0.0,
        length=st.median([s.length for s in now]) or 0.0,
        baseline_refusals=sum(s.refusal for s in base),
        refusals=sum(s.refusal for s in now),
        samples=len(now),
    )


def _similarity(prompts: list[PromptComparison], limits: Thresholds) -> Metric:
    drops = [p.baseline_similarity - p.similarity for p in prompts]
    reference = sum(p.baseline_similarity for p in prompts) / len(prompts) if prompts else None
    current = sum(p.similarity for p in prompts) / len(prompts) if prompts else None
    drop = sum(drops) / len(drops) if drops else None
    return Metric(
        name="similarity",
        test="Wilcoxon signed-rank, one-sided, paired by prompt (baseline self-similarity - "
        "similarity to the baseline)",
        baseline=_round(reference),
        current=_round(current),
        unit="mean word-sequence similarity (0-1)",
        effect=_round(drop),
        effect_name="mean similarity drop",
        n_baseline=len(prompts),
        n_current=len(prompts),
        p_value=st.similarity_drop(drops),
        p_adjusted=None,
        changed=drop is not None and drop >= limits.similarity_drop,
        explanation="",
    )


def _refusals(base: dict[str, list[Observed]], now: dict[str, list[Observed]]) -> Metric:
    b = [s.refusal for samples in base.values() for s in samples]
    c = [s.refusal for samples in now.values() for s in samples]
    b_rate = sum(b) / len(b) if b else None
    c_rate = sum(c) / len(c) if c else None
    return Metric(
        name="refusal_rate",
        test="Fisher exact, two-sided",
        baseline=_round(b_rate),
        current=_round(c_rate),
        unit="share of answers declining",
        effect=_round(c_rate - b_rate) if b_rate is not None and c_rate is not None else None,
        effect_name="difference of refusal rates",
        n_baseline=len(b),
        n_current=len(c),
        p_value=st.fisher((sum(b), len(b)), (sum(c), len(c))),
        p_adjusted=None,
        changed=True,  # significance alone decides
        explanation="",
    )


def _lengths(
    base: dict[str, list[Observed]], now: dict[str, list[Observed]], limits: Thresholds
) -> Metric:
    b: list[float] = []
    c: list[float] = []
    for key, samples in base.items():
        scale = max(1.0, st.median([s.length for s in samples]) or 1.0)
        b += [s.length / scale for s in samples]
        c += [s.length / scale for s in now[key]]
    b_median, c_median = st.median(b), st.median(c)
    ratio = c_median / b_median if b_median and c_median is not None else None
    return Metric(
        name="length",
        test="Mann-Whitney U, two-sided, on lengths divided by the prompt's baseline median",
        baseline=_round(b_median),
        current=_round(c_median),
        unit="answer length / baseline median length of the prompt",
        effect=_round(ratio),
        effect_name="median length ratio (now / baseline)",
        n_baseline=len(b),
        n_current=len(c),
        p_value=st.mann_whitney(b, c),
        p_adjusted=None,
        changed=_beyond(ratio, limits.length_change),
        explanation="",
    )


def _latency(
    base: dict[str, list[Observed]], now: dict[str, list[Observed]], limits: Thresholds
) -> Metric:
    b = [s.latency_ms for v in base.values() for s in v if s.latency_ms is not None]
    c = [s.latency_ms for v in now.values() for s in v if s.latency_ms is not None]
    b_median, c_median = st.median(b), st.median(c)
    ratio = c_median / b_median if b_median and c_median is not None else None
    difference = c_median - b_median if b_median is not None and c_median is not None else 0.0
    return Metric(
        name="latency",
        test="Mann-Whitney U, two-sided",
        baseline=_round(b_median, 1),
        current=_round(c_median, 1),
        unit="median provider latency (ms)",
        effect=_round(ratio),
        effect_name="median latency ratio (now / baseline)",
        n_baseline=len(b),
        n_current=len(c),
        p_value=st.mann_whitney(b, c),
        p_adjusted=None,
        changed=_beyond(ratio, limits.latency_ratio - 1)
        and abs(difference) >= limits.latency_min_ms,
        explanation="",
    )


def _exact(
    name: MetricName,
    base: dict[str, list[Observed]],
    now: dict[str, list[Observed]],
    read: Callable[[Observed], str | None],
) -> Metric:
    seen = sorted({v for samples in base.values() for s in samples if (v := read(s))})
    current = sorted({v for samples in now.values() for s in samples if (v := read(s))})
    new = [v for v in current if v not in seen]
    label = "system fingerprint" if name == "system_fingerprint" else "model name returned"
    if new:
        explanation = (
            f"{label} changed: {', '.join(new)} (baseline: {', '.join(seen) or 'none sent'})"
        )
    elif not current:
        explanation = f"{label}: not sent" + (" (the baseline had one)" if seen else "")
    else:
        explanation = f"{label} unchanged: {', '.join(current)}"
    return Metric(
        name=name,
        test="exact: a value the baseline never showed",
        baseline=None,
        current=None,
        unit="values",
        effect=float(len(new)),
        effect_name="values not seen in the baseline",
        n_baseline=sum(len(v) for v in base.values()),
        n_current=sum(len(v) for v in now.values()),
        p_value=None,
        p_adjusted=None,
        values_baseline=seen,
        values_current=current,
        changed=bool(new),
        explanation=explanation,
    )


def _explain(metric: Metric, limits: Thresholds) -> str:
    values = f"{metric.baseline} -> {metric.current} ({metric.unit})"
    tested = f"{metric.test}: p = {_fmt_p(metric.p_value)}, Holm {_fmt_p(metric.p_adjusted)}"
    significant = metric.p_adjusted is not None and metric.p_adjusted < limits.alpha
    if metric.changed:
        verdict = "CHANGED"
    elif significant:
        verdict = "significant but below the practical threshold"
    else:
        verdict = "no change shown"
    return f"{metric.name}: {values}, {metric.effect_name} {metric.effect}; {tested}: {verdict}"


def _refusal_flips(prompts: list[PromptComparison]) -> list[str]:
    notes = []
    for p in prompts:
        was = p.baseline_refusals > 0
        now = p.refusals > 0
        if was != now:
            before, after = ("declined", "answered") if was else ("answered", "declined")
            notes.append(f"{p.prompt_id}: {before} in the baseline, {after} now")
    return notes


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
