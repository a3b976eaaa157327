"""The audit trail: chaining, group commit, immutability, tamper detection, signed exports."""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from tests.conftest import PASSWORD

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.audit.chain import format_ts, record_hash
from gouvernail.audit.export import ExportFormat, ExportFormatError, export, verify_export
from gouvernail.audit.signing import CheckpointSigner
from gouvernail.audit.verify import verify_database
from gouvernail.db.immutability import drop_guards
from gouvernail.errors import GouvernailError
from gouvernail.identity.models import Team
from gouvernail.runtime import Runtime


def fill(rt: Runtime, ctx: AuditContext, count: int) -> None:
    for i in range(count):
        rt.trail.record(ctx, ev.TeamCreated(object_id=str(i), new={"n": i}, reason=f"r{i}"))


def tamper(rt: Runtime, *statements: str) -> None:
    """What an attacker with DDL rights could do: drop the guards, then rewrite rows."""
    with rt.database.engine.begin() as conn:
        drop_guards(conn)
        for statement in statements:
            conn.execute(text(statement))


def test_records_chain_and_verify(rt: Runtime, ctx: AuditContext) -> None:
    fill(rt, ctx, 5)
    result = verify_database(rt.database, rt.signer.public_key)
    assert result.ok, result.describe()
    assert result.records == 5
    with rt.database.read() as session:
        rows = session.execute(
            text("SELECT seq, prev_hash, hash FROM audit_records ORDER BY seq")
        ).all()
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))


