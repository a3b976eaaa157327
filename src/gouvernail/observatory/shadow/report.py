"""The shadow-AI report over a period: services, departments, people, findings and the trend,
summed from the observations of every import (SQL on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, desc, distinct, func, select
from sqlalchemy.orm import Session

from gouvernail.identity.models import User
from gouvernail.observatory.shadow.models import ShadowObservation as O
from gouvernail.observatory.shadow.models import ShadowService as S
from gouvernail.observatory.shadow.schemas import (
    Day,
    DepartmentUsage,
    Finding,
    PersonUsage,
    Report,
    ServiceUsage,
)
from gouvernail.settings import ShadowSettings

TOP_PEOPLE = 100


@dataclass(frozen=True, slots=True)
class Usage:
    requests: int
    people: int
    departments: int
    first: datetime | None
    last: datetime | None


def _people() -> ColumnElement[int]:
    return func.count(distinct(case((O.identity != "", O.identity))))


def _up(total: Any, known: Any) -> int | None:
    """Bytes sent, or None when no row of the group recorded them (Squid's native log)."""
    return int(total) if known else None


def usage_of(session: Session, service_id: int) -> Usage:
    row = session.execute(
        select(
            func.coalesce(func.sum(O.requests), 0),
            _people(),
            func.count(distinct(O.department)),
            func.min(O.first_seen),
            func.max(O.last_seen),
        ).where(O.service_id == service_id)
    ).one()
    return Usage(int(row[0]), int(row[1]), int(row[2]), row[3], row[4])


def build_report(
    session: Session, settings: ShadowSettings, since: date, until: date, department: str | None
) -> Report:
    where: list[ColumnElement[bool]] = [O.day >= since, O.day <= until]
    if department is not None:
        where.append(O.department == department)
    gateway = list(settings.gateway_identities)
    bypass = func.sum(case((O.identity.in_(gateway), 0), else_=O.requests))
    unsanctioned = func.sum(case((S.sanctioned.is_(False), O.requests), else_=0))

    trend: dict[str, list[Day]] = defaultdict(list)
    for slug, day, n in session.execute(
        select(S.slug, O.day, func.sum(O.requests))
        .join(S, S.id == O.service_id)
        .where(*where)
        .group_by(S.slug, O.day)
        .order_by(S.slug, O.day)
    ):
        trend[slug].append(Day(day=day, requests=int(n)))

    services = []
    for row in session.execute(
        select(
            S.slug,
            S.name,
            S.vendor,
            S.category,
            S.api,
            S.sanctioned,
            func.sum(O.requests),
            _people(),
            func.count(distinct(O.department)),
            func.coalesce(func.sum(O.bytes_up), 0),
            func.count(O.bytes_up),
            func.sum(O.bytes_down),
            func.min(O.first_seen),
            func.max(O.last_seen),
            bypass,
        )
        .join(S, S.id == O.service_id)
        .where(*where)
        .group_by(S.id, S.slug, S.name, S.vendor, S.category, S.api, S.sanctioned)
        .order_by(desc(func.sum(O.requests)), S.slug)
    ):
        slug, name, vendor, category, api, sanctioned, n, n_people, n_departments = row[:9]
        up, known, down, first, last, bypassing = row[9:]
        severity = "critical" if api and bypassing else "info" if sanctioned else "warning"
        services.append(
            ServiceUsage(
                slug=slug,
                name=name,
                vendor=vendor,
                category=category,
                api=api,
                sanctioned=sanctioned,
                severity=severity,
                requests=int(n),
                people=int(n_people),
                departments=int(n_departments),
                bytes_up=_up(up, known),
                bytes_down=int(down or 0),
                first_seen=first,
                last_seen=last,
                trend=trend[slug],
            )
        )

    departments = [
        DepartmentUsage(
            department=name,
            requests=int(n),
            unsanctioned_requests=int(u),
            people=int(people),
            services=int(count),
            bytes_up=_up(up, known),
        )
        for name, n, u, people, count, up, known in session.execute(
            select(
                O.department,
                func.sum(O.requests),
                unsanctioned,
                _people(),
                func.count(distinct(O.service_id)),
                func.coalesce(func.sum(O.bytes_up), 0),
                func.count(O.bytes_up),
            )
            .join(S, S.id == O.service_id)
            .where(*where)
            .group_by(O.department)
            .order_by(desc(func.sum(O.requests)), O.department)
        )
    ]

    top = session.execute(
        select(
            O.identity,
            func.max(User.username),
            func.max(O.department),
            func.sum(O.requests),
            unsanctioned,
            func.coalesce(func.sum(O.bytes_up), 0),
            func.count(O.bytes_up),
            func.min(O.first_seen),
            func.max(O.last_seen),
        )
        .join(S, S.id == O.service_id)
        .outerjoin(User, User.id == O.user_id)
        .where(*where, O.identity != "")
        .group_by(O.identity)
        .order_by(desc(func.sum(O.requests)), O.identity)
        .limit(TOP_PEOPLE)
    ).all()
    used = _services_of(session, where, [r[0] for r in top])
    people = [
        PersonUsage(
            identity=identity,
            username=username,
            department=dept or "",
            requests=int(n),
            unsanctioned_requests=int(u),
            services=used[identity],
            bytes_up=_up(up, known),
            first_seen=first,
            last_seen=last,
        )
        for identity, username, dept, n, u, up, known, first, last in top
    ]

    days = [
        Day(day=day, requests=int(n))
        for day, n in session.execute(
            select(O.day, func.sum(O.requests)).where(*where).group_by(O.day).order_by(O.day)
        )
    ]
    totals = session.execute(
        select(func.coalesce(func.sum(O.requests), 0), _people()).where(*where)
    ).one()
    return Report(
        since=since,
        until=until,
        department=department,
        requests=int(totals[0]),
        people=int(totals[1]),
        services=services,
        departments=departments,
        top_people=people,
        findings=_findings(session, settings, where),
        days=days,
    )


def _services_of(
    session: Session, where: Sequence[ColumnElement[bool]], identities: Sequence[str]
) -> dict[str, list[str]]:
    used: dict[str, list[str]] = defaultdict(list)
    if identities:
        for identity, slug in session.execute(
            select(O.identity, S.slug)
            .join(S, S.id == O.service_id)
            .where(*where, O.identity.in_(identities))
            .group_by(O.identity, S.slug)
            .order_by(O.identity, S.slug)
        ):
            used[identity].append(slug)
    return used


def _findings(
    session: Session, settings: ShadowSettings, where: Sequence[ColumnElement[bool]]
) -> list[Finding]:
    """Direct calls to model APIs (critical: they bypass the gateway and its charter) and large
    uploads to unsanctioned services (high: possible exfiltration)."""
    columns = (
        O.identity,
        S.slug,
        S.name,
        func.max(O.department),
        func.sum(O.requests),
        func.coalesce(func.sum(O.bytes_up), 0),
        func.count(O.bytes_up),
        func.min(O.first_seen),
        func.max(O.last_seen),
    )
    direct = session.execute(
        select(*columns)
        .join(S, S.id == O.service_id)
        .where(*where, S.api.is_(True), O.identity.not_in(list(settings.gateway_identities)))
        .group_by(O.identity, S.slug, S.name)
        .order_by(desc(func.sum(O.requests)), O.identity)
    )
    limit = settings.upload_alert_mb * 2**20
    large = session.execute(
        select(*columns)
        .join(S, S.id == O.service_id)
        .where(*where, S.sanctioned.is_(False), S.api.is_(False))
        .group_by(O.identity, S.slug, S.name)
        .having(func.coalesce(func.sum(O.bytes_up), 0) > limit)
        .order_by(desc(func.sum(O.bytes_up)), O.identity)
    )
    findings: list[Finding] = []
    for kind, rows in (("direct_api", direct), ("large_upload", large)):
        for identity, slug, name, dept, n, up, known, first, last in rows:
            who = identity or "an unidentified client"
            if kind == "direct_api":
                severity, explanation = (
                    "critical",
                    (
                        f"{who} called {name} directly {int(n)} times: these calls bypass the "
                        "gateway (no charter, inspection, budget or audit)"
                    ),
                )
            else:
                severity, explanation = (
                    "high",
                    (
                        f"{who} sent {int(up or 0) / 2**20:.1f} MB to {name}, which is not "
                        f"sanctioned (alert above {settings.upload_alert_mb} MB)"
                    ),
                )
            findings.append(
                Finding(
                    kind=kind,
                    severity=severity,
                    identity=identity,
                    department=dept or "",
                    service=slug,
                    requests=int(n),
                    bytes_up=_up(up, known),
                    first_seen=first,
                    last_seen=last,
                    explanation=explanation,
                )
            )
    return findings
