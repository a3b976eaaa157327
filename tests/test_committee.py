"""The governance committee and the team referents, through the HTTP API (and the CLI).

Use cases are arranged as rows (their lifecycle belongs to the registry's own tests); approvals
that minutes link to are real decisions signed through the registry's approval API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import PASSWORD
from typer.testing import CliRunner

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.committee import Awaiting
from gouvernail.committee.quorum import QuorumRule
from gouvernail.db.base import utcnow
from gouvernail.identity.models import Notification
from gouvernail.registry.models import ApprovalDecision, KeyResult, Transition, UseCase
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
MakeUser = Callable[..., int]
TODAY = date.today()
WHEN = f"{TODAY + timedelta(days=7)}T14:00:00+01:00"


# --- arranging --------------------------------------------------------------------------------


@pytest.fixture
def cast(make_user: MakeUser) -> dict[str, int]:
    """An administrator, three voting-capable committee members, a secretary, referents, an
    outsider; the committee itself is appointed by the tests that need it."""
    return {
        "root": make_user("root", "admin"),
        "chair": make_user("chair", "committee_member", display_name="Claire Hamon"),
        "cm2": make_user("cm2", "committee_member"),
        "cm3": make_user("cm3", "committee_member"),
        "sec": make_user("sec", "committee_member"),
        "rita": make_user("rita", "ai_referent"),
        "olivia": make_user("olivia", "data_owner"),
        "oscar": make_user("oscar", "data_owner"),
        "sam": make_user("sam", "security_referent"),
        "sue": make_user("sue", "security_referent"),
        "eve": make_user("eve"),
    }


def appoint(
    client: TestClient, admin: dict[str, str], username: str, role: str, **extra: Any
) -> Any:
    return client.post(
        "/api/v1/committee/members",
        json={"username": username, "role": role, "reason": "appointed by the board", **extra},
        headers=admin,
    )


@pytest.fixture
def committee(client: TestClient, cast: dict[str, int], login: Login) -> dict[str, Any]:
    """Chair, two members (three voting) and a non-voting secretary."""
    admin = login("root")
    for username, role in (("chair", "chair"), ("cm2", "member"), ("cm3", "member")):
        assert appoint(client, admin, username, role).status_code == 201
    assert appoint(client, admin, "sec", "secretary").status_code == 201
    return {"admin": admin, "chair": login("chair"), "sec": login("sec"), "eve": login("eve")}


def use_case(
    rt: Runtime,
    requester: int,
    title: str,
    status: str,
    *,
    tier: str | None = None,
    pilot_end: date | None = None,
    measured: tuple[float | None, ...] = (),
    department: int | None = None,
) -> int:
    with rt.database.write() as session:
        row = UseCase(
            title=title,
            description=f"{title}: described at intake.",
            requester_id=requester,
            sourcing="snackable",
            status=status,
            ai_act_tier=tier,
            pilot_end_date=pilot_end,
            department_id=department,
        )
        session.add(row)
        session.flush()
        for position, value in enumerate(measured, start=1):
            session.add(
                KeyResult(
                    use_case_id=row.id,
                    position=position,
                    description=f"key result {position}",
                    unit="days",
                    baseline=20,
                    target=5,
                    due_on=TODAY,
                    measured_value=value,
                )
            )
        return row.id


def schedule(client: TestClient, headers: dict[str, str], title: str = "Committee") -> Any:
    response = client.post(
        "/api/v1/committee/meetings",
        json={"title": title, "scheduled_at": WHEN, "location": "Room 4 / Teams"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def call(client: TestClient, method: str, path: str, headers: dict[str, str], **body: Any) -> Any:
    return client.request(method, f"/api/v1/committee/meetings{path}", json=body, headers=headers)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    if field is not None:
        assert error["field"] == field, error
    return error


def actions(rt: Runtime, prefix: str) -> list[str]:
    with rt.database.read() as session:
        return [
            a
            for a in session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq))
            if a.startswith(prefix)
        ]


def held_meeting(client: TestClient, committee: dict[str, Any]) -> dict[str, Any]:
    chair = committee["chair"]
    meeting = schedule(client, chair)
    meeting = ok(
        call(
            client,
            "PUT",
            f"/{meeting['id']}/attendance",
            chair,
            version=meeting["version"],
            attendees=[
                {"username": "chair", "presence": "present"},
                {"username": "cm2", "presence": "present"},
                {"username": "cm3", "presence": "excused"},
                {"username": "sec", "presence": "present"},
            ],
        )
    )
    return ok(
        call(
            client,
            "POST",
            f"/{meeting['id']}/held",
            chair,
            version=meeting["version"],
            reason="opened",
        )
    )


# --- membership -------------------------------------------------------------------------------


def test_membership_needs_the_directory_role_and_keeps_history(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    admin, chair, eve = login("root"), login("chair"), login("eve")
    ok(appoint(client, admin, "chair", "chair"), 201)
    # a voting member must hold committee_member; a non-voting expert needs no role
    refused(appoint(client, admin, "eve", "member"), 400, "username")
    expert = ok(appoint(client, admin, "sam", "expert"), 201)
    assert expert["voting"] is False
    refused(appoint(client, admin, "sam", "expert"), 409, "username")
    refused(appoint(client, admin, "cm2", "chair"), 409, "role")
    refused(appoint(client, admin, "cm2", "president"), 400, "role")
    refused(appoint(client, admin, "ghost", "member"), 404, "username")
    refused(
        client.post(
            "/api/v1/committee/members",
            json={"username": "cm2", "role": "member", "reason": ""},
            headers=admin,
        ),
        422,
        "reason",
    )
    # rights come from the policy: a committee member does not appoint, an employee reads
    refused(appoint(client, chair, "cm2", "member"), 403)
    secretary = ok(appoint(client, admin, "sec", "secretary", voting=True), 201)
    assert secretary["voting"] is True
    members = ok(client.get("/api/v1/committee/members", headers=eve))
    assert [(m["username"], m["role"], m["voting"]) for m in members] == [
        ("chair", "chair", True),
        ("sam", "expert", False),
        ("sec", "secretary", True),
    ]
    ended = ok(
        client.post(
            f"/api/v1/committee/members/{expert['id']}/end",
            json={"reason": "the security review is over"},
            headers=admin,
        )
    )
    assert ended["until"] == utcnow().date().isoformat()  # today, when it ended
    assert ended["active"] is False
    refused(
        client.post(
            f"/api/v1/committee/members/{expert['id']}/end", json={"reason": "again"}, headers=admin
        ),
        409,
    )
    assert "sam" not in {
        m["username"] for m in ok(client.get("/api/v1/committee/members", headers=eve))
    }
    history = ok(client.get("/api/v1/committee/members?include_past=true", headers=eve))
    assert {m["username"]: m["end_reason"] for m in history}["sam"] == "the security review is over"
    # the chair's chair can be taken again once ended, and the expert re-appointed
    ok(appoint(client, admin, "sam", "expert"), 201)
    assert actions(rt, "committee.member") == ["committee.member_added"] * 3 + [
        "committee.member_ended",
        "committee.member_added",
    ]


# --- meetings and quorum ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "members", "required"),
    [
        ("majority", 1, 1),
        ("majority", 4, 3),
        ("majority", 5, 3),
        ("two_thirds", 3, 2),
        ("two_thirds", 7, 5),
        ("all", 4, 4),
        ("3", 10, 3),
        ("majority", 0, 1),
    ],
)
def test_quorum_rules(rule: str, members: int, required: int) -> None:
    quorum = QuorumRule(rule)
    assert quorum.required(members) == required
    assert quorum.assess(members, required).reached is (members > 0)
    assert quorum.assess(members, required - 1).reached is False


def test_quorum_setting_is_validated() -> None:
    with pytest.raises(ValueError, match="committee_quorum"):
        Settings(committee_quorum="most")
    with pytest.raises(ValueError, match="committee_quorum"):
        QuorumRule("0")


def test_meeting_lifecycle_quorum_and_stale_versions(
    client: TestClient,
    committee: dict[str, Any],
    cast: dict[str, int],
    rt: Runtime,
    ctx: AuditContext,
) -> None:
    chair, eve = committee["chair"], committee["eve"]
    refused(
        client.post(
            "/api/v1/committee/meetings",
            json={"title": "Committee", "scheduled_at": "2027-01-14T14:00:00"},
            headers=chair,
        ),
        422,
        "scheduled_at",
    )
    refused(
        client.post(
            "/api/v1/committee/meetings",
            json={"title": " ", "scheduled_at": WHEN},
            headers=chair,
        ),
        400,
        "title",
    )
    refused(
        client.post(
            "/api/v1/committee/meetings", json={"title": "x", "scheduled_at": WHEN}, headers=eve
        ),
        403,
    )
    meeting = schedule(client, chair, "January committee")
    assert meeting["status"] == "planned"
    assert meeting["version"] == 1
    mid = meeting["id"]
    # no attendance: no quorum (3 voting members; majority needs 2)
    error = refused(call(client, "POST", f"/{mid}/held", chair, version=1, reason="opened"), 409)
    assert error["code"] == "no_quorum"
    assert "0 of 3" in error["message"]
    one_present = [
        {"username": "chair", "presence": "present"},
        {"username": "sec", "presence": "present"},  # present, but without a vote
        {"username": "cm2", "presence": "excused"},
    ]
    meeting = ok(call(client, "PUT", f"/{mid}/attendance", chair, version=1, attendees=one_present))
    assert meeting["quorum"] == {
        "rule": "majority",
        "voting_members": 3,
        "voting_present": 1,
        "required": 2,
        "reached": False,
    }
    assert {a["username"]: (a["committee_role"], a["voting"]) for a in meeting["attendees"]} == {
        "chair": ("chair", True),
        "cm2": ("member", True),
        "sec": ("secretary", False),
    }
    refused(call(client, "POST", f"/{mid}/held", chair, version=2, reason="opened"), 409)
    # a change made from a stale copy is refused, naming the version
    error = refused(
        call(client, "PUT", f"/{mid}/attendance", chair, version=1, attendees=one_present),
        409,
        "version",
    )
    assert error["code"] == "version_conflict"
    refused(
        call(
            client,
            "PUT",
            f"/{mid}/attendance",
            chair,
            version=2,
            attendees=[{"username": "cm2", "presence": "asleep"}],
        ),
        400,
        "attendees.0.presence",
    )
    refused(
        call(
            client,
            "PUT",
            f"/{mid}/attendance",
            chair,
            version=2,
            attendees=[{"username": "ghost", "presence": "present"}],
        ),
        404,
        "attendees.0.username",
    )
    two_present = [*one_present[:2], {"username": "cm2", "presence": "present"}]
    meeting = ok(call(client, "PUT", f"/{mid}/attendance", chair, version=2, attendees=two_present))
    assert meeting["quorum"]["reached"] is True
    meeting = ok(
        call(client, "PATCH", f"/{mid}", chair, version=3, reason="room change", location="Room 7")
    )
    assert meeting["location"] == "Room 7"
    assert meeting["version"] == 4
    refused(call(client, "PATCH", f"/{mid}", chair, version=4, location="Room 8"), 422, "reason")
    refused(call(client, "PATCH", f"/{mid}", eve, version=4, reason="x", location="Room 8"), 403)
    meeting = ok(call(client, "POST", f"/{mid}/held", chair, version=4, reason="quorum present"))
    assert meeting["status"] == "held"
    assert meeting["held_at"]
    # a held meeting keeps its quorum, cannot be cancelled nor rescheduled
    refused(
        call(client, "PUT", f"/{mid}/attendance", chair, version=5, attendees=one_present),
        409,
        "attendees",
    )
    refused(call(client, "POST", f"/{mid}/cancel", chair, version=5, reason="oops"), 409)
    refused(call(client, "PATCH", f"/{mid}", chair, version=5, reason="x", title="y"), 409)
    # another meeting is cancelled, with its reason
    other = schedule(client, chair, "February committee")
    refused(
        call(client, "POST", f"/{other['id']}/cancel", chair, version=1, reason=""), 422, "reason"
    )
    cancelled = ok(
        call(
            client, "POST", f"/{other['id']}/cancel", chair, version=1, reason="no quorum expected"
        )
    )
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "no quorum expected"
    # a deactivated voting member no longer counts toward the quorum
    rt.directory.set_active(ctx, cast["cm3"], active=False, reason="left the company")
    quorum = ok(client.get(f"/api/v1/committee/meetings/{mid}", headers=eve))["quorum"]
    assert (quorum["voting_members"], quorum["voting_present"]) == (2, 2)
    listed = ok(client.get("/api/v1/committee/meetings?status=held", headers=eve))
    assert [m["id"] for m in listed] == [mid]
    refused(client.get("/api/v1/committee/meetings?status=done", headers=eve), 400, "status")
    refused(client.get("/api/v1/committee/meetings/999", headers=eve), 404)
    assert actions(rt, "committee.meeting") == [
        "committee.meeting_scheduled",
        "committee.meeting_rescheduled",
        "committee.meeting_held",
        "committee.meeting_scheduled",
        "committee.meeting_cancelled",
    ]


# --- agenda -----------------------------------------------------------------------------------


class OverdueReview:
    """An extra awaiting rule, as the inventory would register one."""

    name = "contract_review_overdue"

    def __init__(self, use_case_id: int) -> None:
        self.use_case_id = use_case_id

    def find(self, session: Session, day: date) -> list[Awaiting]:
        return [Awaiting(self.use_case_id, self.name, "contract review overdue")]


def test_agenda_proposal_picks_exactly_the_use_cases_awaiting_a_decision(
    client: TestClient,
    committee: dict[str, Any],
    cast: dict[str, int],
    rt: Runtime,
    ctx: AuditContext,
) -> None:
    chair, eve = committee["chair"], committee["eve"]
    rt.directory.create_team(ctx, slug="rd", name="Research & Development", kind="department")
    rd = next(t.id for t in rt.directory.list_teams() if t.slug == "rd")
    past, future = TODAY - timedelta(days=3), TODAY + timedelta(days=30)
    eve_id = cast["eve"]
    pending = use_case(rt, eve_id, "Assessed chatbot", "assessed", tier="minimal", department=rd)
    pilot = use_case(rt, eve_id, "Overdue pilot", "pilot", pilot_end=past, measured=(None, 3.0))
    use_case(rt, eve_id, "Measured pilot", "pilot", pilot_end=past, measured=(4.0,))
    use_case(rt, eve_id, "Running pilot", "pilot", pilot_end=future, measured=(None,))
    use_case(rt, eve_id, "Pilot without key results", "pilot", pilot_end=past)
    use_case(rt, eve_id, "Fresh idea", "idea")
    in_production = use_case(rt, eve_id, "In production", "production", tier="limited")
    elsewhere = use_case(rt, eve_id, "Already scheduled", "assessed", tier="high")
    after_cancel = use_case(rt, eve_id, "Scheduled then cancelled", "assessed")

    first = schedule(client, chair, "January committee")
    first = ok(
        call(client, "POST", f"/{first['id']}/agenda", chair, version=1, use_case_id=elsewhere), 201
    )
    cancelled = schedule(client, chair, "Cancelled committee")
    ok(
        call(
            client, "POST", f"/{cancelled['id']}/agenda", chair, version=1, use_case_id=after_cancel
        ),
        201,
    )
    ok(call(client, "POST", f"/{cancelled['id']}/cancel", chair, version=2, reason="board meeting"))

    # other parts add their reasons (the inventory: a contract review overdue)
    rt.committee.add_awaiting_rule(OverdueReview(in_production))
    awaiting = ok(client.get("/api/v1/committee/awaiting", headers=eve))
    assert [(a["use_case_id"], a["rules"], a["planned_meeting_id"]) for a in awaiting] == [
        (pending, ["approval_pending"], None),
        (elsewhere, ["approval_pending"], first["id"]),
        (after_cancel, ["approval_pending"], None),
        (pilot, ["pilot_without_results"], None),
        (in_production, ["contract_review_overdue"], None),
    ]

    meeting = schedule(client, chair, "February committee")
    refused(call(client, "POST", f"/{meeting['id']}/agenda/propose", eve, version=1), 403)
    meeting = ok(call(client, "POST", f"/{meeting['id']}/agenda/propose", chair, version=1))
    agenda = meeting["agenda"]
    assert [(i["position"], i["use_case_id"]) for i in agenda] == [
        (1, pending),
        (2, after_cancel),
        (3, pilot),
        (4, in_production),
    ]
    assert agenda[2]["why"] == f"pilot ended on {past} with 1 key result(s) not measured"
    facts = agenda[0]["facts"]
    assert facts["title"] == "Assessed chatbot"
    assert facts["status"] == "assessed"
    assert facts["ai_act_tier"] == "minimal"
    assert facts["department"] == {"slug": "rd", "name": "Research & Development"}
    assert facts["requester"] == {"username": "eve", "display_name": "Eve"}
    assert facts["pending_stage"] == "ai_referent_review"  # the registry's fast-path workflow
    assert agenda[2]["facts"]["pending_stage"] is None
    # nothing left to propose; proposing needs a planned meeting
    refused(
        call(client, "POST", f"/{meeting['id']}/agenda/propose", chair, version=meeting["version"]),
        400,
    )
    # the facts are a snapshot; the current status is live
    with rt.database.write() as session:
        session.get_one(UseCase, pending).status = "approved"
    item = ok(client.get(f"/api/v1/committee/meetings/{meeting['id']}", headers=eve))["agenda"][0]
    assert (item["facts"]["status"], item["current_status"]) == ("assessed", "approved")

    # free topics, duplicates, order and withdrawal
    version = meeting["version"]
    refused(
        call(client, "POST", f"/{meeting['id']}/agenda", chair, version=version), 400, "use_case_id"
    )
    refused(
        call(client, "POST", f"/{meeting['id']}/agenda", chair, version=version, use_case_id=pilot),
        409,
        "use_case_id",
    )
    refused(
        call(client, "POST", f"/{meeting['id']}/agenda", chair, version=version, use_case_id=999),
        404,
        "use_case_id",
    )
    meeting = ok(
        call(
            client,
            "POST",
            f"/{meeting['id']}/agenda",
            chair,
            version=version,
            topic="Shadow AI survey",
        ),
        201,
    )
    ids = [i["id"] for i in meeting["agenda"]]
    refused(
        call(
            client,
            "PUT",
            f"/{meeting['id']}/agenda/order",
            chair,
            version=meeting["version"],
            item_ids=ids[:2],
        ),
        400,
        "item_ids",
    )
    meeting = ok(
        call(
            client,
            "PUT",
            f"/{meeting['id']}/agenda/order",
            chair,
            version=meeting["version"],
            item_ids=ids[::-1],
        )
    )
    assert [i["topic"] or i["use_case_id"] for i in meeting["agenda"]] == [
        "Shadow AI survey",
        in_production,
        pilot,
        after_cancel,
        pending,
    ]
    meeting = ok(
        call(
            client,
            "POST",
            f"/{meeting['id']}/agenda/{ids[1]}/withdraw",
            chair,
            version=meeting["version"],
            reason="decided by e-mail",
        )
    )
    assert [(i["position"], i["use_case_id"]) for i in meeting["agenda"]] == [
        (1, None),
        (2, in_production),
        (3, pilot),
        (4, pending),
    ]
    # withdrawn, it awaits again and the next proposal picks it
    assert after_cancel in {
        a["use_case_id"]
        for a in ok(client.get("/api/v1/committee/awaiting", headers=eve))
        if a["planned_meeting_id"] is None
    }
    assert actions(rt, "committee.agenda") == [
        "committee.agenda_item_added",
        "committee.agenda_item_added",
        "committee.agenda_proposed",
        "committee.agenda_item_added",
        "committee.agenda_reordered",
        "committee.agenda_item_withdrawn",
    ]


# --- decisions and minutes --------------------------------------------------------------------


def test_outcomes_link_decisions_and_minutes_signatures_go_stale(
    client: TestClient, committee: dict[str, Any], cast: dict[str, int], login: Login, rt: Runtime
) -> None:
    chair, sec, eve = committee["chair"], committee["sec"], committee["eve"]
    pending = use_case(rt, cast["eve"], "Assessed chatbot", "assessed", tier="minimal")
    other = use_case(rt, cast["eve"], "Another one", "assessed", tier="minimal")
    meeting = schedule(client, chair)
    mid = meeting["id"]
    meeting = ok(call(client, "POST", f"/{mid}/agenda", chair, version=1, use_case_id=pending), 201)
    item = meeting["agenda"][0]["id"]
    # an outcome is a decision: only once the meeting is held, and with a reason
    refused(
        call(
            client,
            "PATCH",
            f"/{mid}/agenda/{item}",
            chair,
            version=2,
            outcome="approved",
            reason="vote",
        ),
        409,
    )
    meeting = ok(
        call(
            client, "PATCH", f"/{mid}/agenda/{item}", chair, version=2, notes="Read the DPIA first."
        )
    )
    assert meeting["minutes"] is None  # preparation notes; no minutes yet
    refused(
        call(client, "PUT", f"/{mid}/minutes", chair, version=0, body="# Minutes", reason="draft"),
        409,
    )
    ok(
        call(
            client,
            "PUT",
            f"/{mid}/attendance",
            chair,
            version=3,
            attendees=[
                {"username": "chair", "presence": "present"},
                {"username": "cm2", "presence": "present"},
                {"username": "sec", "presence": "present"},
            ],
        )
    )
    meeting = ok(call(client, "POST", f"/{mid}/held", chair, version=4, reason="quorum present"))
    version = meeting["version"]
    refused(
        call(client, "PATCH", f"/{mid}/agenda/{item}", chair, version=version, outcome="approved"),
        400,
        "reason",
    )
    refused(
        call(
            client,
            "PATCH",
            f"/{mid}/agenda/{item}",
            chair,
            version=version,
            outcome="maybe",
            reason="x",
        ),
        400,
        "outcome",
    )

    # the approval itself is signed through the registry; the minutes link to it
    rita = login("rita")
    ok(
        client.post(
            f"/api/v1/use-cases/{pending}/approvals",
            json={
                "stage": "ai_referent_review",
                "decision": "approve",
                "password": PASSWORD,
                "comment": "fine",
            },
            headers=rita,
        )
    )
    ok(
        client.post(
            f"/api/v1/use-cases/{other}/approvals",
            json={"stage": "ai_referent_review", "decision": "approve", "password": PASSWORD},
            headers=rita,
        )
    )
    with rt.database.write() as session:
        decision_of = dict(
            session.execute(select(ApprovalDecision.use_case_id, ApprovalDecision.id)).all()
        )
        transition = Transition(
            use_case_id=pending,
            from_status="assessed",
            to_status="approved",
            reason="committee decision",
            actor_id=str(cast["chair"]),
            actor_name="Claire Hamon (chair)",
        )
        session.add(transition)
        session.flush()
        transition_id = transition.id
    refused(
        call(
            client,
            "PATCH",
            f"/{mid}/agenda/{item}",
            chair,
            version=version,
            outcome="approved",
            reason="unanimous",
            approval_decision_id=decision_of[other],
        ),
        400,
        "approval_decision_id",
    )
    refused(
        call(
            client,
            "PATCH",
            f"/{mid}/agenda/{item}",
            chair,
            version=version,
            outcome="approved",
            reason="unanimous",
            approval_decision_id=99999,
        ),
        404,
        "approval_decision_id",
    )
    meeting = ok(
        call(
            client,
            "PATCH",
            f"/{mid}/agenda/{item}",
            chair,
            version=version,
            outcome="approved",
            reason="unanimous",
            approval_decision_id=decision_of[pending],
            transition_id=transition_id,
        )
    )
    recorded = meeting["agenda"][0]
    assert (recorded["outcome"], recorded["approval_decision_id"], recorded["transition_id"]) == (
        "approved",
        decision_of[pending],
        transition_id,
    )

    # minutes: versioned text
    refused(
        call(client, "PUT", f"/{mid}/minutes", eve, version=0, body="# Minutes", reason="draft"),
        403,
    )
    refused(
        call(client, "PUT", f"/{mid}/minutes", sec, version=0, body="  ", reason="draft"),
        400,
        "body",
    )
    minutes = ok(
        call(
            client,
            "PUT",
            f"/{mid}/minutes",
            sec,
            version=0,
            body="# Minutes\n\nApproved.",
            reason="draft",
        )
    )
    assert minutes["revision"] == 1
    assert minutes["approved"] is False
    refused(
        call(client, "PUT", f"/{mid}/minutes", sec, version=0, body="# Other", reason="draft"),
        409,
        "version",
    )
    minutes = ok(
        call(
            client,
            "PUT",
            f"/{mid}/minutes",
            sec,
            version=1,
            body="# Minutes\n\nApproved unanimously.",
            reason="wording",
        )
    )
    assert minutes["revision"] == 2

    # approving is a signature by a voting member, of the revision reviewed
    approve = f"/{mid}/minutes/approve"
    refused(call(client, "POST", approve, eve, version=2, password=PASSWORD), 403)
    error = refused(call(client, "POST", approve, sec, version=2, password=PASSWORD), 403)
    assert "voting member" in error["message"]
    with rt.database.read() as session:
        notices = session.scalars(select(Notification.message)).all()
    assert any("sec was refused approving the minutes" in n for n in notices)
    refused(call(client, "POST", approve, chair, version=1, password=PASSWORD), 409, "version")
    refused(call(client, "POST", approve, chair, version=2, password="wrong password"), 401)
    minutes = ok(call(client, "POST", approve, chair, version=2, password=PASSWORD))
    assert minutes["approved"] is True
    [signature] = minutes["signatures"]
    assert (
        signature["printed_name"],
        signature["meaning"],
        signature["current"],
        signature["voting_member"],
    ) == (
        "Claire Hamon",
        "approved",
        True,
        True,
    )
    meeting = ok(client.get(f"/api/v1/committee/meetings/{mid}", headers=eve))
    assert meeting["status"] == "minutes_approved"

    # minutes are signed only through the committee's route, where voting rights are checked
    refused(
        client.post(
            "/api/v1/signatures",
            json={
                "object_type": "committee_minutes",
                "object_id": str(mid),
                "meaning": "approved",
                "password": PASSWORD,
            },
            headers=eve,
        ),
        400,
        "object_type",
    )
    minutes = ok(client.get(f"/api/v1/committee/meetings/{mid}/minutes", headers=eve))
    assert [s["voting_member"] for s in minutes["signatures"]] == [True]

    # editing what the approval covered (here an item's notes) makes it a signature of the past
    meeting = ok(
        call(
            client,
            "PATCH",
            f"/{mid}/agenda/{item}",
            chair,
            version=meeting["version"],
            notes="Read the DPIA first. Ask for the fallback rehearsal.",
        )
    )
    assert meeting["status"] == "held"
    minutes = meeting["minutes"]
    assert minutes["revision"] == 3
    assert minutes["approved"] is False
    assert minutes["signatures"][0]["current"] is False
    assert "an earlier version" in minutes["signatures"][0]["manifestation"]
    assert [h["revision"] for h in minutes["history"]] == [1, 2, 3]
    signed = ok(client.get(f"/api/v1/committee/meetings/{mid}/minutes/2", headers=eve))
    assert signed["content_hash"] == minutes["signatures"][0]["object_hash"]
    assert signed["content"]["body"] == "# Minutes\n\nApproved unanimously."
    assert signed["content"]["items"][0]["notes"] == "Read the DPIA first."
    refused(client.get(f"/api/v1/committee/meetings/{mid}/minutes/9", headers=eve), 404)
    # a second voting member approves the new revision
    minutes = ok(call(client, "POST", approve, login("cm2"), version=3, password=PASSWORD))
    assert minutes["approved"] is True
    assert actions(rt, "committee.minutes") == [
        "committee.minutes_revised",
        "committee.minutes_revised",
        "committee.minutes_approved",
        "committee.minutes_revised",
        "committee.minutes_approved",
    ]


# --- referents --------------------------------------------------------------------------------


def test_referents_replacement_history_inheritance_and_roles(
    client: TestClient, cast: dict[str, int], login: Login, rt: Runtime, ctx: AuditContext
) -> None:
    admin, rita, eve = login("root"), login("rita"), login("eve")
    rt.directory.create_team(ctx, slug="pharma", name="Pharma", kind="business_unit")
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department", parent="pharma")
    rt.directory.create_team(ctx, slug="rd-lab", name="Laboratory", kind="team", parent="rd")
    teams = {t.slug: t.id for t in rt.directory.list_teams()}

    def put(
        slug: str, kind: str, username: str, headers: dict[str, str], reason: str = "named"
    ) -> Any:
        return client.put(
            f"/api/v1/teams/{slug}/referents/{kind}",
            json={"username": username, "reason": reason},
            headers=headers,
        )

    ok(put("pharma", "ai_referent", "rita", admin))
    ok(put("rd", "data_owner", "olivia", rita))  # the AI referent manages referents too
    ok(put("rd", "security_referent", "sam", admin))
    view = ok(put("rd", "security_referent", "sue", admin))
    assert sorted(r["username"] for r in view["current"]) == ["olivia", "sam", "sue"]
    # the role is checked, and bad input names the field
    error = refused(put("rd", "data_owner", "eve", admin), 400, "username")
    assert error["code"] == "role_missing"
    assert "data_owner" in error["message"]
    refused(put("rd", "security_referent", "olivia", admin), 400, "username")
    refused(put("rd", "owner", "olivia", admin), 400, "kind")
    refused(put("nowhere", "data_owner", "olivia", admin), 404, "team")
    refused(put("rd", "data_owner", "olivia", admin), 409, "username")
    refused(put("rd", "data_owner", "oscar", admin, reason=""), 422, "reason")
    refused(put("rd", "data_owner", "oscar", eve), 403)
    refused(put("rd", "data_owner", "oscar", login("chair")), 403)
    # one data owner at a time: naming another ends the previous, with the reason
    view = ok(put("rd", "data_owner", "oscar", admin, reason="olivia moved to QA"))
    assert [r["username"] for r in view["current"] if r["kind"] == "data_owner"] == ["oscar"]
    shown = ok(client.get("/api/v1/teams/rd/referents?history=true", headers=eve))
    [ended] = shown["history"]
    assert (ended["username"], ended["until"] is not None) == ("olivia", True)
    assert ended["end_reason"] == "replaced by oscar: olivia moved to QA"
    assert [r["username"] for r in shown["effective"]["ai_referent"]] == ["rita"]
    assert shown["effective"]["ai_referent"][0]["inherited"] is True

    # the lookup walks up the hierarchy when a team has none
    lab = teams["rd-lab"]
    assert [
        (r.username, r.team_slug, r.inherited)
        for r in rt.committee.referents_for(lab, "data_owner")
    ] == [("oscar", "rd", True)]
    assert [r.username for r in rt.committee.referents_for(lab, "security_referent")] == [
        "sam",
        "sue",
    ]
    assert [r.username for r in rt.committee.referents_for(lab, "ai_referent")] == ["rita"]
    assert rt.committee.referents_for(lab, "ai_referent", inherit=False) == []
    assert rt.committee.referents_for(teams["pharma"], "data_owner") == []
    # ended without a successor, the department inherits nothing further up
    ok(
        client.post(
            "/api/v1/teams/rd/referents/data_owner/oscar/end",
            json={"reason": "left"},
            headers=admin,
        )
    )
    refused(
        client.post(
            "/api/v1/teams/rd/referents/data_owner/oscar/end",
            json={"reason": "again"},
            headers=admin,
        ),
        404,
        "username",
    )
    assert rt.committee.referents_for(lab, "data_owner") == []
    # a referent who loses the directory role no longer answers lookups
    rt.directory.update_user(ctx, cast["sue"], reason="changed job", roles=[])
    assert [r.username for r in rt.committee.referents_for(lab, "security_referent")] == ["sam"]
    shown = ok(client.get("/api/v1/teams/rd/referents", headers=eve))
    assert {r["username"]: r["holds_role"] for r in shown["current"]} == {"sam": True, "sue": False}
    assert actions(rt, "referent.") == ["referent.assigned"] * 4 + [
        "referent.ended",
        "referent.assigned",
        "referent.ended",
    ]


# --- CLI --------------------------------------------------------------------------------------


def test_cli_meetings_agenda_and_referent(
    cli_env: Settings,
    client: TestClient,
    committee: dict[str, Any],
    cast: dict[str, int],
    rt: Runtime,
    ctx: AuditContext,
) -> None:
    from gouvernail.cli import app as cli_app

    chair = committee["chair"]
    pending = use_case(rt, cast["eve"], "Assessed chatbot", "assessed", tier="minimal")
    meeting = schedule(client, chair, "January committee")
    ok(call(client, "POST", f"/{meeting['id']}/agenda/propose", chair, version=1))
    runner = CliRunner()
    result = runner.invoke(cli_app, ["committee", "meetings"])
    assert result.exit_code == 0, result.output
    assert "January committee" in result.output
    assert "planned" in result.output
    result = runner.invoke(cli_app, ["committee", "agenda", str(meeting["id"])])
    assert result.exit_code == 0, result.output
    assert f"UC-{pending:04d}" in result.output
    assert "minimal" in result.output
    assert "pending stage ai_referent_review" in result.output
    assert "0 of 3 voting members present" in result.output
    assert runner.invoke(cli_app, ["committee", "agenda", "999"]).exit_code == 1
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department")
    result = runner.invoke(
        cli_app, ["committee", "referent", "rd", "data_owner", "olivia", "--reason", "named"]
    )
    assert result.exit_code == 0, result.output
    assert "data_owner of rd: olivia" in result.output
    result = runner.invoke(
        cli_app, ["committee", "referent", "rd", "data_owner", "eve", "--reason", "named"]
    )
    assert result.exit_code == 1
    assert "does not hold the directory role" in result.output
