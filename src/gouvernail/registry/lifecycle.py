"""The lifecycle ``idea → qualified → assessed → approved → pilot → production → suspended →
retired`` and the gates that refuse a transition whose prerequisites are missing.

Deciding is separate from acting: ``missing(facts, to)`` only reads the facts the service
gathered and returns the missing prerequisites (stable code plus what to do); the service
applies the transition or records the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gouvernail.registry.approvals import WorkflowState
from gouvernail.registry.models import Hosting, Sourcing, Status
from gouvernail.registry.qualification import AutomationVerdict, QualificationResult, Verdict
from gouvernail.registry.schemas import DeploymentAnswers, Prerequisite

S = Status
FORWARD: dict[Status, set[Status]] = {
    S.IDEA: {S.QUALIFIED, S.RETIRED},
    S.QUALIFIED: {S.ASSESSED, S.IDEA, S.RETIRED},
    S.ASSESSED: {S.APPROVED, S.QUALIFIED, S.RETIRED},
    S.APPROVED: {S.PILOT, S.ASSESSED, S.SUSPENDED, S.RETIRED},
    S.PILOT: {S.PRODUCTION, S.SUSPENDED, S.RETIRED},
    S.PRODUCTION: {S.SUSPENDED, S.RETIRED},
    S.SUSPENDED: {S.APPROVED, S.PILOT, S.PRODUCTION, S.RETIRED},
    S.RETIRED: set(),
}
LIVE = {S.APPROVED, S.PILOT, S.PRODUCTION}
REHEARSAL_MAX_AGE_DAYS = 365


@dataclass(frozen=True)
class KeyResultFacts:
    description: str
    measured_on: date | None


@dataclass(frozen=True)
class Facts:
    """Everything the gates look at, gathered by the service in one transaction."""

    status: Status
    previous_status: Status | None
    tier: str | None
    sourcing: Sourcing
    preferred_hosting: Hosting | None
    qualification: QualificationResult
    verdict: AutomationVerdict | None
    deployment: DeploymentAnswers | None
    sources_without_owner: list[str]
    key_results: list[KeyResultFacts]
    pilot_started_on: date | None
    approvals: WorkflowState | None
    risk_gaps: list[str]
    today: date
    pilot_end_date: date | None = None
    worst_risk_score: int | None = None


def _p(code: str, message: str) -> Prerequisite:
    return Prerequisite(code=code, message=message)


def missing(facts: Facts, to: Status) -> list[Prerequisite]:
    """The prerequisites missing for ``facts.status → to`` (empty: the transition may go)."""
    if to not in FORWARD[facts.status]:
        allowed = sorted(s.value for s in FORWARD[facts.status]) or ["none: it is retired"]
        return [
            _p(
                "transition_not_allowed",
                f"a use case cannot go from {facts.status.value} to {to.value}; "
                f"allowed: {', '.join(allowed)}",
            )
        ]
    if facts.status is S.SUSPENDED and to is not S.RETIRED:
        if to is not facts.previous_status:
            previous = facts.previous_status.value if facts.previous_status else "unknown"
            return [
                _p(
                    "resume_target",
                    f"a suspended use case resumes where it was ({previous}), not {to.value}",
                )
            ]
        return _approval_current(facts)
    gate = GATES.get((facts.status, to))
    return gate(facts) if gate else []


def _to_qualified(facts: Facts) -> list[Prerequisite]:
    found = [_p("qualification", gap) for gap in facts.qualification.gaps]
    if facts.verdict is None:
        found.append(_p("automation_check", "answer the AI-versus-automation check"))
    elif facts.verdict.verdict is Verdict.AUTOMATION and not facts.verdict.overridden:
        found.append(
            _p(
                "automation_recommended",
                "the check recommends plain automation: build it without AI, or record "
                "ai_justification explaining why AI is needed",
            )
        )
    return found


def _to_assessed(facts: Facts) -> list[Prerequisite]:
    found = []
    if facts.tier is None:
        found.append(_p("ai_act_classification", "answer the EU AI Act questionnaire"))
    found += [_p("risk_register", gap) for gap in facts.risk_gaps]
    return found


def _deployment_gaps(facts: Facts) -> list[Prerequisite]:
    answers = facts.deployment
    if answers is None:
        return [
            _p(
                "deployment_answers",
                "record the deployment answers: fallback procedure without AI, cybersecurity "
                "measures, human oversight, vendor exit plan, adoption plan",
            )
        ]
    bought = facts.sourcing is Sourcing.SNACKABLE or facts.preferred_hosting in {
        Hosting.EXTERNAL_SAAS,
        Hosting.EU_CLOUD,
    }
    if bought and not answers.vendor_exit_plan.strip():
        return [
            _p(
                "vendor_exit_plan",
                "a bought or externally hosted use case needs a vendor exit plan",
            )
        ]
    return []


def _to_approved(facts: Facts) -> list[Prerequisite]:
    if facts.tier == "prohibited":
        return [
            _p(
                "prohibited",
                "the EU AI Act classification found a prohibited practice (Art. 5): it goes "
                "to a compliance review and can never be approved",
            )
        ]
    found = _to_assessed(facts)
    if facts.tier == "high":
        for name in facts.sources_without_owner:
            found.append(
                _p("data_owner", f"high risk: data source {name!r} needs a named data owner")
            )
        if facts.deployment is None:
            found.append(_p("human_oversight", "high risk: describe the human-oversight measures"))
            found.append(
                _p("fallback_procedure", "high risk: document the fallback procedure without AI")
            )
    found += _deployment_gaps(facts)
    state = facts.approvals
    if state is None:
        found.append(_p("approvals", "no approval workflow applies yet"))
    elif state.rejected:
        found.append(
            _p(
                "approval_rejected",
                f"revision {state.revision} was rejected at stage {state.rejected_stage}: "
                "revise the use case and ask again",
            )
        )
    elif not state.complete:
        for stage in state.stages:
            if not stage.complete:
                found.append(_p("approval_pending", stage.describe()))
    return found


def _approval_current(facts: Facts) -> list[Prerequisite]:
    state = facts.approvals
    if state is None or not state.complete or state.rejected:
        return [
            _p(
                "approval_stale",
                "the approvals do not bind the current revision of the use case: it changed "
                "after approval and must be approved again",
            )
        ]
    return []


def _to_pilot(facts: Facts) -> list[Prerequisite]:
    found = _approval_current(facts)
    if facts.pilot_end_date is None:
        found.append(_p("pilot_end_date", "a pilot needs an end date (pilot_end_date)"))
    elif facts.pilot_end_date <= facts.today:
        found.append(_p("pilot_end_date", "the pilot's end date must be in the future"))
    return found


def _unmeasured(facts: Facts) -> list[KeyResultFacts]:
    """Key results without a result measured since the pilot started."""
    start = facts.pilot_started_on
    return [
        r
        for r in facts.key_results
        if r.measured_on is None or (start is not None and r.measured_on < start)
    ]


def _to_production(facts: Facts) -> list[Prerequisite]:
    found = _approval_current(facts)
    for result in _unmeasured(facts):
        found.append(
            _p(
                "results_missing",
                f"key result {result.description!r} has no result measured during the pilot",
            )
        )
    rehearsed = facts.deployment.fallback_last_rehearsed if facts.deployment else None
    if rehearsed is None:
        found.append(
            _p("fallback_not_rehearsed", "rehearse the fallback procedure and record its date")
        )
    elif (facts.today - rehearsed).days > REHEARSAL_MAX_AGE_DAYS:
        found.append(
            _p(
                "fallback_not_rehearsed",
                f"the fallback procedure was last rehearsed on {rehearsed}: "
                f"more than {REHEARSAL_MAX_AGE_DAYS} days ago",
            )
        )
    return found


GATES = {
    (S.IDEA, S.QUALIFIED): _to_qualified,
    (S.QUALIFIED, S.ASSESSED): _to_assessed,
    (S.ASSESSED, S.APPROVED): _to_approved,
    (S.APPROVED, S.PILOT): _to_pilot,
    (S.PILOT, S.PRODUCTION): _to_production,
}


def flags(facts: Facts) -> list[str]:
    """Conditions the committee must see: endless pilots, approvals gone stale."""
    found = []
    if (
        facts.status is S.PILOT
        and facts.pilot_end_date is not None
        and facts.pilot_end_date < facts.today
        and _unmeasured(facts)
    ):
        found.append("pilot_overdue")
    if facts.status in LIVE and _approval_current(facts):
        found.append("approval_stale")
    return found
