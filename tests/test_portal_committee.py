"""The portal's committee page: the use cases awaiting a decision with their key facts, a
member signing an approval, the meetings and their minutes approved with a signature."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import PASSWORD
from tests.portal_helpers import csrf_of, form_id_of, post, sign_in
from tests.test_committee import TODAY, use_case

from gouvernail.audit import AuditContext
from gouvernail.identity.principal import Principal
from gouvernail.registry.models import ApprovalDecision, DataSource
from gouvernail.registry.schemas import ApprovalIn
from gouvernail.risk.models import Risk
from gouvernail.runtime import Runtime
from gouvernail.signatures.models import Signature

MakeUser = Callable[..., int]


def make_board(rt: Runtime, ctx: AuditContext, make_user: MakeUser) -> dict[str, int]:
    """A department, a requester, referents, a chair and a member (voting), an employee."""
    team = rt.directory.create_team(ctx, slug="legal", name="Legal affairs", kind="department")
    people = {
        "team": team.id,
        "alice": make_user("alice"),
        "rita": make_user("rita", "ai_referent"),
        "olivia": make_user("olivia", "data_owner"),
        "chair": make_user("chair", "committee_member", display_name="Claire Hamon"),
        "cm2": make_user("cm2", "committee_member"),
        "eve": make_user("eve"),
    }
    for username, role in (("chair", "chair"), ("cm2", "member")):
        rt.committee.members.add(ctx, username=username, role=role, reason="appointed by the board")
    return people


@pytest.fixture
def board(rt: Runtime, ctx: AuditContext, make_user: MakeUser) -> dict[str, int]:
    return make_board(rt, ctx, make_user)


def decide(rt: Runtime, user_id: int, use_case_id: int, stage: str) -> None:
    principal = Principal.signed_in(rt.directory.get(user_id))
    body = ApprovalIn(stage=stage, decision="approve", comment="reviewed", password=PASSWORD)
    rt.approvals.decide(principal, use_case_id, body)


def awaiting_committee(
    rt: Runtime, board: dict[str, int], title: str = "Contract clause extraction"
) -> int:
    """A limited-risk bought tool (standard workflow) whose AI referent and data owner have
    approved: the committee's stage is next."""
    uc = awaiting_data_owner(rt, board, title)
    decide(rt, board["olivia"], uc, "data_owner_review")
    return uc


def awaiting_data_owner(rt: Runtime, board: dict[str, int], title: str) -> int:
    uc = use_case(
        rt,
        board["alice"],
        title,
        "assessed",
        tier="limited",
        department=board["team"],
    )
    with rt.database.write() as session:
        session.add(
            DataSource(
                use_case_id=uc,
                position=1,
                name="Contract repository",
                owner_id=board["olivia"],
                data_class="confidential",
            )
        )
        session.add(
            Risk(
                use_case_id=uc,
                number=1,
                category="privacy",
                title="Personal data in contracts",
                likelihood=4,
                severity=3,
            )
        )
    decide(rt, board["rita"], uc, "ai_referent_review")
    return uc


def decisions_of(rt: Runtime, use_case_id: int) -> int:
    with rt.database.read() as session:
        return int(
            session.scalar(
                select(func.count(ApprovalDecision.id)).where(
                    ApprovalDecision.use_case_id == use_case_id
                )
            )
            or 0
        )


def test_the_committee_sees_what_awaits_a_decision_with_its_key_facts(
    client: TestClient, rt: Runtime, board: dict[str, int]
) -> None:
    uc = awaiting_committee(rt, board)
    pilot = use_case(
        rt,
        board["alice"],
        "Invoice matching pilot",
        "pilot",
        tier="minimal",
        pilot_end=TODAY - timedelta(days=3),
        measured=(None,),
    )
    sign_in(client, "chair")
    page = client.get("/committee")
    assert page.status_code == 200
    html = page.text
    for fact in (
        f'href="/use-cases/{uc}"',
        f"UC-{uc:04d} — Contract clause extraction",
        "assessed",
        "limited risk (transparency)",  # AI Act tier
        ">high</span>",  # risk level: 4 x 3 = 12
        "Legal affairs",  # department
        "confidential",  # data class
        "Approval of the use case",  # the decision asked
        "Next stage: Committee decision.",
        "Rita</strong> — approved",  # approvals already given, as signed
        "Olivia</strong> — approved",
        f"UC-{pilot:04d} — Invoice matching pilot",
        "Go / no-go at the end of the pilot",
    ):
        assert fact in html, fact
    assert f'action="/committee/use-cases/{uc}/approvals"' in html
    assert f'action="/committee/use-cases/{pilot}/approvals"' not in html  # not up for approval


