"""The portal in a real browser (Debian's Chromium through Playwright), on SQLite and
PostgreSQL: the flows of the issue, axe-core on every page visited, screenshots in French and
English saved under ``$GOUVERNAIL_DATA_DIR/screenshots``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openai import APIStatusError, OpenAI
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from tests.browser_helpers import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    check_page,
    photograph,
    served,
)
from tests.conftest import IN_CI, PASSWORD
from tests.gateway_helpers import install_gateway, transport_for
from tests.test_portal_committee import awaiting_committee, make_board

from gouvernail.app import create_app
from gouvernail.audit import AuditContext
from gouvernail.demo.loader import load_demo
from gouvernail.gateway.models import RequestLog
from gouvernail.identity.principal import Principal
from gouvernail.observatory.feedback.schemas import FeedbackIn
from gouvernail.observatory.incidents.schemas import IncidentIn
from gouvernail.observatory.incidents.timeline import Author
from gouvernail.observatory.licences.schemas import ToolIn
from gouvernail.observatory.value.schemas import ValueModelIn
from gouvernail.registry.models import ApprovalDecision
from gouvernail.registry.schemas import UseCaseIn
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

LOCALES = {"en": "en-GB", "fr": "fr-FR"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped, not session-scoped: while Playwright's sync API is started, its event
    loop counts as running in this thread, so a later test of another module on the same
    worker could not run a loop of its own (asyncio.run, anyio) — pytest stops it as soon as
    the worker moves to another module."""
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


# --- every main page, in French and English: axe-core and a screenshot each --------------------


def _tour_data(rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]) -> dict[str, int]:
    """The demo organisation, a person holding every governance role (charter accepted,
    trainings done, a sandbox), and sixty days of gateway traffic for the charts."""
    report = load_demo(rt, ctx, PASSWORD)
    user_id = make_user(
        "tour",
        "admin",
        "ai_referent",
        "committee_member",
        "auditor",
        "security_referent",
        display_name="Camille Durand",
    )
    rt.charters.accept(Principal.signed_in(rt.directory.get(user_id)), password=PASSWORD)
    mine = rt.literacy.trainings(user_id)
    for code in (*mine.missing_required, *mine.expired_required):
        rt.literacy.record(ctx, user_id=user_id, module=code)
    rt.governance.open_sandbox(ctx, user_id)
    live = [uc for uc in report.use_cases if uc.status in ("production", "pilot")]
    by_status = {uc.status: uc.id for uc in report.use_cases}
    now = datetime.now(UTC)
    rows = []
    for day in range(60):
        for n, uc in enumerate(live):
            calls = 3 + (day * (n + 2)) % 7
            for i in range(calls):
                failed = (day + i + n) % 23 == 0
                rows.append(
                    RequestLog(
                        at=now - timedelta(days=day, minutes=7 * i + n),
                        request_id=f"tour-{day}-{n}-{i}",
                        user_id=user_id,
                        use_case_id=uc.id,
                        operation="chat",
                        model="mistral-large-eu",
                        provider="mistral",
                        decision="block" if (day + i) % 17 == 0 else "allow",
                        rule_ids='["personal-data-pseudonymised"]' if i % 5 == 0 else "[]",
                        status=502 if failed else 200,
                        prompt_tokens=400 + 37 * i,
                        completion_tokens=180 + 11 * i,
                        cost_eur=Decimal("0.0021") * (1 + i % 4),
                        energy_wh=0.9 + 0.1 * (i % 3),
                        gco2e=0.05 + 0.01 * (i % 4),
                        latency_ms=800 + 40 * i,
                    )
                )
    with rt.database.write() as session:
        session.add_all(rows)
    _tour_proxy_log(rt, ctx, now)
    chosen = by_status.get("production") or live[0].id
    _tour_observatory(rt, ctx, user_id, chosen, now)
    return {"use_case": chosen, "user": user_id}


def _tour_observatory(
    rt: Runtime, ctx: AuditContext, user_id: int, use_case_id: int, now: datetime
) -> None:
    """For the observatory's quality, value and licences tabs: verdicts on some of the tour's
    answers, an incident, a value model, and a tool bought per seat with its seat export."""
    for day in range(1, 11):
        for i in (1, 2):
            rt.feedback.give(
                ctx,
                FeedbackIn(
                    request_id=f"tour-{day}-0-{i}", verdict="wrong" if day < 3 else "useful"
                ),
                user_id=user_id,
                via="api",
            )
    rt.incidents.report(
        ctx,
        Author(user_id, "Camille Durand"),
        IncidentIn(
            title="A summary left out a contraindication",
            kind="wrong_answer",  # type: ignore[arg-type]
            severity="high",  # type: ignore[arg-type]
            use_case_id=use_case_id,
            occurred_at=now - timedelta(days=2),
            harms=["death_or_serious_health_harm"],  # type: ignore[list-item]
        ),
    )
    rt.value.set(
        ctx,
        use_case_id,
        ValueModelIn.model_validate(
            {
                "baseline_minutes_per_task": 40,
                "tasks_per_month": 300,
                "time_saved": {"method": "declared", "minutes_saved_per_task": 15},
                "redeployed_share": 0.4,
                "redeployment_note": "reviews of the backlog",
                "licence_eur_per_month": 200,
                "build_cost_eur": 8000,
                "reason": "business case of the tour",
            }
        ),
        user_id=user_id,
    )
    rt.licences.add_tool(
        ctx,
        ToolIn(
            slug="chat-suite",
            name="Chat Suite Enterprise",
            hosting="external_saas",  # type: ignore[arg-type]
            max_data_class="internal",
            seat_price=Decimal(30),
            currency="EUR",
            seats_bought=6,
        ),
    )
    today = now.date()
    seats = ["email,last_active"] + [
        f"person{n}@tour.example,{(today - timedelta(days=20 * n)).isoformat() if n else ''}"
        for n in range(5)
    ]
    rt.licences.import_seats(
        ctx,
        "chat-suite",
        ("\n".join(seats) + "\n").encode(),
        name="seats.csv",
        format="generic",
        as_of=today - timedelta(days=150),
    )


