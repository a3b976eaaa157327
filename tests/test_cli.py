"""The CLI, driven like an operator would (same services as the API)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import invoke

from gouvernail.settings import Settings


def test_operator_workflow(cli_env: Settings, tmp_path: Path) -> None:
    code, output = invoke("bootstrap", "--charter", "examples/charter.yaml")
    assert code == 0, output
    assert "one-time password" in output
    assert invoke("bootstrap")[0] == 0  # idempotent: no second admin
    assert invoke("team", "add", "rd", "--name", "R&D")[0] == 0
    code, output = invoke(
        "user",
        "add",
        "bob",
        "--name",
        "Bob Martin",
        "--team",
        "rd",
        "--role",
        "auditor",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert code == 0, output
    assert "bob" in invoke("user", "list")[1]
    code, output = invoke("key", "create", "bob", "--name", "laptop")
    assert code == 1, "no key before the charter is accepted and the training done"
    assert "charter" in output
    code, output = invoke(
        "charter", "accept", "bob", "--password-stdin", stdin="a long enough passphrase\n"
    )
    assert code == 0, output
    for module in ("ai-literacy-basics", "ai-data-protection"):
        assert invoke("literacy", "record", "bob", module)[0] == 0
    code, output = invoke("key", "create", "bob", "--name", "laptop")
    assert code == 0, output
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("gk_")
    assert secret not in invoke("key", "list")[1]
    assert invoke("key", "revoke", "1", "--reason", "lost")[0] == 0
    legacy = tmp_path / "legacy-key"
    legacy.write_text("sk-legacy-7d1e0c9b2a4f\n")
    code, output = invoke(
        "key", "import", "bob", "--name", "from LiteLLM", "--secret-file", str(legacy)
    )
    assert code == 0, output
    assert "gx_" in output
    assert "sk-legacy" not in output
    code, output = invoke(
        "key",
        "import",
        "bob",
        "--name",
        "again",
        "--secret-file",
        "-",
        stdin="sk-legacy-7d1e0c9b2a4f\n",
    )
    assert code == 1
    assert "already registered" in output
    assert invoke("user", "deactivate", "2", "--reason", "left the company")[0] == 0
    assert "OK:" in invoke("audit", "verify")[1]
    export = tmp_path / "trail.jsonl"
    assert invoke("audit", "export", str(export))[0] == 0
    code, key = invoke("audit", "public-key")
    (tmp_path / "key.pem").write_text(key)
    code, output = invoke(
        "audit", "verify", "--export", str(export), "--public-key", str(tmp_path / "key.pem")
    )
    assert code == 0, output
    assert invoke("audit", "export", str(tmp_path / "trail.csv"))[0] == 0
    assert "2026.1" in invoke("charter", "list")[1]
    assert invoke("db", "status")[0] == 0


def test_cli_errors_are_clear(cli_env: Settings, tmp_path: Path) -> None:
    code, output = invoke("team", "add", "Bad Slug", "--name", "x")
    assert code == 1
    assert "slug" in output
    code, output = invoke("user", "add", "zed", "--name", "Z", "--role", "pope", "--no-password")
    assert code == 1
    assert "unknown role" in output
    code, output = invoke(
        "audit",
        "verify",
        "--export",
        str(tmp_path / "none.jsonl"),
        "--public-key",
        str(tmp_path / "none.pem"),
    )
    assert code == 2
    code, output = invoke("charter", "load", str(tmp_path / "missing.yaml"))
    assert code == 1
    if not cli_env.redis_url:  # several workers would each count budgets on their own
        code, output = invoke("serve", "--workers", "2")
        assert code == 2
        assert "GOUVERNAIL_REDIS_URL" in output
    assert invoke("--help")[0] == 0


def test_the_server_asks_glibc_for_two_malloc_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    from gouvernail.cli.server import fewer_malloc_arenas

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert fewer_malloc_arenas()  # this machine's libc is glibc
    assert os.environ["MALLOC_ARENA_MAX"] == "2"  # worker processes inherit it
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert fewer_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "4"  # an operator's choice wins
    monkeypatch.setenv("MALLOC_ARENA_MAX", "many")
    assert not fewer_malloc_arenas()
