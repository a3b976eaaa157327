"""The demo committee's meetings: the previous one, held with its quorum, where some use cases
were approved (agenda, attendance, signed decisions linked from the minutes, minutes approved
by signature), and the next one, planned, its agenda proposed from what awaits a decision."""

from __future__ import annotations

from gouvernail.demo import stories
from gouvernail.demo.run import DemoRun
from gouvernail.demo.spec import CommitteeSpec
from gouvernail.demo.stories import Case


def existing(run: DemoRun) -> set[str]:
    return {meeting.title for meeting in run.rt.committee.meetings.list()}


def previous(run: DemoRun, spec: CommitteeSpec, decided: list[Case]) -> None:
    """Hold the previous meeting and sign there the committee decisions of ``decided`` (use
    cases assessed, waiting for the committee). If that meeting exists already, the decisions
    are signed without it."""
    meeting_spec = spec.previous
    if meeting_spec.title in existing(run):
        for case in decided:
            for approval in case.story.approvals:
                if stories.deferred(case.story, approval):
                    stories.decide(run, case.id, approval)
        return
    committee = run.rt.committee
    ctx = run.ctx
    meeting = committee.meetings.schedule(
        ctx,
        title=meeting_spec.title,
        scheduled_at=run.moment(-meeting_spec.days_ago),
        location=meeting_spec.location,
    )
    run.created["committee meetings"] += 1
    for case in decided:
        meeting = committee.agenda.add(
            ctx,
            meeting.id,
            version=meeting.version,
            use_case_id=case.id,
            why="approval pending: committee decision",
        )
    for topic in meeting_spec.topics:
        meeting = committee.agenda.add(
            ctx, meeting.id, version=meeting.version, topic=topic.title, why=topic.why
        )
    meeting = committee.meetings.set_attendance(
        ctx,
        meeting.id,
        version=meeting.version,
        attendees=[(a.user, a.presence) for a in meeting_spec.attendance],
        reason="attendance taken at the opening",
    )
    meeting = committee.meetings.hold(
        ctx, meeting.id, version=meeting.version, reason="quorum of voting members present"
    )
    items = {item.use_case_id: item.id for item in meeting.agenda if item.use_case_id}
    for case in decided:
        decision = None
        for approval in case.story.approvals:
            if stories.deferred(case.story, approval):
                decision = stories.decide(run, case.id, approval)
        meeting = committee.agenda.record(
            ctx,
            meeting.id,
            items[case.id],
            version=meeting.version,
            reason="approved by the voting members present, each by electronic signature",
            notes=case.story.committee_notes,
            outcome="approved",
            approval_decision_id=decision,
        )
    topics = {item.topic: item.id for item in meeting.agenda if not item.use_case_id}
    for topic in meeting_spec.topics:
        meeting = committee.agenda.record(
            ctx,
            meeting.id,
            topics[topic.title],
            version=meeting.version,
            reason="information, no decision",
            notes=topic.notes,
            outcome="information",
        )
    minutes = committee.minutes.write(
        ctx,
        meeting.id,
        version=meeting.minutes_revision,
        body=meeting_spec.minutes,
        reason="minutes drafted after the meeting",
    )
    committee.minutes.approve(
        run.principal(meeting_spec.approved_by),
        meeting.id,
        version=minutes.revision,
        password=run.password,
        request_id=run.request_id,
    )


def upcoming(run: DemoRun, spec: CommitteeSpec) -> None:
    """Plan the next meeting and propose its agenda: the use cases awaiting a decision."""
    meeting_spec = spec.next
    if meeting_spec.title in existing(run):
        return
    committee = run.rt.committee
    meeting = committee.meetings.schedule(
        run.ctx,
        title=meeting_spec.title,
        scheduled_at=run.moment(meeting_spec.in_days),
        location=meeting_spec.location,
    )
    run.created["committee meetings"] += 1
    if committee.agenda.awaiting():
        committee.agenda.propose(run.ctx, meeting.id, version=meeting.version)
