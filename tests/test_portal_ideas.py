"""Submitting an idea in the portal: validation next to each field, live duplicate
suggestions, join or justify, the verdict explained, and one record per form."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.portal_helpers import form_id_of, post, sign_in

from gouvernail.registry.models import UseCase, UseCaseMember
from gouvernail.runtime import Runtime

IDEA = {
    "title": "Pharmacovigilance case intake summariser",
    "description": "Summarise adverse event reports received by e-mail into the safety database.",
    "business_problem": "Case intake takes two days per report.",
    "tied_to_priority_objective": "yes",
    "priority_objective": "Patient safety",
    "benefit_measurable": "yes",
    "benefit_validated_by_stakeholders": "no",
    "expected_value": "4",
    "skills_available": "3",
    "rules_expressible": "no",
    "learns_from_data": "yes",
    "needs_adaptation": "no",
    "needs_autonomy": "no",
    "unstructured_inputs": "yes",
    "sourcing": "strategic",
}


def _count(rt: Runtime) -> int:
    with rt.database.read() as session:
        return int(session.scalar(select(func.count(UseCase.id))) or 0)


def test_submit_an_idea_with_its_qualification_and_verdict(
    client: TestClient, rt: Runtime, make_user: Callable[..., int]
) -> None:
    make_user("alice")
    token = sign_in(client, "alice")
    page = client.get("/ideas/new")
    assert page.status_code == 200
    assert "Is the idea tied to one of the company" in page.text
    answer = post(client, "/ideas", token, form_id=form_id_of(page.text), **IDEA)
    assert answer.status_code == 303, answer.text
    done = client.get(answer.headers["location"])
    assert "Your idea is registered as UC-" in done.text
    assert "AI is warranted" in done.text
    assert "the benefit is not validated by stakeholders" in done.text
    created = rt.use_cases.get(_count(rt))
    assert created.qualification is not None
    assert created.qualification.expected_value == 4
    assert created.automation_verdict is not None
    assert created.automation_verdict.verdict == "ai"


def test_wrong_fields_are_shown_next_to_them_and_the_input_is_kept(
    client: TestClient, rt: Runtime, make_user: Callable[..., int]
) -> None:
    make_user("alice")
    token = sign_in(client, "alice")
    form_id = form_id_of(client.get("/ideas/new").text)
    bad = {**IDEA, "description": "short", "expected_value": "", "priority_objective": ""}
    answer = post(client, "/ideas", token, form_id=form_id, **bad)
    assert answer.status_code == 422
    assert 'id="e-description"' in answer.text
    assert 'id="e-expected_value"' in answer.text
    assert "Pharmacovigilance case intake summariser" in answer.text  # kept
    unnamed = post(client, "/ideas", token, form_id=form_id, **{**IDEA, "priority_objective": ""})
    assert unnamed.status_code == 422
    assert 'id="e-priority_objective"' in unnamed.text
    assert "name the priority objective" in unnamed.text
    assert _count(rt) == 0
    fixed = post(client, "/ideas", token, form_id=form_id, **IDEA)  # same form, corrected
    assert fixed.status_code == 303
    assert _count(rt) == 1


def test_a_double_submit_creates_one_record(
    client: TestClient, rt: Runtime, make_user: Callable[..., int]
) -> None:
    make_user("alice")
    token = sign_in(client, "alice")
    form_id = form_id_of(client.get("/ideas/new").text)
    first = post(client, "/ideas", token, form_id=form_id, **IDEA)
    second = post(client, "/ideas", token, form_id=form_id, **IDEA)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert _count(rt) == 1


def test_similar_ideas_are_suggested_then_joined_or_justified(
    client: TestClient, rt: Runtime, make_user: Callable[..., int]
) -> None:
    make_user("alice")
    make_user("bob")
    token = sign_in(client, "alice")
    post(client, "/ideas", token, form_id="first-form-id-0001", **IDEA)
    client.cookies.clear()
    token = sign_in(client, "bob")
    live = post(
        client,
        "/ideas/similar",
        token,
        title="Summarise pharmacovigilance adverse event reports",
        description="",
    )
    assert live.status_code == 200
    assert "Pharmacovigilance case intake summariser" in live.text
    again = {**IDEA, "title": "Adverse event report summariser for pharmacovigilance"}
    refused = post(client, "/ideas", token, form_id="second-form-id-0002", **again)
    assert refused.status_code == 409
    assert "Why is yours different?" in refused.text
    assert "Join UC-0001 instead" in refused.text
    assert _count(rt) == 1
    joined = post(client, "/use-cases/1/join", token)
    assert joined.status_code == 303
    with rt.database.read() as session:
        members = session.scalars(
            select(UseCaseMember.user_id).where(UseCaseMember.use_case_id == 1)
        )
        assert len(list(members)) == 2
    justified = post(
        client,
        "/ideas",
        token,
        form_id="third-form-id-0003",
        duplicate_justification="Ours covers literature reports, not e-mails.",
        **again,
    )
    assert justified.status_code == 303
    assert _count(rt) == 2


def test_the_verdict_fragment_explains_plain_automation(
    client: TestClient, make_user: Callable[..., int]
) -> None:
    make_user("alice")
    token = sign_in(client, "alice")
    answer = post(client, "/ideas/verdict", token, rules_expressible="yes")
    assert "Plain automation" in answer.text
    assert "use plain automation" in answer.text
