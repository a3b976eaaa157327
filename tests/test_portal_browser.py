"""The portal in a real browser (Debian's Chromium through Playwright), on SQLite and
PostgreSQL: the flows of the issue, axe-core on every page visited, screenshots in French and
English saved under ``$GOUVERNAIL_DATA_DIR/screenshots``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import APIStatusError, OpenAI
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from tests.browser_helpers import AXE, CHROMIUM, CHROMIUM_ARGS, check_page, served
from tests.conftest import IN_CI, PASSWORD
from tests.gateway_helpers import install_gateway, transport_for
from tests.test_portal_committee import awaiting_committee, make_board

from gouvernail.app import create_app
from gouvernail.audit import AuditContext
from gouvernail.registry.models import ApprovalDecision
from gouvernail.registry.schemas import UseCaseIn
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

LOCALES = {"en": "en-GB", "fr": "fr-FR"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    missing = [str(p) for p in (Path(CHROMIUM), AXE) if not p.exists()]
    if missing:
        message = f"browser tests need {', '.join(missing)} (make installs axe-core; "
        message += "apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live(settings: Settings, rt: Runtime) -> Iterator[str]:
    with served(create_app(settings, rt)) as url:
        yield url


@pytest.fixture
def open_page(browser: Browser, live: str) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def open_(lang: str = "en") -> Page:
        context = browser.new_context(
            base_url=live, locale=LOCALES[lang], viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/me")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def test_a_new_user_signs_in_accepts_the_charter_and_sees_a_duplicate(
    open_page: Callable[[str], Page],
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    charter_in_force: Any,
) -> None:
    owner = make_user("olga")
    rt.use_cases.submit(
        ctx,
        owner,
        UseCaseIn(
            title="Pharmacovigilance case intake summariser",
            description="Summarise adverse event reports received by e-mail.",
        ),
    )
    make_user("newcomer", display_name="Nina Newcomer")
    page = open_page("en")
    sign_in(page, "newcomer")
    expect(page.locator("main h1")).to_have_text("My AI access")
    check_page(page, "my-access-before-charter", "en")
    page.get_by_label("I have read the charter").check()
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Accept and sign").click()
    expect(page.get_by_role("status")).to_contain_text("Charter accepted and signed.")
    assert rt.charters.acceptance_status(rt.directory.by_username("newcomer").id).state == (
        "accepted"
    )
    page.get_by_role("link", name="Submit an idea").click()
    page.locator("#f-title").press_sequentially("Summarise pharmacovigilance adverse events")
    suggestion = page.locator("#suggestions")
    expect(suggestion).to_contain_text("Pharmacovigilance case intake summariser")
    expect(suggestion.get_by_role("button", name="Join UC-0001 instead")).to_be_visible()
    check_page(page, "submit-idea-with-suggestion", "en")


# --- a committee member signs an approval ------------------------------------------------------


def test_a_committee_member_signs_an_approval(
    open_page: Callable[[str], Page],
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
) -> None:
    board = make_board(rt, ctx, make_user)
    uc = awaiting_committee(rt, board)
    page = open_page("en")
    sign_in(page, "chair")
    page.get_by_role("link", name="Committee").click()
    expect(page.locator("main h1")).to_be_visible()
    check_page(page, "committee-before-signing", "en")
    page.locator("summary", has_text="Sign a decision on stage").click()
    form = page.locator(f"form[action='/committee/use-cases/{uc}/approvals']")
    form.locator("input[type=password]").fill(PASSWORD)
    form.get_by_role("button", name="Sign").click()
    expect(page.locator("main")).to_contain_text("Claire Hamon — approved")
    with rt.database.read() as session:
        stages = session.scalars(
            select(ApprovalDecision.stage).where(
                ApprovalDecision.use_case_id == uc,
                ApprovalDecision.user_id == board["chair"],
            )
        ).all()
    assert len(stages) == 1  # recorded once, by the signer


# --- an AI referent flips a kill switch; the gateway refuses the next call ----------------------


@pytest.fixture
def live_gateway(settings: Settings, rt: Runtime, world: Any) -> Iterator[str]:
    install_gateway(rt, transport_for(world))
    with served(create_app(settings, rt)) as url:
        yield url


def test_an_ai_referent_flips_a_kill_switch_and_the_gateway_refuses(
    browser: Browser, live_gateway: str, world: Any
) -> None:
    client = OpenAI(
        base_url=f"{live_gateway}/v1", api_key=world.key("alice", "drafting"), max_retries=0
    )
    hello = [{"role": "user", "content": "Bonjour"}]
    assert client.chat.completions.create(model="gpt-eu", messages=hello).choices  # type: ignore[arg-type]
    context = browser.new_context(base_url=live_gateway, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, "ref")
        page.goto(f"/use-cases/{world.use_cases['drafting']}/kill-switch")
        check_page(page, "use-case-kill-switch", "en")
        page.locator("#f-reason").fill("Vendor incident: hallucinated citations in answers")
        page.locator("input[name=confirm]").check()
        page.get_by_role("button", name="Switch AI off for this use case").click()
        expect(page.locator("main")).to_contain_text("AI is switched off for this use case")
    finally:
        context.close()
    with client, pytest.raises(APIStatusError) as refused:
        client.chat.completions.create(model="gpt-eu", messages=hello)  # type: ignore[arg-type]
    assert refused.value.status_code == 503  # AI is off: the caller gets the reason and
    assert "Vendor incident" in str(refused.value)  # the procedure without AI
    assert "Fallback procedure without AI" in str(refused.value)


# --- an auditor verifies the chain -------------------------------------------------------------


def test_an_auditor_verifies_the_chain(
    open_page: Callable[[str], Page], make_user: Callable[..., int]
) -> None:
    make_user("marc", "auditor", display_name="Marc Lefèvre")
    page = open_page("en")
    sign_in(page, "marc")
    page.get_by_role("link", name="Audit").click()
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.locator("#verify-result")).to_be_visible()
    expect(page.locator("#verify-result")).to_have_attribute("role", "status")  # not an alert
    check_page(page, "audit-verified", "en")
