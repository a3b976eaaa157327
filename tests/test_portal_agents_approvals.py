"""The portal's approvals of consequential tool calls (``/agents/approvals``): the approvals the
signed-in person may decide, pending first, with the arguments, the run and its trace, who
decides, the GxP signature and the warning of a run that received instructions; approving and
rejecting through the form (once per form), the GxP password, refusals; French and English.

The tool calls are real: ``tests/mcp_servers/notes.py`` runs as a stdio MCP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PASSWORD
from tests.gateway_helpers import World
from tests.portal_helpers import csrf_of, form_id_of, post, sign_in
from tests.test_agent_tools import activate, add_agent, add_server, call, govern

from gouvernail.agents.tools.schemas import ApprovalView
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]
PAGE = "/agents/approvals"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Fast detectors (identifiers, markers, injection signals): no name model to load."""
    return make_settings(gateway={"inspection": "fast"})


@pytest.fixture
def key(gw: TestClient, login: Login, world: World) -> str:
    """The notes server synced and active, its search tool consequential; the key of an agent
    owned by bob (who decides its approvals), whose run already received an injection."""
    add_server(gw, login)
    activate(gw, login, "notes.search_notes", "notes.fail")
    govern(gw, login, "notes.search_notes", on_injection="deliver")
    secret = add_agent(gw, login, world)
    assert not call(gw, secret, "notes.search_notes", query="offsite")["is_error"]
    govern(gw, login, "notes.search_notes", consequential=True)
    return secret


def ask(gw: TestClient, key: str, query: str) -> int:
    """A call of the consequential tool: it waits for an approval, whose id is returned."""
    answer = call(gw, key, "notes.search_notes", query=query)
    assert answer["code"] == "tool_approval_required", answer
    return int(answer["approval_id"])


def approval(rt: Runtime, world: World, approval_id: int) -> ApprovalView:
    referent = Principal.signed_in(rt.directory.get(world.users["ref"]))  # reads every one
    return rt.tool_approvals.get(referent, approval_id)


def decide(gw: TestClient, approval_id: int, **data: str) -> Any:
    page = gw.get(PAGE)
    fields = {"form_id": form_id_of(page.text), "version": "1", **data}
    return post(gw, f"{PAGE}/{approval_id}/decide", csrf_of(page.text), **fields)


