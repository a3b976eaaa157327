"""The model and vendor inventory through the HTTP API (on SQLite and PostgreSQL): declarations,
validation, optimistic versions, lifecycle, overdue reviews, comparison, the gateway's view,
and who may do what."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from tests.inventory_helpers import (
    LAST_MONTH,
    NEXT_YEAR,
    ROOT,
    TODAY,
    Headers,
    Login,
    MakeUser,
    model,
    put_charter_in_force,
    records,
    self_hosted,
    vendor,
)

from gouvernail.audit import AuditContext
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.inventory import ModelStatus
from gouvernail.inventory.models import InventoryModel
from gouvernail.runtime import Runtime


@pytest.fixture(autouse=True)
def _pinned_day(request: pytest.FixtureRequest) -> None:
    """The inventory's today is the helpers' TODAY (taken at import): a run that crosses
    midnight must not move review dates by a day."""
    if "rt" in request.fixturenames:
        request.getfixturevalue("rt").inventory.today = lambda: TODAY


ROLES = {
    "ref": ("ai_referent",),
    "com": ("committee_member",),
    "both": ("committee_member", "ai_referent"),
    "adm": ("admin",),
    "emp": (),
}


class People:
    """Signed-in people by nickname, created on first use (password hashing is slow)."""

    def __init__(self, make_user: MakeUser, login: Login) -> None:
        self.make_user = make_user
        self.login = login
        self.headers: dict[str, Headers] = {}

    def __getitem__(self, who: str) -> Headers:
        if who not in self.headers:
            self.make_user(who, *ROLES[who])
            self.headers[who] = self.login(who)
        return self.headers[who]

    def ensure(self, *names: str) -> None:
        for who in names:
            self[who]


@pytest.fixture
def people(make_user: MakeUser, login: Login, rt: Runtime, ctx: AuditContext) -> People:
    """An AI referent, a committee member, someone with both roles, an admin, an employee,
    under a charter with the classes public, internal, confidential and secret."""
    put_charter_in_force(rt, ctx)
    return People(make_user, login)


def post(client: TestClient, path: str, body: Any, headers: Headers, expect: int = 201) -> Any:
    response = client.post(ROOT + path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


def approve(client: TestClient, name: str, headers: Headers, reason: str = "approved") -> Any:
    version = client.get(f"{ROOT}/models/{name}", headers=headers).json()["version"]
    body = {"status": "approved", "reason": reason, "version": version}
    return post(client, f"/models/{name}/status", body, headers, 200)


LEAKED = "Zx81kQ0vT3BlbkFJ2mN7pQr5sT9uV"


def count_models(rt: Runtime) -> int:
    with rt.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(InventoryModel)) or 0)


# --- declarations ---------------------------------------------------------------------------------


def test_vendor_and_model_are_declared_read_and_audited(
    client: TestClient, people: People, rt: Runtime
) -> None:
    ref, emp = people["ref"], people["emp"]
    created = post(client, "/vendors", vendor(), ref)
    assert created["version"] == 1
    assert [g["kind"] for g in created["guarantees"]] == ["no_training", "data_residency"]
    assert [c["valid"] for c in created["certifications"]] == [True, False]  # SOC 2 expired
    assert created["review_overdue"] is False

    registered = post(client, "/models", model(), ref)
    assert (registered["status"], registered["version"]) == ("candidate", 1)
    assert registered["issues"] == []
    assert registered["pricing"]["input_per_million"] == 1.8  # a number in JSON

    # every employee reads the inventory
    assert client.get(f"{ROOT}/vendors/mistral", headers=emp).json()["models"] == [
        "mistral-large-eu"
    ]
    assert client.get(f"{ROOT}/models/mistral-large-eu", headers=emp).json()["vendor"] == "mistral"
    assert len(client.get(f"{ROOT}/vendors", headers=emp).json()) == 1

    assert records(rt, "vendor.created")[0]["new"]["slug"] == "mistral"
    assert len(records(rt, "guarantee.added")) == 2
    created_event = records(rt, "model.created")[0]
    assert created_event["object_id"] == "mistral-large-eu"
    assert created_event["new"]["credential_ref"] == "MISTRAL_API_KEY"
    assert created_event["actor"] == "Ref (ref)"

    # a change records only what changed, with the reason
    patched = client.patch(
        f"{ROOT}/models/mistral-large-eu",
        json={
            "version": 1,
            "reason": "price list of March",
            "pricing": {
                "mode": "per_token",
                "currency": "EUR",
                "input_per_million": 2,
                "output_per_million": 6,
            },
        },
        headers=ref,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2
    updated = records(rt, "model.updated")[0]
    assert set(updated["new"]) == {"pricing"}
    assert updated["old"]["pricing"]["input_per_million"] == 1.8
    assert (updated["reason"], updated["version"]) == ("price list of March", 2)

    vendor_patch = client.patch(
        f"{ROOT}/vendors/mistral",
        json={"version": 1, "reason": "new account manager", "notes": "MSA-2026-014"},
        headers=ref,
    )
    assert vendor_patch.json()["version"] == 2
    assert records(rt, "vendor.updated")[0]["new"] == {"notes": "MSA-2026-014"}
    nothing = client.patch(
        f"{ROOT}/vendors/mistral",
        json={"version": 2, "reason": "again", "notes": "MSA-2026-014"},
        headers=ref,
    )
    assert nothing.status_code == 400


def test_lists_filter_by_status_hosting_vendor_and_data_class(
    client: TestClient, people: People
) -> None:
    ref, emp = people["ref"], people["emp"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/vendors", vendor("in-house", dpa_signed_on=None, guarantees=[]), ref)
    post(client, "/models", model(), ref)
    post(client, "/models", model("mistral-small-eu", max_data_class="public"), ref)
    post(client, "/models", self_hosted(), ref)
    approve(client, "llama-onprem", people["com"])

    def names(query: str) -> list[str]:
        response = client.get(f"{ROOT}/models?{query}", headers=emp)
        assert response.status_code == 200, response.text
        return [m["name"] for m in response.json()]

    assert names("") == ["llama-onprem", "mistral-large-eu", "mistral-small-eu"]
    assert names("status=approved") == ["llama-onprem"]
    assert names("hosting=eu_cloud") == ["mistral-large-eu", "mistral-small-eu"]
    assert names("vendor=in-house") == ["llama-onprem"]
    assert names("max_data_class=public") == ["mistral-small-eu"]
    # which models may receive internal data: ceilings at or above it, in the charter's order
    assert names("accepting=internal") == ["llama-onprem", "mistral-large-eu"]
    assert names("accepting=secret") == ["llama-onprem"]
    unknown = client.get(f"{ROOT}/models?accepting=topsecret", headers=emp)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "accepting"


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "status", "field", "words"),
    [
        ({"max_data_class": "top_secret"}, 400, "max_data_class", "public, internal"),
        ({"max_data_class": "secret"}, 400, "max_data_class", "eu_cloud"),  # leaves the company
        (
            {"credential_ref": "sk-proj-Zx81kQ0vT3BlbkFJ2mN7pQr5sT9uV"},
            422,
            "credential_ref",
            "NAME",
        ),
        ({"credential_ref": "mistral-key"}, 422, "credential_ref", "environment variable"),
        ({"credential_ref": None}, 400, "credential_ref", "key variable"),
        ({"name": "Mistral Large"}, 422, "name", "pattern"),
        (
            {"pricing": {"mode": "per_token", "currency": "EUR", "input_per_million": -1}},
            422,
            "pricing.per_token.input_per_million",
            "greater than or equal",
        ),
        ({"pricing": {"mode": "monthly", "currency": "EUR"}}, 422, "pricing", "mode"),
        ({"pricing": None}, 400, "pricing", "infrastructure"),
        ({"vendor": "openai"}, 400, "vendor", "no vendor 'openai'"),
        ({"provider_kind": "azure_openai"}, 400, "endpoint", "azure_deployment"),
        ({"endpoint": {"base_url": "http://api.mistral.ai/v1"}}, 400, "endpoint.base_url", "https"),
        (
            {"endpoint": {"base_url": "https://api.example.com/v1?api-key=abc"}},
            422,
            "endpoint.base_url",
            "query",
        ),
        ({"fallback_models": ["nowhere"]}, 400, "fallback_models.0", "no model 'nowhere'"),
        ({"fallback_models": ["mistral-large-eu"]}, 400, "fallback_models", "own fallback"),
        ({"capabilities": []}, 422, "capabilities", "at least 1"),
        ({"retention_days": -1}, 422, "retention_days", "greater than or equal"),
        ({"unknown": 1}, 422, "unknown", "Extra inputs"),
    ],
)
def test_bad_declarations_name_the_field_and_write_nothing(
    client: TestClient,
    people: People,
    rt: Runtime,
    overrides: dict[str, Any],
    status: int,
    field: str,
    words: str,
) -> None:
    post(client, "/vendors", vendor(), people["ref"])
    response = client.post(f"{ROOT}/models", json=model(**overrides), headers=people["ref"])
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert words in error["message"], error
    assert LEAKED not in response.text  # a pasted key is never echoed
    assert count_models(rt) == 0
    assert records(rt, "model.created") == []


def test_bad_vendor_declarations(client: TestClient, people: People) -> None:
    ref = people["ref"]
    for body, field in (
        (vendor("Bad Slug"), "slug"),
        (vendor(country="France"), "country"),
        (vendor(lock_in="none"), "lock_in"),
        (vendor(exit_plan={"summary": ""}), "exit_plan.summary"),
        (vendor(certifications=[{"name": "ISO 27001"}]), "certifications.0.valid_until"),
    ):
        response = client.post(f"{ROOT}/vendors", json=body, headers=ref)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field
    twice = vendor(guarantees=[vendor()["guarantees"][0]] * 2)
    response = client.post(f"{ROOT}/vendors", json=twice, headers=ref)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "guarantees"
    post(client, "/vendors", vendor(), ref)
    assert client.post(f"{ROOT}/vendors", json=vendor(), headers=ref).status_code == 409
    assert client.get(f"{ROOT}/vendors/nobody", headers=ref).status_code == 404


def test_identifiers_never_change(client: TestClient, people: People) -> None:
    ref = people["ref"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/models", model(), ref)
    renamed = client.patch(
        f"{ROOT}/models/mistral-large-eu",
        json={"version": 1, "reason": "rename", "name": "other"},
        headers=ref,
    )
    assert renamed.status_code == 422  # not a field of a change
    assert client.post(f"{ROOT}/models", json=model(), headers=ref).status_code == 409


# --- optimistic versions --------------------------------------------------------------------------


def test_a_stale_version_is_refused_with_409(client: TestClient, people: People) -> None:
    ref = people["ref"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/models", model(), ref)
    first = {"version": 1, "reason": "bigger window", "context_window": 200000}
    second = {"version": 1, "reason": "smaller window", "context_window": 32000}
    assert (
        client.patch(f"{ROOT}/models/mistral-large-eu", json=first, headers=ref).status_code == 200
    )
    stale = client.patch(f"{ROOT}/models/mistral-large-eu", json=second, headers=ref)
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert (error["code"], error["field"]) == ("version_conflict", "version")
    assert "version 1" in error["message"]
    assert "version 2" in error["message"]
    assert "reload" in error["message"]
    kept = client.get(f"{ROOT}/models/mistral-large-eu", headers=ref).json()
    assert kept["context_window"] == 200000
    # the same for vendors and for status decisions
    stale_vendor = client.patch(
        f"{ROOT}/vendors/mistral", json={"version": 7, "reason": "x", "notes": "y"}, headers=ref
    )
    assert stale_vendor.status_code == 409
    stale_decision = client.post(
        f"{ROOT}/models/mistral-large-eu/status",
        json={"status": "retired", "reason": "x", "version": 1},
        headers=ref,
    )
    assert stale_decision.status_code == 409


def test_concurrent_edits_never_lose_an_update(
    client: TestClient, people: People, rt: Runtime, ctx: AuditContext
) -> None:
    post(client, "/vendors", vendor(), people["ref"])
    post(client, "/models", model(), people["ref"])

    def edit(window: int) -> str:
        try:
            rt.inventory.update_model(
                ctx,
                "mistral-large-eu",
                version=1,
                reason=f"window {window}",
                changes={"context_window": window},
            )
        except ConflictError as error:
            return error.code
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(edit, range(1000, 9000, 1000)))
    assert outcomes.count("ok") == 1
    assert outcomes.count("version_conflict") == 7
    assert len(records(rt, "model.updated")) == 1
    assert rt.inventory.get_model("mistral-large-eu").version == 2


# --- lifecycle ------------------------------------------------------------------------------------


def test_status_transitions_carry_reasons_and_obey_the_lifecycle(
    client: TestClient, people: People, rt: Runtime
) -> None:
    ref, com = people["ref"], people["com"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/models", model(), ref)
    path = f"{ROOT}/models/mistral-large-eu/status"

    refused = client.post(
        path, json={"status": "suspended", "reason": "x", "version": 1}, headers=com
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "transition"
    assert "allowed: approved, retired" in refused.json()["error"]["message"]
    no_reason = client.post(
        path, json={"status": "approved", "reason": "", "version": 1}, headers=com
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["field"] == "reason"

    assert approve(client, "mistral-large-eu", com, "committee of 12 May")["status"] == "approved"
    suspended = post(
        client,
        "/models/mistral-large-eu/status",
        {"status": "suspended", "reason": "vendor changed its terms", "version": 2},
        com,
        200,
    )
    assert (suspended["status"], suspended["status_reason"]) == (
        "suspended",
        "vendor changed its terms",
    )
    assert approve(client, "mistral-large-eu", ref, "terms checked again")["status"] == "approved"
    retired = post(
        client,
        "/models/mistral-large-eu/status",
        {"status": "retired", "reason": "replaced", "version": 4},
        com,
        200,
    )
    assert retired["status"] == "retired"
    final = client.post(
        path, json={"status": "approved", "reason": "back", "version": 5}, headers=com
    )
    assert final.status_code == 409
    assert "final" in final.json()["error"]["message"]

    changes = records(rt, "model.status_changed")
    assert [(c["old"]["status"], c["new"]["status"]) for c in changes] == [
        ("candidate", "approved"),
        ("approved", "suspended"),
        ("suspended", "approved"),
        ("approved", "retired"),
    ]
    assert [c["reason"] for c in changes] == [
        "committee of 12 May",
        "vendor changed its terms",
        "terms checked again",
        "replaced",
    ]


def test_approval_is_blocked_until_its_prerequisites_are_met(
    client: TestClient, people: People
) -> None:
    ref, com = people["ref"], people["com"]
    post(
        client,
        "/vendors",
        vendor(dpa_signed_on=None, exit_plan=None, guarantees=[]),
        ref,
    )
    post(client, "/models", model(model_card=None), ref)
    blocked = client.post(
        f"{ROOT}/models/mistral-large-eu/status",
        json={"status": "approved", "reason": "go", "version": 1},
        headers=com,
    )
    assert blocked.status_code == 409
    error = blocked.json()["error"]
    assert error["code"] == "approval_blocked"
    for missing in ("DPA", "no_training guarantee", "exit plan", "model card"):
        assert missing in error["message"], missing
    issues = client.get(f"{ROOT}/models/mistral-large-eu", headers=ref).json()["issues"]
    assert len(issues) == 4

    v = client.get(f"{ROOT}/vendors/mistral", headers=ref).json()["version"]
    client.patch(
        f"{ROOT}/vendors/mistral",
        json={
            "version": v,
            "reason": "DPA signed",
            "dpa_signed_on": "2026-02-01",
            "exit_plan": {"summary": "open weights"},
        },
        headers=ref,
    )
    post(client, "/vendors/mistral/guarantees", vendor()["guarantees"][0], ref)
    client.patch(
        f"{ROOT}/models/mistral-large-eu",
        json={"version": 1, "reason": "card", "model_card": {"text": "Card.", "version": "1"}},
        headers=ref,
    )
    assert approve(client, "mistral-large-eu", com)["status"] == "approved"


def test_an_approved_model_needs_a_new_decision_to_change_where_data_goes(
    client: TestClient, people: People
) -> None:
    ref, com = people["ref"], people["com"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/models", model(), ref)
    approve(client, "mistral-large-eu", com)
    moved = client.patch(
        f"{ROOT}/models/mistral-large-eu",
        json={"version": 2, "reason": "cheaper region", "region": "us-east"},
        headers=ref,
    )
    assert moved.status_code == 409
    assert moved.json()["error"]["code"] == "decision_required"
    assert moved.json()["error"]["field"] == "region"
    # prices, cards and fallbacks are not decisions
    repriced = client.patch(
        f"{ROOT}/models/mistral-large-eu",
        json={"version": 2, "reason": "p95 measured", "sla": {"availability_pct": 99.5}},
        headers=ref,
    )
    assert repriced.status_code == 200
    # suspend, change, approve again
    post(
        client,
        "/models/mistral-large-eu/status",
        {"status": "suspended", "reason": "region change", "version": 3},
        com,
        200,
    )
    changed = client.patch(
        f"{ROOT}/models/mistral-large-eu",
        json={"version": 4, "reason": "new region", "region": "eu-north"},
        headers=ref,
    )
    assert changed.status_code == 200
    assert approve(client, "mistral-large-eu", com)["region"] == "eu-north"


# --- the gateway's view ---------------------------------------------------------------------------


def test_only_approved_models_are_routable(client: TestClient, people: People, rt: Runtime) -> None:
    ref, com = people["ref"], people["com"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/vendors", vendor("in-house", dpa_signed_on=None, guarantees=[]), ref)
    post(client, "/models", model("mistral-small-eu", max_data_class="public"), ref)
    post(client, "/models", self_hosted(), ref)
    post(client, "/models", model(fallback_models=["llama-onprem", "mistral-small-eu"]), ref)
    approve(client, "mistral-large-eu", com)
    approve(client, "llama-onprem", com)
    post(
        client,
        "/models/llama-onprem/status",
        {"status": "suspended", "reason": "GPU maintenance", "version": 2},
        com,
        200,
    )
    approve(client, "llama-onprem", com, "maintenance over")

    routable = rt.inventory.routable_models()
    assert [m.name for m in routable] == ["llama-onprem", "mistral-large-eu"]
    large = rt.inventory.routing("mistral-large-eu")
    assert large.credential_ref == "MISTRAL_API_KEY"
    assert large.endpoint.base_url == "https://api.mistral.ai/v1"
    assert large.fallback_models == ("llama-onprem", "mistral-small-eu")
    assert large.pricing is not None
    assert large.pricing.currency == "EUR"
    with pytest.raises(ValidationError):
        large.name = "other"  # type: ignore[misc]  # frozen: the gateway may cache it
    # reroute: who may receive secret data?
    assert [m.name for m in rt.inventory.routable_models(accepting="secret")] == ["llama-onprem"]
    with pytest.raises(ConflictError) as refused:
        rt.inventory.routing("mistral-small-eu")
    assert refused.value.code == "model_not_routable"
    assert "candidate" in refused.value.message
    issues = client.get(f"{ROOT}/models/mistral-large-eu", headers=ref).json()["issues"]
    assert issues == ["fallback mistral-small-eu is candidate: the gateway will skip it"]


# --- contractual reviews --------------------------------------------------------------------------


def test_overdue_review_flags_the_model_notifies_once_and_is_cleared_by_a_review(
    client: TestClient, people: People, rt: Runtime, ctx: AuditContext
) -> None:
    ref, com, emp = people["ref"], people["com"], people["emp"]
    people.ensure("both", "adm")  # everyone exists before the check
    late = [
        {
            "kind": "no_training",
            "promised": "No training.",
            "document_ref": "DPA §5",
            "review_due": LAST_MONTH,
        }
    ]
    post(client, "/vendors", vendor(guarantees=late), ref)
    post(client, "/models", model(), ref)

    flagged = client.get(f"{ROOT}/models/mistral-large-eu", headers=emp).json()
    assert flagged["review_overdue"] is True
    assert flagged["issues"][0].startswith("review overdue: no_training guarantee of mistral")
    due = client.get(f"{ROOT}/reviews", headers=emp).json()
    assert len(due) == 1
    assert due[0]["guarantee"]["days_overdue"] == 30
    assert due[0]["affected_models"] == [{"name": "mistral-large-eu", "status": "candidate"}]
    blocked = client.post(
        f"{ROOT}/models/mistral-large-eu/status",
        json={"status": "approved", "reason": "go", "version": 1},
        headers=com,
    )
    assert blocked.status_code == 409
    assert "review overdue" in blocked.json()["error"]["message"]

    # the daily check flags it once: one audit record, one notice per decider
    assert len(rt.inventory.check_reviews(ctx)) == 1
    assert rt.inventory.check_reviews(ctx) == []
    overdue = records(rt, "guarantee.overdue")
    assert len(overdue) == 1
    assert overdue[0]["new"]["days_overdue"] == 30
    assert overdue[0]["new"]["affected_models"] == ["mistral-large-eu (candidate)"]

    def notices(who: str) -> list[str]:
        mine = client.get("/api/v1/notifications", headers=people[who]).json()
        return [n["message"] for n in mine if n["kind"] == "inventory_review_overdue"]

    assert [len(notices(who)) for who in ("ref", "com", "both", "adm", "emp")] == [1, 1, 1, 0, 0]
    assert "mistral-large-eu" in notices("com")[0]

    # recording the review clears it
    guarantee = due[0]["guarantee"]
    bad = client.post(
        f"{ROOT}/guarantees/{guarantee['id']}/review",
        json={"version": 1, "outcome": "confirmed", "reason": "read the DPA"},
        headers=ref,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "next_review_due"
    reviewed = post(
        client,
        f"/guarantees/{guarantee['id']}/review",
        {
            "version": 1,
            "outcome": "confirmed",
            "reason": "checked DPA v3 published on the vendor's trust centre",
            "next_review_due": NEXT_YEAR,
        },
        ref,
        200,
    )
    assert (reviewed["overdue"], reviewed["last_reviewed_by"]) == (False, "Ref (ref)")
    assert client.get(f"{ROOT}/models/mistral-large-eu", headers=emp).json()["issues"] == []
    assert client.get(f"{ROOT}/reviews", headers=emp).json() == []
    assert client.get(f"{ROOT}/reviews?within_days=366", headers=emp).json() != []
    assert rt.inventory.check_reviews(ctx) == []
    review = records(rt, "guarantee.reviewed")[0]
    assert review["old"]["review_due"] == LAST_MONTH
    assert review["new"]["review_due"] == NEXT_YEAR
    assert approve(client, "mistral-large-eu", com)["status"] == "approved"


def test_a_changed_or_withdrawn_guarantee(client: TestClient, people: People, rt: Runtime) -> None:
    ref = people["ref"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/models", model(), ref)
    approve(client, "mistral-large-eu", people["com"])
    guarantee = client.get(f"{ROOT}/vendors/mistral", headers=ref).json()["guarantees"][0]
    path = f"/guarantees/{guarantee['id']}/review"
    no_promise = client.post(
        ROOT + path,
        json={"version": 1, "outcome": "changed", "reason": "x", "next_review_due": NEXT_YEAR},
        headers=ref,
    )
    assert no_promise.json()["error"]["field"] == "promised"
    changed = post(
        client,
        path,
        {
            "version": 1,
            "outcome": "changed",
            "reason": "new terms of service, §5",
            "next_review_due": NEXT_YEAR,
            "promised": "No training, except abuse-detection classifiers.",
        },
        ref,
        200,
    )
    assert changed["promised"].startswith("No training, except")
    stale = client.post(
        ROOT + path, json={"version": 1, "outcome": "withdrawn", "reason": "x"}, headers=ref
    )
    assert stale.status_code == 409
    withdrawn = post(
        client,
        path,
        {"version": 2, "outcome": "withdrawn", "reason": "terms of 1 June drop the clause"},
        ref,
        200,
    )
    assert withdrawn["active"] is False
    issues = client.get(f"{ROOT}/models/mistral-large-eu", headers=ref).json()["issues"]
    assert issues == ["no_training is declared but mistral has no active no_training guarantee"]
    notes = client.get("/api/v1/notifications", headers=people["com"]).json()
    assert any(
        n["kind"] == "inventory_guarantee_withdrawn"
        and "mistral-large-eu (approved)" in n["message"]
        for n in notes
    )
    # the vendor promises it again: the same guarantee is reinstated
    again = post(client, "/vendors/mistral/guarantees", vendor()["guarantees"][0], ref)
    assert (again["id"], again["active"]) == (guarantee["id"], True)
    duplicate = client.post(
        f"{ROOT}/vendors/mistral/guarantees", json=vendor()["guarantees"][0], headers=ref
    )
    assert duplicate.status_code == 409


# --- comparison -----------------------------------------------------------------------------------


def test_compare_candidates_side_by_side(client: TestClient, people: People) -> None:
    ref, emp = people["ref"], people["emp"]
    post(client, "/vendors", vendor(), ref)
    post(client, "/vendors", vendor("in-house", dpa_signed_on=None, guarantees=[]), ref)
    post(client, "/vendors", vendor("anthropic", country="IE", lock_in="medium"), ref)
    post(client, "/models", model(), ref)
    post(client, "/models", self_hosted(), ref)
    usd = {"mode": "per_token", "currency": "USD", "input_per_million": 3, "output_per_million": 15}
    post(
        client,
        "/models",
        model(
            "claude-us",
            vendor="anthropic",
            provider_kind="anthropic",
            hosting="external_saas",
            max_data_class="public",
            pricing=usd,
            energy=None,
        ),
        ref,
    )
    volume = {
        "requests_per_month": 100_000,
        "avg_input_tokens": 1000,
        "avg_output_tokens": 300,
        "users": 500,
    }
    body = {"models": ["mistral-large-eu", "llama-onprem"], "volume": volume}
    sheet = post(client, "/compare", body, emp, 200)
    assert sheet["tokens_per_month"] == 130_000_000
    assert sheet["currency"] == "EUR"
    large, llama = sheet["models"]
    assert (large["cost"]["monthly"], large["cost"]["yearly"]) == (342.0, 4104.0)
    assert (llama["cost"]["monthly"], llama["cost"]["yearly"]) == (7313.33, 87760.0)
    assert large["energy"]["kwh_per_month"] == pytest.approx(156.0)
    assert large["energy"]["kg_co2e_per_month"] == pytest.approx(8.736)
    assert sheet["cheapest"] == "mistral-large-eu"
    assert sheet["lowest_carbon"] == "llama-onprem"  # 117 kWh at 56 g
    assert large["guarantees"]["no_training_contractual"] is True
    assert large["guarantees"]["data_residency"] == "EU only."
    assert [c["valid"] for c in large["guarantees"]["certifications"]] == [True, False]
    assert llama["guarantees"]["dpa_signed_on"] is None
    assert (large["hosting"], llama["hosting"]) == ("eu_cloud", "self_hosted")
    assert large["exit_plan"]["switching_weeks"] == 4
    assert large["lock_in"] == "low"

    mixed = {"models": ["mistral-large-eu", "claude-us"], "volume": volume}
    refused = client.post(f"{ROOT}/compare", json=mixed, headers=emp)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "currency"
    no_rate = client.post(f"{ROOT}/compare", json={**mixed, "currency": "EUR"}, headers=emp)
    assert no_rate.json()["error"]["field"] == "exchange_rates"
    converted = post(
        client,
        "/compare",
        {**mixed, "currency": "EUR", "exchange_rates": {"USD": 0.9}},
        emp,
        200,
    )
    claude = converted["models"][1]
    assert (claude["cost"]["currency"], claude["cost"]["monthly"]) == ("EUR", 675.0)
    assert "claude-us declares no energy figures" in converted["notes"]
    unknown = client.post(
        f"{ROOT}/compare", json={"models": ["nope"], "volume": volume}, headers=emp
    )
    assert unknown.json()["error"]["field"] == "models"


# --- who may do what ------------------------------------------------------------------------------


def test_roles_without_the_right_are_refused(
    client: TestClient, people: People, rt: Runtime
) -> None:
    ref, com, adm, emp = people["ref"], people["com"], people["adm"], people["emp"]
    post(client, "/vendors", vendor(), adm)  # administrators declare
    post(client, "/models", model(), ref)
    decision = {"status": "approved", "reason": "go", "version": 1}
    refused = [
        client.post(f"{ROOT}/vendors", json=vendor("other"), headers=emp),
        client.post(f"{ROOT}/vendors", json=vendor("other"), headers=com),
        client.post(f"{ROOT}/models", json=model("other"), headers=emp),
        client.post(f"{ROOT}/models", json=model("other"), headers=com),
        client.patch(
            f"{ROOT}/models/mistral-large-eu",
            json={"version": 1, "reason": "x", "region": "y"},
            headers=emp,
        ),
        client.post(
            f"{ROOT}/vendors/mistral/guarantees", json=vendor()["guarantees"][0], headers=com
        ),
        client.post(
            f"{ROOT}/guarantees/1/review",
            json={"version": 1, "outcome": "withdrawn", "reason": "x"},
            headers=emp,
        ),
        client.post(f"{ROOT}/models/mistral-large-eu/status", json=decision, headers=emp),
        client.post(f"{ROOT}/models/mistral-large-eu/status", json=decision, headers=adm),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert len(records(rt, "auth.access_denied")) == len(refused)
    assert client.get(f"{ROOT}/models", headers={}).status_code == 401
    assert rt.inventory.get_model("mistral-large-eu").status == "candidate"
    assert approve(client, "mistral-large-eu", ref)["status"] == "approved"  # AI referents decide


def test_the_service_refuses_a_decision_without_a_reason(
    client: TestClient, people: People, rt: Runtime, ctx: AuditContext
) -> None:
    post(client, "/vendors", vendor(), people["ref"])
    post(client, "/models", model(), people["ref"])
    with pytest.raises(GouvernailError) as refused:
        rt.inventory.set_status(ctx, "mistral-large-eu", ModelStatus.RETIRED, reason="  ")
    assert refused.value.field == "reason"
    unchanged = rt.inventory.get_model("mistral-large-eu")
    assert (unchanged.status, unchanged.version) == ("candidate", 1)
    assert utcnow() - unchanged.status_changed_at < timedelta(minutes=10)  # when it was declared
