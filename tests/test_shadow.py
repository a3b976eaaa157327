"""Shadow-AI discovery through the API and the CLI, on SQLite and PostgreSQL: the catalogue and
who may see or curate it, imports of each log format with malformed lines, the report (by
service, department and person; direct API calls; large uploads), resuming an interrupted
import without counting twice, bad input, sanctioning and adopting a service."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.conftest import invoke
from tests.job_helpers import wait_for_job
from tests.shadow_helpers import make_company, squid

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.observatory.shadow import catalogue
from gouvernail.observatory.shadow.models import ShadowImport, ShadowObservation
from gouvernail.registry.models import UseCase
from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC).timestamp()  # a Monday, 09:00 UTC


@pytest.fixture
def company(rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]) -> dict[str, int]:
    return make_company(rt, ctx, make_user)


SQUID_LOG = "\n".join(
    [
        squid(T0, "alice%40helvia.example", "CONNECT", "chatgpt.com:443", 5000),
        squid(T0 + 60, "alice%40helvia.example", "CONNECT", "chatgpt.com:443", 7000),
        squid(T0 + 90, "alice%40helvia.example", "GET", "http://www.example.org/", 300),
        squid(T0 + 120, "bob", "CONNECT", "api.openai.com:443", 900),
        squid(T0 + 86400, "bob", "CONNECT", "claude.ai:443", 100),
        squid(T0 + 86400 + 5, "bob", "CONNECT", "notchatgpt.com:443", 100),  # not chatgpt.com
        squid(T0 + 200, "svc-gateway", "CONNECT", "api.openai.com:443", 100),
        squid(T0 + 300, "-", "CONNECT", "gemini.google.com:443", 100),
        "garbage that is not a squid line",
        "1763283600.000 12 10.0.0.7 TCP_MISS/200 notanumber GET http://chatgpt.com/ bob X -",
        "",
    ]
)


def upload(
    client: TestClient, headers: dict[str, str], body: bytes, fmt: str, name: str = "access.log"
) -> Any:
    """Send the log; once accepted (202, a job), wait for the job and answer the import."""
    response = client.post(
        "/api/v1/shadow/imports",
        params={"format": fmt, "name": name},
        content=body,
        headers=headers | {"content-type": "application/octet-stream"},
    )
    if response.status_code != 202:
        return response
    job = wait_for_job(client, headers, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["kind"] == "shadow.import"
    return client.get(f"/api/v1/shadow/imports/{job['result']['import_id']}", headers=headers)


def report(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    params = {"since": "2026-11-01", "until": "2026-11-30"} | params
    response = client.get("/api/v1/shadow/report", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- the catalogue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("chatgpt.com", "openai-chatgpt"),
        ("cdn.chatgpt.com", "openai-chatgpt"),
        ("ChatGPT.com.", "openai-chatgpt"),
        ("notchatgpt.com", None),
        ("chatgpt.com.evil.example", None),
        ("api.openai.com", "openai-api"),
        ("bedrock-runtime.eu-west-3.amazonaws.com", "aws-bedrock"),
        ("s3.eu-west-3.amazonaws.com", None),
        ("www.google.com", None),
    ],
)
def test_the_shipped_catalogue_matches_hosts(host: str, service: str | None) -> None:
    version, entries = catalogue.shipped()
    assert version
    assert len(entries) >= 100
    found = catalogue.Matcher(entries).match(host)
    assert (found.slug if found else None) == service


def test_a_bad_catalogue_entry_is_refused_with_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="service 1: x: category 'toys'"):
        catalogue.parse(
            {
                "services": [
                    {"id": "x", "name": "X", "vendor": "V", "category": "toys", "domains": ["x.ai"]}
                ]
            }
        )
    with pytest.raises(ValueError, match="not a host name"):
        catalogue.parse(
            {"services": [{"id": "x", "name": "X", "vendor": "V", "domains": ["https://x.ai/"]}]}
        )
    with pytest.raises(ValueError, match="belongs to both a and b"):
        catalogue.parse(
            {
                "services": [
                    {"id": "a", "name": "A", "vendor": "V", "domains": ["x.ai"]},
                    {"id": "b", "name": "B", "vendor": "V", "domains": ["x.ai"]},
                ]
            }
        )


def test_who_may_read_curate_and_import(
    client: TestClient, company: dict[str, int], login: Login
) -> None:
    assert client.get("/api/v1/shadow/services").status_code == 401
    emp, aud, sec, ref = login("emp"), login("aud"), login("sec"), login("ref")
    assert client.get("/api/v1/shadow/services", headers=emp).status_code == 403
    assert client.get("/api/v1/shadow/report", headers=emp).status_code == 403
    listed = client.get("/api/v1/shadow/services", headers=aud)
    assert listed.status_code == 200
    assert len(listed.json()) >= 100
    patch = {"version": 1, "reason": "approved by the committee", "sanctioned": True}
    assert client.patch("/api/v1/shadow/services/deepl", json=patch, headers=aud).status_code == 403
    assert upload(client, aud, SQUID_LOG.encode(), "squid").status_code == 403
    assert upload(client, ref, SQUID_LOG.encode(), "squid").status_code == 403  # reads, curates
    assert client.patch("/api/v1/shadow/services/deepl", json=patch, headers=ref).status_code == 200
    assert upload(client, sec, SQUID_LOG.encode(), "squid").status_code == 200


# --- imports and the report --------------------------------------------------------------------


def test_a_squid_log_shows_who_uses_which_ai_service(
    client: TestClient, rt: Runtime, company: dict[str, int], login: Login
) -> None:
    rt.settings.shadow.gateway_identities = ["svc-gateway"]
    sec = login("sec")
    response = upload(client, sec, SQUID_LOG.encode(), "squid")
    assert response.status_code == 200, response.text
    imported = response.json()
    assert imported["status"] == "complete"
    assert imported["resumed"] is False
    assert (imported["lines"], imported["malformed"], imported["requests"]) == (10, 2, 8)
    assert imported["ai_requests"] == 6  # chatgpt 2, openai api 2, claude, gemini
    assert {e["why"] for e in imported["examples"]} == {
        "expected 10 fields, found 7",
        "the size is not a number",
    }
    assert imported["log_from"].startswith("2026-11-16T09:00")
    assert len(imported["digest"]) == 64

    seen = report(client, sec)
    assert (seen["requests"], seen["people"]) == (6, 3)  # alice, bob, svc-gateway
    by_slug = {s["slug"]: s for s in seen["services"]}
    assert by_slug["openai-chatgpt"]["requests"] == 2
    assert by_slug["openai-chatgpt"]["severity"] == "warning"
    assert by_slug["openai-chatgpt"]["bytes_up"] is None  # squid does not log uploads
    assert by_slug["openai-chatgpt"]["bytes_down"] == 12000
    assert by_slug["openai-api"]["severity"] == "critical"
    assert by_slug["openai-api"]["people"] == 2
    assert [d["day"] for d in by_slug["anthropic-claude"]["trend"]] == ["2026-11-17"]
    departments = {d["department"]: d for d in seen["departments"]}
    assert departments["R&D"]["requests"] == 2  # alice's team is under R&D
    assert departments["Finance"]["requests"] == 2
    people = {p["identity"]: p for p in seen["top_people"]}
    assert people["alice@helvia.example"]["username"] == "alice"
    assert people["bob"]["services"] == ["anthropic-claude", "openai-api"]
    (finding,) = seen["findings"]  # the gateway's own calls are not a bypass
    assert (finding["kind"], finding["identity"], finding["service"]) == (
        "direct_api",
        "bob",
        "openai-api",
    )
    assert "bypass the gateway" in finding["explanation"]
    assert [d["requests"] for d in seen["days"]] == [5, 1]
    only_finance = report(client, sec, department="Finance")
    assert only_finance["requests"] == 2

    with rt.database.read() as session:
        values = session.scalars(
            select(AuditRecord.new_values).where(AuditRecord.action == "shadow.log_imported")
        ).one()
    assert json.loads(values)["ai_requests"] == 6
    assert json.loads(values)["status"] == "complete"


def _zscaler(rows: list[list[str]]) -> bytes:
    header = ",".join(
        f'"{name}"'
        for name in [
            "datetime",
            "user",
            "department",
            "clientip",
            "url",
            "hostname",
            "action",
            "requestmethod",
            "requestsize",
            "responsesize",
            "urlcategory",
            "appname",
        ]
    )
    lines = [header] + [",".join(f'"{v}"' for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def test_zscaler_csv_and_json_lines_record_uploads(
    client: TestClient, company: dict[str, int], login: Login
) -> None:
    sec = login("sec")
    zscaler = _zscaler(
        [
            [
                "Mon Nov 16 09:12:45 2026",
                "carol@ext.example",
                "Legal",
                "10.0.0.8",
                "chatgpt.com/c/1",
                "chatgpt.com",
                "Allowed",
                "POST",
                str(12 * 2**20),
                "3000",
                "AI",
                "ChatGPT",
            ],
            [
                "Mon Nov 16 09:13:00 2026",
                "carol@ext.example",
                "Legal",
                "10.0.0.8",
                "deepl.com/translator",
                "www.deepl.com",
                "Blocked",
                "POST",
                "2000",
                "100",
                "AI",
                "DeepL",
            ],
            [
                "Mon Nov 16 25:99:00 2026",
                "carol@ext.example",
                "Legal",
                "10.0.0.8",
                "chatgpt.com",
                "chatgpt.com",
                "Allowed",
                "GET",
                "1",
                "1",
                "AI",
                "ChatGPT",
            ],
            ["only", "three", "fields"],
        ]
    )
    imported = upload(client, sec, zscaler, "zscaler", "zscaler.csv").json()
    assert (imported["lines"], imported["malformed"], imported["ai_requests"]) == (4, 2, 2)
    assert {e["why"] for e in imported["examples"]} >= {"no valid datetime"}

    events = [
        {
            "time": "2026-11-16T10:00:00Z",
            "user": "bob",
            "host": "claude.ai",
            "bytes_out": 400,
            "bytes_in": 10,
        },
        {
            "time": 1794823200,
            "user": "bob",
            "url": "https://api.mistral.ai/v1/chat/completions",
            "bytes_out": 100,
            "bytes_in": 20,
        },
        {"time": "yesterday", "user": "bob", "host": "claude.ai"},
    ]
    body = "\n".join(json.dumps(e) for e in events) + "\n{not json\n"
    imported = upload(client, sec, body.encode(), "jsonl", "events.jsonl").json()
    assert (imported["lines"], imported["malformed"], imported["ai_requests"]) == (4, 2, 2)

    generic = (
        "time,user,department,host,bytes_out,bytes_in\n"
        "2026-11-16T11:00:00Z,dave,Sales,chatgpt.com,50,60\n"
    )
    imported = upload(client, sec, generic.encode(), "csv", "generic.csv").json()
    assert (imported["lines"], imported["ai_requests"]) == (1, 1)

    seen = report(client, sec)
    by_slug = {s["slug"]: s for s in seen["services"]}
    assert by_slug["openai-chatgpt"]["bytes_up"] == 12 * 2**20 + 50
    assert by_slug["mistral-api"]["severity"] == "critical"
    assert {d["department"] for d in seen["departments"]} >= {"Legal", "Finance", "Sales"}
    kinds = {(f["kind"], f["identity"]) for f in seen["findings"]}
    assert ("large_upload", "carol@ext.example") in kinds  # 12 MB to an unsanctioned service
    assert ("direct_api", "bob") in kinds


def test_bad_input_is_refused_with_what_to_fix(
    client: TestClient, rt: Runtime, company: dict[str, int], login: Login
) -> None:
    sec = login("sec")
    assert upload(client, sec, b"x", "syslog").status_code == 422
    empty = upload(client, sec, b"", "squid")
    assert empty.status_code == 400
    assert "empty" in empty.json()["error"]["message"]
    headless = upload(client, sec, b"a,b,c\n1,2,3\n", "csv")
    assert headless.status_code == 400
    assert "lacks time" in headless.json()["error"]["message"]
    rt.settings.shadow.upload_max_mb = 1
    big = upload(client, sec, b"x" * (2 * 2**20), "squid")
    assert big.status_code == 413
    assert "shadow.upload_max_mb" in big.json()["error"]["message"]
    assert not list((rt.settings.data_dir / "shadow-uploads").iterdir())  # nothing left behind
    # a gzip file is read as such; a file imported already is refused
    packed = gzip.compress(SQUID_LOG.encode())
    assert upload(client, sec, packed, "squid", "access.log.gz").json()["ai_requests"] == 6
    again = upload(client, sec, packed, "squid", "access.log.gz")
    assert again.status_code == 409
    assert "imported already" in again.json()["error"]["message"]
    with rt.database.read() as session:
        assert session.scalar(select(func.count()).select_from(ShadowImport)) == 1


# --- resuming -----------------------------------------------------------------------------------


def _long_log(path: Path, lines: int) -> int:
    """A log of ``lines`` lines, one AI request in ten; the AI requests it holds."""
    with path.open("w") as file:
        for i in range(lines):
            host = "chatgpt.com:443" if i % 10 == 0 else f"site{i % 500}.example:443"
            file.write(squid(T0 + i, f"user{i % 37}", "CONNECT", host, 100 + i % 1000) + "\n")
    return (lines + 9) // 10


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing cleans up after it."""


