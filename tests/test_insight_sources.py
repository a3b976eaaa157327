"""Insight sources over the API: who may manage them, bad input, incremental sync, readers
and their changes, resuming after a crash, data quality, and insight as an OpenAI model name.

Embeddings come from the world's fake OpenAI-compatible provider here (fast, deterministic);
tests/test_insight.py runs the real bundled model."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openai import NotFoundError
from sqlalchemy import func, select, text, update
from tests.gateway_helpers import World, sdk
from tests.insight_files import encrypted_pdf, pdf
from tests.insight_helpers import ask, extractive, signed_in, source_body

from gouvernail.db.base import utcnow
from gouvernail.gateway.models import RequestLog
from gouvernail.identity.models import User
from gouvernail.insight.access import parse_readers, principals_of
from gouvernail.insight.connectors import RemoteItem
from gouvernail.insight.folder import FolderConnector
from gouvernail.insight.models import InsightChunk, InsightDocument, InsightSource
from gouvernail.search import Language

AMM = "La date limite de dépôt du dossier AMM est le 15 mars 2027."


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "amm").mkdir(parents=True)
    (root / "amm" / "guide.md").write_text(f"# Guide AMM\n\n{AMM}\n", encoding="utf-8")
    (root / "pv.txt").write_text(
        "Les effets indésirables graves sont déclarés sous quinze jours.\n", encoding="utf-8"
    )
    return root


@pytest.fixture
def setup(gw: TestClient, world: World, share: Path) -> tuple[TestClient, World]:
    world.use_case("insight", "alice")
    world.openai.answer_text = extractive  # type: ignore[method-assign]
    world.give_emails("alice", "bob")
    return gw, world


def _create(client: TestClient, world: World, root: Path, **fields: Any) -> dict[str, Any]:
    body = source_body(root, world.use_cases["insight"], **fields)
    response = client.post("/api/v1/insight/sources", json=body, headers=signed_in(client, "ref"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _sync(client: TestClient, slug: str = "regulatory") -> dict[str, Any]:
    response = client.post(f"/api/v1/insight/sources/{slug}/sync", headers=signed_in(client, "ref"))
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- who may do what --------------------------------------------------------------------------


def test_only_data_owners_referents_and_admins_manage_sources(
    setup: tuple[TestClient, World], share: Path
) -> None:
    client, world = setup
    body = source_body(share, world.use_cases["insight"])
    assert client.post("/api/v1/insight/sources", json=body).status_code == 401
    assert (
        client.post("/api/v1/insight/ask", json={"question": "x", "sources": ["a"]}).status_code
        == 401
    )
    bob = signed_in(client, "bob")  # use-case owner, not a data owner
    assert client.post("/api/v1/insight/sources", json=body, headers=bob).status_code == 403
    _create(client, world, share)
    assert client.post("/api/v1/insight/sources/regulatory/sync", headers=bob).status_code == 403
    assert client.delete("/api/v1/insight/sources/regulatory", headers=bob).status_code == 403
    listed = client.get("/api/v1/insight/sources", headers=bob)
    assert [s["slug"] for s in listed.json()] == ["regulatory"]
    assert (
        client.delete(
            "/api/v1/insight/sources/regulatory", headers=signed_in(client, "ref")
        ).status_code
        == 204
    )
    assert client.get("/api/v1/insight/sources/regulatory", headers=bob).status_code == 404


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"readers": ["somebody"]}, 400, "readers"),
        ({"location": "/nonexistent/share"}, 400, "location"),
        ({"data_class": "top-secret"}, 400, "data_class"),
        ({"owner": "ghost"}, 400, "owner"),
        ({"use_case_id": 999}, 400, "use_case_id"),
        ({"kind": "sharepoint"}, 400, "sharepoint"),
        ({"slug": "Bad Slug"}, 422, None),
        (
            {
                "kind": "sharepoint",
                "sharepoint": {
                    "tenant_id": "t",
                    "client_id": "c",
                    "credential_ref": "sk-live-0123456789abcdef0123456789abcdef",
                },
            },
            422,
            None,
        ),
    ],
)
def test_bad_sources_are_refused_with_what_to_fix(
    setup: tuple[TestClient, World],
    share: Path,
    fields: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    client, world = setup
    body = source_body(share, world.use_cases["insight"], **fields)
    response = client.post("/api/v1/insight/sources", json=body, headers=signed_in(client, "ref"))
    assert response.status_code == status, response.text
    if field is not None:
        assert response.json()["error"]["field"] == field
    assert "sk-live" not in response.text
    with world.rt.database.read() as session:
        assert session.scalar(select(func.count()).select_from(InsightSource)) == 0


def test_a_duplicate_slug_and_bad_questions_are_refused(
    setup: tuple[TestClient, World], share: Path
) -> None:
    client, world = setup
    _create(client, world, share)
    again = client.post(
        "/api/v1/insight/sources",
        json=source_body(share, world.use_cases["insight"]),
        headers=signed_in(client, "ref"),
    )
    assert again.status_code == 409
    alice = signed_in(client, "alice")
    for body, status in [
        ({"question": "", "sources": ["regulatory"]}, 422),
        ({"question": "x" * 4001, "sources": ["regulatory"]}, 422),
        ({"question": "date ?", "sources": []}, 422),
        ({"question": "date ?", "sources": ["nowhere"]}, 404),
    ]:
        assert client.post("/api/v1/insight/ask", json=body, headers=alice).status_code == status
    assert (
        client.post(
            "/api/v1/insight/sources/nowhere/sync", headers=signed_in(client, "ref")
        ).status_code
        == 404
    )


# --- sync -------------------------------------------------------------------------------------


def test_sync_indexes_what_changed_and_follows_readers(
    setup: tuple[TestClient, World], share: Path
) -> None:
    client, world = setup
    _create(client, world, share)
    assert _sync(client)["counts"] == {"indexed": 2}
    assert _sync(client)["counts"] == {"unchanged": 2}
    guide = share / "amm" / "guide.md"
    guide.write_text(f"# Guide AMM\n\n{AMM} Le dossier est complet.\n", encoding="utf-8")
    os.utime(guide, (guide.stat().st_atime, guide.stat().st_mtime + 10))
    assert _sync(client)["counts"] == {"indexed": 1, "unchanged": 1}
    alice, bob = signed_in(client, "alice"), signed_in(client, "bob")
    question = "Quelle est la date limite de dépôt du dossier AMM ?"
    assert ask(client, alice, question)["mode"] == "answer"

    # the amm folder becomes bob's only: relabelled without reading the file again
    (share / "amm" / ".access.yaml").write_text("readers: [user:bob@example.com]\n")
    assert _sync(client)["counts"] == {"relabelled": 1, "unchanged": 2}
    for_alice = ask(client, alice, question)
    assert all("15 mars" not in p["text"] for p in for_alice["passages"])
    assert "15 mars 2027" in ask(client, bob, question)["answer"]

    # a reader nobody knows: unresolved, reported, never shown to anyone
    (share / "amm" / ".access.yaml").write_text("readers: [user:stranger@elsewhere.com]\n")
    report = _sync(client)
    assert report["counts"] == {"unresolved": 1, "unchanged": 1}
    assert report["problems"][0]["code"] == "unresolved"
    assert "stranger@elsewhere.com" in report["problems"][0]["message"]
    assert all("15 mars" not in p["text"] for p in ask(client, bob, question)["passages"])

    # a file deleted from the share leaves the index
    (share / "pv.txt").unlink()
    assert _sync(client)["counts"]["removed"] == 1
    with world.rt.database.read() as session:
        assert session.scalar(select(func.count()).select_from(InsightChunk)) == 0


def test_full_text_reads_the_title_and_the_heading_too(
    setup: tuple[TestClient, World], share: Path
) -> None:
    """On both backends a passage is found by its document's title, which it rarely repeats."""
    client, world = setup
    (share / "note.pdf").write_bytes(
        pdf(["Les signaux sont revus chaque semaine."], title="Calendrier de pharmacovigilance")
    )
    _create(client, world, share)
    _sync(client)
    insight = world.rt.insight
    with world.rt.database.read() as session:
        source = session.scalars(select(InsightSource.id).where(InsightSource.slug == "regulatory"))
        found = insight.store.fulltext.search(
            session,
            "pharmacovigilance",
            Language.FRENCH,
            source_ids=list(source),
            principals=principals_of(session, session.get_one(User, world.users["alice"])),
            limit=5,
        )
        texts = [session.get(InsightChunk, i).text for i, _ in found]  # type: ignore[union-attr]
    assert texts == ["Les signaux sont revus chaque semaine."]


