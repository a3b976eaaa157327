"""Docs are product: settings, CLI commands and the API reference must stay documented."""

from __future__ import annotations

import json
from pathlib import Path

from gouvernail.app import create_app
from gouvernail.cli import app as cli_app
from gouvernail.settings import GatewaySettings, OidcSettings, Settings

README = Path("README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    for name in GatewaySettings.model_fields:
        assert f"gateway.{name}" in README, f"gateway.{name}"
    for name in Settings.model_fields:
        if name not in {"oidc", "gateway"}:
            assert f"`{name}" in README or f"`{name}`" in README or name in README, name
    for name in OidcSettings.model_fields:
        assert f"oidc.{name}" in README, f"oidc.{name}"


def test_every_cli_command_is_in_the_readme() -> None:
    import typer.main

    group = typer.main.get_group(cli_app)
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            for child in sub:
                assert child in README, f"gouvernail {name} {child}"
        else:
            assert f"gouvernail {name}" in README or name == "openapi", name


def test_committed_openapi_is_current(settings: Settings) -> None:
    app = create_app(settings)
    try:
        spec = app.openapi()
    finally:
        app.state.runtime.close()
    committed = json.loads(Path("docs/openapi.json").read_text(encoding="utf-8"))
    assert committed["paths"].keys() == spec["paths"].keys(), "run make openapi"
