"""Use-case stories: each demo use case played through the registry's services, from intake to
the status it reaches, in two halves around the committee meeting that decides some of them.

``prepare`` goes as far as ``assessed`` and signs the approvals that come before the
committee's; ``complete`` moves on along the lifecycle (approved, pilot, results, rehearsal,
production, suspension) and links related use cases. Every step is the call the API makes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gouvernail.demo.run import DemoRun, build, registry_day
from gouvernail.demo.spec import ApprovalSpec, RiskSpec, StorySpec
from gouvernail.errors import GouvernailError
from gouvernail.registry.models import ApprovalDecision, LinkKind, Status, UseCase
from gouvernail.registry.schemas import (
    ApprovalIn,
    ClassificationIn,
    DeploymentIn,
    LinkIn,
    MeasurementIn,
    QualificationIn,
    TransitionIn,
    UseCaseIn,
    UseCaseView,
)
from gouvernail.risk import RiskStatus
from gouvernail.risk.schemas import GxpIn, LibraryImport, RiskIn, RiskPatch

COMMITTEE_STAGE = "committee_decision"
PATH = (
    Status.IDEA,
    Status.QUALIFIED,
    Status.ASSESSED,
    Status.APPROVED,
    Status.PILOT,
    Status.PRODUCTION,
    Status.SUSPENDED,
)
REASONS = {
    Status.QUALIFIED: "qualification complete: objective, data and benefit validated",
    Status.ASSESSED: "EU AI Act classification, risk register and GxP assessment recorded",
    Status.APPROVED: "approval workflow complete",
    Status.PILOT: "pilot starts with its end date",
    Status.PRODUCTION: "pilot results measured and fallback rehearsed: go for production",
}
DUPLICATE_FALLBACK = (
    "example data of `gouvernail demo load`, added next to the existing catalogue on purpose"
)


def titles(run: DemoRun) -> dict[str, int]:
    """Title -> id of the use cases already registered (the demo never registers one twice)."""
    with run.rt.database.read() as session:
        return {title: id_ for id_, title in session.execute(select(UseCase.id, UseCase.title))}


def reaches(story: StorySpec, status: Status) -> bool:
    return PATH.index(story.status) >= PATH.index(status)


def deferred(story: StorySpec, approval: ApprovalSpec) -> bool:
    """Committee decisions taken at the previous meeting are signed during that meeting."""
    return story.committee == "previous" and approval.stage == COMMITTEE_STAGE


@dataclass
class Case:
    """A story under way: its use case and the version last seen (writes name it)."""

    story: StorySpec
    id: int
    version: int

    def saw(self, view: UseCaseView) -> None:
        self.version = view.version


# --- first half: up to assessed ---------------------------------------------------------------


def prepare(run: DemoRun, story: StorySpec) -> Case:
    case = submit(run, story)
    use_cases = run.rt.use_cases
    if story.qualification is not None:
        body = {**story.qualification, "version": case.version}
        where = f"{story.key}.qualification"
        case.saw(
            use_cases.record_qualification(run.ctx, case.id, build(QualificationIn, body, where))
        )
    move(run, case, Status.QUALIFIED)
    if story.classification is not None:
        body = {"answers": story.classification, "version": case.version}
        where = f"{story.key}.classification"
        case.saw(use_cases.classify(run.ctx, case.id, build(ClassificationIn, body, where)))
    risks(run, case)
    if story.gxp is not None:
        run.rt.risks.gxp.assess(run.ctx, case.id, build(GxpIn, story.gxp, f"{story.key}.gxp"))
    if story.deployment is not None:
        deploy(run, case, story.deployment)
    move(run, case, Status.ASSESSED)
    for approval in story.approvals:
        if not deferred(story, approval):
            decide(run, case.id, approval)
    return case


def submit(run: DemoRun, story: StorySpec) -> Case:
    results = [
        {
            **result.model_dump(exclude={"due_in_days", "measured"}),
            "due_on": run.day(result.due_in_days),
        }
        for result in story.key_results
    ]
    data = {**story.intake, **({"key_results": results} if results else {})}
    body = build(UseCaseIn, data, f"{story.key}.intake")
    requester = run.user(story.requester).id
    try:
        view = run.rt.use_cases.submit(run.ctx, requester, body)
    except GouvernailError as error:
        # Next to an existing catalogue (--force), a demo idea may resemble a real one.
        if not run.force or error.code != "possible_duplicate" or body.duplicate_justification:
            raise
        body = body.model_copy(update={"duplicate_justification": DUPLICATE_FALLBACK})
        view = run.rt.use_cases.submit(run.ctx, requester, body)
    run.created["use cases"] += 1
    return Case(story, view.id, view.version)


def move(run: DemoRun, case: Case, to: Status, **extra: object) -> None:
    story = case.story
    if not reaches(story, to):
        return
    reason = story.suspension if to is Status.SUSPENDED else REASONS[to]
    body = {"to": to.value, "reason": reason, "version": case.version, **extra}
    where = f"{story.key} to {to}"
    case.saw(run.rt.use_cases.transition(run.ctx, case.id, build(TransitionIn, body, where)))


def deploy(run: DemoRun, case: Case, answers: dict[str, object]) -> None:
    body = {"deployment": answers, "version": case.version}
    where = f"{case.story.key}.deployment"
    case.saw(run.rt.use_cases.record_deployment(run.ctx, case.id, build(DeploymentIn, body, where)))


def risks(run: DemoRun, case: Case) -> None:
    """Start from the library, then rate, mitigate and (for some) close the loop with a status,
    as a use-case team does; risks the library lacks are written out."""
    story = case.story
    requester = run.user(story.requester).id
    library = [risk.library for risk in story.risks if risk.library]
    imported = {}
    if library:
        request = LibraryImport(ids=library, owner_id=requester)
        views = run.rt.risks.import_from_library(run.ctx, case.id, request)
        imported = {view.source: view for view in views}
    for index, risk in enumerate(story.risks):
        where = f"{story.key}.risks.{index}"
        owner = run.user(risk.owner).id if risk.owner else requester
        rated = {
            "mitigation": risk.mitigation,
            "residual_likelihood": risk.residual[0],
            "residual_severity": risk.residual[1],
            "review_on": run.day(risk.review_in_days) if risk.review_in_days else None,
        }
        if risk.library:
            base = imported[risk.library]
            patch = {
                "version": base.version,
                "reason": "rated and mitigated by the use-case team",
                **rated,
                **({"owner_id": owner} if owner != requester else {}),
            }
            view = run.rt.risks.update(
                run.ctx, case.id, base.number, build(RiskPatch, patch, where)
            )
        else:
            body = build(RiskIn, written(risk, owner, rated), where)
            view = run.rt.risks.create(run.ctx, case.id, body)
        if risk.status is not None:
            run.rt.risks.change_status(
                run.ctx,
                case.id,
                view.number,
                status=RiskStatus(risk.status),
                reason=f"residual risk {risk.status} at the assessment",
                version=view.version,
            )


def written(risk: RiskSpec, owner: int, rated: dict[str, object]) -> dict[str, object]:
    return {
        "category": risk.category,
        "title": risk.title,
        "description": risk.description,
        "likelihood": risk.likelihood,
        "severity": risk.severity,
        "owner_id": owner,
        **rated,
    }


def decide(run: DemoRun, use_case_id: int, approval: ApprovalSpec) -> int:
    """Sign one stage's decision as the person named; return the registry's decision id."""
    body = ApprovalIn(
        stage=approval.stage,
        decision=approval.decision,
        comment=approval.comment,
        password=run.password,
    )
    view = run.rt.approvals.decide(
        run.principal(approval.by), use_case_id, body, request_id=run.request_id
    )
    run.created["approval signatures"] += 1
    signature = view.decisions[-1].signature_id
    with run.rt.database.read() as session:
        found = session.scalar(
            select(ApprovalDecision.id).where(ApprovalDecision.signature_id == signature)
        )
    assert found is not None
    return found


# --- second half: along the lifecycle -----------------------------------------------------------


def complete(run: DemoRun, case: Case) -> None:
    story = case.story
    move(run, case, Status.APPROVED)
    if story.pilot is not None and reaches(story, Status.PILOT):
        pilot = story.pilot
        start = run.day(-pilot.started_days_ago)
        end = run.day(pilot.ends_in_days or -(pilot.ends_days_ago or 0))
        with registry_day(run.rt.use_cases, start):
            move(run, case, Status.PILOT, pilot_end_date=end)
    measure(run, case)
    if story.rehearsed_days_ago is not None and story.deployment is not None:
        rehearsed = run.day(-story.rehearsed_days_ago)
        deploy(run, case, {**story.deployment, "fallback_last_rehearsed": rehearsed})
    move(run, case, Status.PRODUCTION)
    move(run, case, Status.SUSPENDED)


def measure(run: DemoRun, case: Case) -> None:
    specs = case.story.key_results
    if not any(spec.measured for spec in specs):
        return
    results = run.rt.use_cases.get(case.id).key_results
    for spec, result in zip(specs, results, strict=True):
        if spec.measured is None:
            continue
        body = MeasurementIn(
            measured_value=spec.measured.value,
            measured_on=run.day(-spec.measured.days_ago),
            note=spec.measured.note,
        )
        case.saw(run.rt.use_cases.measure(run.ctx, case.id, result.id, body))


def link(run: DemoRun, case: Case, ids: dict[str, int]) -> None:
    for spec in case.story.links:
        body = LinkIn(target_id=ids[spec.to], kind=LinkKind(spec.kind), reason=spec.reason)
        case.saw(run.rt.curation.link(run.ctx, case.id, body))
