"""Run a Gouvernail gateway for ../shared/bench (the LiteLLM comparison), in the foreground.

    BENCH_PORT=18101 BENCH_UPSTREAM=http://127.0.0.1:18080/v1 BENCH_API_KEY=sk-bench-0000 \
        .venv/bin/python benchmarks/gateway_server.py

Sets up a throwaway installation in a temporary data directory (removed on exit): the embedded
SQLite database, the shipped charter in force, a department, one employee who accepted it and
completed the required trainings, a vendor and an approved self-hosted model ``gpt-4o-mini``
served by ``$BENCH_UPSTREAM`` (plain HTTP on loopback: only a self-hosted model may use it), a use
case in production, and the kit's ``$BENCH_API_KEY`` imported as that employee's key for it (the
kit sends one bearer token to every gateway, and LiteLLM's master key must start with ``sk-``).
Then runs ``gouvernail serve`` on ``127.0.0.1:$BENCH_PORT`` until SIGTERM.

Everything the product does on a call stays on: authentication, admission, inspection (mode from
``GOUVERNAIL_GATEWAY__INSPECTION``: full, fast or off), policy, budget reservation, forwarding,
output guard, settlement and the durable audit record plus request-log row. Logs at WARNING,
as in production. ``BENCH_WORKERS`` (default 1) is ``gouvernail serve --workers``: more than one
needs ``GOUVERNAIL_REDIS_URL`` (budgets shared); the audit chain is shared through the database
(SQLite by default, or ``GOUVERNAIL_DATABASE_URL``).

The use case is put in production by writing its status: the lifecycle gates that lead there
are not what this benchmark measures (they are tested in tests/test_registry_lifecycle.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench passphrase long enough"  # noqa: S105 (a throwaway benchmark account)


def _vendor() -> dict[str, Any]:
    next_year = (date.today() + timedelta(days=365)).isoformat()
    return {
        "slug": "bench-lab",
        "name": "Bench laboratory",
        "country": "FR",
        "contacts": [{"name": "Ops", "role": "operator", "email": "ops@example.com"}],
        "dpa_signed_on": "2026-01-15",
        "certifications": [{"name": "ISO 27001", "issuer": "Certifier", "valid_until": next_year}],
        "exit_plan": {
            "summary": "OpenAI-compatible server; the weights are ours.",
            "switching_cost": 0,
            "currency": "EUR",
            "switching_weeks": 1,
        },
        "lock_in": "low",
    }


def _model(upstream: str) -> dict[str, Any]:
    return {
        "name": "gpt-4o-mini",
        "vendor": "bench-lab",
        "provider_kind": "openai_compatible",
        "upstream_model": "gpt-4o-mini",
        "endpoint": {"base_url": upstream},
        "credential_ref": None,
        "capabilities": ["chat", "embeddings"],
        "hosting": "self_hosted",
        "region": "fr-lyon",
        "retention_days": 0,
        "no_training": True,
        "max_data_class": "secret",
        "pricing": {
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 0.15,
            "output_per_million": 0.6,
        },
        "context_window": 128000,
        "model_card": {"url": "https://example.com/card", "version": "1"},
    }


def prepare(data_dir: Path, upstream: str, api_key: str) -> None:
    """Create the installation the gateway serves (one process, before the server starts)."""
    from gouvernail.audit import AuditContext
    from gouvernail.audit import events as ev
    from gouvernail.db import migrate
    from gouvernail.gateway.governance import LimitIn, LimitScope
    from gouvernail.identity.principal import Principal
    from gouvernail.inventory.values import ModelSpec, ModelStatus, VendorSpec
    from gouvernail.registry.models import UseCase
    from gouvernail.registry.schemas import UseCaseIn
    from gouvernail.runtime import Runtime
    from gouvernail.settings import Settings

    rt = Runtime.build(Settings())
    try:
        migrate.upgrade(rt.database)
        if rt.directory.list_users():
            return  # already prepared (several workers share one database)
        ctx = AuditContext(ev.Actor(id="bench", name="benchmark set-up"), "bench-setup")
        rt.literacy.load_modules(ctx, None)
        draft = rt.charters.load_file(ctx, ROOT / "examples" / "charter.yaml")
        rt.charters.activate(ctx, draft.id, reason="benchmark", require_approval=False)
        rt.directory.create_team(ctx, slug="finance", name="Finance", kind="department")
        user = rt.directory.create_user(
            ctx,
            username="camille",
            display_name="Camille Bench",
            roles=["use_case_owner"],
            password=PASSWORD,
            team="finance",
        )
        rt.charters.accept(
            Principal.signed_in(user),
            password=PASSWORD,
        )
        mine = rt.literacy.trainings(user.id)
        for code in (*mine.missing_required, *mine.expired_required):
            rt.literacy.record(ctx, user_id=user.id, module=code)
        rt.inventory.create_vendor(ctx, VendorSpec.model_validate(_vendor()), [])
        rt.inventory.create_model(ctx, ModelSpec.model_validate(_model(upstream)))
        rt.inventory.set_status(ctx, "gpt-4o-mini", ModelStatus.APPROVED, reason="benchmark")
        view = rt.use_cases.submit(
            ctx,
            user.id,
            UseCaseIn.model_validate(
                {
                    "title": "Board summaries for the finance department",
                    "description": "Drafts quarterly summaries for the board (benchmark).",
                    "duplicate_justification": "benchmark installation",
                }
            ),
        )
        deployment = {"fallback_procedure": "The controller writes the summary by hand."}
        with rt.database.write() as session:
            session.execute(
                update(UseCase)
                .where(UseCase.id == view.id)
                .values(status="production", deployment=orjson.dumps(deployment).decode())
            )
        # budgets stay on (every call reserves and settles), high enough for a 10-minute run
        scopes: list[tuple[LimitScope, int]] = [("user", user.id), ("use_case", view.id)]
        for scope, target in scopes:
            rt.governance.set_limit(
                ctx,
                scope,
                target,
                LimitIn(
                    requests_per_minute=10_000_000,
                    tokens_per_minute=10_000_000_000,
                    monthly_budget_eur=Decimal(1_000_000),
                    reason="benchmark load",
                ),
            )
        rt.keys.import_key(
            ctx, secret=api_key, user_id=user.id, name="benchmark client", use_case_id=view.id
        )
    finally:
        rt.close()


def serve(port: int, workers: int) -> None:
    """``gouvernail serve`` itself (uvloop, httptools, logs at WARNING)."""
    from gouvernail.cli.server import serve as gouvernail_serve

    gouvernail_serve(host="127.0.0.1", port=port, workers=workers)


def main() -> int:
    port = int(os.environ.get("BENCH_PORT", "18100"))
    upstream = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:18080/v1")
    api_key = os.environ.get("BENCH_API_KEY", "sk-bench-0000")
    workers = int(os.environ.get("BENCH_WORKERS", "1"))
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            print(f"127.0.0.1:{port} is already in use", file=sys.stderr)
            return 1
    data_dir = Path(tempfile.mkdtemp(prefix="gouvernail-bench-"))
    os.environ.setdefault("GOUVERNAIL_DATA_DIR", str(data_dir))
    os.environ.setdefault("GOUVERNAIL_LOG_LEVEL", "WARNING")
    os.environ.setdefault("GOUVERNAIL_ENV", "dev")
    try:
        prepare(data_dir, upstream, api_key)
        serve(port, workers)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
