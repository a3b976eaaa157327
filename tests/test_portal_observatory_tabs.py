"""The observatory's tabs on the newer services, on SQLite and PostgreSQL, in English and French,
from data made through the services and real gateway calls (fake providers at the HTTP seam):
quality (error rates from feedback with the worsening ones first, evaluation runs with an
incomplete one marked, open canary drifts and what changed, the incidents not closed with the
possibly serious one flagged), value and environment (ROI with its declared and measured
figures, energy and CO2e by use case, department and model over the period chosen, sobriety
hints), licences (seats, activity, cost per active user, reclaim, charter findings, people only
for those who may see them), and who may open each tab."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.fake_providers import Persona
from tests.gateway_helpers import World
from tests.inventory_helpers import records
from tests.portal_helpers import sign_in
from tests.test_canaries import V1, chatty, configure, original, ran
from tests.test_environment import add_models
from tests.test_environment import call as call_model
from tests.test_evaluations import careless, dataset, import_suite
from tests.test_evaluations import run as evaluate
from tests.test_licences import conversation, csv_text
from tests.test_portal_observatory import Tables, cards, old_calls, row_of

from gouvernail.audit import AuditContext
from gouvernail.charter.service import CharterView
from gouvernail.db.base import utcnow
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.environment.service import Period
from gouvernail.observatory.feedback.rates import wilson
from gouvernail.observatory.feedback.schemas import FeedbackIn
from gouvernail.observatory.incidents.models import IncidentStatus
from gouvernail.observatory.incidents.schemas import IncidentIn, IncidentPatch
from gouvernail.observatory.incidents.timeline import Author
from gouvernail.observatory.licences.schemas import ToolIn
from gouvernail.observatory.value.schemas import ValueModelIn
from gouvernail.portal.i18n import activate, format_number
from gouvernail.registry.models import UseCase
from gouvernail.registry.schemas import UseCasePatch
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

QUALITY, VALUE, LICENCES = "/observatory/quality", "/observatory/value", "/observatory/licences"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
RUNS = "The latest evaluation runs, newest first"
DRIFTS = "Canary drifts not yet acknowledged"
INCIDENTS = "Open and mitigated incidents, the latest detected first"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Retries without waiting and no breaker opening: a run made while the providers fail
    ends incomplete, and the next calls are served again."""
    return make_settings(gateway={"backoff_base": 0, "breaker_failures": 1000})


def en(value: float, digits: int) -> str:
    activate("en")
    return format_number(value, digits)


def rate(count: int, of: int) -> str:
    """An error-rate cell: the percentage and its Wilson interval, as the page writes them."""
    low, high = wilson(count, of)
    return f"{en(100 * count / of, 1)} ({en(100 * low, 1)}\u2013{en(100 * high, 1)})"


def feedback(
    gw: TestClient, world: World, prefix: str, use_case: str, verdicts: list[str], days_ago: int
) -> None:
    """Calls through the gateway on ``use_case``, made ``days_ago`` days back, each answer
    judged by alice through the feedback service."""
    key = world.keys.get(f"alice:{use_case}") or world.key("alice", use_case)
    ids = [f"{prefix}-{i}" for i in range(len(verdicts))]
    for request_id in ids:
        call_model(gw, key, request_id, "gpt-eu")
    if days_ago:
        with world.rt.database.write() as session:
            session.execute(
                update(RequestLog)
                .where(RequestLog.request_id.in_(ids))
                .values(at=utcnow() - timedelta(days=days_ago))
            )
    for request_id, verdict in zip(ids, verdicts, strict=True):
        world.rt.feedback.give(
            world.ctx,
            FeedbackIn(request_id=request_id, verdict=verdict),  # type: ignore[arg-type]
            user_id=world.users["alice"],
            via="api",
        )


