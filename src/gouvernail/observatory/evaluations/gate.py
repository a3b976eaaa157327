"""The promotion gate: may a candidate (a prompt version, or a model) replace the baseline?

It compares the candidate's latest *complete* run with the baseline's latest complete run on
the same dataset version and the same other half of the target (the same model for a prompt
version, the same prompt version for a model), case by case (``comparison.py``), and refuses
when the pass rate drops by more than ``evaluations.max_regression_points``. It also refuses
when the evidence is missing: no complete run of the candidate (naming the incomplete one to
resume, or what to run), or none of the baseline to compare with (naming what to run). Without
a baseline (nothing in production yet) a complete run of the candidate is enough.

Pure reads: the service records a refusal in the audit trail when given a context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gouvernail.observatory.evaluations.models import EvalDataset, EvalRun, EvalSuite, RunStatus
from gouvernail.observatory.evaluations.views import compare_runs, prompt_label
from gouvernail.registry.models import PromptVersion
from gouvernail.registry.prompt_labels import PRODUCTION, PromptLabel


@dataclass(frozen=True, slots=True)
class Verdict:
    reason: str | None
    """None: allowed."""
    details: dict[str, Any] = field(default_factory=dict)


def production_version(session: Session, use_case_id: int, candidate_id: int) -> int | None:
    """The version holding the ``production`` label of the candidate's prompt name (the
    registry's labels), or None."""
    candidate = session.get(PromptVersion, candidate_id)
    if candidate is None:
        return None
    found: int | None = session.scalar(
        select(PromptLabel.prompt_version_id).where(
            PromptLabel.use_case_id == use_case_id,
            PromptLabel.name == candidate.name,
            PromptLabel.label == PRODUCTION,
        )
    )
    return found


def _latest(session: Session, *where: ColumnElement[bool], complete: bool) -> EvalRun | None:
    query = select(EvalRun).where(*where).order_by(EvalRun.id.desc()).limit(1)
    if complete:
        query = query.where(EvalRun.status == RunStatus.COMPLETE.value)
    return session.scalar(query)


def _same_prompt(prompt_version_id: int | None) -> ColumnElement[bool]:
    if prompt_version_id is None:
        return EvalRun.prompt_version_id.is_(None)
    return EvalRun.prompt_version_id == prompt_version_id


def _on(session: Session, run: EvalRun) -> str:
    suite = session.get(EvalSuite, run.suite_id)
    dataset = session.get(EvalDataset, run.dataset_id)
    assert suite is not None
    assert dataset is not None
    return f"suite {suite.id} '{suite.name}' version {dataset.version}"


def _missing(session: Session, what: str, last: EvalRun | None, how: str) -> str:
    if last is None:
        return f"{what} has no evaluation run: run a suite of the use case against it ({how})"
    why = f": {last.reason}" if last.reason else ""
    return (
        f"{what} has no complete evaluation run: run {last.id} is {last.status}{why}; "
        f"resume it (`gouvernail eval execute {last.id} --as USERNAME`)"
    )


def _compare(
    session: Session,
    candidate: EvalRun,
    baseline: EvalRun,
    what: str,
    threshold: float,
) -> Verdict:
    comparison = compare_runs(session, baseline.id, candidate.id, threshold_points=threshold)
    details: dict[str, Any] = {
        "base_run": baseline.id,
        "candidate_run": candidate.id,
        "difference_points": comparison.difference_points,
        "p_value": comparison.p_value,
        "fixed": len(comparison.fixed),
        "regressed": len(comparison.regressed),
        "threshold_points": threshold,
    }
    if not comparison.regression:
        return Verdict(None, details)
    return Verdict(
        f"{what} regresses on {_on(session, candidate)} (runs {baseline.id} -> {candidate.id}): "
        f"{comparison.explanation} (evaluations.max_regression_points)",
        details,
    )


def prompt_gate(
    session: Session,
    use_case_id: int,
    candidate_id: int,
    baseline_id: int | None,
    threshold: float,
) -> Verdict:
    """``baseline_id`` None: the version in production (``production_version``)."""
    candidate = session.get(PromptVersion, candidate_id)
    if candidate is None or candidate.use_case_id != use_case_id:
        return Verdict(f"prompt version {candidate_id} is not a prompt of use case {use_case_id}")
    what = f"prompt version {candidate_id} ({prompt_label(session, candidate_id)})"
    mine = (EvalRun.use_case_id == use_case_id, EvalRun.prompt_version_id == candidate_id)
    run = _latest(session, *mine, complete=True)
    if run is None:
        last = _latest(session, *mine, complete=False)
        how = f"`gouvernail eval run SUITE_ID --model M --prompt-version {candidate_id}`"
        return Verdict(_missing(session, what, last, how), {"candidate_run": last and last.id})
    if baseline_id is None:
        baseline_id = production_version(session, use_case_id, candidate_id)
    if baseline_id is None or baseline_id == candidate_id:
        return Verdict(None, {"candidate_run": run.id, "baseline_version_id": baseline_id})
    base = _latest(
        session,
        EvalRun.use_case_id == use_case_id,
        EvalRun.prompt_version_id == baseline_id,
        EvalRun.dataset_id == run.dataset_id,
        EvalRun.model == run.model,
        complete=True,
    )
    if base is None:
        return Verdict(
            f"no complete run of the production prompt version {baseline_id} "
            f"({prompt_label(session, baseline_id)}) on {_on(session, run)} with model "
            f"{run.model} to compare {what} with: run it (`gouvernail eval run {run.suite_id} "
            f"--version {_version(session, run)} --model {run.model} "
            f"--prompt-version {baseline_id}`)",
            {"candidate_run": run.id},
        )
    return _compare(session, run, base, what, threshold)


def model_gate(
    session: Session, use_case_id: int, model: str, baseline_model: str, threshold: float
) -> Verdict:
    what = f"model {model}"
    mine = (EvalRun.use_case_id == use_case_id, EvalRun.model == model)
    run = _latest(session, *mine, complete=True)
    if run is None:
        last = _latest(session, *mine, complete=False)
        how = f"`gouvernail eval run SUITE_ID --model {model}`"
        return Verdict(_missing(session, what, last, how), {"candidate_run": last and last.id})
    if baseline_model == model:
        return Verdict(None, {"candidate_run": run.id})
    base = _latest(
        session,
        EvalRun.use_case_id == use_case_id,
        EvalRun.model == baseline_model,
        EvalRun.dataset_id == run.dataset_id,
        _same_prompt(run.prompt_version_id),
        complete=True,
    )
    if base is None:
        prompt = f" --prompt-version {run.prompt_version_id}" if run.prompt_version_id else ""
        return Verdict(
            f"no complete run of the baseline model {baseline_model} on {_on(session, run)} "
            f"to compare {what} with: run it (`gouvernail eval run {run.suite_id} --version "
            f"{_version(session, run)} --model {baseline_model}{prompt}`)",
            {"candidate_run": run.id},
        )
    return _compare(session, run, base, what, threshold)


def _version(session: Session, run: EvalRun) -> int:
    dataset = session.get(EvalDataset, run.dataset_id)
    assert dataset is not None
    return dataset.version
