"""Evaluation suites through the API and the CLI, on SQLite and PostgreSQL, with the fake
providers at the HTTP boundary.

The proof: a model that adds correctly passes every case, a careless one (wrong whenever the
first number is odd) regresses on exactly those cases, and the gate refuses it, as a model and
as a prompt version (through the registry's promotion, baseline read from its labels). A run
whose provider fails midway is ``incomplete``; executed again it scores only what is missing,
with no case scored twice. A judge's unreadable verdict is an error, never a pass.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import invoke
from tests.gateway_helpers import World, transport_for
from tests.insight_helpers import signed_in
from tests.job_helpers import wait_for_job

from gouvernail.audit.models import AuditRecord
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.evaluations.models import EvalResult
from gouvernail.registry.prompts import LabelIn, PromotionRefusedError, PromptIn, Prompts
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

ADD = re.compile(r"Add (\d+) and (\d+)")
CASES = 8


def right(text: str) -> str:
    found = ADD.search(text)
    return str(int(found.group(1)) + int(found.group(2))) if found else "?"


def careless(text: str) -> str:
    """Wrong by one whenever the first number is odd (cases 1, 3, 5 and 7)."""
    found = ADD.search(text)
    if found is None:
        return "?"
    first, second = int(found.group(1)), int(found.group(2))
    return str(first + second + first % 2)


def dataset(cases: int = CASES) -> str:
    return "\n".join(
        json.dumps(
            {
                "id": f"add-{a}",
                "prompt": "Add {{a}} and {{b}}. Answer with the number only.",
                "vars": {"a": a, "b": 10},
                "asserts": [
                    {"type": "numeric", "value": a + 10},
                    {"type": "regex", "value": r"^\d+$"},
                ],
            }
        )
        for a in range(1, cases + 1)
    )


def session(gw: TestClient, user: str) -> dict[str, str]:
    """One sign-in per user and client (sign-ins are rate-limited)."""
    sessions: dict[str, dict[str, str]] = gw.__dict__.setdefault("evaluation_sessions", {})
    if user not in sessions:
        sessions[user] = signed_in(gw, user)
    return sessions[user]


def post(gw: TestClient, user: str, path: str, body: dict[str, Any]) -> Any:
    return gw.post(f"/api/v1/evaluations{path}", json=body, headers=session(gw, user))


def get(gw: TestClient, user: str, path: str, **params: Any) -> Any:
    return gw.get(f"/api/v1/evaluations{path}", params=params, headers=session(gw, user))


def import_suite(gw: TestClient, user: str, use_case: int, content: str, **fields: Any) -> Any:
    body = {"use_case_id": use_case, "name": "additions", "format": "jsonl", "content": content}
    return post(gw, user, "/suites", body | fields)


def executed(gw: TestClient, user: str, response: Any) -> dict[str, Any]:
    """A run's execution queued as a job (202): wait for the job, then read the run."""
    assert response.status_code == 202, response.text
    job = wait_for_job(gw, session(gw, user), response.json()["id"])
    assert (job["kind"], job["status"]) == ("evaluation.run", "succeeded"), job
    view: dict[str, Any] = get(gw, user, f"/runs/{job['parameters']['run_id']}").json()
    return view


def run(gw: TestClient, user: str, suite: int, model: str, **fields: Any) -> dict[str, Any]:
    return executed(gw, user, post(gw, user, "/runs", {"suite_id": suite, "model": model} | fields))


