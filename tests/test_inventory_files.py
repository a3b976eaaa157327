"""Inventory files: the example loads, exports round-trip, imports are all or nothing unless
partial, and the CLI drives it like an operator would (on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import invoke
from tests.inventory_helpers import TODAY, model, put_charter_in_force, records, vendor

from gouvernail.audit import AuditContext
from gouvernail.inventory import ImportRejectedError, ImportReport, ModelStatus
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

EXAMPLE = Path("examples/inventory.yaml")


@pytest.fixture
def charter(rt: Runtime, ctx: AuditContext) -> None:
    put_charter_in_force(rt, ctx)


def example(*, fresh_reviews: bool = False) -> dict[str, Any]:
    """The shipped example; with ``fresh_reviews``, review dates a year ahead of today so that
    approvals do not depend on when the test runs."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if fresh_reviews:
        for entry in document["vendors"]:
            for guarantee in entry.get("guarantees", []):
                guarantee["review_due"] = TODAY + timedelta(days=365)
    return document


def load(rt: Runtime, ctx: AuditContext, document: Any, **options: Any) -> ImportReport:
    return rt.inventory.load(ctx, copy.deepcopy(document), source="test.yaml", **options)


def test_the_example_loads_as_candidates_then_with_its_statuses(
    rt: Runtime, ctx: AuditContext, charter: None
) -> None:
    first = load(rt, ctx, example())
    assert len(first.created) == 10
    assert first.errors == []
    assert len(first.warnings) == 5  # the approved statuses, not applied
    assert {m.status for m in rt.inventory.list_models()} == {ModelStatus.CANDIDATE}
    assert rt.inventory.routable_models() == []

    second = load(
        rt, ctx, example(fresh_reviews=True), apply_status=True, reason="initial inventory"
    )
    assert second.errors == []
    assert [m.name for m in rt.inventory.routable_models()] == [
        "bge-m3-onprem",
        "gpt-4o-eu",
        "llama-3.1-70b-onprem",
        "mistral-embed-eu",
        "mistral-large-eu",
    ]
    assert all(c["reason"] == "initial inventory" for c in records(rt, "model.status_changed"))
    gpt = rt.inventory.routing("gpt-4o-eu")
    assert (gpt.endpoint.azure_deployment, gpt.credential_ref) == (
        "gpt-4o-2024-11-20",
        "AZURE_OPENAI_API_KEY",
    )

    # an export loads back unchanged, statuses included
    exported = rt.inventory.export()
    again = load(rt, ctx, exported, apply_status=True)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 10)
    assert records(rt, "inventory.imported")[-1]["new"]["unchanged"] == 10
    claude = next(m for m in exported["models"] if m["name"] == "claude-sonnet-us")
    assert claude["status"] == "candidate"
    assert claude["pricing"]["currency"] == "USD"


def bad_document() -> dict[str, Any]:
    return {
        "vendors": [
            vendor(),
            vendor("acme", country="France"),
        ],
        "models": [
            model(),
            model(
                "cheap",
                pricing={"mode": "per_token", "currency": "EUR", "input_per_million": -1},
            ),
            model("orphan", vendor="nobody"),
            model("leaky", credential_ref="sk-live-0123456789abcdef"),
            model("mistral-large-eu"),
        ],
    }


def test_an_import_with_bad_entries_writes_nothing_and_reports_each(
    rt: Runtime, ctx: AuditContext, charter: None
) -> None:
    with pytest.raises(ImportRejectedError) as rejected:
        load(rt, ctx, bad_document())
    report = rejected.value.report
    assert report.applied is False
    assert [(e.path, e.message.split(":")[0]) for e in report.errors] == [
        ("vendors[1] (acme).country", "String should match pattern '^[A-Z]{2}$'"),
        (
            "models[1] (cheap).pricing.per_token.input_per_million",
            "Input should be greater than or equal to 0",
        ),
        ("models[1] (cheap).pricing.per_token.output_per_million", "Field required"),
        (
            "models[3] (leaky).credential_ref",
            "Value error, looks like a secret value (a known key format)",
        ),
        ("models[4] (mistral-large-eu).name", "appears twice"),
        ("models[2] (orphan).vendor", "no vendor 'nobody' in the inventory"),
    ]
    assert "sk-live" not in rejected.value.message
    assert rt.inventory.list_vendors() == []
    assert rt.inventory.list_models() == []
    assert records(rt, "vendor.created") == []
    assert records(rt, "inventory.imported") == []


def test_a_partial_import_applies_the_good_entries(
    rt: Runtime, ctx: AuditContext, charter: None
) -> None:
    report = load(rt, ctx, bad_document(), partial=True, reason="first contracts")
    assert report.applied is True
    assert report.created == ["vendors[0] (mistral)", "models[0] (mistral-large-eu)"]
    assert len(report.errors) == 6
    assert [v.slug for v in rt.inventory.list_vendors()] == ["mistral"]
    assert [m.name for m in rt.inventory.list_models()] == ["mistral-large-eu"]
    summary = records(rt, "inventory.imported")[0]
    assert summary["reason"] == "first contracts"
    assert len(summary["new"]["refused"]) == 6
    assert summary["new"]["created"] == report.created