def test_a_committee_member_signs_an_approval(
    client: TestClient, rt: Runtime, board: dict[str, int]
) -> None:
    uc = awaiting_committee(rt, board)
    token = sign_in(client, "chair")
    page = client.get("/committee").text
    fields = {"stage": "committee_decision", "revision": "1", "decision": "approve"}
    url = f"/committee/use-cases/{uc}/approvals"

    unsigned = post(client, url, token, form_id=form_id_of(page), **fields, comment="Fine")
    assert unsigned.status_code == 422
    assert f'id="e-password-{uc}"' in unsigned.text

    wrong = post(client, url, token, form_id=form_id_of(page), **fields, password="not it")
    assert wrong.status_code == 401
    assert "Wrong password: nothing was signed." in wrong.text
    assert decisions_of(rt, uc) == 2

    form_id = form_id_of(page)
    signed = post(
        client, url, token, form_id=form_id, **fields, comment="Proportionate", password=PASSWORD
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/committee?done=signed#uc-{uc}"
    again = post(
        client, url, token, form_id=form_id, **fields, comment="Proportionate", password=PASSWORD
    )
    assert again.headers["location"] == signed.headers["location"]
    assert decisions_of(rt, uc) == 3  # the double submit signed once

    shown = client.get(signed.headers["location"]).text
    assert "Your decision is signed and recorded." in shown
    with rt.database.read() as session:
        signature = session.scalars(
            select(Signature).where(Signature.user_id == board["chair"])
        ).one()
    assert signature.meaning == "approved"
    assert signature.object_id == str(uc)
    assert "Claire Hamon</strong> — approved" in shown  # the manifestation: who, meaning...
    assert "Committee decision: 1 of 2 approval(s)" in shown
    assert "committee decision: Proportionate" in shown  # ...and what it decides

    assert f'action="{url}"' not in shown  # decided: the form is gone for this member

    # a stage is decided once per person
    repeat = post(client, url, token, form_id="another-form", **fields, password=PASSWORD)
    assert repeat.status_code == 409
    assert "already decided" in repeat.text


def test_rights_and_csrf(client: TestClient, rt: Runtime, board: dict[str, int]) -> None:
    uc = awaiting_committee(rt, board)
    url = f"/committee/use-cases/{uc}/approvals"
    fields = {"stage": "committee_decision", "revision": "1", "decision": "approve"}

    # every employee reads the committee (committee, read), without the signing form
    token = sign_in(client, "eve")
    page = client.get("/committee")
    assert page.status_code == 200
    assert "Contract clause extraction" in page.text
    assert 'action="/committee/use-cases/' not in page.text
    refused = post(client, url, token, form_id="f" * 20, **fields, password=PASSWORD)
    assert refused.status_code == 403
    assert decisions_of(rt, uc) == 2

    # the form is offered to whom the next stage names: its role, or the named data owners
    owners_turn = awaiting_data_owner(rt, board, "Clause library search")
    client.cookies.clear()
    sign_in(client, "rita")  # may approve (use_cases, approve), but neither stage is hers
    assert 'action="/committee/use-cases/' not in client.get("/committee").text
    client.cookies.clear()
    sign_in(client, "olivia")
    offered = client.get("/committee").text
    assert f'action="/committee/use-cases/{owners_turn}/approvals"' in offered
    assert f'action="{url}"' not in offered

    client.cookies.clear()
    sign_in(client, "chair")
    mine = client.get("/committee").text
    assert f'action="{url}"' in mine
    assert f'action="/committee/use-cases/{owners_turn}/approvals"' not in mine
    no_token = client.post(url, data={**fields, "password": PASSWORD, "form_id": "x" * 20})
    assert no_token.status_code == 403
    assert "expired or did not come from this site" in no_token.text
    assert decisions_of(rt, uc) == 2


def test_meetings_and_minutes_approved_with_a_signature(
    client: TestClient, rt: Runtime, ctx: AuditContext, board: dict[str, int]
) -> None:
    uc = awaiting_committee(rt, board)
    when = datetime.now(UTC) + timedelta(hours=1)
    meeting = rt.committee.meetings.schedule(ctx, title="March committee", scheduled_at=when)
    meeting = rt.committee.agenda.add(ctx, meeting.id, version=meeting.version, use_case_id=uc)
    meeting = rt.committee.meetings.set_attendance(
        ctx,
        meeting.id,
        version=meeting.version,
        attendees=[("chair", "present"), ("cm2", "present")],
    )
    meeting = rt.committee.meetings.hold(ctx, meeting.id, version=meeting.version, reason="open")
    rt.committee.minutes.write(
        ctx, meeting.id, version=0, body="# Minutes\n\nThe extraction tool.", reason="draft"
    )
    mid = meeting.id

    token = sign_in(client, "eve")
    listing = client.get("/committee").text
    assert f'href="/committee/meetings/{mid}">March committee' in listing
    shown = client.get(f"/committee/meetings/{mid}").text
    assert "The extraction tool." in shown
    assert f"UC-{uc:04d}" in shown
    assert "2 of 2 voting members present" in shown
    assert "/minutes/approve" not in shown  # an employee does not approve minutes
    approve = f"/committee/meetings/{mid}/minutes/approve"
    denied = post(client, approve, token, version="1", password=PASSWORD, form_id="y" * 20)
    assert denied.status_code == 403

    client.cookies.clear()
    token = sign_in(client, "chair")
    page = client.get(f"/committee/meetings/{mid}").text
    assert f'action="{approve}"' in page
    wrong = post(client, approve, token, version="1", password="nope", form_id=form_id_of(page))
    assert wrong.status_code == 401
    assert 'id="e-password"' in wrong.text
    signed = post(client, approve, token, version="1", password=PASSWORD, form_id=form_id_of(page))
    assert signed.status_code == 303
    after = client.get(signed.headers["location"]).text
    assert "Your approval of the minutes is signed." in after
    assert "minutes approved" in after
    assert "Claire Hamon</strong> — approved" in after
    assert f'action="{approve}"' not in after  # signed: nothing left to sign
    assert csrf_of(after)


def test_unknown_meeting_is_a_404_page(client: TestClient, board: dict[str, Any]) -> None:
    sign_in(client, "chair")
    missing = client.get("/committee/meetings/999")
    assert missing.status_code == 404
    assert "<h1>" in missing.text
