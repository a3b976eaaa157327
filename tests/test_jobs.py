"""Jobs: asked for over the API and run by the app's own worker, retried then failed for good,
taken over when their worker dies, handed back at shutdown, cancelled, shared by concurrent
workers without running twice, enqueued by schedules once per occurrence; who may do what."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from tests.conftest import invoke
from tests.job_helpers import wait_for_job

from gouvernail.audit import AuditContext
from gouvernail.audit.models import AuditRecord
from gouvernail.jobs.builtin import ensure_housekeeping
from gouvernail.jobs.kinds import JobContext, Kind
from gouvernail.jobs.models import Job, JobSchedule
from gouvernail.jobs.schemas import ScheduleIn
from gouvernail.jobs.worker import Worker
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

Login = Callable[[str], dict[str, str]]


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = 1
    fail_until_attempt: int = 0


class Recorder:
    """A kind of job for the tests: counts what ran, fails on demand, waits between steps
    (checking its checkpoint) until released."""

    def __init__(self) -> None:
        self.ran: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.hold = False

    async def handle(self, rt: Runtime, job: JobContext) -> dict[str, Any]:
        parameters = job.parameters
        assert isinstance(parameters, Steps)
        with self.lock:
            self.ran[job.id] += 1
        self.started.set()
        if job.attempt <= parameters.fail_until_attempt:
            raise RuntimeError(f"attempt {job.attempt} fails")
        for step in range(parameters.steps):
            job.progress(done=step, total=parameters.steps)
            job.checkpoint()
            await asyncio.sleep(0.01)
            while self.hold:
                job.checkpoint()
                await asyncio.sleep(0.01)
        return {"steps": parameters.steps, "attempt": job.attempt}


@pytest.fixture
def recorder(rt: Runtime) -> Recorder:
    recording = Recorder()
    rt.jobs.kinds.add(
        Kind(
            name="test.steps",
            summary="Steps for the tests.",
            handler=recording.handle,
            parameters=Steps,
            right=("jobs", "manage"),
            max_attempts=3,
        )
    )
    rt.settings.jobs.retry_base_seconds = 0
    return recording


@pytest.fixture
def people(make_user: Callable[..., int]) -> dict[str, int]:
    return {
        "admin": make_user("admin", "admin"),
        "ref": make_user("ref", "ai_referent"),
        "aud": make_user("aud", "auditor"),
        "emp": make_user("emp"),
    }


def drain(rt: Runtime, name: str = "tests") -> int:
    return asyncio.run(Worker(rt, name=name).drain())


@dataclass
class Event:
    actor_id: str
    object_id: str
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str


def events(rt: Runtime, action: str) -> list[Event]:
    with rt.database.read() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
        )
        return [
            Event(r.actor_id, r.object_id, json.loads(r.old_values), json.loads(r.new_values),
                  r.reason)
            for r in rows
        ]  # fmt: skip


# --- over the API, run by the app's worker ----------------------------------------------------


def test_a_job_asked_for_over_the_api_runs_on_the_apps_worker(
    client: TestClient, rt: Runtime, recorder: Recorder, people: dict[str, int], login: Login
) -> None:
    ref = login("ref")
    kinds = {k["name"]: k for k in client.get("/api/v1/jobs/kinds", headers=ref).json()}
    assert kinds["test.steps"]["right"] == "jobs:manage"
    assert kinds["shadow.import"]["on_demand"] is False
    response = client.post(
        "/api/v1/jobs", json={"kind": "test.steps", "parameters": {"steps": 3}}, headers=ref
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("queued", "running", "succeeded")
    job = wait_for_job(client, ref, response.json()["id"])
    assert job["status"] == "succeeded"
    assert job["result"] == {"steps": 3, "attempt": 1}
    assert job["requested_by"] == people["ref"]
    assert job["worker"] is None
    assert job["finished_at"] is not None
    (enqueued,) = events(rt, "job.enqueued")
    assert enqueued.actor_id == str(people["ref"])
    assert enqueued.new["kind"] == "test.steps"


def test_who_may_ask_read_and_cancel(
    client: TestClient, rt: Runtime, recorder: Recorder, people: dict[str, int], login: Login
) -> None:
    emp, aud, ref = login("emp"), login("aud"), login("ref")
    body = {"kind": "test.steps", "parameters": {}}
    assert client.post("/api/v1/jobs", json=body, headers=emp).status_code == 403
    built_in = client.post(
        "/api/v1/jobs",
        json={"kind": "shadow.import", "parameters": {}},
        headers=ref,
    )
    assert built_in.status_code == 400
    assert "not on demand" in built_in.json()["error"]["message"]
    unknown = client.post("/api/v1/jobs", json={"kind": "nope"}, headers=ref)
    assert unknown.status_code == 400
    assert "known kinds are" in unknown.json()["error"]["message"]
    wrong = client.post(
        "/api/v1/jobs", json={"kind": "test.steps", "parameters": {"steps": "x"}}, headers=ref
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["field"] == "parameters.steps"

    recorder.hold = True
    job = client.post("/api/v1/jobs", json=body, headers=ref).json()
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=emp).status_code == 403
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=aud).status_code == 200
    assert client.get("/api/v1/jobs", headers=emp).json() == []  # only their own
    assert [j["id"] for j in client.get("/api/v1/jobs", headers=aud).json()] == [job["id"]]
    refused = client.post(f"/api/v1/jobs/{job['id']}/cancel", json={}, headers=aud)
    assert refused.status_code == 403
    assert client.get("/api/v1/jobs/schedules", headers=emp).status_code == 403

    assert recorder.started.wait(30)
    cancel = client.post(f"/api/v1/jobs/{job['id']}/cancel", json={"reason": "x"}, headers=ref)
    assert cancel.status_code == 200
    assert wait_for_job(client, ref, job["id"])["status"] == "cancelled"
    again = client.post(f"/api/v1/jobs/{job['id']}/cancel", json={}, headers=ref)
    assert again.status_code == 409
    (cancelled,) = events(rt, "job.cancelled")
    assert cancelled.old == {"status": "running"}
    assert cancelled.reason == "x"


# --- failures, crashes, shutdowns -----------------------------------------------------------


def test_a_failing_job_is_retried_then_failed_for_good_and_audited(
    rt: Runtime, recorder: Recorder, ctx: AuditContext
) -> None:
    retried = rt.jobs.enqueue(ctx, "test.steps", {"fail_until_attempt": 1}, requested_by=None)
    doomed = rt.jobs.enqueue(ctx, "test.steps", {"fail_until_attempt": 9}, requested_by=None)
    for _ in range(3):
        drain(rt)
    assert rt.jobs.get(retried.id).status == "succeeded"
    assert rt.jobs.get(retried.id).attempts == 2
    failed = rt.jobs.get(doomed.id)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.error == "RuntimeError: attempt 3 fails"
    (record,) = events(rt, "job.failed")
    assert record.object_id == str(doomed.id)
    assert record.new["attempts"] == 3


def test_a_job_whose_worker_died_is_taken_over_and_failed_when_attempts_are_spent(
    rt: Runtime, recorder: Recorder, ctx: AuditContext
) -> None:
    job = rt.jobs.enqueue(ctx, "test.steps", {}, requested_by=None)
    assert rt.jobs.claim("dead-worker") is not None  # claimed, then the process is killed
    assert rt.jobs.claim("another") is None  # the lease holds
    assert drain(rt) == 0

    def expire() -> None:
        with rt.database.write() as session:
            session.execute(
                update(Job).values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    expire()
    assert drain(rt, "survivor") == 1
    done = rt.jobs.get(job.id)
    assert (done.status, done.attempts, done.result) == (
        "succeeded",
        2,
        {"steps": 1, "attempt": 2},
    )
    assert rt.jobs.succeed(job.id, "dead-worker", {"late": True}, None) is False  # too late

    lost = rt.jobs.enqueue(ctx, "test.steps", {}, requested_by=None)
    for name in ("w1", "w2", "w3"):
        assert rt.jobs.claim(name) is not None
        expire()
    assert rt.jobs.claim("w4") is None
    gone = rt.jobs.get(lost.id)
    assert gone.status == "failed"
    assert "stopped 3 time(s)" in (gone.error or "")
    assert [r.object_id for r in events(rt, "job.failed")] == [str(lost.id)]


def test_a_stopping_worker_hands_its_running_job_back(
    rt: Runtime, recorder: Recorder, ctx: AuditContext
) -> None:
    recorder.hold = True
    job = rt.jobs.enqueue(ctx, "test.steps", {"steps": 2}, requested_by=None)

    async def run_then_stop() -> None:
        task = asyncio.create_task(Worker(rt, name="stopping").run())
        assert await asyncio.to_thread(recorder.started.wait, 30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run_then_stop())
    back = rt.jobs.get(job.id)
    assert (back.status, back.attempts, back.worker) == ("queued", 0, None)
    recorder.hold = False
    assert drain(rt) == 1
    assert rt.jobs.get(job.id).result == {"steps": 2, "attempt": 1}


def test_a_lost_lease_stops_the_handler_and_its_result_is_not_recorded(
    rt: Runtime, recorder: Recorder, ctx: AuditContext
) -> None:
    rt.settings.jobs.lease_seconds = 1
    recorder.hold = True
    job = rt.jobs.enqueue(ctx, "test.steps", {"steps": 2}, requested_by=None)

    async def run() -> None:
        claimed = await asyncio.to_thread(rt.jobs.claim, "slow")
        assert claimed is not None
        worker = Worker(rt, name="slow")
        running = asyncio.create_task(worker.execute(claimed))
        assert await asyncio.to_thread(recorder.started.wait, 30)
        with rt.database.write() as session:  # another worker took it over meanwhile
            session.execute(update(Job).values(lease_owner="other"))
        await asyncio.wait_for(running, timeout=30)

    asyncio.run(run())
    taken = rt.jobs.get(job.id)
    assert (taken.status, taken.worker, taken.result) == ("running", "other", None)


# --- several workers ----------------------------------------------------------------------------


def test_concurrent_workers_run_each_job_exactly_once(
    rt: Runtime, recorder: Recorder, ctx: AuditContext
) -> None:
    ids = [rt.jobs.enqueue(ctx, "test.steps", {}, requested_by=None).id for _ in range(24)]
    counts: list[int] = []

    def work(name: str) -> None:
        counts.append(asyncio.run(Worker(rt, name=name).drain()))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(counts) == 24
    assert recorder.ran == Counter(dict.fromkeys(ids, 1))
    assert {rt.jobs.get(i).status for i in ids} == {"succeeded"}


# --- schedules ----------------------------------------------------------------------------------


def test_a_schedule_enqueues_one_job_per_occurrence(
    rt: Runtime, recorder: Recorder, ctx: AuditContext
) -> None:
    schedule = rt.schedules.set(
        ctx, "nightly", ScheduleIn(kind="test.steps", cron="0 2 * * *"), owner_id=None
    )
    assert (schedule.next_run_at.hour, schedule.next_run_at.minute) == (2, 0)
    assert rt.schedules.enqueue_due(schedule.next_run_at - timedelta(seconds=1)) == []
    later = schedule.next_run_at + timedelta(minutes=5)
    results: list[list[int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(rt.schedules.enqueue_due(later)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    created = [job for found in results for job in found]
    assert len(created) == 1  # three workers, one occurrence, one job
    moved = rt.schedules.get("nightly")
    assert moved.next_run_at == schedule.next_run_at + timedelta(days=1)
    assert moved.last_job_id == created[0]
    assert rt.jobs.get(created[0]).schedule_id == schedule.id

    # the next occurrence comes while that job still waits: skipped, not piled up
    assert rt.schedules.enqueue_due(moved.next_run_at + timedelta(minutes=1)) == []
    drain(rt)
    assert rt.jobs.get(created[0]).status == "succeeded"
    after = rt.schedules.get("nightly").next_run_at
    assert len(rt.schedules.enqueue_due(after + timedelta(minutes=1))) == 1


def test_schedules_over_the_api_are_checked_and_audited(
    client: TestClient, rt: Runtime, recorder: Recorder, people: dict[str, int], login: Login
) -> None:
    ref, emp = login("ref"), login("emp")
    body = {"kind": "test.steps", "every_minutes": 15, "parameters": {"steps": 2}}
    assert client.put("/api/v1/jobs/schedules/steps", json=body, headers=emp).status_code == 403
    both = client.put(
        "/api/v1/jobs/schedules/steps", json=body | {"cron": "* * * * *"}, headers=ref
    )
    assert both.status_code == 422
    bad_cron = client.put(
        "/api/v1/jobs/schedules/steps",
        json={"kind": "test.steps", "cron": "61 * * * *"},
        headers=ref,
    )
    assert bad_cron.status_code == 400
    assert "five-field cron" in bad_cron.json()["error"]["message"]
    bad_name = client.put("/api/v1/jobs/schedules/Bad%20Name", json=body, headers=ref)
    assert bad_name.status_code == 422
    built_in = client.put(
        "/api/v1/jobs/schedules/imports",
        json={"kind": "shadow.import", "every_minutes": 5},
        headers=ref,
    )
    assert built_in.status_code == 400

    created = client.put("/api/v1/jobs/schedules/steps", json=body, headers=ref)
    assert created.status_code == 200, created.text
    assert created.json()["owner_id"] == people["ref"]
    changed = client.put(
        "/api/v1/jobs/schedules/steps", json=body | {"enabled": False}, headers=ref
    )
    assert changed.json()["version"] == 2
    assert [s["name"] for s in client.get("/api/v1/jobs/schedules", headers=ref).json()] == [
        "steps"
    ]
    assert client.delete("/api/v1/jobs/schedules/steps", headers=ref).status_code == 204
    assert client.delete("/api/v1/jobs/schedules/steps", headers=ref).status_code == 404
    _, second = events(rt, "job.schedule_set")
    assert second.old["enabled"] is True
    assert second.new["enabled"] is False
    (removed,) = events(rt, "job.schedule_removed")
    assert removed.old["name"] == "steps"
    with rt.database.read() as session:
        assert session.scalar(select(JobSchedule.id)) is None


def test_a_scheduled_job_acts_with_its_owners_rights(
    rt: Runtime, recorder: Recorder, ctx: AuditContext, people: dict[str, int]
) -> None:
    seen: list[tuple[str, int | None]] = []

    async def who(rt: Runtime, job: JobContext) -> None:
        seen.append((job.audit.actor.id, job.user_id))

    rt.jobs.kinds.add(Kind(name="test.who", summary="Who.", handler=who, right=("jobs", "read")))
    rt.schedules.set(
        ctx, "who", ScheduleIn(kind="test.who", every_minutes=1), owner_id=people["aud"]
    )
    rt.schedules.enqueue_due(datetime.now(UTC) + timedelta(minutes=2))
    drain(rt)
    assert seen == [(str(people["aud"]), people["aud"])]


# --- the console ----------------------------------------------------------------------------------


def test_the_cli_enqueues_runs_lists_and_schedules(cli_env: Settings) -> None:
    code, output = invoke("jobs", "kinds")
    assert code == 0
    assert "gateway.purge_content" in output
    code, output = invoke("jobs", "enqueue", "gateway.purge_content", "--wait")
    assert code == 0, output
    assert "succeeded" in output
    assert 'result: {"purged": 0, "messages": 0}' in output
    code, output = invoke("jobs", "list", "--json")
    assert [(j["kind"], j["status"]) for j in json.loads(output)] == [
        ("gateway.purge_content", "succeeded")
    ]
    code, output = invoke("jobs", "enqueue", "shadow.import")
    assert code == 1
    assert "not on demand" in output
    code, output = invoke(
        "jobs", "schedule", "set", "purge", "--kind", "gateway.purge_content", "--cron", "x"
    )
    assert code == 1
    assert "five-field cron" in output
    code, output = invoke(
        "jobs", "schedule", "set", "purge", "--kind", "gateway.purge_content", "--every-minutes",
        "30",
    )  # fmt: skip
    assert code == 0, output
    code, output = invoke("jobs", "schedule", "list")
    assert "purge: gateway.purge_content every 30 min" in output
    code, output = invoke("jobs", "run-pending")
    assert code == 0
    assert "ran 0 job(s)" in output
    code, output = invoke("jobs", "schedule", "remove", "purge")
    assert code == 0


def test_the_housekeeping_schedules_exist_run_and_keep_an_administrators_change(
    rt: Runtime, ctx: AuditContext
) -> None:
    ensure_housekeeping(rt)
    built_in = {s.name: s for s in rt.schedules.all()}
    assert {name: s.kind for name, s in built_in.items()} == {
        "gateway-content-purge": "gateway.purge_content",
        "canaries-due": "canaries.due",
        "alerts-check": "alerts.check",
    }
    assert built_in["gateway-content-purge"].every_minutes == 60
    assert built_in["alerts-check"].owner_id is None  # they act as the system
    rt.schedules.set(
        ctx, "alerts-check", ScheduleIn(kind="alerts.check", every_minutes=5), owner_id=None
    )
    ensure_housekeeping(rt)  # the next start-up
    assert rt.schedules.get("alerts-check").every_minutes == 5
    assert len(events(rt, "job.schedule_set")) == 4

    created = rt.schedules.enqueue_due(datetime.now(UTC) + timedelta(hours=2))
    assert len(created) == 3
    assert drain(rt) == 3
    outcomes = {rt.jobs.get(i).kind: rt.jobs.get(i) for i in created}
    assert {kind: job.status for kind, job in outcomes.items()} == dict.fromkeys(
        ("gateway.purge_content", "canaries.due", "alerts.check"), "succeeded"
    )
    assert outcomes["gateway.purge_content"].result == {"purged": 0, "messages": 0}
    assert outcomes["canaries.due"].result == {"runs": [], "drifts": []}
    assert outcomes["alerts.check"].result is not None
    assert outcomes["alerts.check"].result["raised"] == 0