def test_imports_follow_the_same_rules_as_the_api(
    rt: Runtime, ctx: AuditContext, charter: None
) -> None:
    document = {"vendors": [vendor()], "models": [{**model(), "status": "approved"}]}
    load(rt, ctx, document, apply_status=True)
    assert rt.inventory.get_model("mistral-large-eu").status == "approved"

    # a price change is applied and audited; a region change needs a decision first
    cheaper = copy.deepcopy(document)
    cheaper["models"][0]["pricing"]["input_per_million"] = 1.5
    assert load(rt, ctx, cheaper).updated == ["models[0] (mistral-large-eu)"]
    moved = copy.deepcopy(cheaper)
    moved["models"][0]["region"] = "us-east"
    with pytest.raises(ImportRejectedError) as rejected:
        load(rt, ctx, moved)
    assert rejected.value.report.errors[0].path == "models[0] (mistral-large-eu).region"
    # the file can carry the decision: suspended first, then changed
    moved["models"][0]["status"] = "suspended"
    report = load(rt, ctx, moved, apply_status=True, reason="moving region")
    assert report.updated == ["models[0] (mistral-large-eu)"]
    changed = rt.inventory.get_model("mistral-large-eu")
    assert (changed.status, changed.region, changed.status_reason) == (
        "suspended",
        "us-east",
        "moving region",
    )
    # an approval in the file passes the same gates as a committee decision
    unbacked = copy.deepcopy(moved)
    unbacked["vendors"][0]["dpa_signed_on"] = None
    unbacked["models"][0]["status"] = "approved"
    with pytest.raises(ImportRejectedError) as blocked:
        load(rt, ctx, unbacked, apply_status=True)
    assert "DPA" in blocked.value.report.errors[0].message


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ("just text", "file"),
        ({"vendors": [], "extras": []}, "extras"),
        ({"models": {"name": "x"}}, "models"),
    ],
)
def test_malformed_documents_are_refused(
    rt: Runtime, ctx: AuditContext, document: Any, path: str
) -> None:
    with pytest.raises(ImportRejectedError) as rejected:
        load(rt, ctx, document)
    assert rejected.value.report.errors[0].path == path


# --- the CLI -------------------------------------------------------------------------------------


def inventory(*args: str) -> tuple[int, str]:
    return invoke("inventory", *args)


def test_operator_workflow(
    cli_env: Settings, rt: Runtime, ctx: AuditContext, charter: None, tmp_path: Path
) -> None:
    fresh = tmp_path / "inventory.yaml"
    fresh.write_text(yaml.safe_dump(example(fresh_reviews=True)), encoding="utf-8")
    code, output = inventory("load", str(fresh), "--apply-status", "--reason", "initial inventory")
    assert code == 0, output
    assert "created: models[5] (mistral-embed-eu)" in output
    code, output = inventory("list", "--status", "approved")
    assert code == 0, output
    assert "gpt-4o-eu" in output
    assert "claude" not in output
    exported = tmp_path / "export.yaml"
    assert inventory("export", str(exported))[0] == 0
    assert exported.read_text(encoding="utf-8").startswith("# Gouvernail inventory, exported")
    code, output = inventory("load", str(exported))
    assert code == 0, output
    assert "unchanged: 10" in output
    code, output = inventory(
        "set-status", "gpt-4o-eu", "suspended", "--reason", "vendor changed its terms"
    )
    assert code == 0, output
    assert "suspended" in output
    assert "gpt-4o-eu" not in [m.name for m in rt.inventory.routable_models()]
    code, output = inventory("set-status", "gpt-4o-eu", "candidate", "--reason", "x")
    assert code == 1
    assert "cannot become candidate" in output
    code, output = inventory("check-reviews")
    assert code == 0, output
    assert "0 guarantee review(s) newly overdue" in output


def test_cli_reports_each_bad_entry(
    cli_env: Settings, charter: None, rt: Runtime, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(bad_document()), encoding="utf-8")
    code, output = inventory("load", str(bad))
    assert code == 1
    assert "refused vendors[1] (acme).country" in output
    assert "nothing imported (6 problem(s))" in output
    assert rt.inventory.list_vendors() == []
    code, output = inventory("load", str(bad), "--partial")
    assert code == 1  # applied, but some entries were refused
    assert "created: vendors[0] (mistral)" in output
    code, output = inventory("load", str(tmp_path / "missing.yaml"))
    assert code == 1
    assert "cannot read" in output


def test_check_reviews_from_the_cli_flags_once(
    cli_env: Settings, charter: None, rt: Runtime, ctx: AuditContext
) -> None:
    late = {**vendor()["guarantees"][0], "review_due": TODAY - timedelta(days=3)}
    load(rt, ctx, {"vendors": [vendor(guarantees=[late])], "models": [model()]})
    code, output = inventory("check-reviews")
    assert code == 0, output
    assert "1 guarantee review(s) newly overdue" in output
    assert "mistral-large-eu" in output
    code, output = inventory("check-reviews")
    assert "0 guarantee review(s) newly overdue" in output
    assert "1 review(s) overdue or due within 30 days" in output
    assert len(records(rt, "guarantee.overdue")) == 1