@pytest.fixture
def quality(
    gw: TestClient,
    world: World,
    make_user: Callable[..., int],
    compliant_user: Callable[..., None],
) -> World:
    """Pricing's error rate rose this week (1 bad answer in 30 last month, 8 in 10 this week);
    drafting's did not (1 in 10 last month, none of 3 this week). A canary on gpt-eu drifted (a
    chattier model behind the same name). Two evaluation runs of the additions suite: a careless
    model passes half, then a run while the providers fail is incomplete. Three incidents: a
    possibly serious one on drafting (a high-risk use case), a minor one, and a closed one."""
    compliant_user(world.users["ref"])
    make_user("sec", "security_referent")
    make_user("board", "committee_member")
    world.use_case("pricing", "alice")
    feedback(gw, world, "old", "pricing", ["wrong"] + ["useful"] * 29, days_ago=40)
    feedback(gw, world, "new", "pricing", ["wrong"] * 8 + ["useful"] * 2, days_ago=0)
    feedback(gw, world, "once", "drafting", ["wrong"] + ["useful"] * 9, days_ago=40)
    feedback(gw, world, "fine", "drafting", ["useful"] * 3, days_ago=0)

    world.openai.persona = Persona(original, **V1)
    assert configure(gw, "ref", world).status_code == 200
    assert ran(gw)["is_baseline"]
    world.openai.persona = Persona(chatty, **V1)
    drifted = ran(gw)
    assert drifted["drift_id"] is not None, drifted["comparison"]
    world.openai.persona = None

    suite = import_suite(gw, "ref", world.use_cases["drafting"], dataset(), source="add.jsonl")
    assert suite.status_code == 201, suite.text
    world.openai.answer_text = careless  # type: ignore[method-assign]
    assert evaluate(gw, "ref", suite.json()["suite_id"], "gpt-eu")["status"] == "complete"
    world.openai.fail(*[503] * 100)
    world.anthropic.fail(*[503] * 100)
    assert evaluate(gw, "ref", suite.json()["suite_id"], "gpt-eu")["status"] == "incomplete"
    world.openai.failures.clear()
    world.anthropic.failures.clear()
    del world.openai.answer_text

    with world.rt.database.write() as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == world.use_cases["drafting"])
            .values(ai_act_tier="high")
        )
    author = Author(world.users["ref"], "Ref")
    occurred = datetime.now(UTC) - timedelta(days=1)
    incidents = world.rt.incidents
    incidents.report(
        world.ctx,
        author,
        IncidentIn(
            title="A dosage summarised wrongly reached a patient",
            kind="wrong_answer",  # type: ignore[arg-type]
            severity="critical",  # type: ignore[arg-type]
            use_case_id=world.use_cases["drafting"],
            occurred_at=occurred,
            harms=["death_or_serious_health_harm"],  # type: ignore[list-item]
        ),
    )
    incidents.report(
        world.ctx,
        author,
        IncidentIn(
            title="Slow answers on Monday morning",
            kind="outage",  # type: ignore[arg-type]
            severity="low",  # type: ignore[arg-type]
            occurred_at=occurred,
        ),
    )
    done = incidents.report(
        world.ctx,
        author,
        IncidentIn(
            title="A typo in a generated letter",
            kind="wrong_answer",  # type: ignore[arg-type]
            severity="low",  # type: ignore[arg-type]
            occurred_at=occurred,
        ),
    )
    incidents.change(
        world.ctx,
        author,
        done.id,
        IncidentPatch(version=done.version, reason="corrected", status=IncidentStatus.CLOSED),
    )
    return world


