"""The observatory's shadow-AI page, on SQLite and PostgreSQL: what real imports of proxy logs
show (findings, services, departments, people, imports) in English and French, the period and
department filters, who may open it, and sanctioning a service from its row (a reason
required, a stale version refused, a repeated post not applied twice)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.inventory_helpers import records
from tests.portal_helpers import post, sign_in
from tests.shadow_helpers import make_company, squid
from tests.test_portal_observatory import Tables, cards, row_of

from gouvernail.audit import AuditContext
from gouvernail.runtime import Runtime

PAGE = "/observatory/shadow-ai"
CLAUDE = f"{PAGE}/services/anthropic-claude/sanction"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
UPLOAD = 12 * 2**20


@pytest.fixture
def company(rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]) -> dict[str, int]:
    return make_company(rt, ctx, make_user)


@pytest.fixture
def imported(rt: Runtime, ctx: AuditContext, company: dict[str, int], tmp_path: Path) -> Runtime:
    """Two real imports of the last days: a Squid log (alice on ChatGPT twice, bob calling
    OpenAI's API directly, then Claude, and Gemini 40 days ago; two malformed lines) and a
    generic CSV (carol, unknown to the directory, of Legal, sent 12 MB to ChatGPT)."""
    now = datetime.now(UTC)
    at = (now - timedelta(days=2)).timestamp()
    access = tmp_path / "access.log"
    access.write_text(
        "\n".join(
            [
                squid(at, "alice%40helvia.example", "CONNECT", "chatgpt.com:443", 5000),
                squid(at + 60, "alice%40helvia.example", "CONNECT", "chatgpt.com:443", 7000),
                squid(at + 120, "bob", "CONNECT", "api.openai.com:443", 900),
                squid(at + 86400, "bob", "CONNECT", "claude.ai:443", 100),
                squid(at - 38 * 86400, "bob", "CONNECT", "gemini.google.com:443", 100),
                squid(at + 200, "alice%40helvia.example", "GET", "http://www.example.org/", 300),
                "garbage that is not a squid line",
                f"{at:.3f} 12 10.0.0.7 TCP_MISS/200 notanumber GET http://chatgpt.com/ bob X -",
                "",
            ]
        )
    )
    generic = tmp_path / "uploads.csv"
    when = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    generic.write_text(
        "time,user,department,host,bytes_out,bytes_in\n"
        f"{when},carol@ext.example,Legal,chatgpt.com,{UPLOAD},3000\n"
    )
    squid_import = rt.shadow.import_file(ctx, access, "squid", name="access.log")
    assert (squid_import.lines, squid_import.malformed, squid_import.ai_requests) == (8, 2, 5)
    csv_import = rt.shadow.import_file(ctx, generic, "csv", name="uploads.csv")
    assert csv_import.ai_requests == 1
    return rt


def _form(html: str, action: str) -> str:
    found = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert found, f"no form posting to {action}"
    return found.group(0)


def _hidden(form: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert found, name
    return found.group(1)


def test_the_page_shows_what_the_imported_logs_found(client: TestClient, imported: Runtime) -> None:
    sign_in(client, "aud")
    observatory = client.get("/observatory").text
    assert f'<a href="{PAGE}">Shadow AI</a>' in observatory  # the observatory's tab
    assert f'href="{PAGE}?days=30"' in observatory  # and its frame link to the same period
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    html = page.text
    assert f'<a href="{PAGE}" aria-current="page">Shadow AI</a>' in html
    assert '<a href="/observatory">Through the gateway</a>' in html
    assert '<option value="90" selected>' in html  # the last 90 days by default
    assert "Every department." in html
    assert cards(html) == {
        "requests to AI services": "6",
        "people": "3",  # alice, bob, carol
        "AI services": "4",
        "findings": "2",
    }

    tables = Tables(html).tables
    critical, high = tables["Findings, the most serious first"]
    assert critical[:7] == [
        "critical",
        "bob",
        "Direct call to a model API",
        "Finance",
        "OpenAI API",
        "1",
        "unknown",
    ]
    assert critical[-1] == (
        "Calls from bob straight to OpenAI API: 1. They bypass the gateway (no charter, "
        "inspection, budget or audit)."
    )
    assert high[:7] == [
        "high",
        "carol@ext.example",
        "Large upload to an unsanctioned service",
        "Legal",
        "ChatGPT",
        "1",
        "12.0 MB",
    ]
    assert high[-1] == (
        "carol@ext.example sent 12.0 MB to ChatGPT, which is not sanctioned (alert above 10 MB)."
    )

    services = tables["AI services used outside the gateway"]
    assert [row[0] for row in services] == ["ChatGPT", "Claude", "Gemini", "OpenAI API"]
    assert row_of(services, "ChatGPT")[1:9] == [
        "OpenAI",
        "chat assistant",
        "warning",
        "not sanctioned",
        "3",  # requests
        "2",  # people
        "2",  # departments
        "12.0 MB",  # the CSV recorded the upload
    ]
    assert row_of(services, "OpenAI API")[2:4] == ["model API", "critical"]
    assert row_of(services, "Claude")[8] == "unknown"  # Squid's native log records no upload
    assert all(len(row) == 10 for row in services)  # an auditor reads: no column of forms
    assert "/sanction" not in html
    assert "Withdraw sanction" not in html
    assert ">Sanction<" not in html

    departments = tables["AI services used outside the gateway, by department"]
    assert departments == [
        ["Finance", "3", "3", "1", "3", "unknown"],
        ["R&D", "2", "2", "1", "1", "unknown"],  # alice's team is under R&D
        ["Legal", "1", "1", "1", "1", "12.0 MB"],  # as the log says: the directory has no carol
    ]
    assert f'href="{PAGE}?days=90&amp;department=R%26D"' in html
    people = tables["The people who used AI services the most"]
    assert people == [
        ["bob", "bob", "Finance", "3", "3", "Claude, Gemini, OpenAI API"],
        ["alice@helvia.example", "alice", "R&D", "2", "2", "ChatGPT"],
        ["carol@ext.example", "—", "Legal", "1", "1", "ChatGPT"],
    ]

    imports = tables["The latest proxy-log imports, newest first"]
    assert [row[0] for row in imports] == ["uploads.csv", "access.log"]
    access = row_of(imports, "access.log")
    assert access[1:3] == ["squid", "complete"]
    assert (access[4], access[6]) == ("8", "5")  # lines, requests to AI services
    assert access[5].startswith("2 Examples")  # malformed, with the examples in a <details>
    assert "<details>" in html
    assert "expected 10 fields, found 7" in access[5]
    assert "the size is not a number" in access[5]

    assert tables["Requests to AI services per day"][-1][1] == "1"  # Claude, yesterday
    assert html.count('<svg class="chart"') == 1


def test_the_page_in_french(client: TestClient, imported: Runtime) -> None:
    sign_in(client, "sec")
    html = client.get(PAGE, headers=FRENCH).text
    assert '<html lang="fr">' in html
    assert "IA fantôme" in html
    assert "Constats" in html
    tables = Tables(html).tables
    critical, high = tables["Constats, les plus graves d'abord"]
    assert critical[:3] == ["critique", "bob", "Appel direct à l'API d'un modèle"]
    assert "contournent la passerelle" in critical[-1]
    assert high[0] == "élevé"
    assert high[6] == "12,0 Mo"
    assert "n'est pas autorisé" in high[-1]
    services = tables["Services d'IA utilisés hors de la passerelle"]
    chatgpt = row_of(services, "ChatGPT")
    assert chatgpt[2:5] == ["assistant conversationnel", "avertissement", "non autorisé"]
    assert row_of(services, "Claude")[8] == "inconnu"
    assert chatgpt[-1] == "Motif Autoriser ChatGPT"  # the form of a security referent
    assert "Département" in html
    assert [
        row[0] for row in tables["Services d'IA utilisés hors de la passerelle, par département"]
    ] == [
        "Finance",
        "R&D",
        "Legal",
    ]
    assert (
        row_of(
            tables["Les dernières importations de journaux du proxy, les plus récentes d'abord"],
            "access.log",
        )[2]
        == "complet"
    )
    assert "Withdraw sanction" not in html
    assert ">Sanction<" not in html
    assert "Requests" not in html


def test_employees_are_refused_and_see_no_link(client: TestClient, imported: Runtime) -> None:
    assert client.get(PAGE, follow_redirects=False).headers["location"] == (
        "/sign-in?next=%2Fobservatory%2Fshadow-ai"
    )
    before = len(records(imported, "auth.access_denied"))
    sign_in(client, "emp")
    assert PAGE not in client.get("/me").text
    refused = client.get(PAGE)
    assert refused.status_code == 403
    assert "Access refused" in refused.text
    assert "bob" not in refused.text
    denied = records(imported, "auth.access_denied")[before:]
    assert len(denied) == 1
    assert denied[0]["actor"].endswith("(emp)")

    client.cookies.clear()
    sign_in(client, "board")  # the committee reads the gateway's figures, not who used what
    observatory = client.get("/observatory")
    assert observatory.status_code == 200
    assert PAGE not in observatory.text
    assert "only security and AI referents, auditors and administrators see it" in observatory.text
    assert client.get(PAGE).status_code == 403


def test_an_auditor_may_not_sanction(client: TestClient, imported: Runtime) -> None:
    token = sign_in(client, "aud")
    version = str(imported.shadow.service("anthropic-claude").version)
    refused = post(
        client,
        CLAUDE,
        token,
        version=version,
        sanctioned="true",
        reason="licensed",
        form_id="x" * 20,
    )
    assert refused.status_code == 403
    assert imported.shadow.service("anthropic-claude").sanctioned is False


def test_an_ai_referent_sanctions_a_service_with_a_reason(
    client: TestClient, imported: Runtime
) -> None:
    token = sign_in(client, "ref")
    html = client.get(PAGE, params={"days": "30"}).text
    form = _form(html, CLAUDE)
    assert '<label for="reason-anthropic-claude">Reason</label>' in form
    assert "required" in form
    fields = {name: _hidden(form, name) for name in ("version", "sanctioned", "days", "form_id")}
    assert fields["sanctioned"] == "true"
    assert fields["days"] == "30"
    version = imported.shadow.service("anthropic-claude").version
    assert fields["version"] == str(version)

    missing = post(client, CLAUDE, token, **fields)
    assert missing.status_code == 422
    assert "Say why: the reason is kept in the audit trail." in missing.text
    assert 'aria-invalid="true" aria-describedby="e-reason-anthropic-claude"' in missing.text
    assert imported.shadow.service("anthropic-claude").sanctioned is False

    stale = post(client, CLAUDE, token, **(fields | {"version": str(version + 1)}), reason="ok now")
    assert stale.status_code == 409
    assert "Someone changed Claude since this page was shown" in stale.text
    assert 'value="ok now"' in stale.text  # what the user typed is kept
    assert imported.shadow.service("anthropic-claude").sanctioned is False

    done = post(client, CLAUDE, token, **fields, reason="approved by the committee")
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?days=30&done=anthropic-claude#services-h"
    service = imported.shadow.service("anthropic-claude")
    assert (service.sanctioned, service.version) == (True, version + 1)
    again = post(client, CLAUDE, token, **fields, reason="approved by the committee")
    assert again.status_code == 303  # a repeated post goes where the first went, changes nothing
    assert imported.shadow.service("anthropic-claude").version == version + 1
    changed = records(imported, "shadow.service_changed")
    assert len(changed) == 1
    assert changed[0]["reason"] == "approved by the committee"

    shown = client.get(done.headers["location"]).text
    assert '<p class="notice" role="status">Claude is now sanctioned.</p>' in shown
    claude = row_of(Tables(shown).tables["AI services used outside the gateway"], "Claude")
    assert claude[3:5] == ["information", "sanctioned"]
    assert claude[-1] == "Reason Withdraw sanction Claude"
    withdraw = _form(shown, CLAUDE)
    assert _hidden(withdraw, "sanctioned") == "false"
    fields = {
        name: _hidden(withdraw, name) for name in ("version", "sanctioned", "days", "form_id")
    }
    back = post(client, CLAUDE, token, **fields, reason="the contract ended")
    assert back.status_code == 303
    assert imported.shadow.service("anthropic-claude").sanctioned is False
    assert "Claude is no longer sanctioned." in client.get(back.headers["location"]).text


def test_the_period_and_department_filters(client: TestClient, imported: Runtime) -> None:
    sign_in(client, "ref")
    finance = client.get(PAGE, params={"department": "Finance"}).text
    assert "Department: Finance." in finance
    assert '<option value="Finance" selected>' in finance
    assert cards(finance)["requests to AI services"] == "3"
    tables = Tables(finance).tables
    assert [row[0] for row in tables["AI services used outside the gateway"]] == [
        "Claude",
        "Gemini",
        "OpenAI API",
    ]
    assert [row[0] for row in tables["AI services used outside the gateway, by department"]] == [
        "Finance"
    ]
    assert [row[1] for row in tables["Findings, the most serious first"]] == ["bob"]
    form = _form(finance, CLAUDE)
    assert _hidden(form, "department") == "Finance"  # a sanction comes back to the same filter

    month = client.get(PAGE, params={"days": "30"}).text
    assert cards(month)["requests to AI services"] == "5"  # Gemini was 40 days ago
    assert "Gemini" not in month
    assert '<option value="30" selected>' in month

    unknown = client.get(PAGE, params={"days": "365", "department": "Nowhere"})
    assert unknown.status_code == 200
    assert cards(unknown.text)["requests to AI services"] == "6"  # 90 days, every department
    assert "Every department." in unknown.text