def _tour_proxy_log(rt: Runtime, ctx: AuditContext, now: datetime) -> None:
    """A web-proxy log of the last days for the shadow-AI page: chat and translation tools, a
    direct call to a model API, a large upload, a malformed line."""
    rows = ["time,user,department,host,bytes_out,bytes_in"]
    visits = [
        ("daniel.okafor", "", "chatgpt.com", 4000),
        ("daniel.okafor", "", "www.deepl.com", 9000),
        ("sophie.renaud", "", "claude.ai", 2500),
        ("james.whitfield", "", "api.openai.com", 1200),
        ("visitor@ext.example", "Legal", "chatgpt.com", 15 * 2**20),
    ]
    for day in range(1, 15):
        for n, (user, department, host, sent) in enumerate(visits):
            if (day + n) % 3:
                at = (now - timedelta(days=day, minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
                rows.append(f"{at},{user},{department},{host},{sent},{3 * sent}")
    rows.append("not a time,daniel.okafor,,chatgpt.com,1,1")
    log = rt.settings.data_dir / "tour-proxy.csv"
    log.write_text("\n".join(rows) + "\n")
    rt.shadow.import_file(ctx, log, "csv", name="proxy-export.csv")


PAGES = (
    ("my-access", "/me"),
    ("submit-idea", "/ideas/new"),
    ("catalogue", "/catalogue"),
    ("use-case-summary", "/use-cases/{uc}"),
    ("use-case-qualification", "/use-cases/{uc}/qualification"),
    ("use-case-ai-act", "/use-cases/{uc}/classification"),
    ("use-case-risks", "/use-cases/{uc}/risks"),
    ("use-case-approvals", "/use-cases/{uc}/approvals"),
    ("use-case-usage", "/use-cases/{uc}/usage"),
    ("use-case-history", "/use-cases/{uc}/history"),
    ("use-case-kill-switch", "/use-cases/{uc}/kill-switch"),
    ("committee", "/committee"),
    ("inventory", "/inventory"),
    ("inventory-tools", "/inventory/tools"),
    ("playground", "/playground"),
    ("observatory", "/observatory"),
    ("observatory-shadow-ai", "/observatory/shadow-ai"),
    ("observatory-quality", "/observatory/quality"),
    ("observatory-value", "/observatory/value"),
    ("observatory-licences", "/observatory/licences"),
    ("agents", "/agents"),
    ("agents-approvals", "/agents/approvals"),
    ("audit", "/audit"),
    ("admin", "/admin"),
    ("admin-users", "/admin/users"),
    ("admin-charter", "/admin/charter"),
    ("admin-rules", "/admin/policy/rules"),
)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_main_page_is_accessible_and_photographed(
    open_page: Callable[[str], Page],
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    settings: Settings,
    lang: str,
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the pages are photographed once, on the embedded default")
    data = _tour_data(rt, ctx, make_user)
    page = open_page(lang)
    page.goto("/sign-in")
    check_page(page, "sign-in", lang)
    sign_in(page, "tour")
    for name, path in PAGES:
        response = page.goto(path.format(uc=data["use_case"]))
        assert response is not None
        assert response.status == 200, f"{path}: {response.status}"
        assert page.locator("html").get_attribute("lang") == lang
        check_page(page, name, lang)


# --- without JavaScript, and with the keyboard only ------------------------------------------


def test_an_idea_is_submitted_without_javascript_and_a_duplicate_justified(
    browser: Browser, live: str, rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]
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
    make_user("nina")
    context = browser.new_context(base_url=live, locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, "nina")
        page.goto("/ideas/new")
        page.locator("#f-title").fill("Résumé des cas de pharmacovigilance")
        page.locator("#f-description").fill(
            "Summarise pharmacovigilance adverse event reports for the safety team."
        )
        page.locator("input[name=tied_to_priority_objective][value=no]").check()
        page.locator("input[name=benefit_measurable][value=no]").check()
        page.locator("input[name=benefit_validated_by_stakeholders][value=no]").check()
        page.locator("#f-expected_value").select_option("3")
        page.locator("#f-skills_available").select_option("2")
        page.get_by_role("button", name="Soumettre l'idée").click()
        expect(page.locator("#suggestions")).to_contain_text(
            "Pharmacovigilance case intake summariser"
        )  # the server answered with the similar use cases: no script needed
        photograph(page, "submit-idea-duplicate-no-js", "fr")  # axe needs scripts: not here
        page.locator("#f-duplicate_justification").fill(
            "Le nôtre traite la littérature scientifique, pas les courriels."
        )
        page.get_by_role("button", name="Soumettre l'idée").click()
        expect(page.locator("main h1")).to_have_text("Idée enregistrée")
    finally:
        context.close()
    assert len(rt.use_cases.memberships(rt.directory.by_username("nina").id)) == 1


def test_the_keyboard_reaches_the_content_first(
    open_page: Callable[[str], Page], make_user: Callable[..., int]
) -> None:
    make_user("kim")
    page = open_page("en")
    sign_in(page, "kim")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_attribute("id", "main")
