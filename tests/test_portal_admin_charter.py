"""Charter versions in the portal's administration: draft from text and YAML rules, revise,
sign, activate now or from a date, withdraw, and follow the roll-out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PASSWORD
from tests.inventory_helpers import records
from tests.portal_helpers import form_id_of, sign_in
from tests.test_portal_admin import send

from gouvernail.runtime import Runtime

RULES = """\
values:
  - Patient safety first
data_classes:
  - name: public
    label: Public
    may_leave_company: true
  - name: secret
    label: Secret
    may_leave_company: false
"""


@pytest.fixture
def drafter(client: TestClient, make_user: Callable[..., int]) -> str:
    """Someone who drafts, approves and activates charters (signed in); their CSRF token."""
    make_user("chair", "admin", "ai_referent", "committee_member")
    return sign_in(client, "chair")


def _draft(client: TestClient, token: str, number: str, rules: str = RULES) -> str:
    form = client.get("/admin/charter/new")
    data = {"form_id": form_id_of(form.text), "number": number, "title": "Our charter"}
    answer = send(client, "/admin/charter", token, **data, body="# Use AI well", rules=rules)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"]).split("?")[0]


def test_draft_with_invalid_rules_shows_the_message_next_to_them(
    client: TestClient, rt: Runtime, drafter: str
) -> None:
    form = client.get("/admin/charter/new")
    assert form.status_code == 200
    assert "Charter for the responsible use of generative AI" in form.text  # the shipped one
    data = {"form_id": form_id_of(form.text), "number": "2026.9", "title": "Ours", "body": "Text"}
    broken = send(client, "/admin/charter", drafter, **data, rules="values: [unclosed")
    assert broken.status_code == 422
    assert 'id="e-rules"' in broken.text
    assert "not valid YAML" in broken.text
    assert 'value="2026.9"' in broken.text
    assert "values: [unclosed" in broken.text
    incomplete = send(client, "/admin/charter", drafter, **data, rules="values: [Safety]")
    assert incomplete.status_code == 422
    assert 'id="e-rules"' in incomplete.text
    assert "data_classes" in incomplete.text
    assert rt.charters.list() == []
    done = send(client, "/admin/charter", drafter, **data, rules=RULES)
    assert done.status_code == 303
    again = send(client, "/admin/charter", drafter, **data, rules=RULES)  # a double click
    assert again.status_code == 303
    assert again.headers["location"] == done.headers["location"]
    assert len(rt.charters.list()) == 1
    assert records(rt, "charter.drafted")[-1]["new"]["number"] == "2026.9"
    assert "Draft saved." in client.get(done.headers["location"]).text


def test_revise_sign_activate_and_follow_the_rollout(
    client: TestClient, rt: Runtime, make_user: Callable[..., int], drafter: str
) -> None:
    make_user("alice")
    page = _draft(client, drafter, "2026.1")
    charter_id = int(page.rsplit("/", 1)[1])
    revised = send(
        client,
        page,
        drafter,
        title="Our charter, revised",
        body="# Use AI well",
        rules=RULES,
        reason="clearer title",
    )
    assert revised.status_code == 303
    assert rt.charters.get(charter_id).revision == 2
    assert records(rt, "charter.revised")[-1]["reason"] == "clearer title"
    unapproved = send(client, f"{page}/activate", drafter, activate_reason="adopted")
    assert unapproved.status_code == 409
    assert "approved" in unapproved.text
    wrong = send(client, f"{page}/sign", drafter, meaning="approved", password="nope", revision="2")
    assert wrong.status_code in (401, 403)
    assert 'id="e-password"' in wrong.text
    signed = send(
        client, f"{page}/sign", drafter, meaning="approved", password=PASSWORD, revision="2"
    )
    assert signed.status_code == 303
    bad_date = {"activate_reason": "adopted", "effective_at": "tomorrow"}
    assert 'id="e-effective_at"' in send(client, f"{page}/activate", drafter, **bad_date).text
    silent = send(client, f"{page}/activate", drafter, activate_reason="")
    assert silent.status_code == 422
    assert 'id="e-activate_reason"' in silent.text
    active = send(client, f"{page}/activate", drafter, activate_reason="adopted by the committee")
    assert active.status_code == 303
    assert rt.charters.get(charter_id).status == "active"
    assert records(rt, "charter.activated")[-1]["reason"] == "adopted by the committee"
    overview = client.get("/admin/charter")
    assert "In force: charter 2026.1" in overview.text
    rollout = client.get(f"{page}/rollout")
    assert rollout.status_code == 200
    assert "Alice" in rollout.text
    assert "Chair" in rollout.text
    nobody_accepted = client.get(f"{page}/rollout", params={"state": "accepted"})
    assert "Alice" not in nobody_accepted.text
    told = send(client, f"{page}/notify", drafter)
    assert told.status_code == 303
    assert "told=0" in told.headers["location"]


def test_schedule_then_withdraw_a_version(
    client: TestClient, rt: Runtime, drafter: str, charter_in_force: object
) -> None:
    page = _draft(client, drafter, "2027.1")
    charter_id = int(page.rsplit("/", 1)[1])
    signed = send(client, f"{page}/sign", drafter, meaning="approved", password=PASSWORD)
    assert signed.status_code == 303
    later = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    scheduled = send(
        client,
        f"{page}/activate",
        drafter,
        activate_reason="next year",
        effective_at=later,
        grace_days="15",
    )
    assert scheduled.status_code == 303
    view = rt.charters.get(charter_id)
    assert view.status == "scheduled"
    assert view.grace_days == 15
    assert "Withdraw" in client.get(page).text
    unexplained = send(client, f"{page}/withdraw", drafter, withdraw_reason="")
    assert unexplained.status_code == 422
    assert 'id="e-withdraw_reason"' in unexplained.text
    withdrawn = send(client, f"{page}/withdraw", drafter, withdraw_reason="legal review")
    assert withdrawn.status_code == 303
    assert rt.charters.get(charter_id).status == "withdrawn"
    assert records(rt, "charter.withdrawn")[-1]["reason"] == "legal review"
