"""How an incident is shown: its use case and reporter, the serious-incident assessment, the
timeline oldest first, the linked calls as the request log has them (never their content) and
the corrective actions with those overdue flagged. Also the values the audit records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gouvernail.gateway.models import RequestLog
from gouvernail.identity.models import User
from gouvernail.observatory.incidents.models import (
    ActionStatus,
    Harm,
    Incident,
    IncidentAction,
    IncidentEntry,
    IncidentRequest,
    Kind,
)
from gouvernail.observatory.incidents.rules import Facts, SeriousIncidentRules
from gouvernail.observatory.incidents.schemas import (
    ActionView,
    Assessment,
    IncidentSummary,
    IncidentView,
    LinkedRequest,
    TimelineEntry,
)
from gouvernail.registry.models import UseCase

# The fields of an incident that people set (and that the audit records before and after).
FIELDS = (
    "title",
    "kind",
    "severity",
    "status",
    "use_case_id",
    "description",
    "occurred_at",
    "detected_at",
    "harms",
    "widespread",
    "death",
)


def harms_of(incident: Incident) -> list[Harm]:
    return [Harm(h) for h in orjson.loads(incident.harms)]


def audit_values(incident: Incident, fields: Iterable[str] = FIELDS) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields:
        value: Any = (
            [h.value for h in harms_of(incident)] if name == "harms" else getattr(incident, name)
        )
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def assessed(assessment: Assessment) -> dict[str, Any]:
    """What the audit keeps of an assessment."""
    return {
        "possibly_serious": assessment.possibly_serious,
        "report_by": assessment.report_by.isoformat() if assessment.report_by else None,
        "rules": assessment.rules_version,
    }


def facts_of(incident: Incident, use_case: tuple[str, str | None] | None) -> Facts:
    """``use_case``: the linked use case's title and AI Act tier, if one is linked."""
    return Facts(
        tier=use_case[1] if use_case else None,
        use_case=use_case[0] if use_case else None,
        kind=Kind(incident.kind),
        harms=frozenset(harms_of(incident)),
        widespread=incident.widespread,
        death=incident.death,
        detected_at=incident.detected_at,
    )


def use_case_of(session: Session, use_case_id: int | None) -> tuple[str, str | None] | None:
    if use_case_id is None:
        return None
    row = session.execute(
        select(UseCase.title, UseCase.ai_act_tier).where(UseCase.id == use_case_id)
    ).first()
    return (row[0], row[1]) if row else None


def assess(session: Session, incident: Incident, rules: SeriousIncidentRules) -> Assessment:
    return rules.assess(facts_of(incident, use_case_of(session, incident.use_case_id)))


def summaries(
    session: Session,
    rows: Sequence[tuple[Incident, str | None, str | None, str]],
    rules: SeriousIncidentRules,
    today: date,
) -> list[IncidentSummary]:
    """``rows``: each incident with its use case's title and tier and its reporter's name."""
    ids = [incident.id for incident, *_ in rows]
    overdue: dict[int, int] = defaultdict(int)
    if ids:
        for incident_id, count in session.execute(
            select(IncidentAction.incident_id, func.count())
            .where(
                IncidentAction.incident_id.in_(ids),
                IncidentAction.status == ActionStatus.OPEN.value,
                IncidentAction.due_on < today,
            )
            .group_by(IncidentAction.incident_id)
        ):
            overdue[incident_id] = int(count)
    result = []
    for incident, title, tier, reporter in rows:
        assessment = rules.assess(facts_of(incident, (title, tier) if title else None))
        result.append(_summary(incident, title, tier, reporter, assessment, overdue[incident.id]))
    return result


