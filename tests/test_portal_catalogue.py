"""The catalogue page: every use case listed, filtered, searched, sorted and exported, through
its GET form as a browser without JavaScript would send it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.portal_helpers import sign_in
from tests.registry_helpers import idea

from gouvernail.audit import AuditContext
from gouvernail.registry.schemas import ClassificationIn, UseCaseIn
from gouvernail.runtime import Runtime

HIGH = {
    "role": "provider_deployer",
    "prohibited_practices": ["none"],
    "annex_i_product": "none",
    "annex_iii_areas": ["employment"],
    "annex_iii_employment": ["recruitment_selection"],
    "profiles_natural_persons": False,
    "art_6_3_condition": "none",
    "deployer_sector": "private",
    "transparency_features": ["none"],
    "general_purpose": "none",
}


@pytest.fixture
def registry(rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]) -> dict[str, int]:
    """Three use cases: a high-risk screening in R&D, a translation tool and a chatbot in HR."""
    rt.directory.create_team(ctx, slug="rd", name="Research and development", kind="department")
    rt.directory.create_team(ctx, slug="hr", name="Human resources", kind="department")
    make_user("olivia", "data_owner")
    people = {"alice": make_user("alice", team="rd"), "hugo": make_user("hugo", team="hr")}
    make_user("eve")

    def add(owner: str, **fields: object) -> int:
        body = UseCaseIn.model_validate({**idea(**fields), "duplicate_justification": "test"})
        return rt.use_cases.submit(ctx, people[owner], body).id

    ids = {
        "screening": add("alice"),
        "translation": add(
            "hugo",
            title="Machine translation of internal memos",
            description="Buy a translation service for internal, non-confidential memos.",
        ),
        "chatbot": add(
            "hugo",
            title="Assistant answering questions about holidays",
            description="A chatbot answers employees' questions about leave and holidays.",
        ),
    }
    screening = rt.use_cases.get(ids["screening"])
    rt.use_cases.classify(
        ctx, screening.id, ClassificationIn(version=screening.version, answers=HIGH)
    )
    return ids


def rows_of(html: str) -> list[str]:
    """The references listed in the results table, in order."""
    body = html.split('<div id="results">', 1)[1]
    return [part.split('"', 1)[0] for part in body.split('<a href="/use-cases/')[1:]]


def test_the_catalogue_lists_filters_searches_and_sorts(
    client: TestClient, registry: dict[str, int]
) -> None:
    assert client.get("/catalogue", follow_redirects=False).status_code == 303  # sign in first
    sign_in(client, "eve")
    page = client.get("/catalogue")
    assert page.status_code == 200
    assert "3 use cases" in page.text
    assert sorted(rows_of(page.text)) == sorted(str(i) for i in registry.values())
    assert "Research and development" in page.text  # the department by its name
    assert "high risk" in page.text  # the tier of the classified one
    assert "Hugo" in page.text  # the requester
    assert 'hx-get="/catalogue"' in page.text
    assert 'hx-push-url="true"' in page.text
    partial = client.get("/catalogue", params={"tier": "high"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert 'hx-select="#results"' in page.text  # htmx swaps the results only
    assert rows_of(partial.text) == [str(registry["screening"])]

    high = client.get("/catalogue", params={"tier": "high"})
    assert rows_of(high.text) == [str(registry["screening"])]
    assert '<option value="high" selected>' in high.text  # the form keeps the choice

    hr = client.get("/catalogue", params={"department": "hr", "status": "idea"})
    expected = sorted([str(registry["translation"]), str(registry["chatbot"])])
    assert sorted(rows_of(hr.text)) == expected
    assert rows_of(client.get("/catalogue", params={"status": "production"}).text) == []
    assert (
        "No use case matches these filters."
        in client.get("/catalogue", params={"flag": "pilot_overdue"}).text
    )

    found = client.get("/catalogue", params={"q": "translation memos"})
    assert rows_of(found.text)[0] == str(registry["translation"])
    assert 'value="translation memos"' in found.text

    by_title = rows_of(client.get("/catalogue", params={"sort": "title"}).text)
    assert by_title == [
        str(registry["chatbot"]),  # "Assistant ..."
        str(registry["translation"]),  # "Machine ..."
        str(registry["screening"]),  # "Screening ..."
    ]
    ignored = client.get("/catalogue", params={"status": "nonsense", "sort": "nonsense"})
    assert ignored.status_code == 200
    assert len(rows_of(ignored.text)) == 3


def test_the_export_links_give_the_selection_shown(
    client: TestClient, registry: dict[str, int]
) -> None:
    sign_in(client, "eve")
    page = client.get("/catalogue", params={"department": "hr", "sort": "title"})
    link = "/catalogue/export?format=csv&amp;department=hr&amp;sort=title"
    assert link in page.text
    exported = client.get(link.replace("&amp;", "&"))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="use-cases.csv"' in exported.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["reference", "title", "status"]
    assert [line[1] for line in lines[1:]] == [
        "Assistant answering questions about holidays",
        "Machine translation of internal memos",
    ]
    xlsx = client.get("/catalogue/export", params={"format": "xlsx", "tier": "high"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert xlsx.content[:2] == b"PK"
    assert client.get("/catalogue/export", params={"format": "pdf"}).status_code == 400