def test_update_and_delete_are_refused_by_the_database(rt: Runtime, ctx: AuditContext) -> None:
    fill(rt, ctx, 2)
    export(rt.database, rt.signer, rt.settings.data_dir / "a.jsonl", ExportFormat.JSONL)
    for statement in (
        "UPDATE audit_records SET reason = 'x' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 2",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(DBAPIError, match="append-only"), rt.database.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_database(rt.database).ok


@pytest.mark.parametrize(
    ("statements", "broken", "words"),
    [
        (["UPDATE audit_records SET reason = 'nothing to see' WHERE seq = 3"], 3, "modified"),
        (["DELETE FROM audit_records WHERE seq = 3"], 3, "missing"),
        # reorder: swap records 2 and 3
        (
            [
                "UPDATE audit_records SET seq = 100 WHERE seq = 2",
                "UPDATE audit_records SET seq = 2 WHERE seq = 3",
                "UPDATE audit_records SET seq = 3 WHERE seq = 100",
            ],
            2,
            "previous-hash",
        ),
        # truncate the tail: the chain head still says 5
        (["DELETE FROM audit_records WHERE seq = 5"], 5, "chain head"),
    ],
    ids=["modified", "deleted", "reordered", "truncated"],
)
def test_tampering_is_detected_and_located(
    rt: Runtime, ctx: AuditContext, statements: list[str], broken: int, words: str
) -> None:
    fill(rt, ctx, 5)
    tamper(rt, *statements)
    result = verify_database(rt.database, rt.signer.public_key)
    assert not result.ok
    assert result.first_broken_seq == broken
    assert words in result.problem


def _forge(rt: Runtime, seq: int, prev_hash: str) -> str:
    """A well-formed record with a correct self-hash (the attacker knows the algorithm)."""
    stored_ts = "2026-01-01 00:00:00.000000" + ("+00" if rt.database.dialect != "sqlite" else "")
    values = (
        seq,
        "2026-01-01T00:00:00.000000Z",
        "9",
        "Mallory",
        "team.created",
        "team",
        "x",
        None,
        "{}",
        "{}",
        "",
        "",
        prev_hash,
    )
    digest = record_hash(values)
    tamper(
        rt,
        "INSERT INTO audit_records (seq, ts, actor_id, actor_name, action, object_type, "
        "object_id, object_version, old_values, new_values, reason, request_id, prev_hash, "
        f"hash) VALUES ({seq}, '{stored_ts}', '9', 'Mallory', 'team.created', 'team', 'x', "
        f"NULL, '{{}}', '{{}}', '', '', '{prev_hash}', '{digest}')",
    )
    return digest


def test_inserted_record_is_detected(rt: Runtime, ctx: AuditContext) -> None:
    fill(rt, ctx, 4)
    # make room after #2 by shifting #3 and #4 up, then slip a self-consistent forged #3 in
    tamper(
        rt,
        "UPDATE audit_records SET seq = seq + 10 WHERE seq >= 3",
        "UPDATE audit_records SET seq = seq - 9 WHERE seq >= 13",
    )
    _forge(rt, 3, "e" * 64)
    result = verify_database(rt.database, rt.signer.public_key)
    assert not result.ok
    assert result.first_broken_seq == 3
    assert "previous-hash" in result.problem


def test_appended_forgery_fails_the_signed_checkpoint(rt: Runtime, ctx: AuditContext) -> None:
    fill(rt, ctx, 3)
    export(rt.database, rt.signer, rt.settings.data_dir / "a.jsonl", ExportFormat.JSONL)
    # rewrite the last record wholesale, re-hashing it: only the signature can tell
    with rt.database.read() as session:
        prev = session.execute(
            text("SELECT prev_hash FROM audit_records WHERE seq = 3")
        ).scalar_one()
    tamper(rt, "DELETE FROM audit_records WHERE seq = 3")
    digest = _forge(rt, 3, prev)
    tamper(rt, f"UPDATE audit_head SET hash = '{digest}'")
    result = verify_database(rt.database, rt.signer.public_key)
    assert not result.ok
    assert result.first_broken_seq == 3
    assert "checkpoint" in result.problem


def test_failed_unit_leaves_nothing_and_others_commit(rt: Runtime, ctx: AuditContext) -> None:
    barrier = threading.Barrier(2)

    def failing(tx: Tx) -> None:
        tx.session.add(Team(slug="ghost", name="Ghost", kind="team"))
        tx.emit(ev.TeamCreated(object_id="ghost"))
        raise GouvernailError("refused")

    def ok(tx: Tx) -> str:
        tx.session.add(Team(slug="real", name="Real", kind="team"))
        tx.emit(ev.TeamCreated(object_id="real"))
        return "done"

    results: dict[str, object] = {}

    def run(name: str, work: Callable[[Tx], object]) -> None:
        barrier.wait()
        try:
            results[name] = rt.trail.run(ctx, work)
        except GouvernailError as error:
            results[name] = error

    threads = [
        threading.Thread(target=run, args=("bad", failing)),
        threading.Thread(target=run, args=("good", ok)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(results["bad"], GouvernailError)
    assert results["good"] == "done"
    with rt.database.read() as session:
        slugs = session.execute(text("SELECT slug FROM teams")).scalars().all()
        objects = session.execute(text("SELECT object_id FROM audit_records")).scalars().all()
    assert slugs == ["real"]
    assert objects == ["real"]


def test_appended_rows_go_in_one_batch_and_a_bad_unit_fails_alone(
    rt: Runtime, ctx: AuditContext
) -> None:
    """``aappend`` units are inserted together; when one breaks a constraint the batch is
    committed again unit by unit: the others land, the bad one fails and leaves nothing."""
    teams = Team.metadata.tables[Team.__tablename__]
    gate = threading.Event()

    def hold(tx: Tx) -> None:  # keeps the writer busy while the next units queue up
        gate.wait(10)
        tx.emit(ev.TeamCreated(object_id="first"))

    first = rt.trail.submit(ctx, hold)

    def team(slug: str) -> dict[str, object]:
        return {"slug": slug, "name": slug.title(), "kind": "team"}

    futures = {
        tag: rt.trail.submit(ctx, None, [ev.TeamCreated(object_id=tag)], [(teams, team(slug))])
        for slug, tag in (("alpha", "a"), ("beta", "b"), ("alpha", "dup"), ("gamma", "c"))
    }
    gate.set()
    first.result(10)
    assert isinstance(futures["dup"].exception(10), IntegrityError)
    for tag in ("a", "b", "c"):
        assert futures[tag].result(10)[1], "committed with its sequence number"
    with rt.database.read() as session:
        slugs = sorted(session.execute(text("SELECT slug FROM teams")).scalars())
        objects = session.execute(text("SELECT object_id FROM audit_records")).scalars().all()
    assert slugs == ["alpha", "beta", "gamma"]
    assert "dup" not in objects
    assert {"first", "a", "b", "c"} <= set(objects)
    result = verify_database(rt.database, rt.signer.public_key)
    assert result.ok, result.describe()


def test_concurrent_trails_never_fork_the_chain(rt: Runtime, ctx: AuditContext) -> None:
    """Two writers (as two replicas would be) append concurrently: one linear chain."""
    other = AuditTrail(rt.database, rt.signer, checkpoint_interval=7)
    per_thread = 40

    def write(trail: AuditTrail, tag: str) -> None:
        for i in range(per_thread):
            trail.record(ctx, ev.TeamCreated(object_id=f"{tag}{i}"))

    threads = [
        threading.Thread(target=write, args=(trail, f"{name}{n}-"))
        for trail, name in ((rt.trail, "a"), (other, "b"))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    result = verify_database(rt.database, rt.signer.public_key)
    assert result.ok, result.describe()
    assert result.records == per_thread * 8


def test_a_forked_record_is_refused(rt: Runtime, ctx: AuditContext) -> None:
    """A second record claiming the same predecessor (a fork) violates the chain's uniqueness."""
    fill(rt, ctx, 2)
    with rt.database.read() as session:
        row = session.execute(text("SELECT * FROM audit_records WHERE seq = 2")).mappings().one()
    values = dict(row)
    values.update(seq=3, hash="f" * 64)
    columns = ", ".join(values)
    with pytest.raises(IntegrityError), rt.database.engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO audit_records ({columns}) VALUES "
                f"({', '.join(':' + c for c in values)})"
            ),
            values,
        )
    assert verify_database(rt.database).ok


def test_secrets_are_refused_in_audit_values() -> None:
    with pytest.raises(ValueError, match="secrets"):
        ev.PasswordChanged(object_id="1", new={"password": "hunter2"})


def test_every_event_is_documented() -> None:
    import gouvernail

    # every events module, including those of services the app imports only when first used
    for module in pkgutil.walk_packages(gouvernail.__path__, "gouvernail."):
        if module.name.endswith(".events"):
            importlib.import_module(module.name)

    documented = Path("docs/audit-events.md").read_text(encoding="utf-8")
    for cls in ev.event_types():
        assert (cls.__doc__ or "").strip(), cls
        assert f"`{cls.action}`" in documented, f"{cls.action} missing from docs/audit-events.md"


# --- exports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_signed_export_verifies_offline(
    rt: Runtime, ctx: AuditContext, tmp_path: Path, fmt: ExportFormat
) -> None:
    fill(rt, ctx, 6)
    path = tmp_path / f"trail.{fmt.value}"
    count, closing = export(rt.database, rt.signer, path, fmt)
    assert count == 6
    assert closing is not None
    assert closing.seq == 6
    result = verify_export(path, rt.signer.public_key)
    assert result.ok, result.describe()
    # another key cannot vouch for it
    stranger = CheckpointSigner.from_file(tmp_path / "other.pem", create=True)
    assert not verify_export(path, stranger.public_key).ok


def test_tampered_export_is_detected(rt: Runtime, ctx: AuditContext, tmp_path: Path) -> None:
    fill(rt, ctx, 4)
    path = tmp_path / "trail.jsonl"
    export(rt.database, rt.signer, path, ExportFormat.JSONL)
    lines = path.read_text(encoding="utf-8").splitlines()
    record = orjson.loads(lines[1])
    record["reason"] = "rewritten"
    lines[1] = orjson.dumps(record).decode()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verify_export(path, rt.signer.public_key)
    assert not result.ok
    assert result.first_broken_seq == 2


def test_truncated_export_without_checkpoint_is_untrusted(
    rt: Runtime, ctx: AuditContext, tmp_path: Path
) -> None:
    fill(rt, ctx, 4)
    path = tmp_path / "trail.jsonl"
    export(rt.database, rt.signer, path, ExportFormat.JSONL)
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if '"seq":4' not in line
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verify_export(path, rt.signer.public_key)
    assert not result.ok


@pytest.mark.parametrize("content", [b"not json\n", b"\xff\xfe\n", b"", b'{"kind": "x"}\n'])
def test_garbage_export_is_rejected_clearly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    key = CheckpointSigner.from_file(tmp_path / "k.pem", create=True).public_key
    with pytest.raises(ExportFormatError):
        verify_export(path, key)


def test_format_ts_is_stable() -> None:
    from datetime import UTC, datetime

    assert format_ts(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2026-01-02T03:04:05.000006Z"


def test_records_by_time_and_newest_first(
    client: TestClient, rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]
) -> None:
    make_user("marc", "auditor")
    token = client.post(
        "/api/v1/auth/login", json={"username": "marc", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(3):
        rt.directory.create_team(ctx, slug=f"t{n}", name=f"Team {n}", kind="team")
    oldest = client.get("/api/v1/audit/records", params={"action": "team.created"}, headers=headers)
    newest = client.get(
        "/api/v1/audit/records",
        params={"action": "team.created", "newest_first": "true", "limit": 2},
        headers=headers,
    )
    seqs = [r["seq"] for r in oldest.json()]
    assert [r["seq"] for r in newest.json()] == seqs[::-1][:2]
    before = client.get(
        "/api/v1/audit/records",
        params={"action": "team.created", "newest_first": "true", "before_seq": seqs[-1]},
        headers=headers,
    )
    assert [r["seq"] for r in before.json()] == seqs[:-1][::-1]
    future = client.get(
        "/api/v1/audit/records", params={"since": "2999-01-01T00:00:00"}, headers=headers
    )
    assert future.json() == []
    past = client.get("/api/v1/audit/records", params={"until": "2000-01-01"}, headers=headers)
    assert past.json() == []
    assert (
        client.get(
            "/api/v1/audit/records", params={"since": "yesterday"}, headers=headers
        ).status_code
        == 422
    )