def _summary(
    incident: Incident,
    use_case: str | None,
    tier: str | None,
    reporter: str,
    assessment: Assessment,
    overdue: int,
) -> IncidentSummary:
    return IncidentSummary(
        id=incident.id,
        title=incident.title,
        kind=incident.kind,
        severity=incident.severity,
        status=incident.status,
        use_case_id=incident.use_case_id,
        use_case=use_case,
        use_case_tier=tier,
        occurred_at=incident.occurred_at,
        detected_at=incident.detected_at,
        reported_by=incident.reported_by,
        reporter=reporter,
        harms=harms_of(incident),
        widespread=incident.widespread,
        death=incident.death,
        possibly_serious=assessment.possibly_serious,
        report_by=assessment.report_by,
        overdue_actions=overdue,
        version=incident.version,
        updated_at=incident.updated_at,
    )


def full(
    session: Session, incident: Incident, rules: SeriousIncidentRules, today: date
) -> IncidentView:
    use_case = use_case_of(session, incident.use_case_id)
    assessment = rules.assess(facts_of(incident, use_case))
    reporter = session.scalar(select(User.display_name).where(User.id == incident.reported_by))
    actions = _actions(session, incident.id, today)
    summary = _summary(
        incident,
        use_case[0] if use_case else None,
        use_case[1] if use_case else None,
        reporter or "",
        assessment,
        sum(1 for a in actions if a.overdue),
    )
    return IncidentView(
        **summary.model_dump(),
        description=incident.description,
        created_at=incident.created_at,
        assessment=assessment,
        timeline=[
            TimelineEntry(
                at=e.at, author_id=e.author_id, author=e.author_name, kind=e.kind, text=e.text
            )
            for e in session.scalars(
                select(IncidentEntry)
                .where(IncidentEntry.incident_id == incident.id)
                .order_by(IncidentEntry.at, IncidentEntry.id)
            )
        ],
        requests=_requests(session, incident.id),
        actions=actions,
    )


def _requests(session: Session, incident_id: int) -> list[LinkedRequest]:
    links = session.scalars(
        select(IncidentRequest)
        .where(IncidentRequest.incident_id == incident_id)
        .order_by(IncidentRequest.linked_at, IncidentRequest.id)
    ).all()
    if not links:
        return []
    calls: dict[str, Any] = {}
    for row in session.execute(  # the latest call of each id (ids callers chose may repeat)
        select(
            RequestLog.request_id,
            RequestLog.at,
            RequestLog.operation,
            RequestLog.model,
            RequestLog.status,
            RequestLog.decision,
            RequestLog.use_case_id,
        )
        .where(RequestLog.request_id.in_([link.request_id for link in links]))
        .order_by(RequestLog.at)
    ):
        calls[row.request_id] = row
    result = []
    for link in links:
        call = calls.get(link.request_id)
        result.append(
            LinkedRequest(
                request_id=link.request_id,
                at=call.at if call else None,
                operation=call.operation if call else None,
                model=call.model if call else None,
                status=call.status if call else None,
                decision=call.decision if call else None,
                use_case_id=call.use_case_id if call else None,
                linked_at=link.linked_at,
            )
        )
    return result


def _actions(session: Session, incident_id: int, today: date) -> list[ActionView]:
    owner, done_by = aliased(User), aliased(User)
    rows = session.execute(
        select(IncidentAction, owner.display_name, done_by.display_name)
        .join(owner, owner.id == IncidentAction.owner_id)
        .outerjoin(done_by, done_by.id == IncidentAction.done_by)
        .where(IncidentAction.incident_id == incident_id)
        .order_by(IncidentAction.id)
    )
    return [
        ActionView(
            id=action.id,
            description=action.description,
            owner_id=action.owner_id,
            owner=owner_name,
            due_on=action.due_on,
            status=action.status,
            overdue=is_overdue(action, today),
            done_by=done_name,
            done_at=action.done_at,
            note=action.note,
        )
        for action, owner_name, done_name in rows
    ]


def is_overdue(action: IncidentAction, today: date) -> bool:
    return action.status == ActionStatus.OPEN.value and action.due_on < today
