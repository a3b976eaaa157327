"""A SharePoint library as an insight source, end to end through the API: Graph's permissions
mapped to our users and teams, unresolved ones excluded and reported, deletions and sharing
changes followed by the next sync. Graph is the local fake server (tests/graph_fake.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.gateway_helpers import World
from tests.graph_fake import FakeGraph, group, link, user
from tests.insight_files import docx
from tests.insight_helpers import ask, extractive, signed_in

from gouvernail.audit.models import AuditRecord

MARKET = "Le marché européen des biosimilaires croît de 12 % par an."
PRICE = "Le prix cible du projet Hermès est de 40 euros par boîte."


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake
    assert fake.violations == []


@pytest.fixture
def library(
    gw: TestClient, world: World, graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> tuple[TestClient, World, FakeGraph]:
    world.use_case("insight", "alice")
    world.openai.answer_text = extractive  # type: ignore[method-assign]
    world.give_emails("alice", "bob")
    monkeypatch.setenv("GRAPH_CLIENT_SECRET", graph.client_secret)
    graph.add_file(
        "Etudes/marche-2026.docx",
        docx([("Marché", MARKET)]),
        permissions=(group("Regulatory affairs"),),
    )
    graph.add_file(
        "Etudes/hermes.md",
        f"# Hermès\n\n{PRICE}\n".encode(),
        permissions=(user("bob@example.com"),),
        inherits=False,
    )
    graph.add_file("Public/charte.md", b"# Charte\n\nLa charte IA s'applique.\n")
    graph.share("Public/charte.md", link("organization"))
    graph.add_file("Archives/ancien.md", b"# Ancien\n\nUn document sans lecteur connu.\n")
    graph.add_file("Etudes/bloque.md", b"# Bloque\n\nPermissions illisibles.\n")
    graph.fail_permissions("Etudes/bloque.md", 403)
    return gw, world, graph


def _source(graph: FakeGraph, use_case_id: int) -> dict[str, Any]:
    return {
        "slug": "market-studies",
        "name": "Market studies (SharePoint)",
        "kind": "sharepoint",
        "location": graph.site,
        "use_case_id": use_case_id,
        "owner": "alice",
        "data_class": "internal",
        "language": "fr",
        "embedding_model": "gpt-eu",
        "answer_model": "gpt-eu",
        "sharepoint": {
            "tenant_id": graph.tenant_id,
            "client_id": graph.client_id,
            "credential_ref": "GRAPH_CLIENT_SECRET",
            "library": "Documents",
            "authority_host": graph.url,
            "graph_url": graph.graph_url,
            "ca_bundle": graph.ca_path,
        },
    }


def _sync(client: TestClient) -> dict[str, Any]:
    response = client.post(
        "/api/v1/insight/sources/market-studies/sync", headers=signed_in(client, "ref")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_sharepoint_library_answers_within_its_permissions(
    library: tuple[TestClient, World, FakeGraph],
) -> None:
    client, world, graph = library
    created = client.post(
        "/api/v1/insight/sources",
        json=_source(graph, world.use_cases["insight"]),
        headers=signed_in(client, "ref"),
    )
    assert created.status_code == 201, created.text
    report = _sync(client)
    assert report["error"] == ""
    assert report["counts"] == {"indexed": 3, "unresolved": 2}
    problems = {p["path"].rsplit("/", 1)[-1]: p["message"] for p in report["problems"]}
    assert "could not be read" in problems["bloque.md"]
    assert "group Market Studies Visitors" in problems["ancien.md"]

    alice, bob, ref = (signed_in(client, u) for u in ("alice", "bob", "ref"))
    market = ask(
        client, alice, "Quelle est la croissance du marché des biosimilaires ?", "market-studies"
    )
    assert market["mode"] == "answer"
    cited = market["passages"][0]
    assert cited["url"].startswith("https://")
    assert cited["path"].endswith("Etudes/marche-2026.docx")

    question = "Quel est le prix cible du projet Hermès ?"
    assert all(
        PRICE not in p["text"] for p in ask(client, alice, question, "market-studies")["passages"]
    )
    assert "40 euros" in ask(client, bob, question, "market-studies")["answer"]
    charter = ask(client, ref, "La charte IA s'applique-t-elle ?", "market-studies")
    assert any("charte" in p["text"] for p in charter["passages"])  # shared with everyone

    # Graph's changes reach the index at the next sync: a deletion, a sharing change
    graph.delete("Public/charte.md")
    graph.share("Etudes/hermes.md", user("alice@example.com"))
    report = _sync(client)
    assert report["counts"].get("removed") == 1
    assert report["counts"].get("relabelled") == 1
    assert "40 euros" in ask(client, alice, question, "market-studies")["answer"]
    assert all(
        "charte" not in p["text"]
        for p in ask(client, ref, "La charte IA s'applique-t-elle ?", "market-studies")["passages"]
    )

    with world.rt.database.read() as session:
        records = session.scalars(select(AuditRecord)).all()
    assert records
    assert all(graph.client_secret not in r.new_values + r.reason for r in records)