def test_the_quality_tab_shows_rates_runs_drifts_and_incidents(
    gw: TestClient, quality: World
) -> None:
    world = quality
    sign_in(gw, "ref")
    page = gw.get(QUALITY)
    assert page.status_code == 200, page.text
    html = page.text
    assert f'<a href="{QUALITY}" aria-current="page">Quality</a>' in html
    for other in ("/observatory", "/observatory/shadow-ai", VALUE, LICENCES):
        assert f'<a href="{other}">' in html  # an AI referent opens every tab
    assert cards(html) == {
        "error rates worsening": "3",  # pricing, and gpt-eu and "no prompt version" with it
        "incomplete evaluation runs": "1",
        "open canary drifts": "1",
        "incidents not closed": "2",
        "possibly serious incidents": "1",
    }
    tables = Tables(html).tables
    pricing, drafting = world.use_cases["pricing"], world.use_cases["drafting"]
    by_use_case = tables["Error rates: by use case"]
    assert [row[0] for row in by_use_case] == [
        f"UC-{pricing:04d} pricing assistant for the regulatory affairs team",  # worsening first
        f"UC-{drafting:04d} drafting assistant for the regulatory affairs team",
    ]
    assert by_use_case[0][1:] == [
        "worsening",
        "10",
        "10",
        "8",
        rate(8, 10),
        "40",
        "40",
        "9",
        rate(9, 40),
    ]
    assert by_use_case[1][1] == "—"
    assert by_use_case[1][3:5] == ["3", "0"]
    assert f'<a href="/use-cases/{pricing}">UC-{pricing:04d}</a>' in html
    (model,) = tables["Error rates: by model"]
    assert model[:2] == ["gpt-eu", "worsening"]
    (version,) = tables["Error rates: by prompt version"]
    assert version[:2] == ["no prompt version", "worsening"]

    incomplete, complete = tables[RUNS]
    assert incomplete[1] == f"UC-{drafting:04d}"
    assert incomplete[2:4] == ["additions v1", "gpt-eu"]
    assert incomplete[5].startswith("incomplete Figures are partial.")
    assert " failed" in incomplete[5]  # the service's reason
    assert complete[5] == "complete"
    assert complete[6:8] == ["50.0", "8"]  # the careless model fails the odd cases

    (drift,) = tables[DRIFTS]
    assert drift[0] == "gpt-eu"
    assert "similarity of the answers" in drift[3]
    assert "length of the answers" in drift[3]
    assert "refusal rate:" not in drift[3]  # only what changed

    minor, serious = tables[INCIDENTS]  # the latest detected first
    assert serious[0].endswith("A dosage summarised wrongly reached a patient")
    assert serious[1:4] == ["wrong answer", "critical", "open"]
    assert serious[4].startswith(f"UC-{drafting:04d}")
    assert serious[6].startswith("possibly serious report by")
    assert minor[0].endswith("Slow answers on Monday morning")
    assert (minor[1], minor[4], minor[6]) == ("outage", "—", "—")
    assert "A typo in a generated letter" not in html  # closed

    (open_drift,) = world.rt.canaries.drifts()
    world.rt.canaries.acknowledge(world.ctx, open_drift.id, "the vendor announced it")
    again = gw.get(QUALITY).text
    assert cards(again)["open canary drifts"] == "0"
    assert "No open drift." in again


def test_the_quality_tab_in_french_and_as_each_reader_sees_it(
    gw: TestClient, quality: World
) -> None:
    sign_in(gw, "board")
    html = gw.get(QUALITY, headers=FRENCH).text
    assert '<html lang="fr">' in html
    assert f'<a href="{QUALITY}" aria-current="page">Qualité</a>' in html
    assert "/observatory/shadow-ai" not in html  # the committee does not see shadow AI
    tables = Tables(html).tables
    rows = tables["Taux d'erreur : par cas d'usage"]
    assert rows[0][1] == "en dégradation"
    assert rows[0][5] == rate(8, 10).replace(".", ",")
    incomplete, complete = tables[
        "Les dernières exécutions d'évaluation, les plus récentes d'abord"
    ]
    assert incomplete[5].startswith("incomplet Chiffres partiels.")
    assert complete[5:7] == ["complet", "50,0"]
    (drift,) = tables["Dérives des canaris non encore prises en compte"]
    assert "similarité des réponses" in drift[3]
    _minor, serious = tables["Incidents ouverts et atténués, les derniers détectés d'abord"]
    assert serious[1:4] == ["réponse erronée", "critique", "ouvert"]
    assert serious[6].startswith("potentiellement grave")

    gw.cookies.clear()
    sign_in(gw, "sec")  # canaries and incidents, not the error rates nor the evaluations
    html = gw.get(QUALITY).text
    assert "Open canary drifts" in html
    assert "Incidents not closed" in html
    assert "Error rates from feedback" not in html
    assert "Latest evaluation runs" not in html
    assert set(cards(html)) == {
        "open canary drifts",
        "incidents not closed",
        "possibly serious incidents",
    }