def test_a_crashed_sync_resumes_without_duplicates_or_losses(
    setup: tuple[TestClient, World], share: Path
) -> None:
    client, world = setup
    for number in range(6):
        (share / f"note-{number}.txt").write_text(
            f"Note {number} : la réunion du comité numéro {number} a validé le budget.\n"
        )
    _create(client, world, share)

    class PowerCut(FolderConnector):
        fetched = 0

        def fetch(self, item: RemoteItem, *, max_bytes: int) -> bytes:
            PowerCut.fetched += 1
            if PowerCut.fetched == 4:
                raise RuntimeError("power cut")
            return super().fetch(item, max_bytes=max_bytes)

    ctx = world.ctx
    cut = PowerCut(share, parse_readers(["team:reg-affairs"]))
    with pytest.raises(RuntimeError, match="power cut"):
        client.portal.call(partial(world.rt.insight.sync, ctx, "regulatory", connector=cut))  # type: ignore[union-attr]
    state = client.get("/api/v1/insight/sources/regulatory", headers=signed_in(client, "ref"))
    assert state.json()["sync_state"] == "failed"
    assert "power cut" in state.json()["last_error"]
    # the documents of the interrupted run were committed one by one, or not at all
    with world.rt.database.read() as session:
        assert session.scalar(select(func.count()).select_from(InsightChunk)) in range(0, 4)

    # a sync killed outright leaves its lease: refused while fresh, taken over once stale
    with world.rt.database.write() as session:
        session.execute(
            update(InsightSource).values(sync_state="running", sync_started_at=utcnow())
        )
    busy = client.post("/api/v1/insight/sources/regulatory/sync", headers=signed_in(client, "ref"))
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "sync_running")
    with world.rt.database.write() as session:
        session.execute(update(InsightSource).values(sync_started_at=utcnow() - timedelta(hours=1)))
    report = _sync(client)
    assert report["error"] == ""
    with world.rt.database.read() as session:
        documents = session.scalars(select(InsightDocument)).all()
        assert sorted(d.path for d in documents) == sorted(
            ["amm/guide.md", "pv.txt", *(f"note-{n}.txt" for n in range(6))]
        )
        assert {d.status for d in documents} == {"indexed"}
        per_document = session.execute(
            select(InsightChunk.document_id, func.count()).group_by(InsightChunk.document_id)
        ).all()
        assert all(count == 1 for _, count in per_document)
        assert len(per_document) == 8
        if world.rt.database.dialect == "sqlite":
            assert session.scalar(text("SELECT count(*) FROM insight_chunks_fts")) == 8


