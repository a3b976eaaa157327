"""Canaries for silent vendor changes, through the API and the CLI, on SQLite and PostgreSQL.

The proof: the model behind the fake OpenAI-compatible endpoint is swapped
(``tests.fake_providers.Persona``) while its name in the inventory stays the same. An unchanged
model over several runs, with latency jitter, raises no drift; a model that answers otherwise
and at greater length drifts on similarity and length; an over-cautious one on the refusal
rate (and its answers); a slower one on latency; a new ``system_fingerprint`` alone, or a new
model name returned alone, is reported on its own. A provider failing (or failing over to
another model) leaves the run incomplete, never compared, never a baseline. Also: the prompt
sets are checked data, runs are idempotent by key and interrupted ones are closed, decisions
on drifts are audited, and who may do what.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import weakref
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import invoke
from tests.fake_providers import Persona
from tests.gateway_helpers import World, transport_for
from tests.insight_helpers import signed_in
from tests.job_helpers import wait_for_job

from gouvernail.audit.models import AuditRecord
from gouvernail.db.base import utcnow
from gouvernail.gateway.models import RequestLog
from gouvernail.observatory.canaries import statistics as st
from gouvernail.observatory.canaries.models import CanaryRun
from gouvernail.observatory.canaries.prompts import CanaryPrompts
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

PROMPTS = CanaryPrompts.load()
STANDARD = PROMPTS.get("standard").prompts
URL = "/api/v1/canaries"
BAITS = ("methamphetamine", "faux certificat")
VOCABULARY = [
    "trials",
    "phases",
    "safety",
    "dose",
    "efficacy",
    "patients",
    "volunteers",
    "regulators",
    "data",
    "risk",
    "benefit",
    "signal",
    "report",
    "monitoring",
    "label",
    "protocol",
    "endpoint",
    "cohort",
    "study",
    "approval",
]
FRENCH = "Désolé, je ne peux pas vous aider avec cette demande."
ENGLISH = "I'm sorry, but I can't help with that."


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def _is_bait(question: str) -> bool:
    return any(bait in question for bait in BAITS)


def _decline(question: str) -> str:
    return FRENCH if "certificat" in question else ENGLISH


def original(question: str) -> str:
    """The model first watched: short answers, about 180 words for the long-form prompts, and
    it declines the two refusal baits."""
    if _is_bait(question):
        return _decline(question)
    seed = _digest(question)
    if "200" in question:
        return " ".join(VOCABULARY[(seed >> i) % len(VOCABULARY)] for i in range(180)) + "."
    words = re.findall(r"\w+", question)
    return " ".join(words[seed % 3 : seed % 3 + 5]) + "."


def chatty(question: str) -> str:
    """Another model: other words, three times as long; it still declines the baits."""
    if _is_bait(question):
        return _decline(question)
    base = original(question).split()
    return "Certainly! Here is a careful answer to your question. " + " ".join(
        f"{w.upper()}-{i}" for i, w in enumerate(base * 3)
    )


def cautious(question: str) -> str:
    """Another model that declines almost everything."""
    return _decline(question) if _digest(question) % 5 else original(question)


def jitter(low: float, high: float, seed: int = 7) -> Callable[[], float]:
    rng = random.Random(seed)
    return lambda: rng.uniform(low, high)


V1 = {"system_fingerprint": "fp_2024_07_18", "model": "gpt-4o-mini-2024-07-18"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """A practical latency threshold of 50 ms (the default 250 ms would make the slow-model
    test slow; the unchanged model's jitter stays well under it); retries without waiting, and
    no breaker opening (the failure tests bring the provider back at once)."""
    return make_settings(
        canaries={"latency_min_ms": 50},
        gateway={"backoff_base": 0, "breaker_failures": 1000},
    )


@pytest.fixture
def referent(world: World, compliant_user: Callable[..., None]) -> str:
    """The world's AI referent, having accepted the charter and done the training (the gateway
    admits the calls made for them)."""
    compliant_user(world.users["ref"])
    return "ref"


@pytest.fixture
def canary(gw: TestClient, world: World, referent: str) -> Iterator[World]:
    """gpt-eu watched, two samples per prompt, for the referent on the drafting use case; the
    original model behind the endpoint, with 1-25 ms of jitter."""
    world.openai.persona = Persona(original, latency=jitter(0.001, 0.025), **V1)
    response = configure(gw, referent, world)
    assert response.status_code == 200, response.text
    return world


_SESSIONS: weakref.WeakKeyDictionary[TestClient, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def headers(gw: TestClient, user: str) -> dict[str, str]:
    """A sign-in session of ``user``, made once per test (sign-ins are rate-limited)."""
    sessions = _SESSIONS.setdefault(gw, {})
    if user not in sessions:
        sessions[user] = signed_in(gw, user)
    return sessions[user]


def configure(gw: TestClient, user: str, world: World, **fields: Any) -> Any:
    body = {
        "prompt_set": "standard",
        "samples": 2,
        "use_case_id": world.use_cases["drafting"],
        "acting_for": world.users["ref"],
        "every_hours": 24,
        "reason": "watch the EU model for silent changes",
    } | fields
    return gw.put(f"{URL}/configs/gpt-eu", json=body, headers=headers(gw, user))


def run(gw: TestClient, user: str = "ref", **fields: Any) -> Any:
    return gw.post(f"{URL}/runs", json={"model": "gpt-eu"} | fields, headers=headers(gw, user))


def queued(gw: TestClient, user: str = "ref", **fields: Any) -> dict[str, Any]:
    """A run asked for (202, a job): the job once it is over."""
    response = run(gw, user, **fields)
    assert response.status_code == 202, response.text
    return wait_for_job(gw, headers(gw, user), response.json()["id"])


def ran(gw: TestClient, **fields: Any) -> dict[str, Any]:
    job = queued(gw, **fields)
    assert (job["kind"], job["status"]) == ("canary.run", "succeeded"), job
    response = gw.get(f"{URL}/runs/{job['result']['run_id']}", headers=headers(gw, "ref"))
    view: dict[str, Any] = response.json()
    return view


def metric(view: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in view["comparison"]["metrics"] if m["name"] == name)
    return found


def actions(rt: Runtime, prefix: str = "canary.") -> list[tuple[str, dict[str, Any], str]]:
    with rt.database.read() as session:
        return [
            (r.action, json.loads(r.new_values), r.reason)
            for r in session.scalars(
                select(AuditRecord)
                .where(AuditRecord.action.startswith(prefix))
                .order_by(AuditRecord.seq)
            )
        ]


# --- prompt sets, refusals and statistics -------------------------------------------------------


def test_the_shipped_prompt_set_is_varied_and_bilingual() -> None:
    assert 15 <= len(STANDARD) <= 30
    assert {p.language for p in STANDARD} == {"en", "fr"}
    kinds = {p.kind for p in STANDARD}
    assert {"factual", "arithmetic", "formatting", "refusal", "long_form"} <= kinds
    baits = [p.id for p in STANDARD if p.refuse]
    assert baits == ["drug-synthesis-en", "sick-note-fr"]
    assert PROMPTS.version.startswith("canary-prompts-")
    assert len({p.key for p in STANDARD}) == len(STANDARD)


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ("I'm sorry, but I can't help with that.", True),
        ("I can\u2019t assist with synthesising drugs.", True),
        ("I must decline this request.", True),
        ("Je ne peux pas vous aider à rédiger un faux certificat.", True),
        ("Désolée, je ne peux pas faire cela.", True),
        ("Je ne suis pas en mesure de produire ce document.", True),
        ("Canberra.", False),
        ("Paracetamol is used to relieve pain and reduce fever.", False),
        ("La pharmacovigilance surveille les effets indésirables des médicaments.", False),
    ],
)
def test_refusals_are_read_from_the_files_patterns(answer: str, refusal: bool) -> None:
    assert PROMPTS.is_refusal(answer) is refusal


def _company_set(**prompt: Any) -> dict[str, Any]:
    base = {"id": "dosage-en", "language": "en", "kind": "factual", "prompt": "Max dose?"}
    return {"id": "ours", "title": "Our prompts", "prompts": [base | prompt]}


def test_a_company_adds_its_prompt_sets_in_its_data_directory(tmp_path: Path) -> None:
    (tmp_path / "canary_prompts.yaml").write_text(
        yaml.safe_dump(
            {
                "version": "acme-3",
                "refusal_patterns": ["\\bnot permitted by policy\\b"],
                "sets": [_company_set()],
            }
        ),
        encoding="utf-8",
    )
    loaded = CanaryPrompts.load(tmp_path)
    assert [s.id for s in loaded.sets] == ["standard", "ours"]
    assert loaded.version == f"{PROMPTS.version}+acme-3"
    assert loaded.is_refusal("This is not permitted by policy.")
    assert loaded.is_refusal(ENGLISH)  # the shipped patterns stay
    assert CanaryPrompts.load(tmp_path / "nowhere") is CanaryPrompts.load()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"sets": [_company_set() | {"id": "standard"}]}, "prompt set ids used twice"),
        ({"sets": [{"id": "empty", "title": "x", "prompts": []}]}, "at least 1 item"),
        ({"sets": [_company_set(kind="refusal")]}, "needs `refuse: true`"),
        ({"sets": [_company_set(kind="poetry")]}, "kind"),
        ({"refusal_patterns": ["(unclosed"]}, "invalid refusal pattern"),
        ({"sets": [{"id": "two", "title": "x", "prompts": [_company_set()["prompts"][0]] * 2}]},
         "prompt ids used twice"),
    ],
)  # fmt: skip
def test_a_company_prompt_file_is_checked(
    tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    (tmp_path / "canary_prompts.yaml").write_text(yaml.safe_dump(extra), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        CanaryPrompts.load(tmp_path)


def test_similarity_and_tests() -> None:
    assert st.similarity("Canberra.", "canberra .") == 1.0
    assert st.similarity("The capital is Canberra.", "Sydney is not the capital") < 0.6
    assert st.similarity("", "") == 1.0
    assert st.mean_pairwise(["a b c"]) == 1.0
    assert st.similarity_drop([0.0] * 10) == 1.0
    assert st.similarity_drop([0.5] * 10) < 0.01
    assert st.fisher((2, 44), (2, 44)) == 1.0
    assert st.fisher((4, 44), (36, 44)) < 1e-6
    assert st.mann_whitney([1.0] * 20, [1.0] * 20) == 1.0
    assert st.mann_whitney([1.0, 1.1, 0.9] * 5, [3.0, 3.2, 2.9] * 5) < 1e-4


# --- the proof ----------------------------------------------------------------------------------


def test_an_unchanged_model_raises_no_alarm_over_several_runs(
    gw: TestClient, canary: World
) -> None:
    first = ran(gw)
    assert first["status"] == "complete", first["reason"]
    assert first["is_baseline"] is True
    assert first["comparison"] is None
    assert first["calls_by_status"] == {"answered": 2 * len(STANDARD)}
    for _ in range(3):
        view = ran(gw)
        assert view["status"] == "complete", view["reason"]
        assert (view["baseline_run_id"], view["is_baseline"]) == (first["id"], False)
        assert view["changed"] == [], view["comparison"]
        assert view["drift_id"] is None
        assert metric(view, "similarity")["current"] == 1.0
        assert metric(view, "refusal_rate")["current"] == pytest.approx(2 / len(STANDARD), abs=1e-4)
        assert metric(view, "length")["p_value"] == 1.0
        latency = metric(view, "latency")
        assert latency["n_current"] == 2 * len(STANDARD)
        assert not latency["changed"], latency["explanation"]
        assert metric(view, "system_fingerprint")["values_current"] == ["fp_2024_07_18"]
        assert view["comparison"]["prompts_compared"] == len(STANDARD)
    drifts = gw.get(f"{URL}/drifts", headers=headers(gw, "ref"))
    assert drifts.json() == []

    # every call was a gateway call made for the referent on the use case, at temperature 0
    with canary.rt.database.read() as session:
        logged = session.execute(
            select(RequestLog.user_id, RequestLog.use_case_id).where(
                RequestLog.request_id.like(f"canary-{first['id']}.%")
            )
        ).all()
    assert set(logged) == {(canary.users["ref"], canary.use_cases["drafting"])}
    assert len(logged) == 2 * len(STANDARD)
    assert canary.openai.requests[-1].json["temperature"] == 0
    detail = gw.get(
        f"{URL}/runs/{first['id']}", params={"samples": "true"}, headers=headers(gw, "ref")
    ).json()
    rows = detail["sample_rows"]
    assert {r["fingerprint"] for r in rows} == {"fp_2024_07_18"}
    assert {r["provider_model"] for r in rows} == {"gpt-4o-mini-2024-07-18"}
    assert {r["answered_by"] for r in rows} == {"gpt-eu"}
    assert all(r["latency_ms"] >= 1 for r in rows)
    assert sorted(r["prompt_id"] for r in rows if r["refusal"]) == [
        "drug-synthesis-en",
        "drug-synthesis-en",
        "sick-note-fr",
        "sick-note-fr",
    ]


@pytest.mark.parametrize(
    ("persona", "changed"),
    [
        (Persona(chatty, **V1), ["similarity", "length"]),
        (Persona(cautious, **V1), ["similarity", "refusal_rate"]),
        (Persona(original, system_fingerprint="fp_2025_01_09", model=V1["model"]),
         ["system_fingerprint"]),
        (Persona(original, system_fingerprint=V1["system_fingerprint"], model="gpt-4o-mini-2025"),
         ["provider_model"]),
        (Persona(original, latency=jitter(0.12, 0.14), **V1), ["latency"]),
    ],
    ids=["other-answers", "over-cautious", "fingerprint-only", "model-name-only", "slower"],
)  # fmt: skip
def test_a_swapped_model_trips_the_canary_on_what_changed(
    gw: TestClient, canary: World, persona: Persona, changed: list[str]
) -> None:
    baseline = ran(gw)
    assert baseline["is_baseline"]
    assert ran(gw)["changed"] == []  # still the same model

    canary.openai.persona = persona  # same endpoint, same name in the inventory
    view = ran(gw)
    assert view["status"] == "complete", view["reason"]
    assert view["changed"] == changed, [m["explanation"] for m in view["comparison"]["metrics"]]
    for name in changed:
        assert metric(view, name)["changed"]
    drift = gw.get(f"{URL}/drifts", headers=headers(gw, "ref")).json()
    assert [(d["id"], d["run_id"], d["baseline_run_id"]) for d in drift] == [
        (view["drift_id"], view["id"], baseline["id"])
    ]
    assert drift[0]["metrics"] == changed
    assert drift[0]["status"] == "open"

    detected = [a for a in actions(canary.rt) if a[0] == "canary.drift_detected"]
    assert len(detected) == 1
    recorded = detected[0][1]
    assert (recorded["run_id"], recorded["baseline_run_id"]) == (view["id"], baseline["id"])
    assert sorted(recorded["metrics"]) == sorted(changed)
    for name in changed:
        if name in ("system_fingerprint", "provider_model"):
            assert recorded["metrics"][name]["p_value"] is None
        else:
            assert recorded["metrics"][name]["p_adjusted"] < 0.05


def test_the_drift_report_says_what_changed_and_by_how_much(gw: TestClient, canary: World) -> None:
    ran(gw)
    canary.openai.persona = Persona(
        chatty, system_fingerprint="fp_2025_01_09", model="gpt-4o-mini-2025-01-09"
    )
    view = ran(gw)
    assert view["changed"] == ["similarity", "length", "system_fingerprint", "provider_model"]
    similarity = metric(view, "similarity")
    assert similarity["baseline"] == 1.0
    assert similarity["current"] < 0.3
    assert similarity["p_adjusted"] < 1e-3
    assert "CHANGED" in similarity["explanation"]
    length = metric(view, "length")
    assert length["effect"] > 3  # answers more than three times as long
    assert metric(view, "refusal_rate")["changed"] is False
    assert metric(view, "system_fingerprint")["explanation"] == (
        "system fingerprint changed: fp_2025_01_09 (baseline: fp_2024_07_18)"
    )
    prompt = next(p for p in view["comparison"]["prompts"] if p["prompt_id"] == "capital-en")
    assert prompt["length"] > 3 * prompt["baseline_length"]


def test_a_bait_no_longer_declined_is_noted(gw: TestClient, canary: World) -> None:
    ran(gw)
    canary.openai.persona = Persona(
        lambda q: "Step 1: ..." if "methamphetamine" in q else original(q), **V1
    )
    view = ran(gw)
    assert (
        "drug-synthesis-en: declined in the baseline, answered now" in view["comparison"]["notes"]
    )


def test_provider_failures_leave_the_run_incomplete_and_uncompared(
    gw: TestClient, canary: World
) -> None:
    # the provider and its fallback are down from the start: no baseline comes of it
    canary.openai.fail(*[503] * 400)
    canary.anthropic.fail(*[503] * 400)
    down = ran(gw)
    assert down["status"] == "incomplete"
    assert " failed: " in down["reason"]
    assert (down["is_baseline"], down["comparison"], down["drift_id"]) == (False, None, None)
    assert down["calls_by_status"]["failed"] >= 1
    assert sum(down["calls_by_status"].values()) < down["calls"]  # stopped at the first batch
    config = gw.get(f"{URL}/configs/gpt-eu", headers=headers(gw, "ref")).json()
    assert config["baseline_run_id"] is None
    canary.openai.failures.clear()
    canary.anthropic.failures.clear()

    baseline = ran(gw)
    assert baseline["is_baseline"], baseline["reason"]
    # the provider fails again, and its fallback answers: another model, not compared
    canary.openai.fail(*[503] * 400)
    canary.openai.persona = Persona(chatty, **V1)  # would drift, had it answered
    rerouted = ran(gw)
    assert rerouted["status"] == "incomplete"
    assert "rerouted: answered by claude-eu" in rerouted["reason"]
    assert rerouted["comparison"] is None
    assert rerouted["changed"] == []
    assert gw.get(f"{URL}/drifts", headers=headers(gw, "ref")).json() == []
    finished = [a for a in actions(canary.rt) if a[0] == "canary.run_finished"]
    assert [f[1]["status"] for f in finished] == ["incomplete", "complete", "incomplete"]
    assert "compared_with" not in finished[-1][1]


def test_a_refused_call_leaves_the_run_incomplete(gw: TestClient, canary: World) -> None:
    idea = canary.use_case("screening", "alice", status="idea")  # not live: calls are refused
    assert configure(gw, "ref", canary, use_case_id=idea).status_code == 200
    view = ran(gw)
    assert view["status"] == "incomplete"
    assert "refused: use_case_not_live" in view["reason"]
    assert view["is_baseline"] is False


# --- runs as a unit: idempotency, interruption, schedule -----------------------------------------


def test_a_run_key_makes_retries_idempotent(gw: TestClient, canary: World) -> None:
    first = ran(gw, key="daily@2026-11-22")
    sent = len(canary.openai.requests)
    again = ran(gw, key="daily@2026-11-22")
    assert again["id"] == first["id"]
    assert len(canary.openai.requests) == sent  # no new call
    assert len([a for a in actions(canary.rt) if a[0] == "canary.run_started"]) == 1


def test_an_interrupted_run_is_closed_as_incomplete(gw: TestClient, canary: World) -> None:
    def left_running(minutes_ago: int) -> int:
        """A run whose process died mid-way (left ``running`` in the database)."""
        with canary.rt.database.write() as session:
            row = CanaryRun(
                model="gpt-eu",
                prompt_set="standard",
                prompts_version=PROMPTS.version,
                samples=2,
                calls=2 * len(STANDARD),
                use_case_id=canary.use_cases["drafting"],
                acting_for=canary.users["ref"],
                started_by="Gouvernail",
                status="running",
                started_at=utcnow() - timedelta(minutes=minutes_ago),
            )
            session.add(row)
            session.flush()
            return row.id

    recent = left_running(5)
    busy = queued(gw)  # the job finds the run left running, and fails
    assert busy["status"] == "failed"
    assert f"canary run {recent} of gpt-eu is running" in busy["error"]
    with canary.rt.database.write() as session:
        row = session.get(CanaryRun, recent)
        assert row is not None
        row.started_at = utcnow() - timedelta(minutes=61)
    view = ran(gw)
    assert view["status"] == "complete"
    assert view["is_baseline"]
    closed = gw.get(f"{URL}/runs/{recent}", headers=headers(gw, "ref")).json()
    assert closed["status"] == "incomplete"
    assert closed["reason"].startswith("interrupted: still running after 60 minutes")
    assert closed["comparison"] is None


def test_run_due_follows_the_schedule_hint(gw: TestClient, canary: World) -> None:
    service = canary.rt.canaries
    assert gw.portal is not None  # the app's event loop, where the gateway lives

    def run_due() -> list[Any]:
        return list(gw.portal.call(service.run_due))

    views = run_due()
    assert [(v.model, v.status.value) for v in views] == [("gpt-eu", "complete")]
    assert views[0].key is not None
    assert views[0].started_by == "Gouvernail"
    assert run_due() == []  # ran less than 24 hours ago
    later = utcnow() + timedelta(hours=25)
    service.now = lambda: later
    assert service.config("gpt-eu").due is True
    second = run_due()
    assert [v.baseline_run_id for v in second] == [views[0].id]
    service.now = utcnow
    assert configure(gw, "ref", canary, enabled=False).status_code == 200
    service.now = lambda: later + timedelta(hours=48)
    assert run_due() == []
    disabled = run(gw)
    assert disabled.status_code == 409
    assert "disabled" in disabled.json()["error"]["message"]


# --- decisions on drifts and baselines -----------------------------------------------------------


def test_acknowledging_and_rebaselining_are_audited_decisions(
    gw: TestClient, canary: World
) -> None:
    since = utcnow()
    baseline = ran(gw)
    canary.openai.persona = Persona(chatty, **V1)
    first = ran(gw)
    second = ran(gw)
    drifts = canary.rt.canaries.drifts(since)
    assert [d.run_id for d in drifts] == [second["id"], first["id"]]  # newest first
    assert canary.rt.canaries.drifts(utcnow() + timedelta(seconds=1)) == []

    referent = headers(gw, "ref")
    short = gw.post(f"{URL}/drifts/{first['drift_id']}/acknowledge", json={}, headers=referent)
    assert short.status_code == 422
    acknowledged = gw.post(
        f"{URL}/drifts/{first['drift_id']}/acknowledge",
        json={"reason": "the vendor announced the upgrade; the committee knows"},
        headers=referent,
    )
    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["decided_by"].endswith("(ref)")
    again = gw.post(
        f"{URL}/drifts/{first['drift_id']}/acknowledge", json={"reason": "twice"}, headers=referent
    )
    assert again.status_code == 409
    opened = gw.get(f"{URL}/drifts", params={"status": "open"}, headers=referent).json()
    assert [d["id"] for d in opened] == [second["drift_id"]]

    rebased = gw.post(
        f"{URL}/drifts/{second['drift_id']}/rebaseline",
        json={"reason": "the new model was reviewed and accepted"},
        headers=referent,
    )
    assert rebased.status_code == 200
    assert rebased.json()["status"] == "rebaselined"
    config = gw.get(f"{URL}/configs/gpt-eu", headers=referent).json()
    assert config["baseline_run_id"] == second["id"]
    assert config["open_drifts"] == 0
    after = ran(gw)
    assert after["baseline_run_id"] == second["id"]
    assert after["changed"] == []

    # pinning an older complete run back; an incomplete one cannot be a baseline
    pinned = gw.post(
        f"{URL}/configs/gpt-eu/baseline",
        json={"run_id": baseline["id"], "reason": "back to the contracted model"},
        headers=referent,
    )
    assert pinned.status_code == 200
    assert pinned.json()["baseline_run_id"] == baseline["id"]
    canary.openai.fail(*[503] * 400)
    canary.anthropic.fail(*[503] * 400)
    broken = ran(gw)
    refused = gw.post(
        f"{URL}/configs/gpt-eu/baseline",
        json={"run_id": broken["id"], "reason": "try"},
        headers=referent,
    )
    assert refused.status_code == 409
    assert "only a complete run can be a baseline" in refused.json()["error"]["message"]

    decisions = [a for a in actions(canary.rt) if a[0] != "canary.run_started"]
    assert [a[0] for a in decisions if a[0] != "canary.run_finished"] == [
        "canary.configured",
        "canary.baseline_pinned",  # the first complete run
        "canary.drift_detected",
        "canary.drift_detected",
        "canary.drift_acknowledged",
        "canary.baseline_pinned",  # re-baselined on the second drift
        "canary.baseline_pinned",  # pinned back
    ]
    ack = next(a for a in decisions if a[0] == "canary.drift_acknowledged")
    assert ack[2] == "the vendor announced the upgrade; the committee knows"
    rebaselined = [a for a in decisions if a[0] == "canary.baseline_pinned"][1]
    assert rebaselined[1] == {"baseline_run_id": second["id"], "drift_id": second["drift_id"]}


@pytest.fixture
def company_set(settings: Settings) -> str:
    """A company's own prompt set in the data directory (written before the canaries load)."""
    prompts = [
        {"id": f"dosage-{n}", "language": "en", "kind": "factual", "prompt": f"Dose {n} mg?"}
        for n in (100, 200, 500)
    ]
    (settings.data_dir / "canary_prompts.yaml").write_text(
        yaml.safe_dump(
            {"version": "acme-1", "sets": [{"id": "ours", "title": "Ours", "prompts": prompts}]}
        ),
        encoding="utf-8",
    )
    return "ours"


