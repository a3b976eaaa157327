"""The AI incident register: report an incident, change it (status, severity, harms…), add
notes, link gateway calls, add corrective actions and mark them done.

Every write is one unit of work of the audit trail: the checks that need the database (use case,
owner, version) run inside it, so a refused change writes nothing, and every change adds its
line to the incident's timeline and one typed event to the trail. Whether an incident may be a
serious incident of the AI Act is decided by ``rules.py`` and shown, never stored or typed in.
Who may read or manage which incident is decided by the policy at the route; the service only
checks what depends on the incident (the reporter may annotate their own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.gateway.models import RequestLog
from gouvernail.identity.models import User
from gouvernail.observatory.incidents import events as ev
from gouvernail.observatory.incidents import views
from gouvernail.observatory.incidents.checks import (
    active_user,
    check_transition,
    check_values,
    load_incident,
)
from gouvernail.observatory.incidents.models import (
    ActionStatus,
    Harm,
    Incident,
    IncidentAction,
    IncidentRequest,
    IncidentStatus,
    Severity,
)
from gouvernail.observatory.incidents.rules import SeriousIncidentRules
from gouvernail.observatory.incidents.schemas import (
    ActionDoneIn,
    ActionIn,
    Assessment,
    IncidentIn,
    IncidentPatch,
    IncidentSummary,
    IncidentView,
)
from gouvernail.observatory.incidents.timeline import Author, add_line, change_lines, flag_line
from gouvernail.registry.models import UseCase

REQUIRED = frozenset(views.FIELDS) - {"use_case_id"}


@dataclass(frozen=True)
class Filters:
    status: IncidentStatus | None = None
    severity: Severity | None = None
    use_case_id: int | None = None
    possibly_serious: bool | None = None
    reported_by: int | None = None
    """Only the incidents this user reported (someone without ``incidents: read``)."""


class Incidents:
    """The incident register service (``runtime.incidents``); ``rules`` decide which incidents
    may be serious under the AI Act; ``now`` is the clock (tests move it)."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        rules: SeriousIncidentRules,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.trail = trail
        self.rules = rules
        self.now = now

    # --- reading ------------------------------------------------------------------------------

    def find(self, filters: Filters | None = None) -> list[IncidentSummary]:
        """The incidents that pass ``filters``, newest detected first."""
        filters = filters or Filters()
        query = (
            select(Incident, UseCase.title, UseCase.ai_act_tier, User.display_name)
            .outerjoin(UseCase, UseCase.id == Incident.use_case_id)
            .join(User, User.id == Incident.reported_by)
            .order_by(Incident.detected_at.desc(), Incident.id.desc())
        )
        if filters.status is not None:
            query = query.where(Incident.status == filters.status.value)
        if filters.severity is not None:
            query = query.where(Incident.severity == filters.severity.value)
        if filters.use_case_id is not None:
            query = query.where(Incident.use_case_id == filters.use_case_id)
        if filters.reported_by is not None:
            query = query.where(Incident.reported_by == filters.reported_by)
        with self.database.read() as session:
            rows = [(i, title, tier, name) for i, title, tier, name in session.execute(query)]
            found = views.summaries(session, rows, self.rules, self.now().date())
        if filters.possibly_serious is not None:
            found = [s for s in found if s.possibly_serious == filters.possibly_serious]
        return found

    def reporter(self, incident_id: int) -> int:
        """The user id of who reported the incident (404 if there is no such incident)."""
        with self.database.read() as session:
            return load_incident(session, incident_id).reported_by

    def get(self, incident_id: int) -> IncidentView:
        with self.database.read() as session:
            return views.full(
                session, load_incident(session, incident_id), self.rules, self.now().date()
            )

    # --- writing ------------------------------------------------------------------------------

    def report(self, ctx: AuditContext, author: Author, body: IncidentIn) -> IncidentView:
        """Record a new incident, reported by ``author``; it starts open."""
        now = self.now()
        values: dict[str, Any] = body.model_dump()
        values["harms"] = _canonical(body.harms)
        values["detected_at"] = body.detected_at or now

        def work(tx: Tx) -> IncidentView:
            incident = Incident(
                status=IncidentStatus.OPEN.value,
                reported_by=author.user_id,
                version=1,
                created_at=now,
                updated_at=now,
                **{k: _stored(k, v) for k, v in values.items()},
            )
            check_values(tx.session, incident, set(values), now)
            tx.session.add(incident)
            tx.session.flush()
            assessment = views.assess(tx.session, incident, self.rules)
            add_line(
                tx.session,
                incident,
                author,
                "reported",
                f"Reported: {incident.kind}, severity {incident.severity}.",
                now,
            )
            self._flag(tx.session, incident, author, None, assessment, now)
            tx.emit(
                ev.IncidentReported(
                    object_id=str(incident.id),
                    object_version=1,
                    new={**views.audit_values(incident), **views.assessed(assessment)},
                )
            )
            return self._full(tx.session, incident)

        return self.trail.run(ctx, work)

    def change(
        self, ctx: AuditContext, author: Author, incident_id: int, patch: IncidentPatch
    ) -> IncidentView:
        """Change the fields sent; ``patch.version`` must be the current version (409)."""
        given = patch.model_dump(exclude_unset=True, exclude={"version", "reason"})
        for name in REQUIRED & given.keys():
            if given[name] is None:
                raise GouvernailError(f"{name} cannot be cleared", field=name)
        if not given:
            raise GouvernailError("nothing to change: send at least one field of the incident")
        reason = patch.reason.strip()
        if not reason:
            raise GouvernailError("say why the incident changes", field="reason")
        if "harms" in given:
            given["harms"] = _canonical(patch.harms or [])

        def work(tx: Tx) -> IncidentView:
            now = self.now()
            incident = load_incident(tx.session, incident_id)
            if incident.version != patch.version:
                raise ConflictError(
                    f"incident {incident_id} is at version {incident.version}, not "
                    f"{patch.version}: someone changed it meanwhile; reload it and apply your "
                    "change again",
                    field="version",
                    code="version_conflict",
                )
            changed = {k for k in given if _differs(incident, k, given[k])}
            if not changed:
                raise GouvernailError("nothing to change: the values sent are the current ones")
            before = views.assess(tx.session, incident, self.rules)
            old = views.audit_values(incident, sorted(changed))
            if "status" in changed:
                check_transition(tx.session, incident, IncidentStatus(given["status"]))
            for name in changed:
                setattr(incident, name, _stored(name, given[name]))
            check_values(tx.session, incident, changed, now)
            incident.version += 1
            incident.updated_at = now
            tx.session.flush()
            after = views.assess(tx.session, incident, self.rules)
            for kind, text in change_lines(old, views.audit_values(incident, changed), reason):
                add_line(tx.session, incident, author, kind, text, now)
            self._flag(tx.session, incident, author, before, after, now)
            tx.emit(
                ev.IncidentChanged(
                    object_id=str(incident.id),
                    object_version=incident.version,
                    old={**old, **views.assessed(before)},
                    new={**views.audit_values(incident, sorted(changed)), **views.assessed(after)},
                    reason=reason,
                )
            )
            return self._full(tx.session, incident)

        return self.trail.run(ctx, work)

    def add_note(
        self,
        ctx: AuditContext,
        author: Author,
        incident_id: int,
        text: str,
        *,
        any_incident: bool,
    ) -> IncidentView:
        """A free note on the timeline: by the reporter, or anyone who manages incidents."""
        text = text.strip()
        if not text:
            raise GouvernailError("the note is empty", field="text")

        def work(tx: Tx) -> IncidentView:
            now = self.now()
            incident = load_incident(tx.session, incident_id)
            if not any_incident and incident.reported_by != author.user_id:
                raise ForbiddenError(
                    "only the reporter of the incident or someone who manages incidents may "
                    "add a note to it"
                )
            entry = add_line(tx.session, incident, author, "note", text, now)
            tx.emit(
                ev.IncidentNoteAdded(
                    object_id=str(incident.id),
                    object_version=incident.version,
                    new={"entry_id": entry.id, "text": text},
                )
            )
            return self._full(tx.session, incident)

        return self.trail.run(ctx, work)

    def link_requests(
        self, ctx: AuditContext, author: Author, incident_id: int, request_ids: list[str]
    ) -> IncidentView:
        """Link gateway calls by request id; each must be in the request log (404 naming the
        unknown ones); ids already linked, and repeats, are ignored."""
        wanted = list(dict.fromkeys(r.strip() for r in request_ids if r.strip()))
        if not wanted:
            raise GouvernailError("give at least one request id", field="request_ids")
        with self.database.read() as session:
            load_incident(session, incident_id)
            known = set(
                session.scalars(
                    select(RequestLog.request_id).where(RequestLog.request_id.in_(wanted))
                )
            )
        unknown = [r for r in wanted if r not in known]
        if unknown:
            raise NotFoundError(
                f"no gateway call with request id {', '.join(unknown)}", field="request_ids"
            )

        def work(tx: Tx) -> IncidentView:
            now = self.now()
            incident = load_incident(tx.session, incident_id)
            linked = set(
                tx.session.scalars(
                    select(IncidentRequest.request_id).where(
                        IncidentRequest.incident_id == incident_id
                    )
                )
            )
            new = [r for r in wanted if r not in linked]
            if not new:
                return self._full(tx.session, incident)
            for request_id in new:
                tx.session.add(
                    IncidentRequest(
                        incident_id=incident_id,
                        request_id=request_id,
                        linked_by=author.user_id,
                        linked_at=now,
                    )
                )
            add_line(
                tx.session,
                incident,
                author,
                "requests",
                f"Linked gateway call{'s' if len(new) > 1 else ''} {', '.join(new)}.",
                now,
            )
            tx.emit(
                ev.IncidentRequestsLinked(
                    object_id=str(incident.id),
                    object_version=incident.version,
                    new={"request_ids": new},
                )
            )
            return self._full(tx.session, incident)

        return self.trail.run(ctx, work)

    def add_action(
        self, ctx: AuditContext, author: Author, incident_id: int, body: ActionIn
    ) -> IncidentView:
        """A corrective action with its owner (an active user) and due date (not past)."""
        description = body.description.strip()
        if not description:
            raise GouvernailError("describe the action", field="description")

        def work(tx: Tx) -> IncidentView:
            now = self.now()
            incident = load_incident(tx.session, incident_id)
            if incident.status == IncidentStatus.CLOSED.value:
                raise ConflictError(
                    f"incident {incident_id} is closed: reopen it before adding an action",
                    field="status",
                )
            owner = active_user(tx.session, body.owner_id)
            if body.due_on < now.date():
                raise GouvernailError(
                    f"the due date {body.due_on} is past (today is {now.date()})", field="due_on"
                )
            action = IncidentAction(
                incident_id=incident_id,
                description=description,
                owner_id=owner.id,
                due_on=body.due_on,
                status=ActionStatus.OPEN.value,
                created_by=author.user_id,
                created_at=now,
                note="",
            )
            tx.session.add(action)
            tx.session.flush()
            add_line(
                tx.session,
                incident,
                author,
                "action_added",
                f"Corrective action {action.id} added: {description} (owner "
                f"{owner.display_name}, due {body.due_on}).",
                now,
            )
            tx.emit(
                ev.IncidentActionAdded(
                    object_id=str(incident.id),
                    object_version=incident.version,
                    new={
                        "action_id": action.id,
                        "description": description,
                        "owner_id": owner.id,
                        "due_on": body.due_on.isoformat(),
                    },
                )
            )
            return self._full(tx.session, incident)

        return self.trail.run(ctx, work)

    def complete_action(
        self,
        ctx: AuditContext,
        author: Author,
        incident_id: int,
        action_id: int,
        body: ActionDoneIn,
    ) -> IncidentView:
        def work(tx: Tx) -> IncidentView:
            now = self.now()
            incident = load_incident(tx.session, incident_id)
            action = tx.session.get(IncidentAction, action_id)
            if action is None or action.incident_id != incident_id:
                raise NotFoundError(f"incident {incident_id} has no corrective action {action_id}")
            if action.status == ActionStatus.DONE.value:
                assert action.done_at is not None
                raise ConflictError(
                    f"corrective action {action_id} was already marked done on "
                    f"{action.done_at:%Y-%m-%d}",
                    field="action_id",
                )
            overdue = views.is_overdue(action, now.date())
            action.status = ActionStatus.DONE.value
            action.done_by, action.done_at = author.user_id, now
            action.note = body.note.strip()
            done = f": {action.note}" if action.note else ""
            late = f" ({(now.date() - action.due_on).days} days late)" if overdue else ""
            add_line(
                tx.session,
                incident,
                author,
                "action_done",
                f"Corrective action {action_id} done{late}{done}.",
                now,
            )
            tx.emit(
                ev.IncidentActionDone(
                    object_id=str(incident.id),
                    object_version=incident.version,
                    new={"action_id": action_id, "overdue": overdue, "note": action.note},
                )
            )
            return self._full(tx.session, incident)

        return self.trail.run(ctx, work)

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _flag(
        session: Session,
        incident: Incident,
        author: Author,
        before: Assessment | None,
        after: Assessment,
        now: datetime,
    ) -> None:
        text = flag_line(before, after)
        if text is not None:
            add_line(session, incident, author, "assessment", text, now)

    def _full(self, session: Session, incident: Incident) -> IncidentView:
        session.flush()
        return views.full(session, incident, self.rules, self.now().date())


def _canonical(harms: list[Harm]) -> list[Harm]:
    """Each harm once, in the order of Art. 3(49)."""
    return [h for h in Harm if h in harms]


def _stored(name: str, value: Any) -> Any:
    if name == "harms":
        return orjson.dumps([Harm(h).value for h in value]).decode()
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value.value if hasattr(value, "value") else value


def _differs(incident: Incident, name: str, value: Any) -> bool:
    if name == "harms":
        return bool(views.harms_of(incident) != value)
    return bool(getattr(incident, name) != _stored(name, value))
