"""Bias tests by counterfactual pairs, through the API and the CLI, on SQLite and PostgreSQL.

The proof: a deliberately biased fake model (its score drops by 2 points for female first
names; or by 2 for North African first names) is flagged on exactly that attribute, and an
unbiased one (its score a function of the neutral case fields only) on none. Also: the
templates and pairs are checked data, an answer the pattern cannot read is counted, a refused
or failed call leaves the run ``incomplete`` with its reason and no verdict, every prompt is a
gateway call in the request log, and only AI referents, the committee and administrators run
tests (auditors read them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import invoke
from tests.gateway_helpers import World, transport_for
from tests.insight_helpers import signed_in
from tests.job_helpers import wait_for_job

from gouvernail.audit.models import AuditRecord
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.bias import pairs
from gouvernail.observatory.bias.models import BiasPrompt
from gouvernail.observatory.bias.schemas import BiasRunIn
from gouvernail.observatory.bias.stats import holm, paired
from gouvernail.observatory.bias.templates import BiasTemplates, Outcome
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

TEMPLATES = BiasTemplates.load()
ORIGINS = TEMPLATES.attributes.origin.values
FEMALE = {name for by_gender in ORIGINS.values() for name in by_gender["female"]}
NORTH_AFRICAN = {name for names in ORIGINS["north_african"].values() for name in names}
CANDIDATE = re.compile(r"Candidate: (\w+), (\d+) years old")
YEARS = re.compile(r"(\d+) years of experience")


def fair_score(text: str) -> int:
    """What the candidate's experience is worth, and nothing else (4 to 8)."""
    found = YEARS.search(text)
    return 3 + int(found.group(1)) // 3 if found else 5


def unbiased(text: str) -> str:
    return f"Score: {fair_score(text)}"


def against(names: set[str], points: int = 2) -> Callable[[str], str]:
    """A model whose score drops by ``points`` when the candidate's first name is in ``names``."""

    def answer(text: str) -> str:
        found = CANDIDATE.search(text)
        drop = points if found and found.group(1) in names else 0
        return f"Score: {fair_score(text) - drop}"

    return answer


def run(gw: TestClient, user: str, use_case: int, **fields: Any) -> Any:
    """Ask for a run; once accepted (202, a job), wait for the job and answer the run."""
    body = {"template": "cv-screening-en", "model": "gpt-eu", "use_case_id": use_case} | fields
    headers = signed_in(gw, user)
    response = gw.post("/api/v1/bias/runs", json=body, headers=headers)
    if response.status_code != 202:
        return response
    job = wait_for_job(gw, headers, response.json()["id"])
    assert (job["kind"], job["status"]) == ("bias.run", "succeeded"), job
    return gw.get(f"/api/v1/bias/runs/{job['parameters']['run_id']}", headers=headers)


@pytest.fixture
def referent(world: World, compliant_user: Callable[..., None]) -> str:
    """The world's AI referent, having accepted the charter and done the training (the gateway
    admits the calls made for them)."""
    compliant_user(world.users["ref"])
    return "ref"


def verdicts(view: dict[str, Any]) -> dict[str, str]:
    return {a["attribute"]: a["verdict"] for a in view["report"]["attributes"]}


def comparison(view: dict[str, Any], attribute: str, value: str) -> dict[str, Any]:
    for a in view["report"]["attributes"]:
        for c in a["comparisons"]:
            if (c["attribute"], c["value"]) == (attribute, value):
                return dict(c)
    raise AssertionError(f"no comparison {attribute}:{value}")


# --- templates, pairs and statistics ------------------------------------------------------------


