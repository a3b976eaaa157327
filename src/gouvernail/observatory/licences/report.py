"""The licence figures of one tool at a date, read from the seats, the request log and the
outside messages.

A seat's last activity is the latest of three sources: the vendor's export (its last activity
date), the gateway (a call by the seat's user to one of the tool's models or on its use case)
and the tool's compliance export (a message the person sent). A seat is active in a window of
N days when that date is less than N days before the report's date; one assigned and inactive
for the reclaim threshold (or never active and assigned that long) is recommended for reclaim,
with the seat price as the saving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from gouvernail.charter.rules import CharterRules
from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.rules import ceiling_for
from gouvernail.observatory.licences.models import LicenceMessage, LicenceSeat, LicensedTool
from gouvernail.observatory.licences.people import CHUNK, Departments, Person, people_by_id
from gouvernail.observatory.licences.schemas import (
    FindingView,
    OutsideUse,
    Reclaim,
    ReclaimSummary,
    SeatView,
    ToolFigures,
)
from gouvernail.observatory.licences.tools import CENT, Effective, cost, effective

WINDOWS = (30, 60, 90)


@dataclass(frozen=True, slots=True)
class SeatActivity:
    seat: LicenceSeat
    person: Person | None
    gateway: date | None
    outside: date | None

    @property
    def last(self) -> date | None:
        days = [d for d in (self.seat.vendor_last_active, self.gateway, self.outside) if d]
        return max(days) if days else None


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


def seat_activity(
    session: Session, tool: LicensedTool, found: Effective, as_of: date, *, assigned_only: bool
) -> list[SeatActivity]:
    query = select(LicenceSeat).where(LicenceSeat.tool_id == tool.id).order_by(LicenceSeat.identity)
    if assigned_only:
        query = query.where(LicenceSeat.assigned.is_(True))
    seats = list(session.scalars(query))
    people = people_by_id(session, [s.user_id for s in seats if s.user_id is not None])
    gateway = _gateway_last(session, tool, found, list(people), as_of)
    by_identity, by_user = _outside_last(session, tool.id, as_of)
    result = []
    for seat in seats:
        outside = [by_identity.get(seat.identity)]
        if seat.user_id is not None:
            outside.append(by_user.get(seat.user_id))
        known = [d for d in outside if d is not None]
        result.append(
            SeatActivity(
                seat=seat,
                person=people.get(seat.user_id) if seat.user_id is not None else None,
                gateway=gateway.get(seat.user_id) if seat.user_id is not None else None,
                outside=max(known) if known else None,
            )
        )
    return result


def _gateway_last(
    session: Session, tool: LicensedTool, found: Effective, user_ids: list[int], as_of: date
) -> dict[int, date]:
    conditions: list[ColumnElement[bool]] = []
    if found.models:
        conditions.append(RequestLog.model.in_(found.models))
    if tool.use_case_id is not None:
        conditions.append(RequestLog.use_case_id == tool.use_case_id)
    if not conditions or not user_ids:
        return {}
    last: dict[int, date] = {}
    for start in range(0, len(user_ids), CHUNK):
        rows = session.execute(
            select(RequestLog.user_id, func.max(RequestLog.at))
            .where(
                RequestLog.user_id.in_(user_ids[start : start + CHUNK]),
                or_(*conditions),
                RequestLog.at < end_of(as_of),
            )
            .group_by(RequestLog.user_id)
        )
        for user_id, at in rows:
            if user_id is not None and at is not None:
                last[user_id] = at.date()
    return last


def _gateway_calls(
    session: Session,
    tool: LicensedTool,
    found: Effective,
    user_ids: list[int],
    since: date,
    as_of: date,
) -> int:
    conditions: list[ColumnElement[bool]] = []
    if found.models:
        conditions.append(RequestLog.model.in_(found.models))
    if tool.use_case_id is not None:
        conditions.append(RequestLog.use_case_id == tool.use_case_id)
    if not conditions or not user_ids:
        return 0
    total = 0
    for start in range(0, len(user_ids), CHUNK):
        total += int(
            session.scalar(
                select(func.count())
                .select_from(RequestLog)
                .where(
                    RequestLog.user_id.in_(user_ids[start : start + CHUNK]),
                    or_(*conditions),
                    RequestLog.at >= end_of(since - timedelta(days=1)),
                    RequestLog.at < end_of(as_of),
                )
            )
            or 0
        )
    return total


def _outside_last(
    session: Session, tool_id: int, as_of: date
) -> tuple[dict[str, date], dict[int, date]]:
    by_identity: dict[str, date] = {}
    by_user: dict[int, date] = {}
    rows = session.execute(
        select(LicenceMessage.identity, LicenceMessage.user_id, func.max(LicenceMessage.at))
        .where(LicenceMessage.tool_id == tool_id, LicenceMessage.at < end_of(as_of))
        .group_by(LicenceMessage.identity, LicenceMessage.user_id)
    )
    for identity, user_id, at in rows:
        day = at.date()
        by_identity[identity] = max(day, by_identity.get(identity, day))
        if user_id is not None:
            by_user[user_id] = max(day, by_user.get(user_id, day))
    return by_identity, by_user


def figures(
    session: Session,
    tool: LicensedTool,
    as_of: date,
    *,
    windows: Sequence[int] = WINDOWS,
    reclaim_after: int,
    people_visible: bool,
    charter: CharterRules | None,
    departments: Departments,
) -> ToolFigures:
    found = effective(session, tool)
    seats = seat_activity(session, tool, found, as_of, assigned_only=True)
    first = windows[0]

    def idle(activity: SeatActivity) -> int:
        since = activity.last or activity.seat.assigned_since
        return max((as_of - since).days, 0)

    active = {w: sum(1 for s in seats if s.last is not None and idle(s) < w) for w in windows}
    sources = {
        "vendor": sum(1 for s in seats if _within(s.seat.vendor_last_active, as_of, first)),
        "gateway": sum(1 for s in seats if _within(s.gateway, as_of, first)),
        "outside": sum(1 for s in seats if _within(s.outside, as_of, first)),
    }
    priced = cost(session, tool)
    seat_month = priced.seat_price_monthly
    reclaim = [s for s in seats if idle(s) >= reclaim_after]
    saving = None if seat_month is None else seat_month * len(reclaim)
    people = None
    if people_visible:
        people = [
            Reclaim(
                identity=s.seat.identity,
                display_name=s.person.display_name if s.person else s.seat.display_name,
                department=departments.of(s.person.team_id) if s.person else "",
                assigned_since=s.seat.assigned_since,
                last_active=s.last,
                inactive_days=idle(s),
                monthly_saving=seat_month,
            )
            for s in sorted(reclaim, key=lambda s: (-idle(s), s.seat.identity))
        ]
    user_ids = [s.seat.user_id for s in seats if s.seat.user_id is not None]
    billed = priced.seats_billed
    return ToolFigures(
        slug=tool.slug,
        name=tool.name,
        currency=priced.currency,
        billing_period=tool.billing_period,
        seat_price_monthly=seat_month,
        seats_bought=tool.seats_bought,
        seats_assigned=len(seats),
        seats_unassigned=tool.seats_bought - len(seats),
        seats_unknown=sum(1 for s in seats if s.seat.user_id is None),
        active=active,
        inactive={w: len(seats) - n for w, n in active.items()},
        active_by_source=sources,
        utilisation=round(active[first] / billed, 4) if billed else None,
        monthly_cost=priced.monthly,
        cost_per_active_user=(
            (priced.monthly / active[first]).quantize(CENT)
            if priced.monthly is not None and active[first]
            else None
        ),
        reclaim=ReclaimSummary(
            seats=len(reclaim),
            monthly_saving=None if saving is None else saving.quantize(CENT),
            annual_saving=None if saving is None else (saving * 12).quantize(CENT),
            people=people,
        ),
        outside=outside_use(
            session, tool, found, charter, as_of - timedelta(days=windows[-1] - 1), as_of
        ),
        gateway_calls=_gateway_calls(
            session, tool, found, user_ids, as_of - timedelta(days=first - 1), as_of
        ),
    )


def _within(day: date | None, as_of: date, window: int) -> bool:
    return day is not None and max((as_of - day).days, 0) < window


def ceiling_of(found: Effective, charter: CharterRules | None) -> str | None:
    if charter is None or found.hosting is None or found.max_data_class is None:
        return None
    return (
        ceiling_for(
            charter, hosting=found.hosting, model_max=found.max_data_class, use_case_max=None
        ).data_class
        or None
    )


def outside_use(
    session: Session,
    tool: LicensedTool,
    found: Effective,
    charter: CharterRules | None,
    since: date,
    as_of: date,
) -> OutsideUse:
    window = (
        LicenceMessage.tool_id == tool.id,
        LicenceMessage.at >= end_of(since - timedelta(days=1)),
        LicenceMessage.at < end_of(as_of),
    )
    messages, conversations, people, inspected, with_findings, over = session.execute(
        select(
            func.count(),
            func.count(func.distinct(LicenceMessage.conversation_id)),
            func.count(func.distinct(LicenceMessage.identity)),
            func.count().filter(LicenceMessage.inspected.is_(True)),
            func.count().filter(LicenceMessage.data_class.is_not(None)),
            func.count().filter(LicenceMessage.over_ceiling.is_(True)),
        ).where(*window)
    ).one()
    by_class = dict(
        session.execute(
            select(LicenceMessage.data_class, func.count())
            .where(*window, LicenceMessage.data_class.is_not(None))
            .group_by(LicenceMessage.data_class)
        ).all()
    )
    types: Counter[str] = Counter()
    for text in session.scalars(
        select(LicenceMessage.findings).where(*window, LicenceMessage.over_ceiling.is_(True))
    ):
        types.update(orjson.loads(text))
    return OutsideUse(
        since=since,
        ceiling=ceiling_of(found, charter),
        messages=messages,
        conversations=conversations,
        people=people,
        inspected=inspected,
        with_findings=with_findings,
        over_ceiling=over,
        over_ceiling_rate=round(over / inspected, 4) if inspected else 0.0,
        by_data_class={str(k): int(v) for k, v in sorted(by_class.items())},
        by_type=dict(sorted(types.items())),
    )


def seat_views(
    session: Session, tool: LicensedTool, as_of: date, departments: Departments
) -> list[SeatView]:
    found = effective(session, tool)
    return [
        SeatView(
            identity=s.seat.identity,
            display_name=s.person.display_name if s.person else s.seat.display_name,
            user_id=s.seat.user_id,
            username=s.person.username if s.person else None,
            department=departments.of(s.person.team_id) if s.person else "",
            assigned=s.seat.assigned,
            assigned_since=s.seat.assigned_since,
            released_on=s.seat.released_on,
            vendor_last_active=s.seat.vendor_last_active,
            gateway_last_active=s.gateway,
            outside_last_active=s.outside,
            last_active=s.last,
            apps={k: date.fromisoformat(v) for k, v in orjson.loads(s.seat.apps).items()},
        )
        for s in seat_activity(session, tool, found, as_of, assigned_only=False)
    ]


def finding_views(
    session: Session,
    tools: Sequence[LicensedTool],
    charter: CharterRules | None,
    since: date,
    until: date,
    departments: Departments,
) -> list[FindingView]:
    """Per tool and person: messages above what the charter lets the tool receive."""
    result: list[FindingView] = []
    for tool in tools:
        ceiling = ceiling_of(effective(session, tool), charter)
        rows = session.execute(
            select(LicenceMessage)
            .where(
                LicenceMessage.tool_id == tool.id,
                LicenceMessage.over_ceiling.is_(True),
                LicenceMessage.at >= end_of(since - timedelta(days=1)),
                LicenceMessage.at < end_of(until),
            )
            .order_by(LicenceMessage.identity, LicenceMessage.at)
        ).scalars()
        grouped: dict[str, list[LicenceMessage]] = {}
        for message in rows:
            grouped.setdefault(message.identity, []).append(message)
        people = people_by_id(
            session, [m[0].user_id for m in grouped.values() if m[0].user_id is not None]
        )
        for identity, messages in grouped.items():
            person = people.get(messages[0].user_id) if messages[0].user_id is not None else None
            types: Counter[str] = Counter()
            for message in messages:
                types.update(orjson.loads(message.findings))
            result.append(
                FindingView(
                    tool=tool.slug,
                    identity=identity,
                    user_id=person.user_id if person else None,
                    display_name=person.display_name if person else "",
                    department=departments.of(person.team_id) if person else "",
                    ceiling=ceiling,
                    messages=len(messages),
                    data_classes=dict(
                        sorted(Counter(m.data_class or "" for m in messages).items())
                    ),
                    types=dict(sorted(types.items())),
                    first_at=messages[0].at,
                    last_at=messages[-1].at,
                    conversations=sorted(
                        {m.conversation_id for m in messages if m.conversation_id}
                    )[:50],
                )
            )
    return sorted(result, key=lambda f: (-f.messages, f.tool, f.identity))


def money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"
