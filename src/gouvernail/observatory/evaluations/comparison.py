"""Two runs of the same dataset version compared case by case.

Only the cases scored in both runs are paired (a case in error or missing on either side is
counted as ``unscored`` and left out). A paired case is *fixed* (failed in the base, passes in
the candidate), *regressed* (the other way) or *unchanged*. The pass rates and their difference
(in percentage points) are over the paired cases.

**Test**: McNemar's exact test — under "no difference" the discordant pairs (fixed +
regressed) split evenly, so the number regressed is Binomial(fixed + regressed, 1/2); the
two-sided p-value is SciPy's ``binomtest``. p = 1 when no case changed. With few discordant
pairs nothing can be significant (3 regressions out of 3 give p = 0.25): the *threshold*, not
the p-value, decides a regression, which is the conservative choice for a promotion gate.
"""

from __future__ import annotations

from collections.abc import Sequence

from gouvernail.observatory.evaluations.models import ResultStatus
from gouvernail.observatory.evaluations.schemas import CaseChange, ComparisonView, ResultView
from gouvernail.observatory.scientific import scipy_stats

SCORED = (ResultStatus.PASS, ResultStatus.FAIL)


def mcnemar(fixed: int, regressed: int) -> float:
    """Two-sided exact p-value of McNemar's test on the discordant pairs."""
    discordant = fixed + regressed
    if discordant == 0:
        return 1.0
    return float(scipy_stats().binomtest(regressed, discordant, 0.5).pvalue)


def compare(
    base_run: int,
    candidate_run: int,
    dataset_id: int,
    base: Sequence[ResultView],
    candidate: Sequence[ResultView],
    *,
    cases: int,
    threshold_points: float,
) -> ComparisonView:
    by_index = {r.case_index: r for r in base}
    other = {r.case_index: r for r in candidate}
    fixed: list[CaseChange] = []
    regressed: list[CaseChange] = []
    unchanged = paired = base_passed = candidate_passed = 0
    for index in range(cases):
        a, b = by_index.get(index), other.get(index)
        if a is None or b is None or a.status not in SCORED or b.status not in SCORED:
            continue
        paired += 1
        base_passed += a.status is ResultStatus.PASS
        candidate_passed += b.status is ResultStatus.PASS
        change = CaseChange(case_index=index, case_id=a.case_id, base=a.status, candidate=b.status)
        if a.status == b.status:
            unchanged += 1
        elif b.status is ResultStatus.PASS:
            fixed.append(change)
        else:
            regressed.append(change)
    base_rate = base_passed / paired if paired else None
    candidate_rate = candidate_passed / paired if paired else None
    difference = (
        100 * (candidate_rate - base_rate)
        if base_rate is not None and candidate_rate is not None
        else None
    )
    p_value = mcnemar(len(fixed), len(regressed))
    regression = difference is not None and -difference > threshold_points
    return ComparisonView(
        base_run=base_run,
        candidate_run=candidate_run,
        dataset_id=dataset_id,
        paired=paired,
        unscored=cases - paired,
        fixed=fixed,
        regressed=regressed,
        unchanged=unchanged,
        base_pass_rate=base_rate,
        candidate_pass_rate=candidate_rate,
        difference_points=difference,
        p_value=p_value,
        threshold_points=threshold_points,
        regression=regression,
        explanation=_explain(
            base_rate, candidate_rate, difference, len(fixed), len(regressed), p_value,
            threshold_points, paired,
        ),
    )  # fmt: skip


def _explain(
    base: float | None,
    candidate: float | None,
    difference: float | None,
    fixed: int,
    regressed: int,
    p_value: float,
    threshold: float,
    paired: int,
) -> str:
    if base is None or candidate is None or difference is None:
        return "no case was scored in both runs: nothing to compare"
    verdict = (
        f"a regression beyond the threshold of {threshold:g} points"
        if -difference > threshold
        else f"within the threshold of {threshold:g} points"
    )
    return (
        f"pass rate {100 * base:.1f} % -> {100 * candidate:.1f} % ({difference:+.1f} points) "
        f"over {paired} cases: {fixed} fixed, {regressed} regressed, McNemar exact "
        f"p = {p_value:.3g}; {verdict}"
    )