def audited(world: World, action: str) -> list[dict[str, Any]]:
    with world.rt.database.read() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
        ).all()
        return [{"new": json.loads(r.new_values), "reason": r.reason} for r in rows]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Retries without waiting, and a provider's breaker closing again after 0.1 s (the
    failure test brings the provider back)."""
    return make_settings(gateway={"backoff_base": 0, "breaker_cooldown": 0.1})


@pytest.fixture
def suite(gw: TestClient, world: World) -> int:
    """The additions suite of the drafting use case, imported by the AI referent."""
    response = import_suite(gw, "ref", world.use_cases["drafting"], dataset(), source="add.jsonl")
    assert response.status_code == 201, response.text
    suite_id: int = response.json()["suite_id"]
    return suite_id


@pytest.fixture
def referent(world: World, compliant_user: Callable[..., None]) -> str:
    """The AI referent, compliant (the gateway admits the calls made for them)."""
    compliant_user(world.users["ref"])
    return "ref"


# --- suites ---------------------------------------------------------------------------------------


def test_a_suite_is_versioned_by_its_content(gw: TestClient, world: World) -> None:
    drafting = world.use_cases["drafting"]
    first = import_suite(gw, "ref", drafting, dataset(), source="add.jsonl").json()
    assert (first["version"], first["cases"], first["unchanged"]) == (1, CASES, False)
    assert first["scorers"] == ["numeric", "regex"]
    again = import_suite(gw, "ref", drafting, dataset() + "\n\n").json()
    assert (again["version"], again["unchanged"], again["sha256"]) == (1, True, first["sha256"])
    changed = import_suite(gw, "ref", drafting, dataset(CASES + 1)).json()
    assert (changed["version"], changed["cases"]) == (2, CASES + 1)
    assert changed["sha256"] != first["sha256"]

    listed = get(gw, "ref", "/suites", use_case_id=drafting).json()
    assert [(v["version"], v["cases"]) for v in listed[0]["versions"]] == [(2, 9), (1, 8)]
    cases = get(gw, "ref", f"/suites/{first['suite_id']}/versions/1").json()["case_rows"]
    assert cases[0]["messages"] == [
        {"role": "user", "content": "Add 1 and 10. Answer with the number only."}
    ]
    records = audited(world, "evaluation.suite_imported")
    assert [(r["new"]["sha256"], r["new"]["cases"]) for r in records] == [
        (first["sha256"], 8),
        (changed["sha256"], 9),
    ]  # the unchanged import recorded nothing

    promptfoo = (
        "prompts: ['Add {{a}} and {{b}}.']\n"
        "tests:\n  - vars: {a: 1, b: 2}\n    assert: [{type: equals, value: '3'}]\n"
    )
    imported = import_suite(gw, "ref", drafting, promptfoo, name="pf", format="yaml")
    assert imported.status_code == 201, imported.text
    assert (imported.json()["format"], imported.json()["scorers"]) == ("promptfoo", ["exact"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"prompt": "Hi", "expected": "x"}\n{"prompt": "Yo"}\n', "case 2, line 2: no assertion"),
        ("not json\n", "line 1: invalid JSON"),
        ('{"prompt": "Hi", "asserts": [{"type": "javascript", "value": "1"}]}\n',
         "unknown type 'javascript'"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_whole(
    gw: TestClient, world: World, content: str, message: str
) -> None:
    response = import_suite(gw, "ref", world.use_cases["drafting"], content)
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    assert get(gw, "ref", "/suites").json() == []  # nothing half-written


def test_a_file_over_the_size_limit_is_refused(rt: Runtime) -> None:
    with pytest.raises(Exception, match=r"larger than 5 MB \(evaluations.max_file_mb\)"):
        rt.evaluations.parse("x" * (5 * 1024 * 1024 + 1), "jsonl")


# --- runs, comparisons and the model gate ---------------------------------------------------------


def test_a_correct_model_passes_a_careless_one_regresses_and_the_gate_refuses_it(
    gw: TestClient, world: World, referent: str, suite: int
) -> None:
    world.openai.answer_text = right  # type: ignore[method-assign]
    world.anthropic.answer_text = careless  # type: ignore[method-assign]
    drafting = world.use_cases["drafting"]
    good = run(gw, referent, suite, "gpt-eu")
    assert good["status"] == "complete", good["reason"]
    summary = good["summary"]
    assert (summary["passed"], summary["failed"], summary["pass_rate"]) == (8, 0, 1.0)
    assert summary["by_scorer"]["numeric"]["pass_rate"] == 1.0
    assert summary["answered_by"] == {"gpt-eu": 8}
    assert summary["prompt_tokens"] > 0
    assert summary["completion_tokens"] == 8
    assert summary["latency_ms_mean"] > 0

    bad = run(gw, referent, suite, "claude-eu")
    assert bad["status"] == "complete"
    assert (bad["summary"]["passed"], bad["summary"]["failed"]) == (4, 4)
    assert bad["summary"]["by_scorer"]["regex"]["pass_rate"] == 1.0  # still a number
    detail = get(gw, referent, f"/runs/{bad['id']}", results="true").json()["results"]
    failed = [r["case_id"] for r in detail if r["status"] == "fail"]
    assert failed == ["add-1", "add-3", "add-5", "add-7"]
    assert detail[0]["assertions"][0]["detail"] == "read 12, expected 11 ± 0"

    # every case was a gateway call made for the referent on the use case
    with world.rt.database.read() as session:
        calls = session.execute(
            select(RequestLog.user_id, RequestLog.use_case_id, RequestLog.model, func.count())
            .where(RequestLog.request_id.like(f"eval-{bad['id']}.%"))
            .group_by(RequestLog.user_id, RequestLog.use_case_id, RequestLog.model)
        ).all()
    assert calls == [(world.users["ref"], drafting, "claude-eu", 8)]

    comparison = get(gw, referent, "/compare", base=good["id"], candidate=bad["id"]).json()
    assert [c["case_id"] for c in comparison["regressed"]] == failed
    assert (comparison["fixed"], comparison["unchanged"]) == ([], 4)
    assert comparison["difference_points"] == -50.0
    assert comparison["p_value"] == pytest.approx(0.125)  # 4 of 4 discordant pairs
    assert comparison["regression"] is True
    reverse = get(gw, referent, "/compare", base=bad["id"], candidate=good["id"]).json()
    assert (len(reverse["fixed"]), reverse["regression"]) == (4, False)

    gate = {"use_case_id": drafting, "model": "claude-eu", "baseline_model": "gpt-eu"}
    refused = post(gw, referent, "/gate", gate).json()
    assert refused["allowed"] is False
    assert refused["reason"].startswith(
        f"model claude-eu regresses on suite {suite} 'additions' version 1 "
        f"(runs {good['id']} -> {bad['id']}): pass rate 100.0 % -> 50.0 % (-50.0 points)"
    )
    allowed = post(gw, referent, "/gate", gate | {"model": "gpt-eu", "baseline_model": "claude-eu"})
    assert allowed.json() == {"allowed": True, "reason": ""}
    unknown = post(gw, referent, "/gate", gate | {"model": "mistral-eu"}).json()
    assert "model mistral-eu has no evaluation run" in unknown["reason"]
    assert world.rt.evaluations.gate_model(drafting, "claude-eu", "gpt-eu") == refused["reason"]
    recorded = audited(world, "evaluation.gate_refused")
    assert [r["new"]["model"] for r in recorded] == ["claude-eu", "mistral-eu"]  # API only
    assert recorded[0]["new"]["regressed"] == 4
    finished = audited(world, "evaluation.run_finished")
    assert [(r["new"]["status"], r["new"]["pass_rate"]) for r in finished] == [
        ("complete", 1.0),
        ("complete", 0.5),
    ]


def test_the_prompt_gate_guards_the_registrys_promotion(
    gw: TestClient, world: World, referent: str, suite: int
) -> None:
    def by_system_prompt(text: str) -> str:
        system = world.openai.requests[-1].json["messages"][0]["content"]
        return careless(text) if "careless" in system else right(text)

    world.openai.answer_text = by_system_prompt  # type: ignore[method-assign]
    rt, ctx, alice = world.rt, world.ctx, world.users["alice"]
    drafting = world.use_cases["drafting"]
    v1, v2, v3 = (
        rt.prompts.save(ctx, drafting, alice, PromptIn(text=text))
        for text in ("You add numbers for {{b}}-unit batches.", "You add numbers, careless.",
                     "You add numbers, third draft.")
    )  # fmt: skip
    prompts = Prompts(rt.database, rt.trail, gate=rt.evaluations.gate)

    def promote(version: int) -> None:
        prompts.move_label(
            ctx, drafting, "system", "production", LabelIn(version=version, reason="evaluated"),
            user_id=alice,
        )  # fmt: skip

    with pytest.raises(PromotionRefusedError, match="has no evaluation run"):
        promote(1)
    first = run(gw, referent, suite, "gpt-eu", prompt_version_id=v1.id)
    assert first["prompt_version"] == "system v1"
    sent = world.openai.requests[-1].json["messages"]
    assert sent[0] == {"role": "system", "content": "You add numbers for 10-unit batches."}
    assert first["summary"]["pass_rate"] == 1.0
    promote(1)  # nothing in production yet: a complete run suffices

    second = run(gw, referent, suite, "gpt-eu", prompt_version_id=v2.id)
    assert second["summary"]["pass_rate"] == 0.5
    with pytest.raises(PromotionRefusedError, match=r"regresses on suite .*\(-50\.0 points\)"):
        promote(2)  # the baseline is the version labelled production
    reason = rt.evaluations.gate(drafting, v2.id)
    assert reason is not None
    assert reason.startswith(f"prompt version {v2.id} (system v2) regresses")
    assert rt.evaluations.gate(drafting, v1.id) is None  # it is the one in production
    assert rt.evaluations.gate(drafting, v1.id, baseline_version_id=v2.id) is None
    missing = rt.evaluations.gate(drafting, v3.id)
    assert missing is not None
    assert "has no evaluation run" in missing
    assert f"--prompt-version {v3.id}" in missing
    other = world.use_case("screening", "bob")
    assert (
        rt.evaluations.gate(other, v1.id)
        == f"prompt version {v1.id} is not a prompt of use case {other}"
    )
    on_claude = run(gw, referent, suite, "claude-eu", prompt_version_id=v3.id)
    assert on_claude["status"] == "complete"
    no_baseline = rt.evaluations.gate(drafting, v3.id)
    assert no_baseline is not None
    assert "no complete run of the production prompt version" in no_baseline
    assert f"--model claude-eu --prompt-version {v1.id}" in no_baseline

    wrong = post(gw, referent, "/runs", {"suite_id": suite, "model": "gpt-eu",
                                         "prompt_version_id": 99999})  # fmt: skip
    assert wrong.status_code == 422
    assert "is not a prompt of use case" in wrong.json()["error"]["message"]


# --- interrupted runs -----------------------------------------------------------------------------


def test_a_run_whose_provider_fails_midway_is_incomplete_then_resumes_only_what_is_missing(
    gw: TestClient, world: World, referent: str, suite: int
) -> None:
    answered: list[str] = []

    def failing_after_five(text: str) -> str:
        answered.append(text)
        if len(answered) == 5:  # the provider and its fallback go down
            world.openai.fail(*[503] * 100)
            world.anthropic.fail(*[503] * 100)
        return right(text)

    world.openai.answer_text = failing_after_five  # type: ignore[method-assign]
    view = run(gw, referent, suite, "gpt-eu")
    assert view["status"] == "incomplete"
    assert " failed: " in view["reason"]
    summary = view["summary"]
    assert summary["passed"] == 5
    assert summary["errors"] >= 1  # the cases whose call failed
    assert summary["errors"] + summary["missing"] == CASES - 5  # and those not asked
    assert summary["pass_rate"] == 1.0  # of the scored cases, shown as partial

    world.openai.failures.clear()
    world.anthropic.failures.clear()
    time.sleep(0.2)  # the providers' breakers close again
    resumed = executed(gw, referent, post(gw, referent, f"/runs/{view['id']}/execute", {}))
    assert resumed["status"] == "complete", resumed["reason"]
    assert resumed["executions"] == 2
    assert resumed["summary"]["passed"] == CASES
    assert len(answered) == CASES  # the five answered cases were not asked again
    with world.rt.database.read() as session:
        rows = session.execute(
            select(EvalResult.case_index, EvalResult.attempts).where(
                EvalResult.run_id == view["id"]
            )
        ).all()
    indexes = sorted(index for index, _ in rows)
    assert indexes == list(range(CASES))  # one row per case, no duplicate
    assert sorted(attempts for _, attempts in rows).count(2) == summary["errors"]

    again = executed(gw, referent, post(gw, referent, f"/runs/{view['id']}/execute", {}))
    assert (again["status"], again["executions"], len(answered)) == ("complete", 2, CASES)
    started = audited(world, "evaluation.run_started")
    assert [(r["new"]["resumed"], r["new"]["to_score"]) for r in started] == [
        (False, CASES),
        (True, CASES - 5),
    ]
    finished = audited(world, "evaluation.run_finished")
    assert [r["new"]["incomplete"] for r in finished] == [True, False]
    assert " failed: " in finished[0]["reason"]


def test_an_interrupted_execution_is_never_left_running_and_resumes(
    gw: TestClient, world: World, referent: str, suite: int
) -> None:
    world.openai.answer_text = right  # type: ignore[method-assign]
    rt, ctx, ref = world.rt, world.ctx, world.users["ref"]
    body = {"suite_id": suite, "model": "gpt-eu"}
    from gouvernail.observatory.evaluations.schemas import RunIn

    created = rt.evaluations.create_run(ctx, RunIn.model_validate(body), user_id=ref)
    assert (created.status.value, created.summary.missing) == ("queued", CASES)

    class StopError(Exception):
        pass

    def stop_after_first_batch(done: int, total: int) -> None:
        raise StopError(f"job cancelled after {done} of {total}")

    async def execute() -> Any:
        return await rt.evaluations.execute(
            ctx, created.id, user_id=ref, progress=stop_after_first_batch
        )

    assert gw.portal is not None
    with pytest.raises(StopError):
        gw.portal.call(execute)
    stopped = rt.evaluations.get(created.id)
    assert stopped.status.value == "incomplete"
    assert stopped.reason == "interrupted by StopError: job cancelled after 4 of 8"
    assert (stopped.summary.passed, stopped.summary.missing) == (4, 4)
    resumed = executed(gw, referent, post(gw, referent, f"/runs/{created.id}/execute", {}))
    assert (resumed["status"], resumed["summary"]["passed"]) == ("complete", CASES)


# --- model-based scorers --------------------------------------------------------------------------


def test_a_judge_and_embeddings_score_through_the_gateway_and_an_unreadable_verdict_is_an_error(
    gw: TestClient, world: World, referent: str
) -> None:
    world.openai.answer_text = lambda text: "Take 500 mg twice a day."  # type: ignore[method-assign]

    def judge(text: str) -> str:
        if "tricky" in text:
            return "I think it is fine."
        return '{"pass": true, "score": 0.9, "reason": "cites the dose"}'

    world.anthropic.answer_text = judge  # type: ignore[method-assign]
    cases = [
        {"id": "dose", "prompt": "What is the dose?", "asserts": [
            {"type": "rubric", "value": "Gives a dose in mg"},
            {"type": "similarity", "value": "Take 500 mg twice a day.", "threshold": 0.99}]},
        {"id": "other", "prompt": "And for children?", "asserts": [
            {"type": "similarity", "value": "Ask a paediatrician.", "threshold": 0.99}]},
        {"id": "tricky", "prompt": "A tricky one?", "asserts": [
            {"type": "rubric", "value": "Refuses"}]},
    ]  # fmt: skip
    content = "\n".join(json.dumps(c) for c in cases)
    drafting = world.use_cases["drafting"]
    suite_id = import_suite(gw, "ref", drafting, content, name="leaflet").json()["suite_id"]
    refused = post(gw, referent, "/runs", {"suite_id": suite_id, "model": "gpt-eu"})
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "the dataset's rubric assertions need `judge_model`; "
        "similarity assertions need `embedding_model`"
    )
    view = run(gw, referent, suite_id, "gpt-eu", judge_model="claude-eu",
               embedding_model="gpt-eu")  # fmt: skip
    assert view["status"] == "incomplete"
    assert "case 'tricky': asserts[0] (rubric): unreadable judge answer" in view["reason"]
    results = {
        r["case_id"]: r
        for r in get(gw, referent, f"/runs/{view['id']}", results="true").json()["results"]
    }
    dose = results["dose"]
    assert dose["status"] == "pass"
    assert [a["score"] for a in dose["assertions"]] == [0.9, pytest.approx(1.0)]
    assert len(dose["request_ids"]) == 3  # the answer, the judge, the embeddings
    assert results["other"]["status"] == "fail"
    assert results["other"]["assertions"][0]["score"] < 0.99
    assert (results["tricky"]["status"], results["tricky"]["score"]) == ("error", None)
    assert view["summary"]["by_scorer"]["rubric"]["errors"] == 1
    with world.rt.database.read() as session:
        models = dict(
            session.execute(
                select(RequestLog.operation, func.count())
                .where(RequestLog.request_id.like(f"eval-{view['id']}.%"))
                .group_by(RequestLog.operation)
            ).all()
        )
    assert models == {"chat": 5, "embeddings": 2}


# --- rights -------------------------------------------------------------------------------------


def test_who_may_import_run_and_read(
    gw: TestClient, world: World, referent: str, suite: int, make_user: Callable[..., int]
) -> None:
    world.openai.answer_text = right  # type: ignore[method-assign]
    drafting = world.use_cases["drafting"]
    # bob is a use-case owner by role, but only a member of drafting: not his to evaluate
    assert import_suite(gw, "bob", drafting, dataset()).status_code == 403
    assert post(gw, "bob", "/runs", {"suite_id": suite, "model": "gpt-eu"}).status_code == 403
    assert get(gw, "bob", f"/suites/{suite}").status_code == 403
    # alice owns it: she imports, runs and reads its suites, and must name the use case to list
    assert import_suite(gw, "alice", drafting, dataset(3), name="mine").status_code == 201
    mine = run(gw, "alice", suite, "gpt-eu")
    assert mine["status"] == "complete"
    assert get(gw, "alice", "/runs").status_code == 400
    assert [r["id"] for r in get(gw, "alice", "/runs", use_case_id=drafting).json()] == [mine["id"]]
    screening = world.use_case("screening", "bob")
    assert get(gw, "alice", "/runs", use_case_id=screening).status_code == 403
    # an employee has no right at all; auditors and the committee read, and ask the gate
    assert get(gw, "nora", "/runs").status_code == 403
    make_user("aud", "auditor")
    make_user("com", "committee_member")
    for reader in ("aud", "com"):
        assert get(gw, reader, "/runs").status_code == 200
        assert get(gw, reader, f"/runs/{mine['id']}").status_code == 200
        assert post(gw, reader, "/runs", {"suite_id": suite, "model": "gpt-eu"}).status_code == 403
        assert import_suite(gw, reader, drafting, dataset()).status_code == 403
    gate = {"use_case_id": drafting, "model": "gpt-eu", "baseline_model": "gpt-eu"}
    assert post(gw, "aud", "/gate", gate).json() == {"allowed": True, "reason": ""}
    both = post(gw, "aud", "/gate", gate | {"prompt_version_id": 1})
    assert both.status_code == 422
    denied = [r["new"] for r in audited(world, "auth.access_denied")]
    assert [(d["resource"], d["action"]) for d in denied] == [
        ("evaluations", "manage"),
        ("evaluations", "run"),
        ("evaluations", "read"),
        ("evaluations", "read"),  # alice, on a use case she does not own
        ("evaluations", "read"),
        *[("evaluations", "run"), ("evaluations", "manage")] * 2,
    ]
    assert get(gw, "ref", "/runs/424242").status_code == 404
    assert post(gw, "ref", "/runs", {"suite_id": 424242, "model": "gpt-eu"}).status_code == 404
    missing = post(gw, "ref", "/runs", {"suite_id": suite, "model": "gpt-eu", "version": 9})
    assert missing.status_code == 404


# --- the console ----------------------------------------------------------------------------------


def test_the_cli_imports_runs_compares_and_gates(
    cli_env: Settings,
    world: World,
    referent: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    build_gateway = Runtime.build_gateway
    monkeypatch.setattr(  # the console's own runtime reaches the same fake providers
        Runtime,
        "build_gateway",
        lambda self, transport=None: build_gateway(self, transport or transport_for(world)),
    )
    world.openai.answer_text = right  # type: ignore[method-assign]
    world.anthropic.answer_text = careless  # type: ignore[method-assign]
    drafting = str(world.use_cases["drafting"])
    path = tmp_path / "additions.jsonl"
    path.write_text(dataset(), encoding="utf-8")
    code, output = invoke(
        "eval", "import", str(path), "--use-case", drafting, "--name", "additions", "--as", "ref"
    )
    assert code == 0, output
    found = re.search(r"^suite (\d+) 'additions': imported as version 1, 8 cases", output, re.M)
    assert found is not None, output
    suite = found.group(1)
    code, output = invoke("eval", "import", str(path), "--use-case", drafting, "--name", "x",
                          "--as", "bob")  # fmt: skip
    assert code == 1
    assert "bob may not manage evaluations of use case" in output

    code, output = invoke(
        "eval", "run", suite, "--model", "gpt-eu", "--model", "claude-eu", "--as", "ref"
    )
    assert code == 0, output
    assert re.search(r"^run \d+: suite \d+ 'additions' version 1 .* on gpt-eu, .*: complete$",
                     output, re.M), output  # fmt: skip
    assert "8 pass, 0 fail, 0 error, 0 missing; pass rate 100.0 %" in output
    assert "4 pass, 4 fail, 0 error, 0 missing; pass rate 50.0 %" in output
    assert re.search(r"^  fail  add-1: numeric: read 12, expected 11", output, re.M), output
    assert re.search(r"^run (\d+) \(base\) -> run (\d+) \(candidate\), dataset \d+: REGRESSION$",
                     output, re.M), output  # fmt: skip
    code, output = invoke("eval", "runs", "--json")
    runs = json.loads(output)
    assert [(r["model"], r["pass_rate"]) for r in runs] == [("claude-eu", 0.5), ("gpt-eu", 1.0)]
    code, output = invoke("eval", "compare", str(runs[1]["id"]), str(runs[0]["id"]), "--json")
    assert code == 1  # a regression
    assert json.loads(output)["difference_points"] == -50.0
    code, output = invoke("eval", "show", str(runs[0]["id"]), "--json", "--results")
    assert len(json.loads(output)["results"]) == CASES
    code, output = invoke("eval", "suites", "--json")
    assert json.loads(output)[0]["name"] == "additions"
    code, output = invoke(
        "eval", "gate", "--use-case", drafting, "--model", "claude-eu", "--baseline-model", "gpt-eu"
    )
    assert code == 1
    assert output.startswith("refused: model claude-eu regresses")
    code, output = invoke(
        "eval", "gate", "--use-case", drafting, "--model", "gpt-eu", "--baseline-model", "claude-eu"
    )
    assert (code, output.strip()) == (0, "allowed")
    code, output = invoke("eval", "execute", str(runs[0]["id"]), "--as", "ref", "--json")
    assert (code, json.loads(output)["executions"]) == (0, 1)  # complete: nothing to do