def test_shipped_templates_cover_cv_screening_and_triage_in_two_languages() -> None:
    shipped = {(t.id, t.language, tuple(t.vary)) for t in TEMPLATES.templates}
    assert shipped == {
        ("cv-screening-en", "en", ("gender", "origin", "age")),
        ("cv-screening-fr", "fr", ("gender", "origin", "age")),
        ("patient-triage-en", "en", ("gender", "origin")),  # age is clinical: a neutral field
        ("patient-triage-fr", "fr", ("gender", "origin")),
    }
    assert TEMPLATES.attributes.origin.reference == "french"
    assert len(ORIGINS) >= 6


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        TEMPLATES.get("cv-screening-en").model_dump_json()  # one template, as a company writes it
    )
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt": "Candidate {first_name}, {hobby}"}, "nothing fills the placeholders"),
        ({"prompt": "A candidate aged {age}."}, "must name the person"),
        ({"outcome": {"shape": "N", "pattern": r"\d+", "min": 1, "max": 10, "threshold": 1}},
         "needs a group"),
        ({"outcome": {"shape": "N", "pattern": r"(\d+)", "min": 5, "max": 1, "threshold": 1}},
         "min must be below max"),
        ({"fields": {"first_name": ["Bob"]}}, "would hide"),
        ({"id": "cv-screening-en"}, "used twice"),
        ({"vary": ["age", "age"]}, "listed twice"),
        ({"language": "de"}, "no words in 'de'"),
    ],
)  # fmt: skip
def test_a_company_template_is_checked(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    extra = _shipped() | {"id": "our-screening"} | change
    (tmp_path / "bias_templates.yaml").write_text(
        yaml.safe_dump({"templates": [extra]}, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=message):
        BiasTemplates.load(tmp_path)


def test_a_company_adds_templates_in_its_data_directory(tmp_path: Path) -> None:
    extra = _shipped() | {"id": "our-screening", "title": "Ours"}
    (tmp_path / "bias_templates.yaml").write_text(
        yaml.safe_dump({"version": "acme-1", "templates": [extra]}), encoding="utf-8"
    )
    loaded = BiasTemplates.load(tmp_path)
    assert loaded.get("our-screening").title == "Ours"
    assert loaded.version == "bias-templates-2026.1+acme-1"
    assert [t.id for t in BiasTemplates.load(tmp_path / "nowhere").templates] == [
        t.id for t in TEMPLATES.templates
    ]


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("Score: 7", 7.0),
        ("score = 6.5", 6.5),
        ("SCORE 3\nbecause...", 3.0),
        ("Score: 11", None),  # outside 1-10
        ("I will not rate candidates on their names.", None),
        ("7", None),  # not the shape asked for
    ],
)
def test_outcomes_are_read_with_the_templates_pattern(answer: str, outcome: float | None) -> None:
    read = TEMPLATES.get("cv-screening-en").outcome
    assert isinstance(read, Outcome)
    assert read.read(answer) == outcome
    assert TEMPLATES.get("patient-triage-fr").outcome.read("Urgence : 4") == 4.0


def test_pairs_differ_in_one_attribute_only_and_are_reproducible() -> None:
    template = TEMPLATES.get("cv-screening-en")
    prompts = pairs.build(template, TEMPLATES.attributes, 12, seed=3)
    assert len(prompts) == 12 * 8  # base + 1 gender + 5 origins + 1 age, per case
    assert prompts == pairs.build(template, TEMPLATES.attributes, 12, seed=3)
    assert prompts != pairs.build(template, TEMPLATES.attributes, 12, seed=4)
    by_case: dict[int, dict[pairs.Profile, pairs.Prompt]] = {}
    for p in prompts:
        by_case.setdefault(p.case, {})[p.profile] = p
    genders = {p.profile.gender for p in prompts if p.attribute is None}
    assert genders == {"female", "male"}  # origin and age are tested on women and men alike
    for p in prompts:
        if p.attribute is None:
            continue
        base = next(b for b in by_case[p.case].values() if b.attribute is None).profile
        reference_value = TEMPLATES.attributes.reference(p.attribute)
        reference = by_case[p.case][base.set(p.attribute, reference_value)]
        if p.attribute == "age":  # the same person, another age
            assert p.first_name == reference.first_name
            assert p.text.replace("58 years", "28 years") == reference.text
        elif p.attribute == "origin":  # another first name of the same gender, nothing else
            assert p.first_name in ORIGINS[p.value or ""][base.gender]
            assert p.text.replace(p.first_name, reference.first_name) == reference.text
        else:  # another gender: first name of the same origin, pronoun
            female = by_case[p.case][base.set("gender", "female")]
            male = by_case[p.case][base.set("gender", "male")]
            assert female.first_name in ORIGINS["french"]["female"]
            assert male.first_name in ORIGINS["french"]["male"]
            swapped = female.text.replace(female.first_name, male.first_name).replace(
                "She has", "He has"
            )
            assert swapped == male.text


def test_paired_statistics_and_holm_correction() -> None:
    same = paired([5.0] * 20, [5.0] * 20)
    assert (same.mean_difference, same.p_value, same.ci_low, same.ci_high) == (0, 1.0, 0, 0)
    lower = paired([6.0] * 20, [4.0] * 20)
    assert lower.mean_difference == -2.0
    assert lower.p_value < 1e-4
    noisy = paired([5, 6, 7, 5, 6], [6, 5, 7, 6, 5])
    assert noisy.p_value > 0.5
    assert noisy.ci_low is not None
    assert noisy.ci_low < 0 < (noisy.ci_high or 0)
    assert paired([], []).p_value == 1.0
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


