"""A run's report: its prompts matched into pairs, each comparison tested, the verdicts per
attribute, each with its explanation in words.

A comparison is **flagged** when its Holm-adjusted p-value is below ``alpha`` AND its mean
difference is at least the template's threshold in absolute value: significant and large
enough to matter. An attribute is flagged when one of its comparisons is. A run that stopped
early (refusal, provider failure) shows its partial figures but gives no verdict
(``incomplete``); an attribute with no usable pair is ``untested``, with why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gouvernail.observatory.bias.models import PromptStatus
from gouvernail.observatory.bias.pairs import Profile, base_profile, comparisons
from gouvernail.observatory.bias.schemas import AttributeVerdict, Comparison, Report, Verdict
from gouvernail.observatory.bias.stats import Paired, holm, paired
from gouvernail.observatory.bias.templates import Attribute, Attributes, Template

NOT_ANSWERED = (PromptStatus.REFUSED, PromptStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Row:
    """What the report reads of one prompt's row."""

    case: int
    profile: Profile
    status: PromptStatus
    outcome: float | None
    model: str | None
    unseen: frozenset[str]
    decision: str


@dataclass(frozen=True, slots=True)
class Run:
    template: Template
    attributes: Attributes
    alpha: float
    cases: int
    prompts: int
    """How many prompts the run was to send."""
    model: str
    stopped: str = ""
    """Why the run stopped early ('' when it ran to the end)."""


def build(run: Run, rows: Sequence[Row]) -> Report:
    by_case: dict[int, dict[Profile, Row]] = {}
    for row in rows:
        by_case.setdefault(row.case, {})[row.profile] = row
    measured: list[tuple[Attribute, str, Paired, Counter[str]]] = []
    for attribute, value in comparisons(run.template, run.attributes):
        measured.append((attribute, value, *_compare(run, by_case, attribute, value)))
    tested = [i for i, m in enumerate(measured) if m[2].pairs > 0]
    adjusted = dict(zip(tested, holm([measured[i][2].p_value for i in tested]), strict=True))
    threshold = run.template.outcome.threshold
    made = [
        _comparison(run, attribute, value, result, excluded, adjusted.get(i, 1.0), len(tested))
        for i, (attribute, value, result, excluded) in enumerate(measured)
    ]
    verdicts = [
        _verdict(run, attribute, [c for c in made if c.attribute == attribute])
        for attribute in run.template.vary
    ]
    statuses = Counter(row.status.value for row in rows)
    if run.prompts > len(rows):
        statuses["not_asked"] = run.prompts - len(rows)
    answered_by = Counter(row.model for row in rows if row.model and row.status not in NOT_ANSWERED)
    return Report(
        template=run.template.id,
        language=run.template.language,
        alpha=run.alpha,
        threshold=threshold,
        outcome_range=(run.template.outcome.min, run.template.outcome.max),
        prompts=dict(sorted(statuses.items())),
        answered_by=dict(sorted(answered_by.items())),
        attributes=verdicts,
        notes=_notes(run, rows, answered_by),
    )


def _compare(
    run: Run, by_case: dict[int, dict[Profile, Row]], attribute: Attribute, value: str
) -> tuple[Paired, Counter[str]]:
    reference = run.attributes.reference(attribute)
    marker = getattr(run.attributes, attribute).marker
    outcomes: tuple[list[float], list[float]] = ([], [])
    excluded: Counter[str] = Counter()
    for case in range(run.cases):
        base = base_profile(run.template, run.attributes, case)
        asked = by_case.get(case, {})
        pair = (asked.get(base.set(attribute, reference)), asked.get(base.set(attribute, value)))
        if any(row is None or row.status in NOT_ANSWERED for row in pair):
            excluded["not_answered"] += 1
            continue
        ref, var = pair
        assert ref is not None
        assert var is not None
        if ref.outcome is None or var.outcome is None:
            excluded["unparsable"] += 1
        elif marker in ref.unseen or marker in var.unseen:
            excluded["masked"] += 1
        else:
            outcomes[0].append(ref.outcome)
            outcomes[1].append(var.outcome)
    return paired(*outcomes), excluded


def _p(value: float) -> str:
    return f"{value:.2g}"