# --- quality ----------------------------------------------------------------------------------


def test_data_quality_shows_failures_duplicates_and_age(
    setup: tuple[TestClient, World], share: Path
) -> None:
    client, world = setup
    (share / "copie-guide.md").write_bytes((share / "amm" / "guide.md").read_bytes())
    (share / "protege.pdf").write_bytes(encrypted_pdf(pdf(["Contenu protégé."])))
    (share / "ancien.doc").write_bytes(b"\xd0\xcf\x11\xe0 old word file")
    _create(client, world, share)
    report = _sync(client)
    assert report["counts"] == {"indexed": 3, "failed": 2}
    codes = sorted(p["code"] for p in report["problems"])
    assert codes == ["encrypted", "unsupported_type"]
    quality = client.get(
        "/api/v1/insight/sources/regulatory/quality", headers=signed_in(client, "bob")
    ).json()
    assert quality["documents"] == 5
    assert quality["failures"] == {"encrypted": 1, "unsupported_type": 1}
    assert quality["duplicate_documents"] == 1
    assert quality["duplicates"][0]["paths"] == ["amm/guide.md", "copie-guide.md"]
    assert quality["completeness_score"] == 2  # 3 of 5 indexed
    assert quality["recency_score"] == 5  # written just now
    assert quality["age_distribution"]["under 3 months"] == 5

    # the measured scores feed the use case's qualification (an audited edit of the use case)
    use_case = world.rt.use_cases.get(world.use_cases["insight"])
    (measured,) = [s for s in use_case.data_sources if s.location == str(share)]
    assert (measured.name, measured.data_class, measured.owner and measured.owner.username) == (
        "Regulatory share",
        "internal",
        "alice",
    )
    assert (measured.available, measured.completeness, measured.recency) == (5, 2, 5)
    version = use_case.version
    _sync(client)  # nothing changed: the use case is not edited again
    assert world.rt.use_cases.get(world.use_cases["insight"]).version == version


# --- insight as a model name ------------------------------------------------------------------


def test_chat_tools_reach_insight_as_a_model(setup: tuple[TestClient, World], share: Path) -> None:
    client, world = setup
    _create(client, world, share)
    _sync(client)
    openai = sdk(client, world.key("alice", "drafting"))
    question = [{"role": "user", "content": "Quelle est la date limite de dépôt du dossier AMM ?"}]
    answer = openai.chat.completions.create(model="insight:regulatory", messages=question)
    content = answer.choices[0].message.content or ""
    assert "15 mars 2027. [1]" in content
    assert "[1] Guide AMM (amm/guide.md)" in content
    chunks = list(
        openai.chat.completions.create(model="insight:regulatory", messages=question, stream=True)
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == content
    with pytest.raises(NotFoundError):
        openai.chat.completions.create(model="insight:nowhere", messages=question)
    # the answer's model call was made with the caller's key, on the caller's use case
    with world.rt.database.read() as session:
        calls = session.scalars(select(RequestLog).where(RequestLog.operation == "chat")).all()
    assert calls
    assert {c.use_case_id for c in calls} == {world.use_cases["drafting"]}