@pytest.fixture
def valued(gw: TestClient, world: World, make_user: Callable[..., int]) -> World:
    """R&D's drafting use case (declared value: 200 tasks a month, 30 minutes saved each) made
    2 short calls to a large model when a small one was allowed, and 1 to the small one; Sales'
    pricing use case (measured value: one task per answered call, a before/after study) made
    4 calls 40 days ago."""
    add_models(world)
    make_user("board", "committee_member")
    world.rt.directory.create_team(world.ctx, slug="sales", name="Sales", kind="department")
    world.users["carl"] = make_user("carl", "use_case_owner", team="sales")
    world.use_case("pricing", "carl")
    for name, team in (("drafting", "reg-affairs"), ("pricing", "sales")):
        use_case = world.use_cases[name]
        version = world.rt.use_cases.get(use_case).version
        world.rt.use_cases.update(
            world.ctx, use_case, UseCasePatch(version=version, department=team, reason="owned")
        )
    key = world.key("alice", "drafting")
    for i in range(2):
        call_model(gw, key, f"req-short-{i}", "big-eu")
    call_model(gw, key, "req-small", "mini-eu")
    old_calls(world, "pricing", "carl", 40, 4, energy_wh=2.0, gco2e=1.0)
    common: dict[str, Any] = {
        "hourly_cost_eur": 60,
        "redeployed_share": 0.5,
        "redeployment_note": "half the freed time goes to the backlog",
        "licence_eur_per_month": 500,
        "build_cost_eur": 12000,
    }
    world.rt.value.set(
        world.ctx,
        world.use_cases["drafting"],
        ValueModelIn.model_validate(
            common
            | {
                "baseline_minutes_per_task": 45,
                "tasks_per_month": 200,
                "time_saved": {"method": "declared", "minutes_saved_per_task": 30},
                "reason": "first business case",
            }
        ),
        user_id=world.users["alice"],
    )
    world.rt.value.set(
        world.ctx,
        world.use_cases["pricing"],
        ValueModelIn.model_validate(
            common
            | {
                "baseline_minutes_per_task": 44,
                "calls_per_task": 1,
                "time_saved": {
                    "method": "study",
                    "before_minutes": 44,
                    "after_minutes": 20,
                    "tasks_timed": 40,
                },
                "reason": "timed by the pricing team",
            }
        ),
        user_id=world.users["carl"],
    )
    return world


def test_the_value_tab_shows_roi_footprint_and_hints(gw: TestClient, valued: World) -> None:
    world = valued
    drafting, pricing = world.use_cases["drafting"], world.use_cases["pricing"]
    sign_in(gw, "board")
    page = gw.get(VALUE)
    assert page.status_code == 200, page.text
    html = page.text
    assert f'<a href="{VALUE}" aria-current="page">Value and environment</a>' in html
    assert '<option value="30" selected>' in html
    tables = Tables(html).tables
    reports = {r.use_case_id: r for r in world.rt.value.reports(30)}
    roi = tables["Value of the use cases with a value model"]
    declared = row_of(roi, f"UC-{drafting:04d}")
    assert declared[2] == f"{en(reports[drafting].tasks.value, 0)} declared"
    assert declared[3].startswith("30.0 declared Alice")
    assert declared[4:8] == [
        en(reports[drafting].results.hours_freed, 1),
        en(reports[drafting].results.hours_freed_value_eur, 2),
        "50",
        en(reports[drafting].results.savings_realised_eur, 2),
    ]
    assert declared[8:] == [
        en(reports[drafting].costs.total_eur, 2),
        en(reports[drafting].results.net_eur, 2),
        en(reports[drafting].results.roi * 100, 0),  # type: ignore[operator]
        en(reports[drafting].results.payback_months, 1),  # type: ignore[arg-type]
    ]
    measured = row_of(roi, f"UC-{pricing:04d}")
    assert measured[2] == "0 measured"  # no answered call in the last 30 days
    assert measured[3].startswith("24.0 measured Carl")
    assert measured[-1] == "never"  # nothing saved, so the build cost is never repaid

    models = tables["Energy and CO2e by model"]
    big = world.rt.environment.report(Period(days=30))
    by_model = {row.model: row.footprint for row in big.by_model}
    assert row_of(models, "big-eu")[1:4] == [
        "2",
        str(by_model["big-eu"].tokens),
        en(by_model["big-eu"].energy_kwh * 1000, 2),
    ]
    assert row_of(models, "mini-eu")[1] == "1"
    assert [row[0] for row in tables["Energy and CO2e by department"]] == ["R&D"]
    assert cards(html)["calls"] == "3"

    (hint,) = tables["Short calls a smaller model could serve"]
    assert hint[0].startswith(f"UC-{drafting:04d}")
    assert hint[1:5] == ["big-eu", "—", "mini-eu", "2"]
    assert "would have used 2% of the energy" in hint[-1]

    quarter = gw.get(VALUE, params={"days": "90"}).text
    assert '<option value="90" selected>' in quarter
    assert cards(quarter)["calls"] == "7"  # pricing's calls of 40 days ago
    assert cards(quarter)["energy"] == f"{en(8 + big.total.energy_kwh * 1000, 2)} Wh"
    departments = Tables(quarter).tables["Energy and CO2e by department"]
    assert row_of(departments, "Sales")[1:5] == ["4", "120", "8.00", "4.00"]
    assert (
        row_of(
            Tables(quarter).tables["Value of the use cases with a value model"], f"UC-{pricing:04d}"
        )[2]
        == "4 measured"
    )