# --- runs through the gateway -------------------------------------------------------------------


def test_a_model_biased_against_women_is_flagged_on_gender_only(
    gw: TestClient, world: World, referent: str
) -> None:
    world.openai.answer_text = against(FEMALE)  # type: ignore[method-assign]
    drafting = world.use_cases["drafting"]
    response = run(gw, referent, drafting, cases=20, seed=1)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "complete", view["reason"]
    assert verdicts(view) == {"gender": "flagged", "origin": "not_flagged", "age": "not_flagged"}
    gender = comparison(view, "gender", "female")
    assert (gender["pairs"], gender["mean_difference"], gender["flagged"]) == (20, -2.0, True)
    assert gender["p_adjusted"] < 0.05
    assert gender["explanation"].startswith("female vs male: -2.00 points")
    assert view["report"]["prompts"] == {"answered": 160}
    assert view["report"]["answered_by"] == {"gpt-eu": 160}

    # every prompt was a gateway call made for the referent on the use case, at temperature 0
    with world.rt.database.read() as session:
        calls = session.execute(
            select(RequestLog.user_id, RequestLog.use_case_id, func.count())
            .where(RequestLog.request_id.like(f"bias-{view['id']}.%"))
            .group_by(RequestLog.user_id, RequestLog.use_case_id)
        ).all()
        records = {
            r.action: json.loads(r.new_values)
            for r in session.scalars(select(AuditRecord).where(AuditRecord.action.like("bias.%")))
        }
    assert calls == [(world.users["ref"], drafting, 160)]
    sent = world.openai.requests[-1].json
    assert sent["temperature"] == 0
    assert sent["messages"][0]["role"] == "system"
    assert records["bias.run_started"]["prompts"] == 160
    assert "gender:female" in records["bias.run_started"]["comparisons"]
    assert records["bias.run_finished"]["verdicts"] == verdicts(view)
    assert [f["comparison"] for f in records["bias.run_finished"]["flagged"]] == ["gender:female"]

    detail = gw.get(
        f"/api/v1/bias/runs/{view['id']}", params={"prompts": "true"}, headers=signed_in(gw, "ref")
    ).json()
    rows = detail["prompt_rows"]
    assert len(rows) == 160
    assert {r["request_id"].split(".")[0] for r in rows} == {f"bias-{view['id']}"}
    females = [r for r in rows if r["profile"]["gender"] == "female"]
    assert all(r["first_name"] in FEMALE for r in females)
    listed = gw.get("/api/v1/bias/runs", headers=signed_in(gw, "ref")).json()
    assert listed[0]["id"] == view["id"]
    assert listed[0]["verdicts"]["gender"] == "flagged"


def test_a_model_biased_against_one_origin_is_flagged_on_that_origin_only(
    gw: TestClient, world: World, referent: str
) -> None:
    world.openai.answer_text = against(NORTH_AFRICAN)  # type: ignore[method-assign]
    view = run(gw, referent, world.use_cases["drafting"], cases=16).json()
    assert view["status"] == "complete", view["reason"]
    assert verdicts(view) == {"gender": "not_flagged", "origin": "flagged", "age": "not_flagged"}
    flagged = [
        c["value"] for a in view["report"]["attributes"] for c in a["comparisons"] if c["flagged"]
    ]
    assert flagged == ["north_african"]
    assert comparison(view, "origin", "west_african")["mean_difference"] == 0


def test_an_unbiased_model_is_flagged_on_nothing(
    gw: TestClient, world: World, referent: str
) -> None:
    world.openai.answer_text = unbiased  # type: ignore[method-assign]
    view = run(gw, referent, world.use_cases["drafting"], cases=20, seed=1).json()
    assert view["status"] == "complete", view["reason"]
    assert set(verdicts(view).values()) == {"not_flagged"}
    for a in view["report"]["attributes"]:
        for c in a["comparisons"]:
            assert (c["pairs"], c["mean_difference"], c["p_value"]) == (20, 0, 1.0)
    assert view["report"]["notes"] == []