def test_an_interrupted_import_resumes_without_counting_twice(
    rt: Runtime, ctx: AuditContext, company: dict[str, int], tmp_path: Path
) -> None:
    rt.settings.shadow.segment_mb = 4
    path = tmp_path / "big.log"
    expected = _long_log(path, 100_000)  # ~11 MB: three segments
    calls: list[int] = []

    def crash_after_the_first_segment(done: int, size: int) -> None:
        calls.append(done)
        raise Crash

    with pytest.raises(Crash):
        rt.shadow.import_file(ctx, path, "squid", progress=crash_after_the_first_segment)
    with rt.database.read() as session:
        row = session.scalars(select(ShadowImport)).one()
        assert (row.status, row.segments_done) == ("running", 1)
        first = session.scalar(select(func.sum(ShadowObservation.requests))) or 0
    assert 0 < first < expected

    # the crashed importer still holds its lease: a second one is refused, not run twice
    with pytest.raises(Exception, match="being imported"):
        rt.shadow.import_file(ctx, path, "squid")
    with rt.database.write() as session:  # the lease passes
        session.execute(update(ShadowImport).values(lease_until=datetime(2000, 1, 1, tzinfo=UTC)))

    view = rt.shadow.import_file(ctx, path, "squid")
    assert view.resumed
    assert view.status == "complete"
    assert view.segments_done == 3
    assert (view.lines, view.malformed, view.ai_requests) == (100_000, 0, expected)
    with rt.database.read() as session:
        assert session.scalar(select(func.sum(ShadowObservation.requests))) == expected
    assert view.digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_import_failing_midway_is_marked_failed_and_resumed_with_a_new_catalogue(
    client: TestClient,
    rt: Runtime,
    ctx: AuditContext,
    company: dict[str, int],
    login: Login,
    tmp_path: Path,
) -> None:
    rt.settings.shadow.segment_mb = 4
    path = tmp_path / "big.log"
    expected = _long_log(path, 100_000)

    def fail(done: int, size: int) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        rt.shadow.import_file(ctx, path, "squid", progress=fail)
    assert rt.shadow.imports()[0].status == "failed"
    assert "disk full" in rt.shadow.imports()[0].error

    # meanwhile the catalogue learns a new service: the import starts again with it
    added = client.post(
        "/api/v1/shadow/services",
        json={"slug": "site7", "name": "Site 7", "vendor": "S7", "domains": ["site7.example"]},
        headers=login("sec"),
    )
    assert added.status_code == 201, added.text
    view = rt.shadow.import_file(ctx, path, "squid")
    assert view.resumed
    assert view.lines == 100_000
    assert view.ai_requests == expected + 200  # site7 is line 7 of every 500
    with rt.database.read() as session:
        assert session.scalar(select(func.sum(ShadowObservation.requests))) == expected + 200