def test_the_value_tab_in_french(gw: TestClient, valued: World) -> None:
    sign_in(gw, "ref")
    html = gw.get(VALUE, headers=FRENCH).text
    assert '<html lang="fr">' in html
    assert "Valeur et environnement" in html
    roi = Tables(html).tables["Valeur des cas d'usage dotés d'un modèle de valeur"]
    drafting = row_of(roi, f"UC-{valued.use_cases['drafting']:04d}")
    assert drafting[2].endswith("déclaré")
    assert drafting[3].startswith("30,0 déclaré")
    pricing = row_of(roi, f"UC-{valued.use_cases['pricing']:04d}")
    assert pricing[2].endswith("mesuré")
    assert pricing[-1] == "jamais"
    assert "Conseils de sobriété" in html
    (hint,) = Tables(html).tables["Appels courts qu'un modèle plus petit pourrait servir"]
    assert hint[3] == "mini-eu"


def test_who_opens_which_tab(gw: TestClient, world: World, make_user: Callable[..., int]) -> None:
    for path in (QUALITY, VALUE, LICENCES):
        assert gw.get(path, follow_redirects=False).headers["location"].startswith("/sign-in")
    before = len(records(world.rt, "auth.access_denied"))
    sign_in(gw, "alice")  # an employee who owns a use case
    assert QUALITY not in gw.get("/me").text
    for path in (QUALITY, VALUE, LICENCES):
        refused = gw.get(path)
        assert refused.status_code == 403, path
        assert "Access refused" in refused.text
    assert len(records(world.rt, "auth.access_denied")) == before + 3

    gw.cookies.clear()
    make_user("sec", "security_referent")
    sign_in(gw, "sec")
    observatory = gw.get("/observatory").text
    for path in ("/observatory/shadow-ai", QUALITY, LICENCES):
        assert f'<a href="{path}">' in observatory
    assert f'href="{VALUE}"' not in observatory  # value and environment: not theirs
    assert gw.get(VALUE).status_code == 403


# --- licences ------------------------------------------------------------------------------------


@pytest.fixture
def licensed(
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    charter_in_force: CharterView,
) -> date:
    """ChatGPT Enterprise, 5 seats at 50 EUR: alice used hers 10 days ago, bob 75 days ago but
    wrote to the tool 3 days ago, carol 45 days ago, dora (unknown) never; alice sent health
    data to the tool (internal data at most) 5 days ago. Returns today."""
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department")
    rt.directory.create_team(ctx, slug="fin", name="Finance", kind="department")
    make_user("alice", email="alice@helvia.example", team="rd")
    make_user("bob", email="bob@helvia.example", team="fin")
    make_user("carol", email="carol@helvia.example", team="rd")
    for name, role in (("ref", "ai_referent"), ("sec", "security_referent")):
        make_user(name, role)
    make_user("board", "committee_member")
    make_user("aud", "auditor")
    make_user("emp")
    today = datetime.now(UTC).date()
    rt.licences.add_tool(
        ctx,
        ToolIn(
            slug="chatgpt-enterprise",
            name="ChatGPT Enterprise",
            hosting="external_saas",  # type: ignore[arg-type]
            max_data_class="internal",
            seat_price=Decimal(50),
            currency="EUR",
            seats_bought=5,
        ),
    )
    seats = csv_text(
        [
            ["email", "last_active"],
            ["alice@helvia.example", (today - timedelta(days=10)).isoformat()],
            ["bob@helvia.example", (today - timedelta(days=75)).isoformat()],
            ["carol@helvia.example", (today - timedelta(days=45)).isoformat()],
            ["dora@partner.example", ""],
        ]
    )
    rt.licences.import_seats(
        ctx,
        "chatgpt-enterprise",
        seats,
        name="seats.csv",
        format="generic",
        as_of=today - timedelta(days=120),
    )
    noon = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12)
    export = rt.settings.data_dir / "activity.jsonl"
    export.write_text(
        conversation(
            "conv-1",
            "alice@helvia.example",
            (
                "m-1",
                "user",
                noon - timedelta(days=5),
                "Résume le dossier du patient Jean Dupont, diagnostic de diabète.",
            ),
        )
        + "\n"
        + conversation(
            "conv-2",
            "bob@helvia.example",
            ("m-2", "user", noon - timedelta(days=3), "Draft a polite reminder."),
        )
        + "\n"
    )
    rt.licences.import_activity(
        ctx, "chatgpt-enterprise", export, name="activity.jsonl", format="chatgpt_compliance"
    )
    return today


