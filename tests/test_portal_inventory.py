"""The inventory page: models with promised and measured service, vendors and contracts,
status changes with a reason by those who decide."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.gateway_helpers import sdk
from tests.portal_helpers import csrf_of, post, sign_in

from gouvernail.runtime import Runtime


def test_models_show_promised_and_measured_service(gw: TestClient, world: Any) -> None:
    key = world.key("alice", "drafting")
    answer = sdk(gw, key).chat.completions.create(
        model="gpt-eu", messages=[{"role": "user", "content": "Bonjour"}]
    )
    assert answer.choices
    gw.cookies.clear()
    sign_in(gw, "bob")
    page = gw.get("/inventory")
    assert page.status_code == 200
    assert "gpt-eu" in page.text
    assert "claude-eu" in page.text
    assert "100.00 %" in page.text  # measured on the call above
    assert "New status" not in page.text  # bob may read, not decide
    detail = gw.get("/inventory/models/gpt-eu")
    assert "model.created" in detail.text
    assert gw.get("/inventory/models/nope").status_code == 404


def test_a_referent_suspends_a_model_with_a_reason(gw: TestClient, world: Any, rt: Runtime) -> None:
    token = sign_in(gw, "ref")
    page = gw.get("/inventory")
    assert "New status" in page.text
    version = rt.inventory.get_model("claude-eu").version
    missing = post(
        gw, "/inventory/models/claude-eu/status", token, status="suspended", version=str(version)
    )
    assert missing.status_code == 422
    assert "Say why" in missing.text
    done = post(
        gw,
        "/inventory/models/claude-eu/status",
        token,
        status="suspended",
        reason="vendor changed its retention terms",
        version=str(version),
    )
    assert done.status_code == 303
    assert rt.inventory.get_model("claude-eu").status == "suspended"
    detail = gw.get("/inventory/models/claude-eu")
    assert "vendor changed its retention terms" in detail.text
    stale = post(
        gw,
        "/inventory/models/claude-eu/status",
        token,
        status="approved",
        reason="again",
        version=str(version),
    )
    assert stale.status_code == 409  # someone changed it since that version


def test_an_employee_may_not_change_a_status(gw: TestClient, world: Any, rt: Runtime) -> None:
    token = sign_in(gw, "nora")
    refused = post(
        gw, "/inventory/models/gpt-eu/status", token, status="retired", reason="x", version="1"
    )
    assert refused.status_code == 403
    assert rt.inventory.get_model("gpt-eu").status == "approved"
    assert csrf_of(gw.get("/inventory").text)
