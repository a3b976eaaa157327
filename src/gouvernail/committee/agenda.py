"""The agenda of a meeting: use cases awaiting a decision (with their key facts as they were
when put on the agenda) and free topics, in order; then, per item, the discussion notes and the
committee's outcome, linked to the approval decision or lifecycle transition that implemented it.

The signature that approves a use case happens through the registry's approval API; the agenda
item only points at it.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import func, select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.committee import events as ev
from gouvernail.committee._common import check_version, get_meeting, require_reason, touch
from gouvernail.committee.awaiting import (
    AwaitingRule,
    AwaitingView,
    PendingStage,
    find_awaiting,
    key_facts,
)
from gouvernail.committee.meetings import OPEN, Meetings, require_status
from gouvernail.committee.members import today
from gouvernail.committee.minutes import revise
from gouvernail.committee.models import AgendaItem, ItemKind, Meeting, MeetingStatus, Outcome
from gouvernail.committee.views import MeetingView
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.registry.models import ApprovalDecision, Transition, UseCase

PLANNED = {MeetingStatus.PLANNED.value}
DECIDED = {MeetingStatus.HELD.value, MeetingStatus.MINUTES_APPROVED.value}


class Agenda:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        meetings: Meetings,
        rules: list[AwaitingRule],
        pending_stage: PendingStage | None = None,
    ) -> None:
        self.database = database
        self.trail = trail
        self.meetings = meetings
        self.rules = rules
        self.pending_stage = pending_stage

    # --- what awaits a decision -------------------------------------------------------------------

    def awaiting(self) -> list[AwaitingView]:
        """Every use case awaiting a committee decision, with its key facts now."""
        with self.database.read() as session:
            found = find_awaiting(session, self.rules, today())
            planned = dict(
                session.execute(
                    select(AgendaItem.use_case_id, AgendaItem.meeting_id)
                    .join(Meeting, Meeting.id == AgendaItem.meeting_id)
                    .where(
                        Meeting.status == MeetingStatus.PLANNED.value,
                        AgendaItem.use_case_id.in_(list(found)),
                    )
                ).all()
            )
            return [
                AwaitingView(
                    use_case_id=use_case_id,
                    why=[a.why for a in reasons],
                    rules=[a.rule for a in reasons],
                    facts=key_facts(
                        session, session.get_one(UseCase, use_case_id), self.pending_stage
                    ),
                    planned_meeting_id=planned.get(use_case_id),
                )
                for use_case_id, reasons in found.items()
            ]

    # --- building the agenda --------------------------------------------------------------------

    def _append(
        self, tx: Tx, meeting: Meeting, use_case: UseCase | None, topic: str, why: str
    ) -> AgendaItem:
        position = (
            tx.session.scalar(
                select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
            )
            or 0
        ) + 1
        item = AgendaItem(
            meeting_id=meeting.id,
            position=position,
            kind=ItemKind.USE_CASE.value if use_case else ItemKind.TOPIC.value,
            use_case_id=use_case.id if use_case else None,
            topic=topic,
            why=why,
            facts=orjson.dumps(
                key_facts(tx.session, use_case, self.pending_stage) if use_case else {},
                option=orjson.OPT_SORT_KEYS,
            ).decode(),
            notes="",
        )
        tx.session.add(item)
        tx.session.flush()
        return item

    def add(
        self,
        ctx: AuditContext,
        meeting_id: int,
        *,
        version: int,
        use_case_id: int | None = None,
        topic: str = "",
        why: str = "",
    ) -> MeetingView:
        """Put one use case or one free topic on the agenda (at the end)."""
        topic = topic.strip()
        if (use_case_id is None) == (not topic):
            raise GouvernailError("give either a use case or a topic", field="use_case_id")
        if len(topic) > 200:
            raise GouvernailError("a topic has at most 200 characters", field="topic")

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, OPEN, "add to its agenda")
            use_case = None
            if use_case_id is not None:
                use_case = tx.session.get(UseCase, use_case_id)
                if use_case is None:
                    raise NotFoundError(f"no use case with id {use_case_id}", field="use_case_id")
                listed = tx.session.scalar(
                    select(AgendaItem.id).where(
                        AgendaItem.meeting_id == meeting.id, AgendaItem.use_case_id == use_case.id
                    )
                )
                if listed is not None:
                    raise ConflictError(
                        f"use case {use_case.id} is already on this agenda", field="use_case_id"
                    )
            reason = why.strip() or "added by the committee"
            item = self._append(tx, meeting, use_case, topic, reason)
            touch(meeting)
            tx.emit(
                ev.AgendaItemAdded(
                    object_id=str(item.id),
                    object_version=1,
                    new={
                        "meeting_id": meeting.id,
                        "position": item.position,
                        "use_case_id": item.use_case_id,
                        "topic": item.topic,
                        "facts": orjson.loads(item.facts),
                    },
                    reason=reason,
                )
            )
            revise(tx, meeting, reason=f"agenda item {item.position} added")

        self.trail.run(ctx, work)
        return self.meetings.get(meeting_id)

    def propose(self, ctx: AuditContext, meeting_id: int, *, version: int) -> MeetingView:
        """Fill a planned meeting's agenda with every use case awaiting a decision that no
        planned meeting's agenda holds yet, in the order of the awaiting rules."""

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, PLANNED, "propose its agenda")
            found = find_awaiting(tx.session, self.rules, today())
            taken = set(
                tx.session.scalars(
                    select(AgendaItem.use_case_id)
                    .join(Meeting, Meeting.id == AgendaItem.meeting_id)
                    .where(
                        Meeting.status == MeetingStatus.PLANNED.value,
                        AgendaItem.use_case_id.is_not(None),
                    )
                )
            )
            added = []
            for use_case_id, reasons in found.items():
                if use_case_id in taken:
                    continue
                use_case = tx.session.get_one(UseCase, use_case_id)
                item = self._append(tx, meeting, use_case, "", "; ".join(a.why for a in reasons))
                added.append({"item_id": item.id, "use_case_id": use_case_id, "why": item.why})
            if not added:
                raise GouvernailError(
                    "no use case awaits a decision outside the planned meetings' agendas"
                )
            touch(meeting)
            tx.emit(
                ev.AgendaProposed(
                    object_id=str(meeting.id),
                    object_version=meeting.version,
                    new={"added": added},
                    reason="use cases awaiting a decision",
                )
            )

        self.trail.run(ctx, work)
        return self.meetings.get(meeting_id)

    def reorder(
        self, ctx: AuditContext, meeting_id: int, *, version: int, item_ids: Sequence[int]
    ) -> MeetingView:
        """Set the order of the agenda: ``item_ids`` lists every item once, first to last."""

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, OPEN, "reorder its agenda")
            items = {
                item.id: item
                for item in tx.session.scalars(
                    select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                )
            }
            if sorted(item_ids) != sorted(items):
                raise GouvernailError(
                    f"list every item of the agenda exactly once: {sorted(items)}",
                    field="item_ids",
                )
            old = [i.id for i in sorted(items.values(), key=lambda i: i.position)]
            if old == list(item_ids):
                raise GouvernailError("nothing to change", field="item_ids")
            for position, item_id in enumerate(item_ids, start=1):
                items[item_id].position = position
            touch(meeting)
            tx.emit(
                ev.AgendaReordered(
                    object_id=str(meeting.id),
                    object_version=meeting.version,
                    old={"order": old},
                    new={"order": list(item_ids)},
                )
            )
            revise(tx, meeting, reason="agenda reordered")

        self.trail.run(ctx, work)
        return self.meetings.get(meeting_id)

    def withdraw(
        self, ctx: AuditContext, meeting_id: int, item_id: int, *, version: int, reason: str
    ) -> MeetingView:
        """Take an item off a planned meeting's agenda (once held, record it as deferred)."""
        reason = require_reason(reason, "withdrawing an agenda item")

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            require_status(meeting, PLANNED, "withdraw an item (record it as deferred instead)")
            item = self._item(tx, meeting, item_id)
            snapshot = {
                "position": item.position,
                "use_case_id": item.use_case_id,
                "topic": item.topic,
            }
            tx.session.delete(item)
            tx.session.flush()
            for later in tx.session.scalars(
                select(AgendaItem)
                .where(
                    AgendaItem.meeting_id == meeting.id, AgendaItem.position > snapshot["position"]
                )
                .order_by(AgendaItem.position)
            ):
                later.position -= 1
            touch(meeting)
            tx.emit(
                ev.AgendaItemWithdrawn(
                    object_id=str(item_id),
                    object_version=2,
                    old={"meeting_id": meeting.id, **snapshot},
                    reason=reason,
                )
            )

        self.trail.run(ctx, work)
        return self.meetings.get(meeting_id)

    def record(
        self,
        ctx: AuditContext,
        meeting_id: int,
        item_id: int,
        *,
        version: int,
        reason: str = "",
        notes: str | None = None,
        outcome: str | None = None,
        approval_decision_id: int | None = None,
        transition_id: int | None = None,
    ) -> MeetingView:
        """Record an item's discussion notes and outcome. An outcome is a decision: it needs a
        held meeting and a reason; the links point at what implemented it in the registry."""
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            raise GouvernailError(
                f"outcome must be one of {[o.value for o in Outcome]}", field="outcome"
            )
        if outcome is not None and not reason.strip():
            raise GouvernailError("a reason is required to record a decision", field="reason")

        def work(tx: Tx) -> None:
            meeting = get_meeting(tx.session, meeting_id)
            check_version(meeting, version)
            item = self._item(tx, meeting, item_id)
            deciding = outcome is not None or approval_decision_id or transition_id
            require_status(meeting, DECIDED if deciding else OPEN, "record this")
            self._check_links(tx, item, approval_decision_id, transition_id)
            fields = {
                "notes": notes,
                "outcome": outcome,
                "approval_decision_id": approval_decision_id,
                "transition_id": transition_id,
            }
            old = {name: getattr(item, name) for name, value in fields.items() if value is not None}
            for name, value in fields.items():
                if value is not None:
                    setattr(item, name, value)
            new = {name: getattr(item, name) for name in old}
            if old == new:
                raise GouvernailError("nothing to change")
            touch(meeting)
            why = reason.strip() or "discussion notes"
            tx.emit(
                ev.AgendaItemRecorded(
                    object_id=str(item.id),
                    object_version=meeting.version,
                    old=old,
                    new={"meeting_id": meeting.id, "use_case_id": item.use_case_id, **new},
                    reason=why,
                )
            )
            revise(tx, meeting, reason=f"agenda item {item.position}: {why}")

        self.trail.run(ctx, work)
        return self.meetings.get(meeting_id)

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _item(tx: Tx, meeting: Meeting, item_id: int) -> AgendaItem:
        item = tx.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id:
            raise NotFoundError(f"meeting {meeting.id} has no agenda item {item_id}")
        return item

    @staticmethod
    def _check_links(
        tx: Tx, item: AgendaItem, approval_decision_id: int | None, transition_id: int | None
    ) -> None:
        links: list[tuple[str, str, int, int | None]] = []
        if approval_decision_id is not None:
            decision = tx.session.get(ApprovalDecision, approval_decision_id)
            owner = decision.use_case_id if decision else None
            links.append(("approval_decision_id", "approval decision", approval_decision_id, owner))
        if transition_id is not None:
            transition = tx.session.get(Transition, transition_id)
            owner = transition.use_case_id if transition else None
            links.append(("transition_id", "transition", transition_id, owner))
        for field, label, key, use_case_id in links:
            if item.use_case_id is None:
                raise GouvernailError("a free topic links to no use-case record", field=field)
            if use_case_id is None:
                raise NotFoundError(f"no {label} with id {key}", field=field)
            if use_case_id != item.use_case_id:
                raise GouvernailError(
                    f"{label} {key} belongs to use case {use_case_id}, not to use case "
                    f"{item.use_case_id}",
                    field=field,
                )