def test_another_prompt_set_drops_the_baseline(
    gw: TestClient, company_set: str, canary: World
) -> None:
    first = ran(gw)
    same = configure(gw, "ref", canary, samples=1, every_hours=12)
    assert same.json()["baseline_run_id"] == first["id"]  # same prompts: kept
    assert same.json()["version"] == 2
    other = configure(gw, "ref", canary, prompt_set=company_set)
    assert other.status_code == 200
    assert other.json()["baseline_run_id"] is None
    configured = [a[1] for a in actions(canary.rt) if a[0] == "canary.configured"]
    assert configured[1] == {"samples": 1, "every_hours": 12, "baseline_dropped": False}
    assert configured[2] == {
        "prompt_set": "ours",
        "samples": 2,
        "every_hours": 24,
        "baseline_dropped": True,
    }
    ours = ran(gw)
    assert (ours["is_baseline"], ours["calls"], ours["prompt_set"]) == (True, 6, "ours")
    assert ours["prompts_version"] == f"{PROMPTS.version}+acme-1"
    compared = ran(gw)
    assert compared["changed"] == []
    assert "only 3 prompts compared" in " ".join(compared["comparison"]["notes"])
    sets = gw.get(f"{URL}/prompt-sets", headers=headers(gw, "ref")).json()
    assert [s["id"] for s in sets] == ["standard", "ours"]
    unknown = configure(gw, "ref", canary, prompt_set="nothing")
    assert unknown.status_code == 404
    assert "known: standard, ours" in unknown.json()["error"]["message"]
    old_baseline = gw.post(
        f"{URL}/configs/gpt-eu/baseline",
        json={"run_id": first["id"], "reason": "try"},
        headers=headers(gw, "ref"),
    )
    assert old_baseline.status_code == 409
    assert "the canary now asks 'ours'" in old_baseline.json()["error"]["message"]


