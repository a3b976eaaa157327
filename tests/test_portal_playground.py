"""The playground: chat through the gateway on the personal sandbox, with the detections and
decisions of each message, versioned system prompts, and the prototype turned into an idea."""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi.testclient import TestClient
from tests.portal_helpers import post, sign_in

from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.feedback.models import Feedback
from gouvernail.runtime import Runtime

CONVERSATION = re.compile(r'name="conversation" value="([^"]*)"')


def _conversation(html: str) -> str:
    found = CONVERSATION.search(html)
    assert found
    return found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def _open(gw: TestClient, username: str) -> str:
    token = sign_in(gw, username)
    assert "Open my sandbox" in gw.get("/playground").text
    assert post(gw, "/playground/open", token).status_code == 303
    return token


def test_chat_through_the_gateway_on_the_sandbox(gw: TestClient, world: Any, rt: Runtime) -> None:
    world.openai.echo = True
    token = _open(gw, "alice")
    first = post(
        gw,
        "/playground/chat",
        token,
        model="gpt-eu",
        system="You summarise procedures in two sentences.",
        message="Résume la procédure de validation des lots.",
        conversation="[]",
    )
    assert first.status_code == 200, first.text
    assert "Résume la procédure de validation des lots." in first.text
    assert "Gateway: allowed" in first.text
    with rt.database.read() as session:
        rows = session.query(RequestLog).all()
    assert len(rows) == 1
    assert rows[0].api_key_id is None
    sandbox = rt.use_cases.memberships(world.users["alice"])
    assert rows[0].use_case_id in {uc.id for uc in sandbox}
    carried = _conversation(first.text)
    assert len(orjson.loads(carried)) == 2
    second = post(
        gw,
        "/playground/chat",
        token,
        model="gpt-eu",
        system="",
        message="Écris à marie.curie@helvia-pharma.example pour lui envoyer le résumé.",
        conversation=carried,
    )
    assert second.status_code == 200
    assert "EMAIL_ADDRESS" in second.text
    assert re.search(r"Gateway: (redacted|blocked|rerouted)", second.text)
    sent = b"".join(r.raw for r in world.openai.requests)
    assert b"marie.curie@helvia-pharma.example" not in sent  # never reached the provider


def test_system_prompts_are_saved_as_versions(gw: TestClient, world: Any, rt: Runtime) -> None:
    token = _open(gw, "alice")
    for text in ("Answer in French.", "Answer in French.", "Answer in French, briefly."):
        page = post(gw, "/playground/prompt", token, system=text, conversation="[]")
        assert page.status_code == 200
    assert "System prompt saved as version 2." in page.text
    sandbox = rt.use_cases.memberships(world.users["alice"])[-1].id
    versions = rt.prompts.versions(sandbox, "system")
    assert [v.version for v in versions] == [2, 1]
    empty = post(gw, "/playground/prompt", token, system="", conversation="[]")
    assert empty.status_code == 422
    idea = gw.get("/playground").text
    assert "Turn this prototype into an idea" in idea
    assert "Answer+in+French%2C+briefly." in idea


def test_a_user_without_the_charter_is_refused_with_the_reason(gw: TestClient, world: Any) -> None:
    token = _open(gw, "nora")
    answer = post(
        gw, "/playground/chat", token, model="gpt-eu", message="Bonjour", conversation="[]"
    )
    assert answer.status_code == 200
    assert 'role="alert"' in answer.text
    assert "charter" in answer.text.lower()


def test_bad_input_and_tampered_conversation(gw: TestClient, world: Any) -> None:
    token = _open(gw, "alice")
    empty = post(gw, "/playground/chat", token, model="gpt-eu", message="", conversation="[]")
    assert empty.status_code == 422
    assert "Write a message." in empty.text
    junk = post(
        gw,
        "/playground/chat",
        token,
        model="gpt-eu",
        message="Bonjour",
        conversation='{"not": "a list"',
    )
    assert junk.status_code == 200  # a malformed conversation starts a new one


def test_a_sign_in_session_cannot_call_the_gateway_directly(gw: TestClient, world: Any) -> None:
    sign_in(gw, "alice")
    session = gw.cookies.get("gouvernail_session")
    answer = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {session}"},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "session_not_allowed"


def test_the_use_case_page_lists_its_prompt_versions(
    gw: TestClient, world: Any, rt: Runtime
) -> None:
    token = _open(gw, "alice")
    for text in ("Answer in French.", "Answer in French, briefly."):
        post(gw, "/playground/prompt", token, system=text, conversation="[]")
    sandbox = rt.use_cases.memberships(world.users["alice"])[-1].id
    page = gw.get(f"/use-cases/{sandbox}/prompts")
    assert page.status_code == 200
    assert "Version 2" in page.text
    assert "Answer in French, briefly." in page.text


def test_an_answer_is_judged_from_the_playground_and_counts_in_the_error_rates(
    gw: TestClient, world: Any, rt: Runtime
) -> None:
    token = _open(gw, "alice")
    answered = post(
        gw,
        "/playground/chat",
        token,
        model="gpt-eu",
        system="",
        message="Quelle est la durée de conservation des échantillons ?",
        conversation="[]",
    )
    assert "Judge this answer" in answered.text
    carried = _conversation(answered.text)
    request_id = orjson.loads(carried)[-1]["request_id"]
    unjudged = post(
        gw,
        "/playground/feedback",
        token,
        conversation=carried,
        system="",
        model="gpt-eu",
        request_id=request_id,
        verdict="",
    )
    assert unjudged.status_code == 422
    assert "Choose a verdict for the answer." in unjudged.text
    judged = post(
        gw,
        "/playground/feedback",
        token,
        conversation=carried,
        system="",
        model="gpt-eu",
        request_id=request_id,
        verdict="wrong",
        comment="the retention is 5 years, not 2",
    )
    assert judged.status_code == 200, judged.text
    assert "Your verdict: wrong" in judged.text
    assert "counts in the error rates" in judged.text
    with rt.database.read() as session:
        (row,) = session.query(Feedback).all()
    assert (row.request_id, row.verdict, row.user_id) == (request_id, "wrong", world.users["alice"])
    assert row.comment == "the retention is 5 years, not 2"
    # someone else's answer cannot be judged from their page
    other = _open(gw, "bob")
    refused = post(
        gw,
        "/playground/feedback",
        other,
        conversation=carried,
        system="",
        model="gpt-eu",
        request_id=request_id,
        verdict="useful",
    )
    assert refused.status_code == 422
    with rt.database.read() as session:
        assert session.query(Feedback).count() == 1
