"""Builders shared by the inventory tests: a vendor and a model that pass every rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import select

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.runtime import Runtime

TODAY = date.today()
NEXT_YEAR = (TODAY + timedelta(days=365)).isoformat()
LAST_MONTH = (TODAY - timedelta(days=30)).isoformat()
ROOT = "/api/v1/inventory"

Headers = dict[str, str]
Login = Callable[[str], Headers]
MakeUser = Callable[..., int]


def vendor(slug: str = "mistral", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": slug,
        "name": f"{slug.title()} SAS",
        "country": "FR",
        "contacts": [{"name": "Account team", "role": "account manager", "email": "a@example.com"}],
        "dpa_signed_on": "2026-01-15",
        "certifications": [
            {"name": "ISO 27001", "issuer": "Certifier", "valid_until": NEXT_YEAR},
            {"name": "SOC 2 Type II", "issuer": "Auditor", "valid_until": LAST_MONTH},
        ],
        "exit_plan": {
            "summary": "OpenAI-compatible API; open weights can be self-hosted.",
            "switching_cost": 15000,
            "currency": "EUR",
            "switching_weeks": 4,
        },
        "lock_in": "low",
        "guarantees": [
            {
                "kind": "no_training",
                "promised": "Inputs and outputs are never used for training.",
                "document_ref": "DPA §5.1",
                "review_due": NEXT_YEAR,
            },
            {
                "kind": "data_residency",
                "promised": "EU only.",
                "document_ref": "DPA §7",
                "review_due": NEXT_YEAR,
            },
        ],
    }
    body.update(overrides)
    return body


def model(
    name: str = "mistral-large-eu", vendor: str = "mistral", **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "vendor": vendor,
        "provider_kind": "openai_compatible",
        "upstream_model": "mistral-large-2411",
        "endpoint": {"base_url": "https://api.mistral.ai/v1"},
        "credential_ref": "MISTRAL_API_KEY",
        "capabilities": ["chat", "tools"],
        "hosting": "eu_cloud",
        "region": "eu-west",
        "retention_days": 0,
        "no_training": True,
        "max_data_class": "internal",
        "pricing": {
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 1.8,
            "output_per_million": 5.4,
        },
        "energy": {"wh_per_1k_tokens": 1.2, "grid_gco2e_per_kwh": 56},
        "context_window": 128000,
        "sla": {"availability_pct": 99.9, "latency_p95_ms": 2500},
        "model_card": {"url": "https://example.com/card", "version": "24.11"},
    }
    body.update(overrides)
    return body


def self_hosted(name: str = "llama-onprem", **overrides: Any) -> dict[str, Any]:
    return model(
        name,
        vendor="in-house",
        upstream_model="meta-llama/Llama-3.1-70B-Instruct",
        endpoint={"base_url": "http://vllm.internal:8000/v1"},
        credential_ref=None,
        hosting="self_hosted",
        region="fr-lyon",
        max_data_class="secret",
        pricing=None,
        infrastructure={
            "currency": "EUR",
            "monthly_cost_per_instance": 4200,
            "tokens_per_month_per_instance": 1_500_000_000,
            "ops_hours_per_month": 24,
            "ops_hourly_rate": 95,
            "setup_cost": 30000,
            "amortisation_months": 36,
        },
        energy={"wh_per_1k_tokens": 0.9, "grid_gco2e_per_kwh": 56},
        **overrides,
    )


RULES: dict[str, Any] = {
    "data_classes": [
        {"name": "public", "label": "Public", "may_leave_company": True},
        {"name": "internal", "label": "Internal", "may_leave_company": True},
        {"name": "confidential", "label": "Confidential", "may_leave_company": True},
        {"name": "secret", "label": "Secret", "may_leave_company": False},
    ],
    "model_eligibility": {
        "confidential": ["eu_cloud", "self_hosted"],
        "secret": ["self_hosted"],
    },
}


def put_charter_in_force(rt: Runtime, ctx: AuditContext) -> None:
    """A charter whose data classes go public < internal < confidential (EU cloud or
    self-hosted) < secret (self-hosted only)."""
    draft = rt.charters.draft(
        ctx, number="T-1", title="Test charter", body="Use approved models.", rules=RULES
    )
    rt.charters.activate(ctx, draft.id, reason="for the test", require_approval=False)


def records(rt: Runtime, action: str) -> list[dict[str, Any]]:
    """The audit records of one action, oldest first, values decoded."""
    with rt.database.read() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
        ).all()
    return [
        {
            "object_id": r.object_id,
            "version": r.object_version,
            "old": orjson.loads(r.old_values),
            "new": orjson.loads(r.new_values),
            "reason": r.reason,
            "actor": r.actor_name,
        }
        for r in rows
    ]