# --- who may do what, bad input ----------------------------------------------------------------


def test_who_may_read_configure_and_run_canaries(
    gw: TestClient, canary: World, make_user: Callable[..., int]
) -> None:
    make_user("aud", "auditor")
    make_user("chair", "committee_member")
    sec = make_user("sec", "security_referent")
    assert run(gw, "bob").status_code == 403  # an employee
    assert gw.get(f"{URL}/drifts", headers=headers(gw, "bob")).status_code == 403
    assert gw.get(f"{URL}/configs", headers=headers(gw, "bob")).status_code == 403
    for reader in ("aud", "chair"):
        assert gw.get(f"{URL}/drifts", headers=headers(gw, reader)).status_code == 200
        assert gw.get(f"{URL}/prompt-sets", headers=headers(gw, reader)).status_code == 200
        assert run(gw, reader).status_code == 403
        assert configure(gw, reader, canary).status_code == 403
    view = ran(gw)
    assert view["status"] == "complete"
    for reader in ("aud", "chair", "bob"):
        acknowledged = gw.post(
            f"{URL}/drifts/1/acknowledge", json={"reason": "seen it"}, headers=headers(gw, reader)
        )
        assert acknowledged.status_code == 403
    assert configure(gw, "sec", canary, acting_for=sec).status_code == 200
    refused = [a[1] for a in actions(canary.rt, "auth.access_denied")]
    assert len(refused) == 10, "every refusal is audited"

    # the person the calls act for must be someone who runs canaries
    bob = configure(gw, "ref", canary, acting_for=canary.users["bob"])
    assert bob.status_code == 400
    assert "bob may not run canaries" in bob.json()["error"]["message"]
    assert bob.json()["error"]["field"] == "acting_for"
    nobody = configure(gw, "ref", canary, acting_for=424242)
    assert nobody.status_code == 404
    no_use_case = configure(gw, "ref", canary, use_case_id=424242)
    assert no_use_case.status_code == 404
    assert configure(gw, "ref", canary, samples=50).status_code == 422
    unknown_model = gw.put(
        f"{URL}/configs/gpt-9",
        json={"use_case_id": canary.use_cases["drafting"], "acting_for": sec, "reason": "try"},
        headers=headers(gw, "ref"),
    )
    assert unknown_model.status_code == 404
    assert "no model 'gpt-9' in the inventory" in unknown_model.json()["error"]["message"]
    assert run(gw, model="claude-eu").status_code == 404  # no canary configured
    assert gw.get(f"{URL}/runs/424242", headers=headers(gw, "aud")).status_code == 404
    assert gw.get(f"{URL}/drifts/424242", headers=headers(gw, "aud")).status_code == 404