def test_unreadable_answers_are_counted_not_dropped(
    gw: TestClient, world: World, referent: str
) -> None:
    def shy(text: str) -> str:
        return "I prefer not to rate people." if "15 years of" in text else unbiased(text)

    world.openai.answer_text = shy  # type: ignore[method-assign]
    view = run(gw, referent, world.use_cases["drafting"], cases=12).json()
    assert view["status"] == "complete"
    detail = gw.get(
        f"/api/v1/bias/runs/{view['id']}?prompts=true", headers=signed_in(gw, "ref")
    ).json()
    unreadable = [r for r in detail["prompt_rows"] if r["status"] == "unparsable"]
    assert unreadable
    assert all(r["answer"] == "I prefer not to rate people." for r in unreadable)
    assert view["report"]["prompts"]["unparsable"] == len(unreadable)
    cases = len({r["case"] for r in unreadable})
    assert comparison(view, "age", "older")["excluded"] == {"unparsable": cases}
    assert comparison(view, "age", "older")["pairs"] == 12 - cases
    assert any("could not be read" in note for note in view["report"]["notes"])


def test_an_interrupted_run_resumes_where_it_stopped(
    gw: TestClient, world: World, referent: str
) -> None:
    """A run stopped midway (its job cancelled, its worker stopping) is ``incomplete`` with
    why; executed again (the job's next attempt) it sends only the prompts not sent yet."""
    world.openai.answer_text = against(FEMALE)  # type: ignore[method-assign]
    rt, ref = world.rt, world.users["ref"]
    body = BiasRunIn(
        template="cv-screening-en",
        model="gpt-eu",
        use_case_id=world.use_cases["drafting"],
        cases=10,
    )
    started = rt.bias.start(world.ctx, body, user_id=ref)
    assert started.status.value == "running"

    def stop_after_two_cases(sent: int, total: int) -> None:
        if sent >= 16:
            raise RuntimeError(f"stopped after {sent} of {total}")

    assert gw.portal is not None  # the app's event loop, where the gateway lives
    with pytest.raises(RuntimeError):
        gw.portal.call(
            partial(
                rt.bias.execute, world.ctx, started.id, user_id=ref, progress=stop_after_two_cases
            )
        )
    stopped = rt.bias.get(started.id)
    assert stopped.status.value == "incomplete"
    assert stopped.reason == "interrupted by RuntimeError: stopped after 16 of 80"
    asked = len(world.openai.requests)
    assert asked == 16

    resumed = gw.portal.call(partial(rt.bias.execute, world.ctx, started.id, user_id=ref))
    assert resumed.status.value == "complete", resumed.reason
    assert len(world.openai.requests) == 80  # the 16 sent were not sent again
    with rt.database.read() as session:
        stored = session.scalar(
            select(func.count()).select_from(BiasPrompt).where(BiasPrompt.run_id == started.id)
        )
    assert stored == 80
    assert verdicts(resumed.model_dump(mode="json"))["gender"] == "flagged"
    again = gw.portal.call(partial(rt.bias.execute, world.ctx, started.id, user_id=ref))
    assert again.status.value == "complete"
    assert len(world.openai.requests) == 80  # an ended run is returned as it is


def test_a_refused_call_leaves_the_run_incomplete(
    gw: TestClient, world: World, referent: str
) -> None:
    world.openai.answer_text = unbiased  # type: ignore[method-assign]
    idea = world.use_case("screening", "alice", status="idea")  # not live: no gateway call
    view = run(gw, referent, idea, cases=10).json()
    assert view["status"] == "incomplete"
    assert "refused: use_case_not_live" in view["reason"]
    assert set(verdicts(view).values()) == {"incomplete"}
    assert view["report"]["prompts"] == {"not_asked": 72, "refused": 8}
    with world.rt.database.read() as session:
        finished = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "bias.run_finished")
        ).one()
    assert json.loads(finished.new_values)["status"] == "incomplete"
    assert "use_case_not_live" in finished.reason


def test_a_provider_failing_midway_leaves_the_run_incomplete(
    gw: TestClient, world: World, referent: str
) -> None:
    answered = 0

    def failing_after_two_cases(text: str) -> str:
        nonlocal answered
        answered += 1
        if answered == 16:  # the provider and its fallback go down
            world.openai.fail(*[503] * 200)
            world.anthropic.fail(*[503] * 200)
        return unbiased(text)

    world.openai.answer_text = failing_after_two_cases  # type: ignore[method-assign]
    view = run(gw, referent, world.use_cases["drafting"], cases=10).json()
    assert view["status"] == "incomplete"
    assert " failed: " in view["reason"]
    assert view["report"]["prompts"]["answered"] == 16
    assert view["report"]["prompts"]["failed"] == 8
    gender = next(a for a in view["report"]["attributes"] if a["attribute"] == "gender")
    assert gender["verdict"] == "incomplete"
    assert gender["comparisons"][0]["pairs"] == 2  # partial figures, shown as such
    assert "no verdict" in gender["explanation"]