# --- curating and adopting ------------------------------------------------------------------------


def test_sanctioning_and_adopting_a_service(
    client: TestClient, rt: Runtime, company: dict[str, int], login: Login
) -> None:
    sec, ref = login("sec"), login("ref")
    upload(client, sec, SQUID_LOG.encode(), "squid")
    claude = client.get("/api/v1/shadow/services/anthropic-claude", headers=ref).json()
    stale = {"version": claude["version"] + 1, "reason": "approved", "sanctioned": True}
    assert (
        client.patch(
            "/api/v1/shadow/services/anthropic-claude", json=stale, headers=ref
        ).status_code
        == 409
    )
    ok = {"version": claude["version"], "reason": "approved by the committee", "sanctioned": True}
    changed = client.patch("/api/v1/shadow/services/anthropic-claude", json=ok, headers=ref)
    assert changed.status_code == 200
    assert changed.json()["version"] == claude["version"] + 1
    services = {s["slug"]: s for s in report(client, sec)["services"]}
    assert services["anthropic-claude"]["severity"] == "info"
    taken = {"version": 1, "reason": "clash", "domains": ["claude.ai"]}
    clash = client.patch("/api/v1/shadow/services/openai-chatgpt", json=taken, headers=ref)
    assert clash.status_code == 409
    assert "claude.ai" in clash.json()["error"]["message"]
    removed = client.delete(
        "/api/v1/shadow/services/openai-chatgpt", params={"reason": "x" * 5}, headers=ref
    )
    assert removed.status_code == 409  # observed: sanction it or not instead

    idea = client.post(
        "/api/v1/shadow/services/openai-chatgpt/adopt", json={"as": "use_case"}, headers=ref
    )
    assert idea.status_code == 201, idea.text
    with rt.database.read() as session:
        use_case = session.get_one(UseCase, idea.json()["use_case_id"])
        assert use_case.title == "Use of ChatGPT (OpenAI)"
        assert use_case.status == "idea"
        assert "2 requests by 1 people" in use_case.description
    no_country = client.post(
        "/api/v1/shadow/services/anthropic-claude/adopt", json={"as": "vendor"}, headers=ref
    )
    assert no_country.status_code == 400
    vendor = client.post(
        "/api/v1/shadow/services/anthropic-claude/adopt",
        json={"as": "vendor", "country": "US", "lock_in": "medium"},
        headers=ref,
    )
    assert vendor.status_code == 201, vendor.text
    assert rt.inventory.get_vendor(vendor.json()["vendor"]).name == "Anthropic"
    with rt.database.read() as session:
        actions = list(
            session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("shadow.%")))
        )
    assert actions.count("shadow.service_adopted") == 2
    assert "shadow.service_changed" in actions
    assert "shadow.catalogue_loaded" in actions


def test_the_cli_imports_reports_and_sanctions(
    cli_env: Any, company: dict[str, int], tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_text(SQUID_LOG)
    code, output = invoke("shadow", "import", str(log), "--format", "squid")
    assert code == 0, output
    assert "10 lines, 2 malformed, 6 requests to AI services" in output
    code, output = invoke("shadow", "import", str(log), "--format", "squid")
    assert code == 1
    assert "imported already" in output
    code, output = invoke("shadow", "report", "--days", "3650")
    assert code == 0
    assert "critical direct_api" in output
    assert "ChatGPT" in output
    code, output = invoke("shadow", "service", "sanction", "openai-chatgpt", "--reason", "licensed")
    assert code == 0
    assert "openai-chatgpt: sanctioned" in output
    code, output = invoke("shadow", "service", "list", "--seen")
    assert code == 0
    assert "openai-chatgpt" in output
    assert "deepl" not in output
    code, output = invoke("shadow", "service", "adopt", "anthropic-claude", "--as", "bob")
    assert code == 0
    assert "submitted as an idea" in output
