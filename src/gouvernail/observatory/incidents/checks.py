"""What an incident must satisfy before a change is written: it exists, its use case exists, its
dates hold together, its harms make sense, its status may follow the current one, and an action
owner is an active user. Each refusal names the field at fault."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.observatory.incidents.models import (
    ActionStatus,
    Harm,
    Incident,
    IncidentAction,
    IncidentStatus,
)
from gouvernail.observatory.incidents.views import harms_of
from gouvernail.registry.models import UseCase

# Which status may follow which; every change carries a reason (reopening among them).
TRANSITIONS: Mapping[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.MITIGATED, IncidentStatus.CLOSED}),
    IncidentStatus.MITIGATED: frozenset({IncidentStatus.OPEN, IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset({IncidentStatus.OPEN}),
}
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a time may be (clocks differ a little)."""


def load_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFoundError(f"no incident with id {incident_id}")
    return incident


def active_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise GouvernailError(f"no user with id {user_id}", field="owner_id")
    if not user.is_active:
        raise GouvernailError(
            f"user {user.username} is deactivated and cannot own an action", field="owner_id"
        )
    return user


def check_values(session: Session, incident: Incident, changed: set[str], now: datetime) -> None:
    """What the values must satisfy together; the field named is one that was sent."""
    if (
        "use_case_id" in changed
        and incident.use_case_id is not None
        and session.get(UseCase, incident.use_case_id) is None
    ):
        raise GouvernailError(f"no use case with id {incident.use_case_id}", field="use_case_id")
    for name in ("occurred_at", "detected_at"):
        when: datetime = getattr(incident, name)
        if name in changed and when > now + CLOCK_SKEW:
            raise GouvernailError(
                f"{name} ({when:%Y-%m-%d %H:%M} UTC) is in the future", field=name
            )
    if incident.detected_at < incident.occurred_at:
        raise GouvernailError(
            f"detected_at ({incident.detected_at:%Y-%m-%d %H:%M} UTC) is before occurred_at "
            f"({incident.occurred_at:%Y-%m-%d %H:%M} UTC): an incident is detected when or "
            "after it occurs",
            field="detected_at" if "detected_at" in changed else "occurred_at",
        )
    harms = harms_of(incident)
    if Harm.NONE in harms and len(harms) > 1:
        raise GouvernailError("harms: none stands alone", field="harms")
    if incident.death and Harm.DEATH_OR_SERIOUS_HEALTH_HARM not in harms:
        raise GouvernailError(
            "a death is the harm death_or_serious_health_harm (AI Act Art. 3(49)(a)): "
            "record that harm too",
            field="death" if "death" in changed else "harms",
        )


def check_transition(session: Session, incident: Incident, status: IncidentStatus) -> None:
    """``status`` may follow the current one; closing waits for every corrective action."""
    current = IncidentStatus(incident.status)
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current]))
        raise ConflictError(
            f"incident {incident.id} is {current.value}; it can become {allowed}, not "
            f"{status.value}",
            field="status",
        )
    if status is IncidentStatus.CLOSED:
        pending = session.scalars(
            select(IncidentAction.id).where(
                IncidentAction.incident_id == incident.id,
                IncidentAction.status == ActionStatus.OPEN.value,
            )
        ).all()
        if pending:
            several = len(pending) > 1
            raise ConflictError(
                f"corrective action{'s' if several else ''} {', '.join(map(str, pending))} "
                f"of incident {incident.id} {'are' if several else 'is'} still open: mark "
                f"{'them' if several else 'it'} done first",
                field="status",
            )
