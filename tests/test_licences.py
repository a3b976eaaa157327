"""Licences and AI tools used outside the gateway, through the API and the CLI on SQLite and
PostgreSQL: tools linked to the inventory, seat exports (Microsoft 365 Copilot usage report and
a generic CSV with a column mapping) with unknown people and malformed rows, re-imports,
activity exports of an enterprise chat product inspected against the charter (findings per
person, no text kept), the figures (active seats over 30/60/90 days by source, reclaim,
cost per active user), who may see what, and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import invoke
from tests.gateway_helpers import World
from tests.insight_helpers import signed_in
from tests.inventory_helpers import model as model_body
from tests.inventory_helpers import vendor as vendor_body
from tests.job_helpers import wait_for_job

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.charter.service import CharterView
from gouvernail.db.base import utcnow
from gouvernail.inventory.values import GuaranteeSpec, ModelSpec, VendorSpec
from gouvernail.observatory.licences.models import (
    LicenceImport,
    LicenceMessage,
    LicenceSeat,
    LicensedTool,
)
from gouvernail.runtime import Runtime

Login = Callable[[str], dict[str, str]]
ROOT = "/api/v1/licences"
AS_OF = date(2026, 11, 20)
PATIENT = "Jean Dupont"


@pytest.fixture
def company(rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]) -> dict[str, int]:
    """Two departments; alice (R&D), bob (Finance), carol (R&D), and the roles that see
    licences: AI referent, security referent, committee member, auditor, an employee."""
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department")
    rt.directory.create_team(ctx, slug="chem", name="Chemistry", kind="team", parent="rd")
    rt.directory.create_team(ctx, slug="fin", name="Finance", kind="department")
    return {
        "alice": make_user("alice", email="alice@helvia.example", team="chem"),
        "bob": make_user("bob", email="bob@helvia.example", team="fin"),
        "carol": make_user("carol", email="carol@helvia.example", team="rd"),
        "ref": make_user("ref", "ai_referent"),
        "sec": make_user("sec", "security_referent"),
        "board": make_user("board", "committee_member"),
        "aud": make_user("aud", "auditor"),
        "emp": make_user("emp"),
    }


def csv_text(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(f'"{c}"' for c in row) for row in rows).encode() + b"\n"


M365_HEADER = [
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Last Activity Date",
    "Microsoft Teams Copilot Last Activity Date",
    "Word Copilot Last Activity Date",
    "Copilot Chat Last Activity Date",
]


def m365(refresh: str, *people: tuple[str, str, str, str]) -> bytes:
    """A Copilot usage user detail report: (UPN, name, last activity, Teams last activity)."""
    rows = [M365_HEADER]
    rows += [[refresh, upn, name, last, teams, "", last] for upn, name, last, teams in people]
    return csv_text(rows)


def conversation(
    conversation_id: str, email: str, *messages: tuple[str, str, datetime, str]
) -> str:
    """A Compliance-API-like conversation: messages are (id, role, time, text)."""
    return orjson.dumps(
        {
            "object": "compliance.workspace.conversation",
            "id": conversation_id,
            "user_id": f"user-{email.split('@')[0]}",
            "user_email": email,
            "messages": {
                "object": "list",
                "data": [
                    {
                        "id": message_id,
                        "created_at": at.timestamp(),
                        "author": {"role": role},
                        "content": {"content_type": "text", "parts": [text]},
                        "model": "gpt-4o",
                    }
                    for message_id, role, at, text in messages
                ],
            },
        }
    ).decode()


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def add_tool(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {
        "slug": "chatgpt-enterprise",
        "name": "ChatGPT Enterprise",
        "hosting": "external_saas",
        "max_data_class": "internal",
        "seat_price": 50,
        "currency": "EUR",
        "seats_bought": 4,
    } | fields
    return client.post(f"{ROOT}/tools", json=body, headers=headers)


def upload(
    client: TestClient,
    headers: dict[str, str],
    slug: str,
    kind: str,
    body: bytes,
    **params: str,
) -> Any:
    """Seat exports are imported in the request (201); activity exports are accepted (202, a
    job): then this waits for the job and answers the import (200)."""
    path = "seat-imports" if kind == "seats" else "activity-imports"
    response = client.post(
        f"{ROOT}/tools/{slug}/{path}",
        params={"name": f"export.{'csv' if kind == 'seats' else 'jsonl'}"} | params,
        content=body,
        headers=headers | {"content-type": "application/octet-stream"},
    )
    if response.status_code != 202:
        return response
    job = wait_for_job(client, headers, response.json()["id"])
    assert (job["kind"], job["status"]) == ("licences.activity_import", "succeeded"), job
    return client.get(f"{ROOT}/imports/{job['result']['import_id']}", headers=headers)


def events(rt: Runtime, action: str) -> list[AuditRecord]:
    with rt.database.read() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def inventory_model(rt: Runtime, ctx: AuditContext) -> None:
    """A vendor and a model sold per seat (flat rate), hosted in the EU."""
    body = vendor_body("openai-eu")
    guarantees = [GuaranteeSpec.model_validate(g) for g in body.pop("guarantees")]
    rt.inventory.create_vendor(ctx, VendorSpec.model_validate(body), guarantees)
    spec = model_body(
        "copilot-gpt",
        vendor="openai-eu",
        max_data_class="confidential",
        pricing={
            "mode": "flat_rate",
            "currency": "EUR",
            "per_seat_monthly": 28.1,
        },
    )
    rt.inventory.create_model(ctx, ModelSpec.model_validate(spec))


# --- tools -------------------------------------------------------------------------------------


def test_tools_reuse_the_inventory_and_every_change_is_audited(
    client: TestClient,
    rt: Runtime,
    ctx: AuditContext,
    company: dict[str, int],
    charter_in_force: CharterView,
    login: Login,
) -> None:
    inventory_model(rt, ctx)
    ref, board, emp = login("ref"), login("board"), login("emp")
    body = {
        "slug": "m365-copilot",
        "name": "Microsoft 365 Copilot",
        "vendor": "openai-eu",
        "models": ["copilot-gpt"],
        "billing_period": "annual",
        "seats_bought": 10,
    }
    assert client.post(f"{ROOT}/tools", json=body, headers=board).status_code == 403
    created = client.post(f"{ROOT}/tools", json=body, headers=ref)
    assert created.status_code == 201, created.text
    tool = created.json()
    # hosting, ceiling and price come from the inventory model, the price made annual
    assert (tool["hosting"], tool["max_data_class"]) == ("eu_cloud", "confidential")
    assert (Decimal(str(tool["seat_price"])), tool["price_source"]) == (
        Decimal("337.2"),
        "inventory",
    )
    cost = rt.licences.monthly_cost("m365-copilot")
    assert (cost.monthly, cost.seat_price_monthly, cost.seats_billed) == (
        Decimal("281.00"),
        Decimal("28.10"),
        10,
    )
    assert client.post(f"{ROOT}/tools", json=body, headers=ref).status_code == 409
    no_hosting = add_tool(client, ref, slug="mystery", hosting=None, max_data_class=None)
    assert no_hosting.status_code == 400
    assert "hosting" in no_hosting.json()["error"]["message"]
    unknown_model = add_tool(client, ref, slug="ghost", models=["no-such-model"])
    assert unknown_model.status_code == 400
    assert "no inventory model no-such-model" in unknown_model.json()["error"]["message"]
    bad_class = add_tool(client, ref, slug="odd", max_data_class="top_secret")
    assert bad_class.status_code == 400
    assert bad_class.json()["error"]["field"] == "max_data_class"

    assert client.get(f"{ROOT}/tools", headers=emp).status_code == 403
    assert [t["slug"] for t in client.get(f"{ROOT}/tools", headers=board).json()] == [
        "m365-copilot"
    ]
    patch = {"version": 1, "reason": "true-up", "seats_bought": 12, "seat_price": 360}
    assert client.patch(f"{ROOT}/tools/m365-copilot", json=patch, headers=board).status_code == 403
    changed = client.patch(
        f"{ROOT}/tools/m365-copilot", json=patch | {"currency": "EUR"}, headers=ref
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["price_source"]) == (2, "tool")
    stale = client.patch(f"{ROOT}/tools/m365-copilot", json=patch, headers=ref)
    assert stale.status_code == 409
    assert client.get(f"{ROOT}/tools/m365-copilot/cost", headers=board).json()["monthly"] == 360.0
    (added,) = events(rt, "licence.tool_added")
    assert json.loads(added.new_values)["models"] == ["copilot-gpt"]
    (change,) = events(rt, "licence.tool_changed")
    assert json.loads(change.old_values)["seats_bought"] == 10
    assert json.loads(change.new_values)["seats_bought"] == 12
    assert change.reason == "true-up"


def test_licence_costs_per_tool_and_per_use_case(
    rt: Runtime, ctx: AuditContext, company: dict[str, int], charter_in_force: CharterView
) -> None:
    from gouvernail.observatory.licences.schemas import ToolIn
    from gouvernail.registry.schemas import UseCaseIn

    use_case = rt.use_cases.submit(
        ctx,
        company["alice"],
        UseCaseIn.model_validate(
            {
                "title": "Drafting help for regulatory letters",
                "description": "Letters drafted with a licensed assistant.",
                "duplicate_justification": "test",
            }
        ),
    )
    for slug, price, period, seats in (
        ("a-tool", "120", "annual", 5),
        ("b-tool", None, "monthly", 3),
    ):
        rt.licences.add_tool(
            ctx,
            ToolIn.model_validate(
                {
                    "slug": slug,
                    "name": slug,
                    "hosting": "eu_cloud",
                    "max_data_class": "internal",
                    "use_case_id": use_case.id,
                    "billing_period": period,
                    "seats_bought": seats,
                }
                | ({"seat_price": price, "currency": "EUR"} if price else {})
            ),
        )
    costs = {c.tool: c for c in rt.licences.use_case_costs(use_case.id)}
    assert costs["a-tool"].monthly == Decimal("50.00")  # 120 a year = 10 a month, 5 seats
    assert costs["b-tool"].monthly is None  # no price declared anywhere
    assert rt.licences.use_case_costs(use_case.id + 1) == []


# --- seat exports ------------------------------------------------------------------------------


def test_m365_copilot_report_imports_seats_once_and_a_newer_one_updates(
    client: TestClient, rt: Runtime, company: dict[str, int], login: Login
) -> None:
    ref, board = login("ref"), login("board")
    assert add_tool(client, ref, slug="m365", name="M365 Copilot").status_code == 201
    first = m365(
        "2026-11-18",
        ("ALICE@Helvia.example", "Alice", "2026-11-17", "2026-11-17"),
        ("bob@helvia.example", "Bob", "2026-08-01", ""),
        ("dora@partner.example", "Dora", "", ""),
        ("5A1C0E7F2B9D", "", "2026-11-01", ""),  # a concealed name
        ("carol@helvia.example", "Carol", "17/11/2026", ""),  # not an ISO date
        ("alice@helvia.example", "Alice again", "2026-11-17", ""),  # listed twice
    )
    assert upload(client, board, "m365", "seats", first, format="m365_copilot").status_code == 403
    done = upload(client, ref, "m365", "seats", first, format="m365_copilot")
    assert done.status_code == 201, done.text
    result = done.json()
    assert (result["records"], result["malformed"], result["as_of"]) == (6, 3, "2026-11-18")
    whys = {e["line"]: e["why"] for e in result["examples"]}
    assert "concealed" in whys[5]
    assert "not an ISO date" in whys[6]
    assert "listed again" in whys[7]
    assert result["unknown"] == ["dora@partner.example"]
    assert result["summary"]["added"] == 3
    with rt.database.read() as session:
        seats = {s.identity: s for s in session.scalars(select(LicenceSeat))}
    assert seats["alice@helvia.example"].user_id == company["alice"]
    assert seats["dora@partner.example"].user_id is None
    assert json.loads(seats["alice@helvia.example"].apps) == {
        "copilot chat": "2026-11-17",
        "microsoft teams copilot": "2026-11-17",
    }

    again = upload(client, ref, "m365", "seats", first, format="m365_copilot")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_imported"

    newer = m365(
        "2026-11-19",
        ("alice@helvia.example", "Alice", "2026-11-19", ""),
        ("dora@partner.example", "Dora", "2026-11-19", ""),
    )
    updated = upload(client, ref, "m365", "seats", newer, format="m365_copilot").json()
    assert updated["summary"]["released"] == 1  # bob is no longer listed
    older = m365("2026-10-01", ("bob@helvia.example", "Bob", "2026-09-30", ""))
    stale = upload(client, ref, "m365", "seats", older, format="m365_copilot").json()
    assert stale["summary"]["older_export"] == 1
    with rt.database.read() as session:
        bob = session.scalar(
            select(LicenceSeat).where(LicenceSeat.identity == "bob@helvia.example")
        )
        assert bob is not None
        assert (bob.assigned, bob.released_on) == (False, date(2026, 11, 19))
        assert bob.vendor_last_active == date(2026, 9, 30)  # the older export's date is kept
        tool = session.scalar(select(LicensedTool))
        assert tool is not None
        assert tool.seats_as_of == date(2026, 11, 19)
    (first_event, *_) = events(rt, "licence.seats_imported")
    recorded = json.loads(first_event.new_values)
    assert (recorded["malformed"], recorded["unknown_people"], recorded["added"]) == (3, 1, 3)
    # the committee sees imports without the people no user matched
    listed = client.get(f"{ROOT}/imports", headers=board).json()
    assert len(listed) == 3
    assert all(i["unknown"] is None for i in listed)
    assert client.get(f"{ROOT}/imports", headers=ref).json()[-1]["unknown"] == [
        "dora@partner.example"
    ]


def test_a_generic_export_with_a_column_mapping(
    client: TestClient, rt: Runtime, company: dict[str, int], login: Login
) -> None:
    ref = login("ref")
    assert add_tool(client, ref, slug="claude-team", name="Claude Team").status_code == 201
    body = csv_text(
        [
            ["Mail", "Last seen", "Licensed", "Name"],
            ["alice@helvia.example", "2026-11-10T08:00:00Z", "yes", "Alice"],
            ["bob@helvia.example", "", "no", "Bob"],
            ["carol@helvia.example", "2026-07-01", "maybe", "Carol"],
            ["", "2026-07-01", "yes", "Nobody"],
        ]
    )
    unmapped = upload(client, ref, "claude-team", "seats", body, format="generic")
    assert unmapped.status_code == 400
    assert "map email" in unmapped.json()["error"]["message"]
    wrong = upload(
        client,
        ref,
        "claude-team",
        "seats",
        body,
        format="generic",
        email_column="Mail",
        last_active_column="Last activity",
    )
    assert wrong.status_code == 400
    assert "Last activity" in wrong.json()["error"]["message"]
    mapped = upload(
        client,
        ref,
        "claude-team",
        "seats",
        body,
        format="generic",
        as_of="2026-11-15",
        email_column="Mail",
        last_active_column="Last seen",
        assigned_column="Licensed",
        display_name_column="Name",
    )
    assert mapped.status_code == 201, mapped.text
    result = mapped.json()
    assert (result["malformed"], result["summary"]["added"], result["as_of"]) == (
        2,
        1,
        "2026-11-15",
    )
    assert {e["why"] for e in result["examples"]} == {
        "assigned 'maybe' is neither yes nor no",
        "no e-mail or UPN",
    }
    with rt.database.read() as session:
        assert [s.identity for s in session.scalars(select(LicenceSeat))] == [
            "alice@helvia.example"
        ]


# --- activity outside the gateway ----------------------------------------------------------------


def activity_export() -> bytes:
    day = AS_OF - timedelta(days=5)
    lines = [
        conversation(
            "conv-1",
            "Alice@Helvia.example",
            (
                "m-1",
                "user",
                at(day),
                f"Résume le dossier du patient {PATIENT}, diagnostic de diabète.",
            ),
            ("m-2", "assistant", at(day, 11), "Voici un résumé."),
        ),
        conversation(
            "conv-2",
            "bob@helvia.example",
            ("m-3", "user", at(day), "Draft a polite reminder about the team lunch."),
        ),
        json.dumps(  # a single message record, repeating m-3 (counted once)
            {
                "id": "m-3",
                "conversation_id": "conv-2",
                "user_email": "bob@helvia.example",
                "created_at": at(day).isoformat(),
                "author": {"role": "user"},
                "content": {"content_type": "text", "parts": ["Draft a polite reminder."]},
            }
        ),
        conversation(
            "conv-3",
            "eve@elsewhere.example",
            ("m-4", "user", at(day - timedelta(days=100)), "Hello"),
        ),
        json.dumps(  # no user e-mail anywhere: malformed
            {
                "id": "conv-4",
                "messages": [{"id": "m-5", "author": {"role": "user"}, "content": PATIENT}],
            }
        ),
        "not json at all",
        "",
    ]
    return "\n".join(lines).encode()


def test_outside_activity_is_inspected_against_the_charter_and_no_text_is_kept(
    client: TestClient,
    rt: Runtime,
    company: dict[str, int],
    charter_in_force: CharterView,
    login: Login,
) -> None:
    ref, sec, board = login("ref"), login("sec"), login("board")
    assert add_tool(client, ref).status_code == 201  # external SaaS, up to internal data
    body = activity_export()
    done = upload(client, ref, "chatgpt-enterprise", "activity", body)
    assert done.status_code == 200, done.text
    result = done.json()
    assert (result["records"], result["malformed"]) == (6, 2)
    summary = result["summary"]
    assert (summary["messages"], summary["duplicates"], summary["replies"]) == (3, 1, 1)
    assert (summary["over_ceiling"], summary["people"]) == (1, 3)
    assert result["unknown"] == ["eve@elsewhere.example"]
    whys = [e["why"] for e in result["examples"]]
    assert any("user_email" in w for w in whys)
    assert any("not JSON" in w for w in whys)
    assert PATIENT not in done.text

    again = upload(client, ref, "chatgpt-enterprise", "activity", body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_imported"

    with rt.database.read() as session:
        rows = {m.external_id: m for m in session.scalars(select(LicenceMessage))}
        stored = [
            orjson.dumps(
                [getattr(m, c.name) for c in LicenceMessage.__table__.columns], default=str
            )
            for m in rows.values()
        ]
        stored += [
            orjson.dumps([getattr(i, c.name) for c in LicenceImport.__table__.columns], default=str)
            for i in session.scalars(select(LicenceImport))
        ]
        trail = [r.new_values or "" for r in session.scalars(select(AuditRecord))]
    alice = rows["m-1"]
    assert (alice.over_ceiling, alice.data_class, alice.user_id) == (
        True,
        "secret",
        company["alice"],
    )
    assert "HEALTH" in json.loads(alice.findings)
    assert rows["m-3"].over_ceiling is False
    assert not any(PATIENT.encode() in s or b"diab" in s for s in stored)
    assert not any(PATIENT in t for t in trail)
    (event,) = events(rt, "licence.activity_imported")
    assert json.loads(event.new_values)["over_ceiling"] == 1

    assert client.get(f"{ROOT}/findings", headers=board).status_code == 403
    found = client.get(f"{ROOT}/findings", headers=sec, params={"until": AS_OF.isoformat()})
    assert found.status_code == 200, found.text
    (finding,) = found.json()
    assert (finding["identity"], finding["ceiling"], finding["department"]) == (
        "alice@helvia.example",
        "internal",
        "R&D",
    )
    assert finding["conversations"] == ["conv-1"]
    assert "HEALTH" in finding["types"]

    figures = client.get(f"{ROOT}/report", headers=board, params={"as_of": AS_OF.isoformat()})
    outside = figures.json()["tools"][0]["outside"]
    assert (outside["messages"], outside["people"], outside["over_ceiling"]) == (2, 2, 1)
    assert outside["ceiling"] == "internal"
    assert outside["by_type"]["HEALTH"] >= 1
    assert outside["over_ceiling_rate"] == 0.5


def test_activity_needs_a_charter_in_force(
    client: TestClient, rt: Runtime, company: dict[str, int], login: Login
) -> None:
    ref = login("ref")
    assert add_tool(client, ref).status_code == 201
    refused = upload(client, ref, "chatgpt-enterprise", "activity", activity_export())
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_charter"
    assert events(rt, "licence.activity_imported") == []
    bad = upload(client, ref, "chatgpt-enterprise", "activity", b"{}", format="slack")
    assert bad.status_code == 422


# --- figures -------------------------------------------------------------------------------------


def test_the_report_counts_active_seats_reclaims_and_hides_people(
    client: TestClient,
    rt: Runtime,
    company: dict[str, int],
    charter_in_force: CharterView,
    login: Login,
) -> None:
    ref, board, aud = login("ref"), login("board"), login("aud")
    assert add_tool(client, ref, seats_bought=5).status_code == 201
    seats = csv_text(
        [
            ["email", "last_active"],
            ["alice@helvia.example", (AS_OF - timedelta(days=10)).isoformat()],  # active
            ["bob@helvia.example", (AS_OF - timedelta(days=75)).isoformat()],  # outside use
            ["carol@helvia.example", (AS_OF - timedelta(days=45)).isoformat()],  # 60-day active
            ["dora@partner.example", ""],  # never active: reclaim
        ]
    )
    assigned = (AS_OF - timedelta(days=120)).isoformat()
    done = upload(
        client, ref, "chatgpt-enterprise", "seats", seats, format="generic", as_of=assigned
    )
    assert done.status_code == 201, done.text
    outside = conversation(
        "conv-9", "bob@helvia.example", ("m-9", "user", at(AS_OF - timedelta(days=3)), "Hello")
    )
    assert (
        upload(client, ref, "chatgpt-enterprise", "activity", outside.encode()).status_code == 200
    )

    report = client.get(f"{ROOT}/report", headers=board, params={"as_of": AS_OF.isoformat()})
    assert report.status_code == 200, report.text
    (tool,) = report.json()["tools"]
    assert (tool["seats_bought"], tool["seats_assigned"], tool["seats_unassigned"]) == (5, 4, 1)
    assert tool["active"] == {"30": 2, "60": 3, "90": 3}
    assert tool["inactive"] == {"30": 2, "60": 1, "90": 1}
    assert tool["active_by_source"] == {"vendor": 1, "gateway": 0, "outside": 1}
    assert tool["seats_unknown"] == 1
    assert (tool["monthly_cost"], tool["cost_per_active_user"], tool["utilisation"]) == (
        250.0,
        125.0,
        0.4,
    )
    assert tool["reclaim"]["seats"] == 1
    assert tool["reclaim"]["monthly_saving"] == 50.0
    assert tool["reclaim"]["annual_saving"] == 600.0
    assert tool["reclaim"]["people"] is None
    assert report.json()["people_visible"] is False

    stricter = client.get(
        f"{ROOT}/report",
        headers=aud,
        params={"as_of": AS_OF.isoformat(), "reclaim_after_days": 40},
    ).json()["tools"][0]["reclaim"]
    assert [(p["identity"], p["last_active"], p["inactive_days"]) for p in stricter["people"]] == [
        ("dora@partner.example", None, 120),
        ("carol@helvia.example", (AS_OF - timedelta(days=45)).isoformat(), 45),
    ]
    assert client.get(f"{ROOT}/report", headers=login("emp")).status_code == 403
    assert client.get(f"{ROOT}/tools/chatgpt-enterprise/seats", headers=board).status_code == 403
    listed = client.get(
        f"{ROOT}/tools/chatgpt-enterprise/seats",
        headers=ref,
        params={"as_of": AS_OF.isoformat()},
    ).json()
    bob = next(s for s in listed if s["identity"] == "bob@helvia.example")
    assert (bob["outside_last_active"], bob["department"]) == (
        (AS_OF - timedelta(days=3)).isoformat(),
        "Finance",
    )


def test_gateway_calls_make_a_seat_active(gw: TestClient, world: World) -> None:
    ref = signed_in(gw, "ref")
    world.give_emails("alice", "bob")
    created = add_tool(
        gw, ref, slug="gpt-seats", models=["gpt-eu"], hosting=None, max_data_class=None
    )
    assert created.status_code == 201, created.text
    assert created.json()["hosting"] == "eu_cloud"
    today = utcnow().date()
    seats = csv_text([["email"], ["alice@example.com"], ["bob@example.com"]])
    assigned = (today - timedelta(days=100)).isoformat()
    assert (
        upload(gw, ref, "gpt-seats", "seats", seats, format="generic", as_of=assigned).status_code
        == 201
    )
    answer = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "Bonjour"}]},
        headers={"Authorization": f"Bearer {world.key('alice', 'drafting')}"},
    )
    assert answer.status_code == 200, answer.text
    (tool,) = gw.get(f"{ROOT}/report", headers=ref).json()["tools"]
    assert tool["active"]["30"] == 1
    assert tool["active_by_source"]["gateway"] == 1
    assert tool["gateway_calls"] == 1
    assert [p["identity"] for p in tool["reclaim"]["people"]] == ["bob@example.com"]


# --- the command line ------------------------------------------------------------------------


def test_the_cli_declares_imports_and_reports(
    rt: Runtime,
    company: dict[str, int],
    charter_in_force: CharterView,
    cli_env: Any,
    tmp_path: Path,
) -> None:
    code, output = invoke(
        "licence",
        "tool",
        "add",
        "chat-ent",
        "--name",
        "Chat Enterprise",
        "--hosting",
        "external_saas",
        "--max-data-class",
        "internal",
        "--seat-price",
        "30",
        "--currency",
        "EUR",
        "--seats-bought",
        "3",
    )
    assert code == 0, output
    seats = tmp_path / "users.csv"
    seats.write_bytes(csv_text([["E-mail", "Seen"], ["alice@helvia.example", "2026-11-01"]]))
    code, output = invoke(
        "licence",
        "import",
        str(seats),
        "--tool",
        "chat-ent",
        "--map",
        "email=E-mail",
        "--map",
        "last_active=Seen",
        "--as-of",
        "2026-11-02",
        "--json",
    )
    assert code == 0, output
    assert json.loads(output)["summary"]["added"] == 1
    code, output = invoke(
        "licence", "import", str(seats), "--tool", "chat-ent", "--map", "email=E-mail"
    )
    assert code != 0
    assert "imported already" in output
    activity = tmp_path / "audit.jsonl"
    activity.write_bytes(activity_export())
    code, output = invoke("licence", "activity-import", str(activity), "--tool", "chat-ent")
    assert code == 0, output
    assert "over_ceiling 1" in output
    assert PATIENT not in output
    code, output = invoke("licence", "report", "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0, output
    (tool,) = json.loads(output)["tools"]
    assert (tool["seats_assigned"], tool["active"]["30"]) == (1, 1)
    code, output = invoke("licence", "findings", "--json")
    assert code == 0, output
    assert [f["identity"] for f in json.loads(output)] == ["alice@helvia.example"]
    code, output = invoke(
        "licence", "tool", "change", "chat-ent", "--reason", "more seats", "--seats-bought", "4"
    )
    assert code == 0
    assert "version 2" in output
    code, output = invoke("licence", "tool", "list")
    assert code == 0
    assert "chat-ent" in output
    assert "4 seats" in output
