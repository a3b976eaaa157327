"""The portal's audit page: searching the trail, verifying the chain, exporting it; each under
the right of its API route (auditors read, verify and export; nobody changes anything)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, timedelta

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.portal_helpers import post, sign_in

from gouvernail.audit import AuditContext
from gouvernail.audit import events as ev
from gouvernail.db.immutability import drop_guards
from gouvernail.identity.principal import Principal
from gouvernail.portal.pages.audit import PAGE_SIZE
from gouvernail.runtime import Runtime

MakeUser = Callable[..., int]
SEQ = re.compile(r'<tr id="record-(\d+)">')


def shown(html: str) -> list[int]:
    return [int(seq) for seq in SEQ.findall(html)]


def fill(rt: Runtime, ctx: AuditContext, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        rt.trail.record(ctx, ev.TeamCreated(object_id=f"t{i}", new={"n": i}, reason=f"r{i}"))


def test_an_auditor_searches_the_trail(
    client: TestClient, rt: Runtime, ctx: AuditContext, make_user: MakeUser
) -> None:
    audrey = make_user("audrey", "auditor", display_name="Audrey Martin")
    fill(rt, ctx, 3)
    hers = AuditContext(Principal.signed_in(rt.directory.get(audrey)).actor, "test")
    rt.trail.record(hers, ev.TeamCreated(object_id="t9", new={"n": 9}, reason="renamed"))
    sign_in(client, "audrey")
    everything = client.get("/audit")
    assert everything.status_code == 200
    assert "team.created" in everything.text
    assert "user.created" in everything.text
    rows = shown(everything.text)
    assert rows == sorted(rows, reverse=True)  # newest first

    teams = client.get("/audit", params={"action": "team.created"}).text
    assert len(shown(teams)) == 4
    assert "user.created</code>" not in teams
    one = client.get("/audit", params={"object_type": "team", "object_id": "t1"}).text
    assert len(shown(one)) == 1
    assert "r1" in one
    for actor in ("martin", str(audrey)):  # part of the name, or the id
        mine = client.get("/audit", params={"actor": actor}).text
        assert len(shown(mine)) == 1
        assert "Audrey Martin (audrey)" in mine
        assert "renamed" in mine

    today = date.today()
    dated = {"action": "team.created", "since": str(today), "until": str(today)}
    assert len(shown(client.get("/audit", params=dated).text)) == 4
    later = client.get("/audit", params={"since": str(today + timedelta(days=1))}).text
    assert shown(later) == []
    assert "No record matches these filters." in later
    wrong = client.get("/audit", params={"since": "yesterday", "action": "team.created"})
    assert wrong.status_code == 422
    assert 'id="e-since"' in wrong.text
    overflow = client.get("/audit", params={"until": "9999-12-31"})
    assert overflow.status_code == 422
    assert 'id="e-until"' in overflow.text
    assert 'value="team.created"' in wrong.text  # the filters keep what was typed

    # what auditors see is read-only: verify and export, nothing that changes the trail
    assert 'action="/audit/verify"' in everything.text
    assert 'href="/audit/export?format=jsonl"' in everything.text
    assert client.get("/api/v1/audit/public-key").text.startswith("-----BEGIN PUBLIC KEY")


def test_the_trail_is_paged(
    client: TestClient, rt: Runtime, ctx: AuditContext, make_user: MakeUser
) -> None:
    make_user("audrey", "auditor")
    fill(rt, ctx, PAGE_SIZE + 5)
    sign_in(client, "audrey")
    first = client.get("/audit", params={"action": "team.created"}).text
    assert len(shown(first)) == PAGE_SIZE
    older = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert len(shown(second)) == 5
    assert max(shown(second)) < min(shown(first))
    assert 'rel="next"' not in second
    assert "Newest records" in second


def test_the_chain_verifies_and_a_tampered_record_shows_as_broken(
    client: TestClient, rt: Runtime, ctx: AuditContext, make_user: MakeUser
) -> None:
    make_user("audrey", "auditor")
    fill(rt, ctx, 4)
    token = sign_in(client, "audrey")
    intact = post(client, "/audit/verify", token)
    assert intact.status_code == 200
    assert "The chain is intact." in intact.text
    assert "0 signed checkpoints verified." in intact.text
    assert client.get("/audit/export").status_code == 200  # signs a checkpoint on the head
    signed = post(client, "/audit/verify", token).text
    assert "1 signed checkpoint verified." in signed
    assert f"Signing key: {rt.signer.key_id}." in signed

    with rt.database.engine.begin() as connection:  # what an attacker with DDL rights could do
        drop_guards(connection)
        connection.execute(text("UPDATE audit_records SET reason = 'nothing here' WHERE seq = 3"))
    broken = post(client, "/audit/verify", token)
    assert broken.status_code == 200
    assert "The chain is broken at record #3." in broken.text
    assert "it was modified" in broken.text
    assert 'href="/audit?before=4"' in broken.text


def test_export_needs_the_export_right(
    client: TestClient, rt: Runtime, ctx: AuditContext, make_user: MakeUser
) -> None:
    make_user("audrey", "auditor")
    make_user("sam", "security_referent")  # reads and verifies, does not export
    fill(rt, ctx, 2)
    sign_in(client, "audrey")
    jsonl = client.get("/audit/export", params={"format": "jsonl"})
    assert jsonl.status_code == 200
    lines = [orjson.loads(line) for line in jsonl.content.splitlines()]
    assert {line["kind"] for line in lines} == {"record", "checkpoint"}
    assert any(line.get("action") == "team.created" for line in lines)
    csv = client.get("/audit/export", params={"format": "csv"})
    assert csv.status_code == 200
    assert set(zipfile.ZipFile(io.BytesIO(csv.content)).namelist()) == {
        "audit.csv",
        "audit.csv.checkpoints.jsonl",
    }
    assert "audit.exported" in client.get("/audit", params={"action": "audit.exported"}).text

    client.cookies.clear()
    token = sign_in(client, "sam")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "/audit/export" not in page.text
    assert 'action="/audit/verify"' in page.text
    assert client.get("/audit/export").status_code == 403
    assert post(client, "/audit/verify", token).status_code == 200


def test_employees_are_refused_and_forms_need_their_token(
    client: TestClient, rt: Runtime, make_user: MakeUser
) -> None:
    make_user("eve")
    make_user("audrey", "auditor")
    token = sign_in(client, "eve")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export").status_code == 403
    assert post(client, "/audit/verify", token).status_code == 403
    assert 'href="/audit"' not in client.get("/me").text  # not in the menu either

    client.cookies.clear()
    sign_in(client, "audrey")
    missing = client.post("/audit/verify")
    assert missing.status_code == 403
    assert "expired or did not come from this site" in missing.text
