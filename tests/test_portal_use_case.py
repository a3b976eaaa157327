"""A use case's page: every tab, the rights each needs, signing an approval stage with the
password, the kill switch with confirmation and reason, the documentation pack download."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import PASSWORD
from tests.gateway_helpers import sdk
from tests.portal_helpers import form_id_of, post, sign_in
from tests.registry_helpers import DEPLOYMENT, QUALIFICATION, TODAY, move, people, put, submit

from gouvernail.audit.models import AuditRecord
from gouvernail.gateway.models import SwitchScope
from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]
HIGH = {
    "role": "provider_deployer",
    "prohibited_practices": ["none"],
    "annex_i_product": "none",
    "annex_iii_areas": ["employment"],
    "annex_iii_employment": ["recruitment_selection"],
    "profiles_natural_persons": False,
    "art_6_3_condition": "none",
    "deployer_sector": "private",
    "transparency_features": ["none"],
    "general_purpose": "none",
}
TABS = ("qualification", "classification", "risks", "approvals", "gateway", "usage", "history")


def _risk(client: TestClient, headers: dict[str, str], use_case_id: int, owner: int) -> None:
    created = client.post(
        f"/api/v1/use-cases/{use_case_id}/risks",
        json={
            "category": "bias",
            "title": "Ranking disadvantages some applicants",
            "likelihood": 3,
            "severity": 4,
            "mitigation": "Quarterly bias test; recruiters read beyond the shortlist.",
            "owner_id": owner,
            "residual_likelihood": 2,
            "residual_severity": 3,
            "review_on": (TODAY + timedelta(days=90)).isoformat(),
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    gxp = client.put(
        f"/api/v1/use-cases/{use_case_id}/gxp",
        json={"gxp_relevant": False, "rationale": "HR process, no GMP impact"},
        headers=headers,
    )
    assert gxp.status_code == 200, gxp.text


@pytest.fixture
def assessed(client: TestClient, make_user: Callable[..., int], login: Login) -> dict[str, Any]:
    """A high-risk use case of alice, assessed and up for approval (set up through the API)."""
    cast = people(make_user)
    alice = login("alice")
    uc = submit(client, alice)
    uc = put(client, alice, uc, "qualification", QUALIFICATION)
    uc = move(client, alice, uc, "qualified").json()
    uc = put(client, alice, uc, "classification", {"answers": HIGH})
    _risk(client, alice, uc["id"], cast["alice"])
    uc = put(client, alice, uc, "deployment", {"deployment": DEPLOYMENT})
    moved = move(client, alice, uc, "assessed")
    assert moved.status_code == 200, moved.text
    client.cookies.clear()
    result: dict[str, Any] = moved.json()
    return result


def test_every_tab_shows_what_the_registry_knows(
    client: TestClient, assessed: dict[str, Any]
) -> None:
    uc = assessed["id"]
    sign_in(client, "eve")
    summary = client.get(f"/use-cases/{uc}")
    assert summary.status_code == 200
    assert f"UC-{uc:04d}" in summary.text
    assert "Recruiters receive 400 CVs per opening" in summary.text
    assert "Applicant tracking system" in summary.text
    assert f'href="/use-cases/{uc}" aria-current="page"' in summary.text
    assert f"/api/v1/use-cases/{uc}/documentation?format=pdf" in summary.text
    assert "Join this use case" in summary.text  # eve does not work on it
    pages = {tab: client.get(f"/use-cases/{uc}/{tab}") for tab in TABS}
    for tab, page in pages.items():
        assert page.status_code == 200, (tab, page.text)
        assert f'href="/use-cases/{uc}/{tab}" aria-current="page"' in page.text
    assert "Shorten time to hire" in pages["qualification"].text
    assert "AI is warranted" in pages["qualification"].text
    assert "high risk" in pages["classification"].text
    assert "Art. 6(2)" in pages["classification"].text
    assert "Applies from" in pages["classification"].text
    assert '<svg class="chart heat"' in pages["risks"].text
    assert "Ranking disadvantages some applicants" in pages["risks"].text
    assert "3 \u00d7 4 = 12" in pages["risks"].text  # likelihood times severity
    assert "Workflow: High-risk use case, for revision" in pages["approvals"].text
    assert "AI referent review" in pages["approvals"].text
    assert "Sign the next stage" not in pages["approvals"].text  # eve may not approve
    assert "every approved model of the inventory" in pages["gateway"].text
    assert "No call in this period." in pages["usage"].text
    assert "use_case.submitted" in pages["history"].text
    # tabs eve may not open are neither shown nor served
    assert f"/use-cases/{uc}/kill-switch" not in summary.text
    assert f"/use-cases/{uc}/incidents" not in summary.text
    assert client.get(f"/use-cases/{uc}/kill-switch").status_code == 403
    assert client.get(f"/use-cases/{uc}/incidents").status_code == 403


def test_members_see_incidents_and_the_switch_but_may_not_flip_it(
    client: TestClient, assessed: dict[str, Any]
) -> None:
    uc = assessed["id"]
    sign_in(client, "alice")
    incidents = client.get(f"/use-cases/{uc}/incidents")
    assert incidents.status_code == 200
    assert "No incident recorded" in incidents.text
    switch = client.get(f"/use-cases/{uc}/kill-switch")
    assert switch.status_code == 200
    assert "AI is on for this use case." in switch.text
    assert f'action="/use-cases/{uc}/kill-switch"' not in switch.text
    assert "Join this use case" not in client.get(f"/use-cases/{uc}").text


def test_unknown_use_case_or_tab_is_a_404_page(
    client: TestClient, assessed: dict[str, Any]
) -> None:
    sign_in(client, "eve")
    missing = client.get("/use-cases/99999")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert client.get("/use-cases/99999/risks").status_code == 404
    tab = client.get(f"/use-cases/{assessed['id']}/nonsense")
    assert tab.status_code == 404
    assert "no tab" in tab.text


def test_an_ai_referent_flips_the_kill_switch_with_a_reason(
    client: TestClient, assessed: dict[str, Any], rt: Runtime
) -> None:
    uc = assessed["id"]
    url = f"/use-cases/{uc}/kill-switch"
    token = sign_in(client, "rita")
    page = client.get(url)
    assert "Switch AI off for this use case" in page.text
    incomplete = post(client, url, token, engaged="yes", reason="")
    assert incomplete.status_code == 422
    assert "Tick the box to confirm" in incomplete.text
    assert "Say why" in incomplete.text
    unconfirmed = post(client, url, token, engaged="yes", reason="Vendor breach under review")
    assert unconfirmed.status_code == 422
    assert "Vendor breach under review" in unconfirmed.text  # what was typed is kept
    assert "Say why" not in unconfirmed.text
    done = post(
        client, url, token, engaged="yes", confirm="yes", reason="Vendor breach under review"
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{url}?done=engaged"
    with rt.database.read() as session:
        switches = rt.governance.switches(session)
    assert [(s.scope, s.target_id, s.engaged) for s in switches] == [
        (SwitchScope.USE_CASE, uc, True)
    ]
    after = client.get(done.headers["location"])
    assert "AI is switched off for this use case since" in after.text
    assert "kill_switch.changed" in after.text  # the audited change, on the tab
    assert "Switch AI back on" in after.text
    with rt.database.read() as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "kill_switch.changed")
        ).one()
    assert record.object_id == f"use_case:{uc}"
    assert record.actor_name == "Rita (rita)"
    assert record.reason == "Vendor breach under review"
    again = post(client, url, token, engaged="yes", confirm="yes", reason="twice")
    assert again.status_code == 409  # already engaged: said, not repeated
    released = post(client, url, token, engaged="no", confirm="yes", reason="Vendor fixed it")
    assert released.status_code == 303
    assert "AI is on for this use case." in client.get(url).text


def test_an_employee_may_not_flip_the_switch_and_forms_need_their_token(
    client: TestClient, assessed: dict[str, Any], rt: Runtime
) -> None:
    uc = assessed["id"]
    url = f"/use-cases/{uc}/kill-switch"
    token = sign_in(client, "eve")
    refused = post(client, url, token, engaged="yes", confirm="yes", reason="I want it off")
    assert refused.status_code == 403
    assert "Access refused" in refused.text
    with rt.database.read() as session:
        assert rt.governance.switches(session) == []
        denied = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "auth.access_denied")
        ).all()
    assert any("kill_switches" in (row.new_values or "") for row in denied)
    client.cookies.clear()
    sign_in(client, "rita")
    forged = client.post(
        url,
        data={"engaged": "yes", "confirm": "yes", "reason": "no token"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    with rt.database.read() as session:
        assert rt.governance.switches(session) == []


def test_signing_an_approval_stage_needs_the_right_password(
    client: TestClient, assessed: dict[str, Any], rt: Runtime
) -> None:
    uc = assessed["id"]
    url = f"/use-cases/{uc}/approvals"
    token = sign_in(client, "rita")
    page = client.get(url)
    assert "Sign the next stage" in page.text
    stage = {
        "stage": "ai_referent_review",
        "revision": str(assessed["revision"]),
        "form_id": form_id_of(page.text),
    }
    missing = post(client, url, token, decision="approve", **stage)
    assert missing.status_code == 422
    assert "Enter your password to sign." in missing.text
    wrong = post(client, url, token, decision="approve", password="wrong", **stage)
    assert wrong.status_code == 401
    assert "Wrong password: nothing was signed." in wrong.text
    assert rt.approvals.view(uc).decisions == []
    signed = post(
        client, url, token, decision="approve", password=PASSWORD, comment="Checked", **stage
    )
    assert signed.status_code == 303, signed.text
    view = rt.approvals.view(uc)
    assert [(d.stage, d.decision, d.printed_name) for d in view.decisions] == [
        ("ai_referent_review", "approve", "Rita")
    ]
    shown = client.get(signed.headers["location"])
    assert "Your decision is signed and recorded." in shown.text
    assert "Rita — approved — " in shown.text  # the signature's manifestation
    again = post(client, url, token, decision="approve", password=PASSWORD, **stage)
    assert again.status_code == 303  # the same form sent again: signed once
    assert len(rt.approvals.view(uc).decisions) == 1
    twice = post(
        client,
        url,
        token,
        decision="approve",
        password=PASSWORD,
        **{**stage, "form_id": "a-new-form-of-the-same-page"},
    )
    assert twice.status_code == 409  # a new form: the stage is already decided


def test_employees_may_not_sign(client: TestClient, assessed: dict[str, Any]) -> None:
    uc = assessed["id"]
    token = sign_in(client, "eve")
    refused = post(
        client,
        f"/use-cases/{uc}/approvals",
        token,
        stage="ai_referent_review",
        decision="approve",
        password=PASSWORD,
    )
    assert refused.status_code == 403


def test_the_documentation_pack_downloads_with_the_session(
    client: TestClient, assessed: dict[str, Any]
) -> None:
    sign_in(client, "eve")
    pack = client.get(f"/api/v1/use-cases/{assessed['id']}/documentation?format=pdf")
    assert pack.status_code == 200
    assert pack.headers["content-type"] == "application/pdf"
    assert pack.content.startswith(b"%PDF")


def test_usage_charts_and_gateway_incidents(gw: TestClient, world: Any, rt: Runtime) -> None:
    uc = world.use_cases["drafting"]
    key = world.key("alice", "drafting")
    answered = sdk(gw, key).chat.completions.create(
        model="gpt-eu", messages=[{"role": "user", "content": "Bonjour"}]
    )
    assert answered.choices
    with pytest.raises(Exception, match="nope"):
        sdk(gw, key).chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "Bonjour"}]
        )
    gw.cookies.clear()
    sign_in(gw, "bob")
    usage = gw.get(f"/use-cases/{uc}/usage")
    assert usage.status_code == 200
    assert usage.text.count('<svg class="chart"') == 4
    assert "The figures, day by day" in usage.text
    gateway = gw.get(f"/use-cases/{uc}/gateway")
    assert "spent since the first of the month" in gateway.text
    incidents = gw.get(f"/use-cases/{uc}/incidents")
    assert incidents.status_code == 200
    assert "nope" in incidents.text
    assert "No incident recorded" not in incidents.text
