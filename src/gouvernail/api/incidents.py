"""The AI incident register over HTTP.

Every employee reports incidents and reads the ones they reported (``incidents, report``);
reading every incident needs ``incidents, read`` (referents, committee, auditors,
administrators); changing one, linking calls and corrective actions need ``incidents, manage``
(AI and security referents). The reporter may add notes to their own incident. Refusals are
audited and reported like any other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gouvernail.api.deps import Require, Rt, audit_context, enforce
from gouvernail.identity.principal import Principal
from gouvernail.observatory.incidents.models import IncidentStatus, Severity
from gouvernail.observatory.incidents.schemas import (
    ActionDoneIn,
    ActionIn,
    IncidentIn,
    IncidentPatch,
    IncidentSummary,
    IncidentView,
    NoteIn,
    RequestsIn,
)
from gouvernail.observatory.incidents.service import Filters
from gouvernail.observatory.incidents.timeline import Author
from gouvernail.runtime import Runtime

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Reporter = Annotated[Principal, Depends(Require("incidents", "report"))]
Manager = Annotated[Principal, Depends(Require("incidents", "manage"))]


def author(principal: Principal) -> Author:
    return Author(principal.user_id, principal.display_name)


def reads_all(runtime: Runtime, principal: Principal) -> bool:
    return runtime.policy.decide(principal.roles, "incidents", "read").allowed


@router.post("", status_code=201)
def report_incident(
    body: IncidentIn, request: Request, principal: Reporter, runtime: Rt
) -> IncidentView:
    """Report an AI incident (status open). Whether it may be a serious incident under the AI
    Act, with its articles and reporting deadline, is computed (``assessment``)."""
    return runtime.incidents.report(audit_context(request, principal), author(principal), body)


@router.get("")
def list_incidents(
    principal: Reporter,
    runtime: Rt,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    use_case_id: Annotated[int | None, Query(description="Only this use case's.")] = None,
    possibly_serious: Annotated[
        bool | None, Query(description="Only those flagged (true) or not (false).")
    ] = None,
) -> list[IncidentSummary]:
    """Incidents, newest detected first: all of them with ``incidents, read``, otherwise the
    ones the caller reported."""
    return runtime.incidents.find(
        Filters(
            status=status,
            severity=severity,
            use_case_id=use_case_id,
            possibly_serious=possibly_serious,
            reported_by=None if reads_all(runtime, principal) else principal.user_id,
        )
    )


@router.get("/{incident_id}")
def get_incident(
    incident_id: int, request: Request, principal: Reporter, runtime: Rt
) -> IncidentView:
    """An incident with its assessment, timeline (oldest first), linked calls and actions."""
    if runtime.incidents.reporter(incident_id) != principal.user_id:
        enforce(runtime, request, principal, "incidents", "read")
    return runtime.incidents.get(incident_id)


@router.patch("/{incident_id}")
def change_incident(
    incident_id: int, body: IncidentPatch, request: Request, principal: Manager, runtime: Rt
) -> IncidentView:
    """Change the fields sent (status open, mitigated or closed; reopening too), with a reason;
    ``version`` must be the current one (409 otherwise)."""
    return runtime.incidents.change(
        audit_context(request, principal), author(principal), incident_id, body
    )


@router.post("/{incident_id}/notes", status_code=201)
def add_note(
    incident_id: int, body: NoteIn, request: Request, principal: Reporter, runtime: Rt
) -> IncidentView:
    """Add a free note to the timeline: the reporter, or someone who manages incidents."""
    if runtime.incidents.reporter(incident_id) != principal.user_id:
        enforce(runtime, request, principal, "incidents", "manage")
    return runtime.incidents.add_note(
        audit_context(request, principal),
        author(principal),
        incident_id,
        body.text,
        any_incident=True,
    )


@router.post("/{incident_id}/requests")
def link_requests(
    incident_id: int, body: RequestsIn, request: Request, principal: Manager, runtime: Rt
) -> IncidentView:
    """Link gateway calls by request id (404 naming any the request log does not have; those
    already linked are ignored)."""
    return runtime.incidents.link_requests(
        audit_context(request, principal), author(principal), incident_id, body.request_ids
    )


@router.post("/{incident_id}/actions", status_code=201)
def add_action(
    incident_id: int, body: ActionIn, request: Request, principal: Manager, runtime: Rt
) -> IncidentView:
    """Add a corrective action: description, owner (an active user), due date."""
    return runtime.incidents.add_action(
        audit_context(request, principal), author(principal), incident_id, body
    )


@router.post("/{incident_id}/actions/{action_id}/done")
def complete_action(
    incident_id: int,
    action_id: int,
    request: Request,
    principal: Manager,
    runtime: Rt,
    body: ActionDoneIn | None = None,
) -> IncidentView:
    """Mark a corrective action done (who and when are recorded; a note says what was done)."""
    return runtime.incidents.complete_action(
        audit_context(request, principal),
        author(principal),
        incident_id,
        action_id,
        body or ActionDoneIn(),
    )
