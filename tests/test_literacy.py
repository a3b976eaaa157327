"""AI literacy (EU AI Act Art. 4) through the API and the CLI: modules, completions and their
expiry, imports from a learning platform, coverage, your trainings, and the rule that issues AI
keys only to people who accepted the charter in force and hold the required trainings."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from tests.conftest import PASSWORD, invoke

from gouvernail.app import create_app
from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.charter.service import CharterView
from gouvernail.db.base import utcnow
from gouvernail.identity.principal import Principal
from gouvernail.literacy.models import TrainingCompletion
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
MakeUser = Callable[..., int]
DAY = timedelta(days=1)
BASICS = "ai-literacy-basics"
DATA = "ai-data-protection"


def completions(rt: Runtime) -> int:
    with rt.database.read() as session:
        return session.scalar(select(func.count()).select_from(TrainingCompletion)) or 0


def actions(rt: Runtime, prefix: str) -> list[str]:
    with rt.database.read() as session:
        rows = session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq))
        return [a for a in rows if a.startswith(prefix)]


def accept(rt: Runtime, user_id: int, password: str = PASSWORD) -> None:
    user = rt.directory.get(user_id)
    principal = Principal(user.id, user.username, user.display_name, tuple(user.roles), None, "s")
    rt.charters.accept(principal, password=password)


def upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes,
    name: str = "export.csv",
    **form: str,
) -> Any:
    return client.post(
        "/api/v1/literacy/completions/import",
        files={"file": (name, content, "text/csv")},
        data=form,
        headers=headers,
    )


@pytest.fixture
def staff(make_user: MakeUser, client: TestClient, login: Login) -> dict[str, int]:
    """An organisation: R&D (with Oncology under it) and Operations; people at each level."""
    make_user("root", "admin")
    admin = login("root")
    for team in (
        {"slug": "rd", "name": "R&D"},
        {"slug": "onco", "name": "Oncology", "kind": "team", "parent": "rd"},
        {"slug": "ops", "name": "Operations"},
    ):
        assert client.post("/api/v1/teams", json=team, headers=admin).status_code == 201
    return {
        "ref": make_user("ref", "ai_referent", email="ref@pharma.example"),
        "chair": make_user("chair", "committee_member"),
        "aud": make_user("aud", "auditor"),
        "anna": make_user("anna", team="onco", level="manager", email="anna@pharma.example"),
        "bert": make_user(
            "bert", "data_owner", team="rd", level="staff", email="Bert@Pharma.example"
        ),
        "cleo": make_user("cleo", team="ops", level="staff"),
    }


# --- modules --------------------------------------------------------------------------------------


def test_modules_are_managed_by_referents(
    client: TestClient, staff: dict[str, int], login: Login, rt: Runtime
) -> None:
    ref, emp = login("ref"), login("cleo")
    body = {
        "code": "gxp-ai",
        "title_en": "AI in GxP",
        "title_fr": "L'IA en BPF",
        "audience_roles": ["data_owner"],
        "audience_teams": ["rd"],
        "validity_days": 180,
        "required": True,
    }
    assert client.post("/api/v1/literacy/modules", json=body, headers=emp).status_code == 403
    created = client.post("/api/v1/literacy/modules", json=body, headers=ref)
    assert created.status_code == 201, created.text
    assert created.json()["audience_teams"] == ["rd"]
    listed = client.get("/api/v1/literacy/modules", headers=emp).json()
    assert [m["code"] for m in listed] == ["gxp-ai"]
    for bad, status, field in [
        ({**body, "code": "Bad Code"}, 422, "code"),
        ({**body, "code": "x2", "audience_roles": ["pope"]}, 400, "audience_roles"),
        ({**body, "code": "x2", "audience_teams": ["nowhere"]}, 404, "audience_teams"),
        ({**body, "code": "x2", "audience_levels": ["intern"]}, 400, "audience_levels"),
        ({**body, "code": "x2", "validity_days": 0}, 422, "validity_days"),
        ({**body, "code": "x2", "title_fr": ""}, 422, "title_fr"),
        (body, 409, "code"),
    ]:
        refused = client.post("/api/v1/literacy/modules", json=bad, headers=ref)
        assert refused.status_code == status, (bad, refused.text)
        assert refused.json()["error"]["field"] == field
    assert actions(rt, "training.") == ["training.module_created"]
    # a shorter validity recomputes the expiry of existing completions (refreshers come sooner)
    done = client.post(
        "/api/v1/literacy/completions",
        json={"user_id": staff["bert"], "module": "gxp-ai", "completed_at": "2026-01-10"},
        headers=ref,
    ).json()
    assert done["expires_at"].startswith("2026-07-09")
    assert done["source"] == "recorded"
    patch = {"validity_days": 90, "reason": "tools changed"}
    assert (
        client.patch("/api/v1/literacy/modules/gxp-ai", json=patch, headers=emp).status_code == 403
    )
    changed = client.patch("/api/v1/literacy/modules/gxp-ai", json=patch, headers=ref)
    assert changed.json()["validity_days"] == 90
    assert changed.json()["version"] == 2
    (row,) = rt.literacy.completions(user_id=staff["bert"])
    assert row.expires_at == datetime(2026, 4, 10, tzinfo=UTC)
    with rt.database.read() as session:
        recorded = session.scalars(
            select(AuditRecord.new_values).where(AuditRecord.action == "training.module_updated")
        ).one()
    assert '"expiries_recomputed":1' in recorded.replace(" ", "")
    for bad, field in [
        ({"reason": "r"}, None),
        ({"validity_days": 90, "reason": " "}, "reason"),
        ({"validity_days": 30, "no_expiry": True, "reason": "r"}, "validity_days"),
        ({"colour": "red", "reason": "r"}, "colour"),
    ]:
        refused = client.patch("/api/v1/literacy/modules/gxp-ai", json=bad, headers=ref)
        assert refused.status_code in (400, 422), refused.text
        assert refused.json()["error"]["field"] == field
    assert client.patch("/api/v1/literacy/modules/none", json=patch, headers=ref).status_code == 404


def test_recording_and_declaring_completions(
    client: TestClient,
    staff: dict[str, int],
    login: Login,
    rt: Runtime,
    ctx: AuditContext,
    make_settings: Callable[..., Settings],
) -> None:
    rt.literacy.load_modules(ctx)
    ref, emp = login("ref"), login("cleo")
    record = {"user_id": staff["cleo"], "module": BASICS}
    assert client.post("/api/v1/literacy/completions", json=record, headers=emp).status_code == 403
    future = (utcnow() + 2 * DAY).isoformat()
    for bad, status, field in [
        ({**record, "module": "yoga"}, 404, "module"),
        ({**record, "completed_at": future}, 400, "completed_at"),
        ({**record, "score": 120}, 422, "score"),
        ({**record, "user_id": 999}, 404, None),
    ]:
        refused = client.post("/api/v1/literacy/completions", json=bad, headers=ref)
        assert refused.status_code == status, refused.text
        assert refused.json()["error"]["field"] == field
    when = "2026-03-02T09:30:00+01:00"
    first = client.post(
        "/api/v1/literacy/completions",
        json={**record, "completed_at": when, "score": 92, "evidence": "LMS-77"},
        headers=ref,
    )
    assert first.status_code == 201
    assert first.json()["completed_at"].startswith("2026-03-02T08:30:00")
    again = client.post(
        "/api/v1/literacy/completions", json={**record, "completed_at": when}, headers=ref
    )
    assert again.status_code == 409
    assert client.get("/api/v1/literacy/completions", headers=emp).status_code == 403
    listed = client.get(
        "/api/v1/literacy/completions", params={"user_id": staff["cleo"]}, headers=login("aud")
    ).json()
    assert [c["evidence"] for c in listed] == ["LMS-77"]
    # employees may not declare their own completion unless the setting allows it
    declare = {"module": DATA}
    refused = client.post("/api/v1/literacy/me/completions", json=declare, headers=emp)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "self_declaration_disabled"
    assert completions(rt) == 1
    open_settings = make_settings(literacy_self_declaration=True)
    open_rt = Runtime.build(open_settings)
    try:
        with TestClient(create_app(open_settings, open_rt)) as other:
            token = other.post(
                "/api/v1/auth/login", json={"username": "cleo", "password": PASSWORD}
            ).json()["token"]
            declared = other.post(
                "/api/v1/literacy/me/completions",
                json=declare,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert declared.status_code == 201, declared.text
            assert declared.json()["source"] == "declared"
            assert declared.json()["user_id"] == staff["cleo"]
    finally:
        open_rt.close()
    assert actions(rt, "training.completed") == ["training.completed"] * 2


# --- imports --------------------------------------------------------------------------------------


GOOD_CSV = (
    "email,module,completion_date,score\n"
    "anna@pharma.example,ai-literacy-basics,2026-02-01,88\n"
    "bert@pharma.example,ai-literacy-basics,2026-02-03,75.5\n"
    "cleo,ai-data-protection,03/02/2026,\n"
)


@pytest.fixture
def modules(rt: Runtime, ctx: AuditContext, staff: dict[str, int]) -> None:
    rt.literacy.load_modules(ctx)


def test_import_good_rows_and_duplicates_are_idempotent(
    client: TestClient, staff: dict[str, int], modules: None, login: Login, rt: Runtime
) -> None:
    ref = login("ref")
    assert upload(client, login("cleo"), GOOD_CSV.encode()).status_code == 403
    checked = upload(client, ref, GOOD_CSV.encode(), dry_run="true").json()
    assert (checked["valid"], checked["committed"], completions(rt)) == (3, False, 0)
    report = upload(client, ref, GOOD_CSV.encode())
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["rows"], body["imported"], body["duplicates"], body["rejected"]) == (3, 3, 0, 0)
    assert (body["encoding"], body["delimiter"], body["committed"]) == ("utf-8", ",", True)
    stored = {c.username: c for c in rt.literacy.completions()}
    assert stored["cleo"].completed_at == datetime(2026, 2, 3, tzinfo=UTC)  # day first
    assert stored["cleo"].source == "imported"
    assert stored["bert"].score == 75.5
    assert stored["anna"].expires_at == datetime(2027, 2, 1, tzinfo=UTC)
    assert stored["anna"].import_id == body["import_id"]
    # the same export again, with one row repeated, changes nothing
    again = upload(client, ref, (GOOD_CSV + GOOD_CSV.splitlines()[1] + "\n").encode()).json()
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert completions(rt) == 3
    assert actions(rt, "training.imported") == ["training.imported"] * 2
    with rt.database.read() as session:
        first = session.scalars(
            select(AuditRecord.new_values)
            .where(AuditRecord.action == "training.imported")
            .order_by(AuditRecord.seq)
        ).first()
    assert first is not None
    assert '"imported":3' in first.replace(" ", "")


def test_import_rejects_bad_rows_unless_partial(
    client: TestClient, staff: dict[str, int], modules: None, login: Login, rt: Runtime
) -> None:
    ref = login("ref")
    bad = (
        GOOD_CSV
        + "ghost@pharma.example,ai-literacy-basics,2026-02-01,80\n"
        + "anna@pharma.example,yoga,2026-02-01,80\n"
        + "anna@pharma.example,ai-data-protection,yesterday,80\n"
        + "anna@pharma.example,ai-data-protection,2026-02-01,180\n"
        + f"anna@pharma.example,ai-data-protection,{(utcnow() + 9 * DAY).date()},\n"
        + ",,,\n"
    )
    refused = upload(client, ref, bad.encode())
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("import_rejected", "file")
    assert "line 5 (user)" in error["message"]
    assert "partial=true" in error["message"]
    rows = [(e["line"], e["field"]) for e in refused.json()["report"]["errors"]]
    assert rows == [
        (5, "user"),
        (6, "module"),
        (7, "completed_at"),
        (8, "score"),
        (9, "completed_at"),
    ]
    assert completions(rt) == 0  # nothing partial
    assert actions(rt, "training.imported") == []
    partial = upload(client, ref, bad.encode(), partial="true").json()
    assert (partial["imported"], partial["rejected"], partial["committed"]) == (3, 5, True)
    assert len(partial["errors"]) == 5
    assert completions(rt) == 3


@pytest.mark.parametrize(
    ("encoded", "encoding", "delimiter"),
    [
        (GOOD_CSV.encode("utf-8-sig"), "utf-8-sig", ","),
        (GOOD_CSV.replace(",", ";").replace("75.5", "75,5").encode(), "utf-8", ";"),
        (
            GOOD_CSV.replace(",", ";").replace("score", "Résultat").encode("latin-1"),
            "latin-1",
            ";",
        ),
        (GOOD_CSV.encode("utf-16"), "utf-16", ","),
    ],
)
def test_import_reads_common_exports(
    client: TestClient,
    staff: dict[str, int],
    modules: None,
    login: Login,
    rt: Runtime,
    encoded: bytes,
    encoding: str,
    delimiter: str,
) -> None:
    mapping = '{"score": "Résultat"}' if encoding == "latin-1" else None
    form = {"mapping": mapping} if mapping else {}
    report = upload(client, login("ref"), encoded, **form)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["encoding"], body["delimiter"], body["imported"]) == (encoding, delimiter, 3)
    assert {c.score for c in rt.literacy.completions()} == {88, 75.5, None}


def test_import_file_level_errors_name_the_field(
    client: TestClient, staff: dict[str, int], modules: None, login: Login, rt: Runtime
) -> None:
    ref = login("ref")
    cases: list[tuple[bytes, dict[str, str], str]] = [
        (b"", {}, "file"),
        (b"\x00\x01\x02\xff binary", {}, "file"),
        (b"person,course,when\nanna,x,2026-01-01\n", {}, "mapping.user"),
        (GOOD_CSV.encode(), {"mapping": '{"user": "Learner"}'}, "mapping.user"),
        (GOOD_CSV.encode(), {"mapping": '{"colour": "red"}'}, "mapping.colour"),
        (GOOD_CSV.encode(), {"mapping": "{not json"}, "mapping"),
        (b'email,module,completed_at\n"anna,x\n', {}, "file"),
    ]
    for content, form, field in cases:
        refused = upload(client, ref, content, **form)
        assert refused.status_code in (400, 422), (content, refused.text)
        assert refused.json()["error"]["field"] == field, (content, refused.text)
    assert completions(rt) == 0
    # an export with its own headers and US dates, mapped
    us = (
        "Learner E-mail;Course Code;Completed On;Certificate\n"
        "anna@pharma.example;ai-literacy-basics;02/13/2026;C-1\n"
    )
    mapping = (
        '{"user": "Learner E-mail", "module": "Course Code", "completed_at": "Completed On",'
        ' "evidence": "Certificate", "date_format": "%m/%d/%Y"}'
    )
    mapped = upload(client, ref, us.encode(), mapping=mapping).json()
    assert mapped["imported"] == 1
    (row,) = rt.literacy.completions()
    assert (row.completed_at.date().isoformat(), row.evidence) == ("2026-02-13", "C-1")


def test_import_xlsx(
    client: TestClient, staff: dict[str, int], modules: None, login: Login, rt: Runtime
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Module", "Completion date", "Score"])
    sheet.append(["anna@pharma.example", BASICS, datetime(2026, 1, 15, 10, 0), 90])
    sheet.append(["bert@pharma.example", DATA, "2026-01-16", None])
    sheet.append(["nobody", DATA, "2026-01-16", None])
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    refused = upload(client, login("ref"), content, name="export.xlsx")
    assert refused.status_code == 422
    assert [(e["line"], e["field"]) for e in refused.json()["report"]["errors"]] == [(4, "user")]
    done = upload(client, login("ref"), content, name="export.xlsx", partial="true").json()
    assert (done["format"], done["imported"]) == ("xlsx", 2)
    broken = upload(client, login("ref"), b"PK\x03\x04 not really a zip", name="x.xlsx")
    assert broken.json()["error"]["field"] == "file"


# --- the key rule and expiry ----------------------------------------------------------------------


def key(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/keys", json={"name": "notebook", **body}, headers=headers)


def test_keys_need_a_charter_in_force(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    make_user("emp")
    refused = key(client, login("emp"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "no_charter_in_force"
    assert "adopt" in refused.json()["error"]["message"]


def test_keys_need_the_charter_accepted_and_valid_trainings(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    rt: Runtime,
    ctx: AuditContext,
    charter_in_force: CharterView,
) -> None:
    emp_id = make_user("emp", level="staff")
    make_user("root", "admin")
    emp, admin = login("emp"), login("root")
    # 1. the charter in force is not accepted (and no training yet: both reasons are given)
    refused = key(client, emp)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "charter_not_accepted"
    assert "charter 2026.1" in error["message"]
    assert "POST /api/v1/charter/accept" in error["message"]
    assert BASICS in error["message"]
    # an administrator asking for someone else's key gets the same refusal, naming the person
    for_emp = key(client, admin, user_id=emp_id)
    assert for_emp.json()["error"]["code"] == "charter_not_accepted"
    assert "emp has not accepted" in for_emp.json()["error"]["message"]
    # 2. accepted, but a required training is missing
    accept(rt, emp_id)
    rt.literacy.record(ctx, user_id=emp_id, module=BASICS)
    refused = key(client, emp)
    error = refused.json()["error"]
    assert error["code"] == "training_required"
    assert DATA in error["message"]
    assert BASICS not in error["message"]
    me = client.get("/api/v1/literacy/me", headers=emp).json()
    assert me["missing_required"] == [DATA]
    assert me["eligibility"]["allowed"] is False
    assert {t["code"]: t["status"] for t in me["trainings"]} == {
        BASICS: "valid",
        DATA: "missing",
        "ai-prompting-sobriety": "missing",
    }
    # 3. an old completion has expired: refreshers are forced
    rt.literacy.record(ctx, user_id=emp_id, module=DATA, completed_at=utcnow() - 400 * DAY)
    refused = key(client, emp).json()["error"]
    assert refused["code"] == "training_required"
    assert f"expired {DATA}" in refused["message"]
    assert client.get("/api/v1/literacy/me", headers=emp).json()["expired_required"] == [DATA]
    # 4. a fresh completion: the key is issued
    rt.literacy.record(ctx, user_id=emp_id, module=DATA, completed_at=utcnow() - 340 * DAY)
    assert key(client, emp).status_code == 201
    mine = client.get("/api/v1/literacy/me", headers=emp).json()
    assert mine["expiring_required"] == [DATA]  # 25 days left: within the warning window
    assert mine["eligibility"] == {**mine["eligibility"], "allowed": True, "reasons": []}
    # the same rule, at other times, for the gateway
    later = rt.literacy.eligibility(emp_id, at=utcnow() + 30 * DAY)
    assert (later.allowed, [r.code for r in later.reasons]) == (False, ["training_required"])
    assert later.reasons[0].modules == [DATA]
    assert rt.literacy.eligibility(emp_id).allowed
    referent = make_user("ref", "ai_referent")
    seen = client.get(f"/api/v1/literacy/eligibility/{emp_id}", headers=login("ref"))
    assert seen.json()["allowed"] is True
    assert client.get(f"/api/v1/literacy/eligibility/{referent}", headers=emp).status_code == 403


def test_keys_during_the_grace_period_of_a_new_version(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    rt: Runtime,
    ctx: AuditContext,
    charter_in_force: CharterView,
    compliant_user: Callable[..., None],
) -> None:
    loyal = make_user("loyal")
    compliant_user(loyal)
    newcomer = make_user("newcomer")
    for code in (BASICS, DATA):
        rt.literacy.record(ctx, user_id=newcomer, module=code)
    revised = rt.charters.draft(
        ctx,
        number="2026.2",
        title=charter_in_force.title,
        body=charter_in_force.body + "\n\n## 13. Agents\n\nAgents follow this charter too.\n",
        rules=charter_in_force.rules.model_dump(mode="json"),
    )
    rt.charters.activate(ctx, revised.id, reason="new", grace_days=7, require_approval=False)
    in_grace = rt.literacy.eligibility(loyal)
    assert in_grace.allowed
    assert in_grace.charter is not None
    assert in_grace.charter.state == "in_grace"
    assert key(client, login("loyal")).status_code == 201
    # the grace period is for those who accepted the previous version only
    refused = key(client, login("newcomer")).json()["error"]
    assert refused["code"] == "charter_not_accepted"
    assert "2026.2" in refused["message"]
    after = rt.literacy.eligibility(loyal, at=utcnow() + 8 * DAY)
    assert [r.code for r in after.reasons] == ["charter_not_accepted"]


def test_deactivated_people_are_not_eligible(
    make_user: MakeUser, rt: Runtime, ctx: AuditContext, compliant_user: Callable[..., None]
) -> None:
    user = make_user("leaving")
    compliant_user(user)
    assert rt.literacy.eligibility(user).allowed
    rt.directory.set_active(ctx, user, active=False, reason="left the company")
    assert [r.code for r in rt.literacy.eligibility(user).reasons] == ["user_inactive"]


# --- coverage -------------------------------------------------------------------------------------


@pytest.fixture
def trained(
    rt: Runtime, ctx: AuditContext, staff: dict[str, int], charter_in_force: CharterView
) -> dict[str, int]:
    """anna (manager, onco): everything valid, ai-for-managers expiring in 10 days;
    bert (data owner, rd): basics expired, data protection valid, GxP missing;
    cleo (staff, ops): nothing."""
    now = utcnow()
    record = rt.literacy.record
    record(ctx, user_id=staff["anna"], module=BASICS, completed_at=now - 10 * DAY)
    record(ctx, user_id=staff["anna"], module=DATA, completed_at=now - 10 * DAY)
    record(ctx, user_id=staff["anna"], module="ai-for-managers", completed_at=now - 720 * DAY)
    record(ctx, user_id=staff["bert"], module=BASICS, completed_at=now - 366 * DAY)
    record(ctx, user_id=staff["bert"], module=DATA, completed_at=now - 5 * DAY)
    return staff


def test_coverage_by_team_role_and_level(
    client: TestClient, trained: dict[str, int], login: Login
) -> None:
    assert client.get("/api/v1/literacy/coverage", headers=login("cleo")).status_code == 403
    chair = login("chair")
    by_team = client.get("/api/v1/literacy/coverage", headers=chair).json()
    assert by_team["charter_number"] == "2026.1"
    groups = {g["key"]: g for g in by_team["groups"]}
    assert groups["onco"] == {
        "key": "onco",
        "people": 1,
        "compliant": 1,
        "expiring": 1,
        "expired": 0,
        "missing": 0,
    }
    assert groups["rd"] == {
        "key": "rd",
        "people": 1,
        "compliant": 0,
        "expiring": 0,
        "expired": 1,
        "missing": 1,
    }
    assert groups["ops"]["missing"] == 1
    assert groups["(no team)"]["people"] == 4  # root, ref, chair, aud
    assert by_team["total"]["people"] == 7
    assert by_team["total"]["compliant"] == 1
    modules = {m["code"]: m for m in by_team["modules"]}
    assert modules[BASICS] == {
        "code": BASICS,
        "title_en": modules[BASICS]["title_en"],
        "defined": True,
        "required_of": 7,
        "valid": 1,
        "expiring": 0,
        "expired": 1,
        "missing": 5,
    }
    assert modules["ai-gxp-use-cases"]["required_of"] == 1  # bert, data owner
    assert modules["ai-for-managers"]["expiring"] == 1
    assert modules["ai-prompting-sobriety"]["required_of"] == 0
    by_level = client.get(
        "/api/v1/literacy/coverage", params={"by": "level"}, headers=login("aud")
    ).json()
    levels = {g["key"]: (g["people"], g["compliant"]) for g in by_level["groups"]}
    assert levels == {"manager": (1, 1), "staff": (2, 0), "(no level)": (4, 0)}
    by_role = client.get(
        "/api/v1/literacy/coverage", params={"by": "role", "team": "rd"}, headers=login("ref")
    ).json()
    roles = {g["key"]: g["people"] for g in by_role["groups"]}
    assert roles == {"data_owner": 1, "employee": 1}  # bert, and anna of onco under rd
    assert by_role["total"]["people"] == 2
    wider = client.get("/api/v1/literacy/coverage", params={"within_days": 0}, headers=chair).json()
    assert wider["total"]["expiring"] == 0
    for params, status, field in [
        ({"by": "height"}, 400, "by"),
        ({"team": "nowhere"}, 404, "team"),
        ({"within_days": 999}, 400, "within_days"),
        ({"at": "2030-01-01T00:00:00"}, 400, "at"),
    ]:
        refused = client.get("/api/v1/literacy/coverage", params=params, headers=chair)
        assert refused.status_code == status
        assert refused.json()["error"]["field"] == field
    # a year on, without refreshers, nobody is compliant
    later = (utcnow() + 400 * DAY).isoformat()
    future = client.get("/api/v1/literacy/coverage", params={"at": later}, headers=chair).json()
    assert future["total"]["compliant"] == 0


# --- CLI ------------------------------------------------------------------------------------------


def test_literacy_cli(cli_env: Settings, tmp_path: Path, rt: Runtime, ctx: AuditContext) -> None:
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department")
    rt.directory.create_user(
        ctx, username="anna", display_name="Anna", email="anna@pharma.example", team="rd"
    )
    code, output = invoke("literacy", "module-load")
    assert code == 0, output
    assert "5 module(s) created" in output
    assert "0 module(s) created" in invoke("literacy", "module-load")[1]
    code, output = invoke(
        "literacy",
        "module-add",
        "ai-agents",
        "--title-en",
        "Working with agents",
        "--title-fr",
        "Travailler avec des agents",
        "--validity-days",
        "90",
        "--team",
        "rd",
        "--required",
    )
    assert code == 0, output
    code, output = invoke(
        "literacy", "module-add", "Bad Code", "--title-en", "x", "--title-fr", "y"
    )
    assert code == 1
    assert "code" in output
    assert "ai-agents" in invoke("literacy", "modules")[1]
    code, output = invoke("literacy", "record", "anna", BASICS, "--date", "2026-01-05")
    assert code == 0, output
    assert "valid until 2027-01-05" in output
    assert invoke("literacy", "record", "ghost", BASICS)[0] == 1
    export = tmp_path / "lms.csv"
    export.write_text(
        "Learner;Course;Date\nanna@pharma.example;ai-data-protection;2026-01-06\n"
        "anna@pharma.example;nope;2026-01-06\n",
        encoding="utf-8",
    )
    mapping = ["--map", "user=Learner", "--map", "module=Course", "--map", "completed_at=Date"]
    code, output = invoke("literacy", "import", str(export), *mapping)
    assert code == 1
    assert "line 3 (module)" in output
    code, output = invoke("literacy", "import", str(export), *mapping, "--partial")
    assert code == 0, output
    assert "imported 1" in output
    assert invoke("literacy", "import", str(export), "--map", "user")[0] == 2
    code, output = invoke("literacy", "status", "anna@pharma.example")
    assert code == 0, output
    assert "ai-agents" in output
    assert "no_charter_in_force" in output
    code, output = invoke("literacy", "coverage", "--by", "team")
    assert code == 0, output
    assert "rd" in output
    assert invoke("literacy", "coverage", "--by", "height")[0] == 1
