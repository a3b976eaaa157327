"""Two server processes sharing PostgreSQL and Redis: a kill switch engaged, or a suspension
decided, on one replica stops AI on the other within one second."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.fake_providers import FakeOpenAI, serve_fake
from tests.gateway_helpers import PROVIDER_KEY, World, build_world
from tests.registry_helpers import move

from gouvernail.audit import AuditContext
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def replica(settings: Settings, redis_url: str, log: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "GOUVERNAIL_ENV": "test",
        "GOUVERNAIL_DATA_DIR": str(settings.data_dir),
        "GOUVERNAIL_DATABASE_URL": settings.effective_database_url,
        "GOUVERNAIL_REDIS_URL": redis_url,
        "GOUVERNAIL_LOG_LEVEL": "WARNING",
        "GOUVERNAIL_PASSWORD_HASH_MEMORY_KIB": "1024",
        "GOUVERNAIL_PASSWORD_HASH_TIME_COST": "1",
        "GOUVERNAIL_GATEWAY__INSPECTION": "off",
        "FAKE_PROVIDER_KEY": PROVIDER_KEY,
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gouvernail", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"replica did not start: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def chat(url: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        json={"model": "gpt-eu", "messages": [{"role": "user", "content": "Bonjour"}]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def seconds_until_refused(url: str, key: str, code: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 5:
        response = chat(url, key)
        if response.status_code != 200:
            assert response.json()["error"]["code"] == code, response.text
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError("the other replica never refused")


@pytest.mark.postgres
@pytest.mark.redis
def test_kill_switch_and_suspension_reach_every_replica_within_a_second(
    settings: Settings,
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    compliant_user: Callable[..., None],
    redis_url: str,
    tmp_path: Path,
) -> None:
    if rt.database.dialect != "postgresql":
        pytest.skip("replicas share PostgreSQL")
    fake = FakeOpenAI(host="127.0.0.1")
    with serve_fake(fake) as base_url:
        world: World = build_world(rt, ctx, make_user, compliant_user, openai_base_url=base_url)
        key = world.key("alice", "drafting")
        rt.trail.close()  # the replicas write the chain from here on
        with (
            replica(settings, redis_url, tmp_path / "a.log") as a,
            replica(settings, redis_url, tmp_path / "b.log") as b,
        ):
            assert chat(a, key).status_code == 200
            assert chat(b, key).status_code == 200
            ref = {
                "Authorization": "Bearer "
                + httpx.post(
                    f"{a}/api/v1/auth/login", json={"username": "ref", "password": PASSWORD}
                ).json()["token"]
            }
            use_case = world.use_cases["drafting"]
            engaged = httpx.put(
                f"{a}/api/v1/kill-switches/use-case/{use_case}",
                json={"engaged": True, "reason": "incident on replica A"},
                headers=ref,
            )
            assert engaged.status_code == 200, engaged.text
            assert seconds_until_refused(b, key, "kill_switch_use_case") < 1.0
            httpx.put(
                f"{a}/api/v1/kill-switches/use-case/{use_case}",
                json={"engaged": False, "reason": "resolved"},
                headers=ref,
            )
            time.sleep(1.0)
            assert chat(b, key).status_code == 200
            with httpx.Client(base_url=a) as client:
                uc = client.get(f"/api/v1/use-cases/{use_case}", headers=ref).json()
                suspended = move(client, ref, uc, "suspended")  # type: ignore[arg-type]
            assert suspended.status_code == 200, suspended.text
            assert seconds_until_refused(b, key, "use_case_suspended") < 1.0
            assert fake.requests, "calls went upstream over real HTTP"