SEATS = "Seats bought, assigned and active, by tool"
RECLAIM = "Seats not used recently, by tool and person"
FINDINGS = "People who sent a tool data above what the charter allows it"
OUTSIDE = "Messages to the tools and charter findings, by tool"


def test_the_licences_tab_shows_seats_reclaim_and_findings(
    client: TestClient, licensed: date
) -> None:
    sign_in(client, "ref")
    page = client.get(LICENCES)
    assert page.status_code == 200, page.text
    html = page.text
    assert f'<a href="{LICENCES}" aria-current="page">Licences</a>' in html
    tables = Tables(html).tables
    (tool,) = tables[SEATS]
    assert tool[0] == "ChatGPT Enterprise 1 seats held by people the directory does not know"
    assert tool[1:] == [
        "5",  # bought
        "4",  # assigned
        "2",  # active in 30 days: alice (vendor), bob (outside)
        "3",  # and carol within 60
        "3",
        "40",
        "250.00 EUR",
        "125.00 EUR",
        "1",
        "50.00 EUR",
        "600.00 EUR",
    ]
    (dora,) = tables[RECLAIM]
    assert dora[0] == "dora@partner.example"
    assert dora[1] == "ChatGPT Enterprise"
    assert (dora[4], dora[5], dora[6]) == ("never", "120", "50.00 EUR")
    (outside,) = tables[OUTSIDE]
    assert outside[1:] == ["internal", "2", "2", "1", "50.0"]
    (finding,) = tables[FINDINGS]
    assert finding[0] == "Alice alice@helvia.example"
    assert finding[1:5] == ["ChatGPT Enterprise", "R&D", "internal", "1"]
    assert "HEALTH" in finding[5]
    assert "Jean Dupont" not in html  # never the text

    french = client.get(LICENCES, headers=FRENCH).text
    assert '<html lang="fr">' in french
    tables = Tables(french).tables
    (tool,) = tables["Sièges achetés, attribués et actifs, par outil"]
    assert tool[7:9] == ["250,00 EUR", "125,00 EUR"]
    (dora,) = tables["Sièges inutilisés récemment, par outil et par personne"]
    assert dora[4] == "jamais"
    assert "Constats de charte par personne" in french


def test_people_only_for_those_who_may_see_them(client: TestClient, licensed: date) -> None:
    sign_in(client, "board")  # aggregates only
    html = client.get(LICENCES).text
    tables = Tables(html).tables
    assert tables[SEATS][0][9] == "1"  # the seat to reclaim is counted
    assert tables[OUTSIDE][0][4] == "1"  # and the charter finding
    assert RECLAIM not in tables
    assert FINDINGS not in tables
    assert "dora@partner.example" not in html
    assert "alice@helvia.example" not in html
    assert "the people are listed only for AI referents, auditors and administrators" in html

    client.cookies.clear()
    sign_in(client, "sec")  # findings by person, not who holds which seat
    tables = Tables(client.get(LICENCES).text).tables
    assert RECLAIM not in tables
    assert tables[FINDINGS][0][0] == "Alice alice@helvia.example"

    client.cookies.clear()
    sign_in(client, "aud")
    tables = Tables(client.get(LICENCES).text).tables
    assert tables[RECLAIM][0][0] == "dora@partner.example"
    assert tables[FINDINGS][0][0] == "Alice alice@helvia.example"

    client.cookies.clear()
    sign_in(client, "emp")
    assert client.get(LICENCES).status_code == 403