def test_the_page_lists_what_one_may_decide_and_records_decisions(
    gw: TestClient, key: str, rt: Runtime, world: World, make_user: Callable[..., int]
) -> None:
    first = ask(gw, key, "<b>budget</b>")
    second = ask(gw, key, "hiring")
    trace_id = approval(rt, world, first).trace_id

    sign_in(gw, "bob")
    agents = gw.get("/agents")
    assert f'href="{PAGE}"' in agents.text
    page = gw.get(PAGE)
    assert page.status_code == 200, page.text
    assert f"Approval {first}: notes-bot calls notes.search_notes" in page.text
    assert "&#34;query&#34;: &#34;&lt;b&gt;budget&lt;/b&gt;&#34;" in page.text, "escaped JSON"
    assert "<b>budget" not in page.text
    assert f'href="/agents/traces/{trace_id}"' in page.text
    assert "the agent&#39;s accountable owner" in page.text
    assert "this run received text that reads as instructions" in page.text
    assert page.text.count(f'action="{PAGE}/') == 2
    assert 'type="password"' not in page.text, "no signature for a tool that is not GxP"

    missing = decide(gw, first, decision="approve", reason="")
    assert missing.status_code == 422
    assert "Give the reason for your decision" in missing.text
    assert approval(rt, world, first).status == "pending"
    page = gw.get(PAGE)
    form = {"form_id": form_id_of(page.text), "version": "1"}
    data = {**form, "decision": "approve", "reason": "the budget note is harmless"}
    approved = post(gw, f"{PAGE}/{first}/decide", csrf_of(page.text), **data)
    assert approved.status_code == 303, approved.text
    location = approved.headers["location"]
    assert location == f"{PAGE}?done=approved#approval-{first}"
    again = post(gw, f"{PAGE}/{first}/decide", csrf_of(page.text), **data)
    assert again.headers["location"] == location, "a form is sent once"
    assert "The call is approved" in gw.get(location).text
    done = approval(rt, world, first)
    assert (done.status, done.decided_by, done.reason) == (
        "approved",
        "bob",
        "the budget note is harmless",
    )

    rejected = decide(gw, second, decision="reject", reason="not about hiring")
    assert rejected.status_code == 303
    assert approval(rt, world, second).status == "rejected"
    page = gw.get(PAGE)
    assert "No tool call waits for your decision." not in page.text  # decided ones stay listed
    assert f'action="{PAGE}/' not in page.text, "nothing left to decide"

    # a person the approval rule does not name sees nothing, and may not decide
    third = ask(gw, key, "budget")
    gw.cookies.clear()
    make_user("emp")
    sign_in(gw, "emp")
    page = gw.get(PAGE)
    assert "No tool call waits for your decision." in page.text
    assert f"Approval {third}" not in page.text
    refused = post(
        gw,
        f"{PAGE}/{third}/decide",
        csrf_of(page.text),
        form_id="x" * 20,
        version="1",
        decision="approve",
        reason="why not",
    )
    assert refused.status_code == 403
    # an AI referent reads every approval but decides only those the rule names them for
    gw.cookies.clear()
    sign_in(gw, "ref")
    page = gw.get(PAGE)
    assert f"Approval {third}" in page.text
    assert f'action="{PAGE}/{third}/decide"' not in page.text
    assert "You may read this approval" in page.text
    forbidden = post(
        gw,
        f"{PAGE}/{third}/decide",
        csrf_of(page.text),
        form_id="y" * 20,
        version="1",
        decision="approve",
        reason="I am a referent",
    )
    assert forbidden.status_code == 403
    assert "decided by the owner" in forbidden.text
    assert approval(rt, world, third).status == "pending"


def test_a_gxp_decision_is_signed_with_the_password(
    gw: TestClient, login: Login, key: str, rt: Runtime, world: World
) -> None:
    govern(gw, login, "notes.search_notes", gxp=True)
    signed = ask(gw, key, "budget")
    sign_in(gw, "bob")
    page = gw.get(PAGE)
    assert "GxP: electronic signature" in page.text
    assert 'type="password"' in page.text
    unsigned = decide(gw, signed, decision="approve", reason="fine")
    assert unsigned.status_code == 422
    assert "Enter your password to sign." in unsigned.text
    wrong = decide(gw, signed, decision="approve", reason="fine", password="not it")
    assert wrong.status_code == 401
    assert "Wrong password: nothing was signed." in wrong.text
    assert approval(rt, world, signed).status == "pending"
    right = decide(gw, signed, decision="approve", reason="fine", password=PASSWORD)
    assert right.status_code == 303, right.text
    done = approval(rt, world, signed)
    assert done.status == "approved"
    assert done.signature_id is not None


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Approvals of tool calls", "Who decides", "Record the decision", "Warning:")),
        ("fr", ("Approbations d", "Qui décide", "Enregistrer la décision", "Attention :")),
    ],
)
def test_the_page_speaks_french_and_english(
    gw: TestClient, key: str, lang: str, words: tuple[str, ...]
) -> None:
    ask(gw, key, "budget")
    sign_in(gw, "bob")
    page = gw.get(PAGE, headers={"accept-language": lang})
    assert page.status_code == 200, page.text
    assert f'lang="{lang}"' in page.text
    for word in words:
        assert word in page.text


@pytest.fixture(autouse=True)
def _collect() -> Iterator[None]:
    """Collect garbage after each test, so an unclosed MCP subprocess is blamed on its test."""
    yield
    import gc

    gc.collect()
