"""`gouvernail insight` from the console, with no server running: the sync's embedding calls
go through the CLI's own gateway to the bundled model, answered in process."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tests.conftest import invoke
from tests.gateway_helpers import World

from gouvernail.settings import Settings

AMM = "La date limite de dépôt du dossier AMM est le 15 mars 2027."


@pytest.fixture
def console(cli_env: Settings, world: World, tmp_path: Path) -> Path:
    world.add_bundled_embeddings(f"http://127.0.0.1:{cli_env.port}/self-hosted/v1")
    world.add_model(  # nothing listens there: the answer falls back to the passages
        "offline-llm",
        vendor="in-house",
        upstream_model="llama",
        endpoint={"base_url": "http://127.0.0.1:9/v1"},
        credential_ref=None,
        capabilities=["chat"],
        hosting="self_hosted",
        region="fr-lyon",
        max_data_class="secret",
    )
    world.use_case("insight", "alice")
    world.give_emails("alice")
    root = tmp_path / "share"
    root.mkdir()
    (root / "guide.md").write_text(f"# Guide AMM\n\n{AMM}\n", encoding="utf-8")
    (root / "vide.txt").write_text("   \n", encoding="utf-8")
    return root


def test_sources_are_added_synced_and_asked_from_the_console(console: Path, world: World) -> None:
    code, output = invoke(
        "insight", "source", "add", "regulatory", str(console),
        "--use-case", str(world.use_cases["insight"]), "--owner", "alice",
        "--data-class", "internal", "--embedding-model", "minilm-onprem",
        "--answer-model", "offline-llm", "--reader", "team:reg-affairs",
    )  # fmt: skip
    assert code == 0, output
    code, output = invoke("insight", "source", "sync", "regulatory")
    assert code == 0, output
    assert "regulatory: empty 1, indexed 1" in output
    assert "empty: vide.txt" in output

    code, output = invoke("insight", "source", "list")
    assert output.split() == ["regulatory", "folder", "idle", "empty", "1,", "indexed", "1"]
    code, output = invoke("insight", "source", "status", "regulatory")
    status = orjson.loads(output)
    assert status["source"]["chunks"] == 1
    assert status["quality"]["failures"] == {"empty": 1}

    question = "Quelle est la date limite de dépôt du dossier AMM ?"
    code, output = invoke("insight", "ask", question, "--source", "regulatory", "--as", "alice")
    assert code == 0, output
    assert "passages: AI is unavailable" in output
    assert "[1] Guide AMM — guide.md" in output
    code, output = invoke(
        "insight", "ask", question, "--source", "regulatory", "--as", "alice", "--json"
    )
    result = orjson.loads(output)
    assert result["mode"] == "passages"
    assert AMM in result["passages"][0]["text"]

    assert invoke("insight", "ask", question, "--source", "regulatory", "--as", "ghost")[0] == 1
    code, output = invoke("insight", "source", "sync", "nowhere")
    assert (code, "no insight source 'nowhere'" in output) == (1, True)
    assert invoke("insight", "source", "delete", "regulatory")[0] == 0
    assert "regulatory" not in invoke("insight", "source", "list")[1]
