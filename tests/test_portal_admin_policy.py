"""Detectors and enforcement rules edited in the portal: validated, versioned, audited,
applied to the gateway at once here and by every replica that reloads."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.gateway_helpers import sdk
from tests.portal_helpers import post, sign_in

from gouvernail.audit.models import AuditRecord
from gouvernail.gateway.models import RequestLog
from gouvernail.gateway.policy_documents import DETECTORS_TEMPLATE, parse_detectors
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

CODENAMES = """\
detectors:
  - name: project_codenames
    kind: terms
    entity: CONFIDENTIAL_MARKER
    terms:
      - {term: Orion-7, data_class: secret}
"""


def _ask(gw: TestClient, world: Any, text: str) -> int:
    client = sdk(gw, world.key("alice", "drafting"))
    try:
        client.chat.completions.create(model="gpt-eu", messages=[{"role": "user", "content": text}])
    except Exception as error:  # the SDK raises on a refusal
        return int(getattr(error, "status_code", 0))
    return 200


def _last_decision(rt: Runtime) -> str:
    with rt.database.read() as session:
        row = session.scalars(select(RequestLog).order_by(RequestLog.id.desc())).first()
        assert row is not None
        return row.decision


def test_a_code_name_added_by_an_administrator_is_enforced_at_once(
    gw: TestClient, world: Any, rt: Runtime, make_user: Any
) -> None:
    assert _ask(gw, world, "Status of Orion-7 trials?") == 200
    make_user("sec", "security_referent")
    token = sign_in(gw, "sec")
    page = gw.get("/admin/policy/detectors")
    assert page.status_code == 200
    assert "Validate, save and apply" in page.text
    saved = post(
        gw, "/admin/policy/detectors", token, text=CODENAMES, reason="project Orion is secret"
    )
    assert saved.status_code == 303, saved.text
    assert "Version 1 saved and applied." in gw.get(saved.headers["location"]).text
    gw.cookies.clear()
    assert _ask(gw, world, "Status of Orion-7 trials?") != 200
    assert _last_decision(rt) in {"block", "reroute"}
    with rt.database.read() as session:
        event = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "gateway.policy_saved")
        ).one()
    assert event.object_id == "detectors"
    assert event.reason == "project Orion is secret"


def test_rules_are_replaced_and_bad_documents_refused_next_to_the_field(
    gw: TestClient, world: Any, rt: Runtime, make_user: Any
) -> None:
    make_user("root", "admin")
    token = sign_in(gw, "root")
    current = rt.policy_documents.current_text("rules")
    assert "prompt-injection" in current
    broken = post(gw, "/admin/policy/rules", token, text="rules: [", reason="typo")
    assert broken.status_code == 422
    assert 'id="e-text"' in broken.text
    assert "not valid YAML" in broken.text
    assert "rules: [" in broken.text  # the input is kept
    wrong = post(
        gw,
        "/admin/policy/rules",
        token,
        text="rules:\n  - id: x\n    action: explode\n",
        reason="x",
    )
    assert wrong.status_code == 422
    no_reason = post(gw, "/admin/policy/rules", token, text=current, reason="")
    assert no_reason.status_code == 422
    assert 'id="e-reason"' in no_reason.text
    relaxed = current.replace(
        "when: {injection: true}\n    action: block", "when: {injection: true}\n    action: allow"
    )
    assert relaxed != current
    assert post(gw, "/admin/policy/rules", token, text=relaxed, reason="pilot").status_code == 303
    assert rt.gateway.rules.ruleset.rules[1].action.value == "allow"
    assert [v.version for v in rt.policy_documents.versions("rules")] == [1]


def test_another_replica_applies_a_saved_version(
    gw: TestClient, world: Any, rt: Runtime, settings: Settings, ctx: Any
) -> None:
    assert parse_detectors(DETECTORS_TEMPLATE, [])  # the starting text is valid as it is
    rt.policy_documents.save(ctx, "detectors", CODENAMES, "code names", world.users["ref"])
    other = Runtime.build(settings)
    try:
        service = other.build_gateway()
        assert service.policy_applied == {"detectors": 1}
        assert service.apply_policy(other.policy_documents) == []  # nothing new
        rt.policy_documents.save(ctx, "detectors", "{}\n", "withdrawn", world.users["ref"])
        assert service.apply_policy(other.policy_documents) == ["detectors"]
        assert service.policy_applied == {"detectors": 2}
    finally:
        other.close()


def test_who_may_read_and_edit(gw: TestClient, world: Any, rt: Runtime) -> None:
    token = sign_in(gw, "ref")  # AI referent: reads the gateway, does not edit its policy
    page = gw.get("/admin/policy/rules")
    assert page.status_code == 200
    assert "Validate, save and apply" not in page.text
    refused = post(gw, "/admin/policy/rules", token, text="rules: []", reason="x")
    assert refused.status_code == 403
    assert gw.get("/admin/policy/nothing").status_code == 404
    gw.cookies.clear()
    token = sign_in(gw, "nora")
    assert gw.get("/admin/policy/rules").status_code == 403
    assert rt.policy_documents.versions("rules") == []
