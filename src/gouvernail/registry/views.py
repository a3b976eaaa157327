"""Reading the registry: a use case as its view, the facts its gates look at, its flags."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gouvernail.identity.models import Team, User
from gouvernail.registry import approvals, lifecycle
from gouvernail.registry.lifecycle import Facts, KeyResultFacts
from gouvernail.registry.models import (
    DataSource,
    Hosting,
    KeyResult,
    Sourcing,
    Status,
    Transition,
    UseCase,
    UseCaseLink,
    UseCaseMember,
)
from gouvernail.registry.portfolio import Weights, priority_score
from gouvernail.registry.qualification import (
    AutomationAnswers,
    QualificationAnswers,
    SourceQuality,
    assess,
    automation_verdict,
)
from gouvernail.registry.schemas import (
    DataSourceView,
    DeploymentAnswers,
    KeyResultView,
    LinkView,
    MemberView,
    PersonRef,
    TransitionView,
    UseCaseSummary,
    UseCaseView,
)
from gouvernail.registry.workflows import Workflows
from gouvernail.risk.gate import missing_for_approval
from gouvernail.risk.models import Risk, RiskStatus


def reference(use_case_id: int) -> str:
    return f"UC-{use_case_id:04d}"


def person(session: Session, user_id: int | None) -> PersonRef | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    return PersonRef(id=user.id, username=user.username, display_name=user.display_name)


def _loads(raw: str | None) -> dict[str, object] | None:
    value = orjson.loads(raw) if raw else None
    return value or None


def qualification_of(use_case: UseCase) -> QualificationAnswers | None:
    raw = _loads(use_case.qualification)
    return QualificationAnswers.model_validate(raw) if raw else None


def automation_of(use_case: UseCase) -> AutomationAnswers | None:
    raw = _loads(use_case.automation)
    return AutomationAnswers.model_validate(raw) if raw else None


def deployment_of(use_case: UseCase) -> DeploymentAnswers | None:
    raw = _loads(use_case.deployment)
    return DeploymentAnswers.model_validate(raw) if raw else None


def sources_of(session: Session, use_case_id: int) -> list[DataSource]:
    return list(
        session.scalars(
            select(DataSource)
            .where(DataSource.use_case_id == use_case_id)
            .order_by(DataSource.position)
        )
    )


def key_results_of(session: Session, use_case_id: int) -> list[KeyResult]:
    return list(
        session.scalars(
            select(KeyResult)
            .where(KeyResult.use_case_id == use_case_id)
            .order_by(KeyResult.position)
        )
    )


WORST_RISK = func.max(
    func.coalesce(Risk.residual_likelihood, Risk.likelihood)
    * func.coalesce(Risk.residual_severity, Risk.severity)
)


@dataclass
class Loaded:
    """Child rows of several use cases, read in a few queries (the catalogue lists hundreds)."""

    sources: dict[int, list[DataSource]] = field(default_factory=lambda: defaultdict(list))
    results: dict[int, list[KeyResult]] = field(default_factory=lambda: defaultdict(list))
    worst: dict[int, int] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    people: dict[int, PersonRef] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, use_cases: list[UseCase]) -> Loaded:
        loaded = cls()
        ids = [u.id for u in use_cases]
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            for source in session.scalars(
                select(DataSource)
                .where(DataSource.use_case_id.in_(chunk))
                .order_by(DataSource.position)
            ):
                loaded.sources[source.use_case_id].append(source)
            for result in session.scalars(
                select(KeyResult)
                .where(KeyResult.use_case_id.in_(chunk))
                .order_by(KeyResult.position)
            ):
                loaded.results[result.use_case_id].append(result)
            for use_case_id, worst in session.execute(
                select(Risk.use_case_id, WORST_RISK)
                .where(Risk.use_case_id.in_(chunk), Risk.status != RiskStatus.CLOSED.value)
                .group_by(Risk.use_case_id)
            ):
                loaded.worst[use_case_id] = worst
        departments = {u.department_id for u in use_cases if u.department_id is not None}
        loaded.teams = {
            row.id: row.slug
            for row in session.execute(select(Team.id, Team.slug).where(Team.id.in_(departments)))
        }
        wanted = {u.requester_id for u in use_cases}
        for user in session.scalars(select(User).where(User.id.in_(wanted))):
            loaded.people[user.id] = PersonRef(
                id=user.id, username=user.username, display_name=user.display_name
            )
        return loaded


def facts(
    session: Session,
    use_case: UseCase,
    workflows: Workflows,
    today: date,
    pilot_end_date: date | None = None,
    *,
    for_gates: bool = True,
    loaded: Loaded | None = None,
) -> Facts:
    """What the gates look at. ``for_gates=False`` (catalogue rows) skips what only the gates
    need: the risk register check, and the approval state of use cases that are not live."""
    loaded = loaded or Loaded.of(session, [use_case])
    sources = loaded.sources[use_case.id]
    results = loaded.results[use_case.id]
    live = Status(use_case.status) in lifecycle.LIVE
    automation = automation_of(use_case)
    return Facts(
        status=Status(use_case.status),
        previous_status=Status(use_case.previous_status) if use_case.previous_status else None,
        tier=use_case.ai_act_tier,
        sourcing=Sourcing(use_case.sourcing),
        preferred_hosting=Hosting(use_case.preferred_hosting)
        if use_case.preferred_hosting
        else None,
        qualification=assess(
            qualification_of(use_case),
            [
                SourceQuality(
                    name=s.name,
                    owner_named=s.owner_id is not None,
                    scores={
                        "available": s.available,
                        "relevance": s.relevance,
                        "completeness": s.completeness,
                        "recency": s.recency,
                    },
                )
                for s in sources
            ],
            len(results),
        ),
        verdict=automation_verdict(automation) if automation else None,
        deployment=deployment_of(use_case),
        sources_without_owner=[s.name for s in sources if s.owner_id is None],
        key_results=[KeyResultFacts(r.description, r.measured_on) for r in results],
        pilot_started_on=use_case.pilot_started_on,
        approvals=approvals.state(session, use_case, workflows) if for_gates or live else None,
        risk_gaps=(
            missing_for_approval(session, use_case.id, use_case.ai_act_tier) if for_gates else []
        ),
        today=today,
        pilot_end_date=pilot_end_date if pilot_end_date is not None else use_case.pilot_end_date,
        worst_risk_score=loaded.worst.get(use_case.id),
    )


def summary(
    session: Session,
    use_case: UseCase,
    workflows: Workflows,
    weights: Weights,
    today: date,
    loaded: Loaded | None = None,
    found: Facts | None = None,
) -> UseCaseSummary:
    loaded = loaded or Loaded.of(session, [use_case])
    found = found or facts(session, use_case, workflows, today, for_gates=False, loaded=loaded)
    department = loaded.teams.get(use_case.department_id) if use_case.department_id else None
    return UseCaseSummary(
        id=use_case.id,
        reference=reference(use_case.id),
        title=use_case.title,
        status=use_case.status,
        ai_act_tier=use_case.ai_act_tier,
        department=department,
        requester=loaded.people[use_case.requester_id],
        sourcing=use_case.sourcing,
        priority_score=priority_score(found, weights),
        flags=lifecycle.flags(found),
        version=use_case.version,
        updated_at=use_case.updated_at,
    )


def full(
    session: Session, use_case: UseCase, workflows: Workflows, weights: Weights, today: date
) -> UseCaseView:
    loaded = Loaded.of(session, [use_case])
    found = facts(session, use_case, workflows, today, for_gates=False, loaded=loaded)
    head = summary(session, use_case, workflows, weights, today, loaded, found)
    members = session.execute(
        select(UseCaseMember, User)
        .join(User, User.id == UseCaseMember.user_id)
        .where(UseCaseMember.use_case_id == use_case.id)
        .order_by(UseCaseMember.id)
    ).all()
    links = session.scalars(
        select(UseCaseLink)
        .where(or_(UseCaseLink.source_id == use_case.id, UseCaseLink.target_id == use_case.id))
        .order_by(UseCaseLink.id)
    ).all()
    history = session.scalars(
        select(Transition).where(Transition.use_case_id == use_case.id).order_by(Transition.id)
    ).all()
    automation = automation_of(use_case)
    return UseCaseView(
        **head.model_dump(),
        revision=use_case.revision,
        description=use_case.description,
        business_problem=use_case.business_problem,
        current_process=use_case.current_process,
        target_process=use_case.target_process,
        objective=use_case.objective,
        key_results=[
            KeyResultView(
                id=r.id,
                description=r.description,
                unit=r.unit,
                baseline=r.baseline,
                target=r.target,
                due_on=r.due_on,
                measured_value=r.measured_value,
                measured_on=r.measured_on,
                measurement_note=r.measurement_note,
            )
            for r in loaded.results[use_case.id]
        ],
        sponsor=person(session, use_case.sponsor_id),
        intended_users=use_case.intended_users,
        affected_people=use_case.affected_people,
        data_sources=[
            DataSourceView(
                id=s.id,
                name=s.name,
                location=s.location,
                owner=person(session, s.owner_id),
                data_class=s.data_class,
                available=s.available,
                relevance=s.relevance,
                completeness=s.completeness,
                recency=s.recency,
            )
            for s in loaded.sources[use_case.id]
        ],
        expected_benefit=use_case.expected_benefit,
        preferred_hosting=use_case.preferred_hosting,
        members=[
            MemberView(id=u.id, username=u.username, display_name=u.display_name, role=m.role)
            for m, u in members
        ],
        qualification=qualification_of(use_case),
        automation=automation,
        automation_verdict=found.verdict,
        qualification_result=found.qualification,
        classification=_loads(use_case.classification),
        deployment=found.deployment,
        pilot_started_on=use_case.pilot_started_on,
        pilot_end_date=use_case.pilot_end_date,
        duplicate_justification=use_case.duplicate_justification,
        links=[_link(session, link, use_case.id) for link in links],
        history=[
            TransitionView(
                from_status=t.from_status,
                to_status=t.to_status,
                reason=t.reason,
                actor_name=t.actor_name,
                at=t.at,
            )
            for t in history
        ],
        created_at=use_case.created_at,
    )


def _link(session: Session, link: UseCaseLink, own_id: int) -> LinkView:
    outgoing = link.source_id == own_id
    other_id = link.target_id if outgoing else link.source_id
    other = session.get(UseCase, other_id)
    return LinkView(
        id=link.id,
        other_id=other_id,
        other_title=other.title if other else "",
        kind=link.kind,
        direction="outgoing" if outgoing else "incoming",
        reason=link.reason,
        created_at=link.created_at,
    )