def test_who_may_run_and_read_bias_tests(
    gw: TestClient, world: World, referent: str, make_user: Callable[..., int]
) -> None:
    drafting = world.use_cases["drafting"]
    assert run(gw, "bob", drafting).status_code == 403  # an employee
    assert gw.get("/api/v1/bias/runs", headers=signed_in(gw, "bob")).status_code == 403
    make_user("aud", "auditor")
    assert run(gw, "aud", drafting).status_code == 403
    assert gw.get("/api/v1/bias/runs", headers=signed_in(gw, "aud")).status_code == 200
    templates = gw.get("/api/v1/bias/templates", headers=signed_in(gw, "aud"))
    assert templates.status_code == 200
    cv = next(t for t in templates.json() if t["id"] == "cv-screening-fr")
    assert (cv["min"], cv["max"], cv["threshold"]) == (1, 10, 0.5)
    assert {a["name"]: a["reference"] for a in cv["attributes"]} == {
        "gender": "male",
        "origin": "french",
        "age": "young",
    }
    assert run(gw, referent, drafting, template="horoscope").status_code == 404
    assert run(gw, referent, 99999).status_code == 404
    assert run(gw, referent, drafting, cases=500).status_code == 422
    assert gw.get("/api/v1/bias/runs/424242", headers=signed_in(gw, "aud")).status_code == 404


def test_the_cli_runs_a_test_and_prints_the_verdicts(
    cli_env: Settings, world: World, referent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_gateway = Runtime.build_gateway
    monkeypatch.setattr(  # the console's own runtime reaches the same fake providers
        Runtime,
        "build_gateway",
        lambda self, transport=None: build_gateway(self, transport or transport_for(world)),
    )
    world.openai.answer_text = against(FEMALE)  # type: ignore[method-assign]
    drafting = str(world.use_cases["drafting"])
    code, output = invoke(
        "bias", "run", "cv-screening-en", "--model", "gpt-eu", "--use-case", drafting,
        "--as", "ref", "--cases", "12",
    )  # fmt: skip
    assert code == 0, output
    assert "complete" in output
    assert re.search(r"^gender\s+FLAGGED$", output, re.M), output
    assert re.search(r"^origin\s+not flagged$", output, re.M), output
    assert "female vs male: -2.00 points" in output
    run_id = re.search(r"^run (\d+):", output, re.M)
    assert run_id is not None

    code, output = invoke("bias", "runs", "--json")  # tables wrap with the console's width
    assert code == 0
    assert [r["verdicts"]["gender"] for r in json.loads(output)] == ["flagged"]
    code, output = invoke("bias", "show", run_id.group(1), "--json")
    assert json.loads(output)["verdicts"]["gender"] == "flagged"
    code, output = invoke("bias", "templates")
    assert "patient-triage-fr" in output
    code, output = invoke(
        "bias", "run", "cv-screening-en", "--model", "gpt-eu", "--use-case", drafting,
        "--as", "bob",
    )  # fmt: skip
    assert code == 1
    assert "bob may not run bias tests" in output


def test_triage_prompts_stay_inside_and_the_report_says_which_model_answered(
    gw: TestClient, world: World, referent: str
) -> None:
    """Symptoms and vital signs are health data: the gateway reroutes them to the self-hosted
    model, so a triage test of gpt-eu is a test of the model that really answered."""
    world.add_self_hosted()

    def by_heart_rate(text: str) -> str:
        found = re.search(r"fréquence cardiaque (\d+)", text)
        return f"Urgence : {1 + ['72', '88', '104', '118'].index(found.group(1)) if found else 3}"

    world.vllm.answer_text = by_heart_rate  # type: ignore[method-assign]
    view = run(gw, referent, world.use_cases["drafting"], template="patient-triage-fr", cases=8)
    report = view.json()["report"]
    assert view.json()["status"] == "complete"
    assert report["answered_by"] == {"llama-onprem": 56}
    assert any("instead of gpt-eu" in note for note in report["notes"])
    assert {a["attribute"]: a["verdict"] for a in report["attributes"]} == {
        "gender": "not_flagged",
        "origin": "not_flagged",
    }
    assert all(c["pairs"] == 8 for a in report["attributes"] for c in a["comparisons"])
