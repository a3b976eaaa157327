"""Fixtures: an isolated database per test on SQLite and on PostgreSQL, a runtime, a client.

PostgreSQL and Redis tests skip with a visible reason when the services are absent, except in
CI (``CI=true``), where the services are started if they are down and the tests must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gouvernail.app import create_app
from gouvernail.audit import SYSTEM, AuditContext
from gouvernail.charter.service import CharterView
from gouvernail.db import Database
from gouvernail.db.migrate import upgrade
from gouvernail.identity.principal import Principal
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

PG_ADMIN = os.environ.get("GOUVERNAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# one Redis database per pytest-xdist worker (15, 14, ...), so parallel workers never flush
# each other's keys
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("GOUVERNAIL_TEST_REDIS", f"redis://127.0.0.1:6379/{15 - _WORKER % 15}")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct horse battery staple"

START_COMMANDS = {
    "postgresql": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "redis": 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log",
}


def _pg_up() -> bool:
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


def _service(name: str, probe: Callable[[], bool]) -> str | None:
    """None if the service answers; else the reason to skip (or fail, in CI)."""
    if probe():
        return None
    if IN_CI:
        subprocess.run(START_COMMANDS[name], shell=True, check=False)  # noqa: S602
        for _ in range(30):
            if probe():
                return None
            time.sleep(1)
        pytest.fail(f"CI=true and {name} could not be started: {START_COMMANDS[name]}")
    return f"{name} is not reachable (set CI=true to start it)"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    reason = _service("postgresql", _pg_up)
    if reason:
        pytest.skip(reason)
    name = f"gouvernail_tpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database = Database(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    upgrade(database)
    database.dispose()
    yield name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each backend."""
    if request.param == "sqlite":
        target = tmp_path / "gouvernail.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"gouvernail_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    reason = _service("redis", _redis_up)
    if reason:
        pytest.skip(reason)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "test",
            "data_dir": tmp_path,
            "database_url": database_url,
            "log_json": False,
            "log_level": "WARNING",
            # cheap argon2id in tests (the production cost is the default, checked in prod)
            "password_hash_memory_kib": 1024,
            "password_hash_time_cost": 1,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.build(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def client(settings: Settings, rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, rt)) as test_client:
        yield test_client


@pytest.fixture
def ctx() -> AuditContext:
    return AuditContext(SYSTEM, "test")


@pytest.fixture
def make_user(rt: Runtime, ctx: AuditContext) -> Callable[..., int]:
    """Create an active user with ``PASSWORD`` (no change required); return its id."""

    def make(username: str, *roles: str, **fields: Any) -> int:
        user = rt.directory.create_user(
            ctx,
            username=username,
            display_name=fields.pop("display_name", username.title()),
            roles=list(roles),
            password=PASSWORD,
            **fields,
        )
        return user.id

    return make


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Sign in through the API; return the Authorization header."""

    def sign_in(username: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return sign_in


@pytest.fixture
def charter_in_force(rt: Runtime, ctx: AuditContext) -> CharterView:
    """The default English charter, in force now, with the shipped training modules defined
    (AI keys are issued only under a charter in force)."""
    rt.literacy.load_modules(ctx)
    draft = rt.charters.load_default(ctx, "en")
    return rt.charters.activate(
        ctx, draft.id, reason="adopted for the test", require_approval=False
    )


@pytest.fixture
def compliant_user(
    rt: Runtime, ctx: AuditContext, charter_in_force: CharterView
) -> Callable[..., None]:
    """Make a user eligible for AI keys: accept the charter in force (signed with their
    password, ``PASSWORD`` unless given) and complete every training required of them."""

    def comply(user_id: int, password: str = PASSWORD) -> None:
        user = rt.directory.get(user_id)
        principal = Principal.signed_in(user)
        rt.charters.accept(principal, password=password)
        mine = rt.literacy.trainings(user_id)
        for code in (*mine.missing_required, *mine.expired_required):
            rt.literacy.record(ctx, user_id=user_id, module=code)

    return comply


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment of a ``gouvernail`` command run against this test's database (a wide
    console, so that tables are not wrapped)."""
    monkeypatch.setenv("GOUVERNAIL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GOUVERNAIL_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("GOUVERNAIL_ENV", "test")
    monkeypatch.setenv("GOUVERNAIL_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    return settings


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """Run ``gouvernail ARGS``; its exit code and output."""
    from gouvernail.cli import app

    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


# --- the gateway's small company (tests/gateway_helpers.py) ------------------------------------


@pytest.fixture
def world(
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    compliant_user: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """People, models served by fake providers, a use case in production (``World``)."""
    from tests.gateway_helpers import ANTHROPIC_KEY, PROVIDER_KEY, build_world

    monkeypatch.setenv("FAKE_PROVIDER_KEY", PROVIDER_KEY)
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", ANTHROPIC_KEY)
    return build_world(rt, ctx, make_user, compliant_user)


@pytest.fixture
def gw(settings: Settings, rt: Runtime, world: Any) -> Iterator[TestClient]:
    """The app, its gateway talking to the world's fake providers."""
    from tests.gateway_helpers import install_gateway, transport_for

    install_gateway(rt, transport_for(world))
    with TestClient(create_app(settings, rt)) as client:
        yield client
