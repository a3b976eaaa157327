"""Which use cases await a committee decision, and the key facts shown beside each of them.

The rules are plain objects with one method, registered in order on the committee service;
the built-in ones are an approval pending (status ``assessed``) and a pilot past its end date
whose key results are not all measured. Other parts add theirs (for example the inventory, for
a model whose contractual review is overdue) with ``Committee.add_awaiting_rule``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.identity.models import Team, User
from gouvernail.registry import approvals
from gouvernail.registry.models import ApprovalDecision, KeyResult, Status, UseCase
from gouvernail.registry.workflows import Workflows

PendingStage = Callable[[Session, UseCase], str | None]
"""Names the approval stage a use case waits for (the registry knows its workflows)."""


@dataclass(frozen=True)
class Awaiting:
    use_case_id: int
    rule: str
    why: str


class AwaitingRule(Protocol):
    name: str

    def find(self, session: Session, day: date) -> list[Awaiting]: ...


class ApprovalPending:
    """Assessed use cases wait for their approval."""

    name = "approval_pending"

    def find(self, session: Session, day: date) -> list[Awaiting]:
        ids = session.scalars(
            select(UseCase.id).where(UseCase.status == Status.ASSESSED.value).order_by(UseCase.id)
        )
        return [Awaiting(use_case_id, self.name, "approval pending") for use_case_id in ids]


class PilotWithoutResults:
    """A pilot past its end date with key results still unmeasured needs a go / no-go."""

    name = "pilot_without_results"

    def find(self, session: Session, day: date) -> list[Awaiting]:
        rows = session.execute(
            select(UseCase.id, UseCase.pilot_end_date, func.count(KeyResult.id))
            .join(KeyResult, KeyResult.use_case_id == UseCase.id)
            .where(
                UseCase.status == Status.PILOT.value,
                UseCase.pilot_end_date < day,
                KeyResult.measured_value.is_(None),
            )
            .group_by(UseCase.id, UseCase.pilot_end_date)
            .order_by(UseCase.id)
        ).all()
        return [
            Awaiting(
                use_case_id,
                self.name,
                f"pilot ended on {end} with {unmeasured} key result(s) not measured",
            )
            for use_case_id, end, unmeasured in rows
        ]


DEFAULT_RULES: tuple[AwaitingRule, ...] = (ApprovalPending(), PilotWithoutResults())


def find_awaiting(
    session: Session, rules: tuple[AwaitingRule, ...] | list[AwaitingRule], day: date
) -> dict[int, list[Awaiting]]:
    """Use case id → why it awaits a decision, in rule order then use case id."""
    found: dict[int, list[Awaiting]] = {}
    for rule in rules:
        for awaiting in rule.find(session, day):
            found.setdefault(awaiting.use_case_id, []).append(awaiting)
    return found


def approval_stage(workflows: Workflows) -> PendingStage:
    """The registry's next undecided stage of an assessed use case's approval workflow."""

    def pending(session: Session, use_case: UseCase) -> str | None:
        if use_case.status != Status.ASSESSED.value:
            return None
        current = approvals.state(session, use_case, workflows)
        waiting = current.next_stage()
        return None if current.rejected or waiting is None else waiting.stage.id

    return pending


def key_facts(
    session: Session, use_case: UseCase, pending_stage: PendingStage | None
) -> dict[str, Any]:
    """What the committee sees of a use case on one line of the agenda."""
    department = session.get(Team, use_case.department_id) if use_case.department_id else None
    requester = session.get_one(User, use_case.requester_id)
    decisions = session.scalars(
        select(ApprovalDecision)
        .where(
            ApprovalDecision.use_case_id == use_case.id,
            ApprovalDecision.revision == use_case.revision,
        )
        .order_by(ApprovalDecision.id)
    )
    return {
        "title": use_case.title,
        "status": use_case.status,
        "ai_act_tier": use_case.ai_act_tier,
        "department": ({"slug": department.slug, "name": department.name} if department else None),
        "requester": {"username": requester.username, "display_name": requester.display_name},
        "pending_stage": pending_stage(session, use_case) if pending_stage else None,
        "decisions": [
            {"workflow": d.workflow, "stage": d.stage, "decision": d.decision} for d in decisions
        ],
        "revision": use_case.revision,
        "pilot_end_date": use_case.pilot_end_date.isoformat() if use_case.pilot_end_date else None,
    }


class AwaitingView(BaseModel):
    """A use case awaiting a decision: why, its key facts, and the planned meeting whose agenda
    already has it, if any."""

    use_case_id: int
    why: list[str]
    rules: list[str]
    facts: dict[str, Any]
    planned_meeting_id: int | None