def test_the_gateway_passes_the_system_fingerprint_through(gw: TestClient, canary: World) -> None:
    key = canary.key("alice", "drafting")
    response = gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "Capital of Peru?"}]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["system_fingerprint"] == "fp_2024_07_18"
    assert body["model"] == "gpt-4o-mini-2024-07-18"
    assert body["object"] == "chat.completion"


# --- the console ---------------------------------------------------------------------------------


def test_the_cli_configures_runs_and_lists_drifts(
    cli_env: Settings, world: World, referent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_gateway = Runtime.build_gateway
    monkeypatch.setattr(  # the console's own runtime reaches the same fake providers
        Runtime,
        "build_gateway",
        lambda self, transport=None: build_gateway(self, transport or transport_for(world)),
    )
    monkeypatch.setenv("GOUVERNAIL_CANARIES__LATENCY_MIN_MS", "50")
    world.openai.persona = Persona(original, **V1)
    drafting = str(world.use_cases["drafting"])
    code, output = invoke(
        "canary", "configure", "gpt-eu", "--use-case", drafting, "--as", "ref",
        "--samples", "2", "--reason", "watch the EU model", "--json",
    )  # fmt: skip
    assert code == 0, output
    assert json.loads(output)["acting_for_name"] == "ref"
    code, output = invoke("canary", "run", "gpt-eu")
    assert code == 0, output
    assert re.search(r"^run 1: gpt-eu .*: complete \(baseline\)$", output, re.M), output

    world.openai.persona = Persona(chatty, **V1)
    code, output = invoke("canary", "run", "gpt-eu")
    assert code == 3, output  # drift
    assert re.search(r"^DRIFT 1: similarity, length$", output, re.M), output
    assert re.search(r"^  similarity: 1\.0 -> 0\.\d+ .*CHANGED$", output, re.M), output

    code, output = invoke("canary", "drifts", "--json")
    assert code == 0
    assert [d["metrics"] for d in json.loads(output)] == [["similarity", "length"]]
    code, output = invoke("canary", "acknowledge", "1", "--reason", "vendor upgrade noted")
    assert code == 0, output
    assert "drift 1: acknowledged" in output
    code, output = invoke("canary", "runs", "--json")
    assert [r["status"] for r in json.loads(output)] == ["complete", "complete"]
    code, output = invoke("canary", "configs", "--json")
    assert json.loads(output)[0]["baseline_run_id"] == 1
    code, output = invoke("canary", "show", "2", "--json")
    assert json.loads(output)["changed"] == ["similarity", "length"]
    code, output = invoke("canary", "prompts")
    assert "drug-synthesis-en" in output
    code, output = invoke("canary", "due", "--json")
    assert code == 0
    assert json.loads(output) == []
    code, output = invoke("canary", "baseline", "gpt-eu", "2", "--reason", "accepted")
    assert code == 0, output
    assert "baseline of gpt-eu: run 2" in output
    code, output = invoke(
        "canary", "configure", "gpt-eu", "--use-case", drafting, "--as", "bob",
        "--reason", "try",
    )  # fmt: skip
    assert code == 1
    assert "bob may not run canaries" in output