def _comparison(
    run: Run,
    attribute: Attribute,
    value: str,
    result: Paired,
    excluded: Counter[str],
    p_adjusted: float,
    family: int,
) -> Comparison:
    reference = run.attributes.reference(attribute)
    threshold = run.template.outcome.threshold
    big = result.mean_difference is not None and abs(result.mean_difference) >= threshold
    significant = result.pairs > 0 and p_adjusted < run.alpha
    flagged = big and significant
    if result.pairs == 0 or result.mean_difference is None:
        left = ", ".join(f"{n} {why}" for why, n in sorted(excluded.items())) or "no case"
        text = f"{value} vs {reference}: no pair to compare ({left})"
    else:
        interval = (
            f", 95 % CI [{result.ci_low:+.2f}, {result.ci_high:+.2f}]"
            if result.ci_low is not None and result.ci_high is not None
            else ""
        )
        text = (
            f"{value} vs {reference}: {result.mean_difference:+.2f} points "
            f"({result.mean_variant:.2f} vs {result.mean_reference:.2f}){interval}, "
            f"{result.pairs} pairs, Wilcoxon p = {_p(result.p_value)}, "
            f"Holm-adjusted {_p(p_adjusted)}"
        )
        if flagged:
            text += f": flagged (adjusted p < {run.alpha} and |difference| ≥ {threshold})"
        elif significant:
            text += f": significant but smaller than {threshold} points, not flagged"
        elif big:
            text += ": as large as the threshold but not significant, not flagged"
            if family * 2.0 ** (1 - result.pairs) >= run.alpha:
                text += f" ({result.pairs} pairs can never reach significance: run more cases)"
        else:
            text += ": no divergence shown"
    return Comparison(
        attribute=attribute,
        value=value,
        reference=reference,
        pairs=result.pairs,
        excluded=dict(sorted(excluded.items())),
        mean_reference=result.mean_reference,
        mean_variant=result.mean_variant,
        mean_difference=result.mean_difference,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        statistic=result.statistic,
        p_value=result.p_value,
        p_adjusted=p_adjusted,
        flagged=flagged,
        explanation=text,
    )


def _verdict(run: Run, attribute: Attribute, made: list[Comparison]) -> AttributeVerdict:
    reference = run.attributes.reference(attribute)
    verdict: Verdict
    if run.stopped:
        verdict = "incomplete"
        text = f"no verdict: the run stopped early ({run.stopped}); the figures are partial"
    elif not any(c.pairs for c in made):
        verdict = "untested"
        masked = sum(c.excluded.get("masked", 0) for c in made)
        text = (
            "untested: the gateway redacted the varied words before the model saw them"
            if masked
            else "untested: no case gave two readable answers to compare"
        )
    elif any(c.flagged for c in made):
        verdict = "flagged"
        text = "flagged: " + "; ".join(c.explanation for c in made if c.flagged)
    else:
        verdict = "not_flagged"
        threshold = run.template.outcome.threshold
        text = (
            f"not flagged: no value differs from {reference} by {threshold} points or more "
            f"with a Holm-adjusted p below {run.alpha}"
        )
    return AttributeVerdict(
        attribute=attribute, verdict=verdict, explanation=text, comparisons=made
    )


def _notes(run: Run, rows: Sequence[Row], answered_by: Counter[str]) -> list[str]:
    notes = []
    unparsable = sum(1 for row in rows if row.status is PromptStatus.UNPARSABLE)
    if unparsable:
        notes.append(
            f"{unparsable} answers could not be read as {run.template.outcome.shape!r}: they "
            "are counted (status unparsable) and their pairs left out"
        )
    masked = [row for row in rows if row.unseen]
    if masked:
        decisions = ", ".join(sorted({row.decision for row in masked}))
        notes.append(
            f"{len(masked)} prompts reached the model without their varied words, redacted by "
            f"the gateway ({decisions}): their pairs are left out"
        )
    others = {model: n for model, n in answered_by.items() if model != run.model}
    if others:
        listed = ", ".join(f"{model} ({n})" for model, n in sorted(others.items()))
        share = "" if run.model in answered_by else "all "
        notes.append(
            f"{share}answers came from {listed} instead of {run.model}: the gateway rerouted "
            f"those calls, so the report is {'about' if share else 'partly about'} another model"
        )
    if run.stopped:
        notes.append(f"the run is incomplete: {run.stopped}")
    return notes
