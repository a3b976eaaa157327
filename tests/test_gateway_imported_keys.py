"""Keys another gateway issued (a LiteLLM ``sk-…`` key), imported so that clients keep working
through a migration: found by their digest, governed like our own keys, never stored in clear."""

from __future__ import annotations

import openai
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.gateway_helpers import World, sdk
from tests.inventory_helpers import records

from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.identity.models import ApiKey
from gouvernail.runtime import Runtime

LEGACY = "sk-legacy-4f9c2e7a1b3d5f60"


def test_an_imported_key_calls_the_gateway_and_the_api(
    gw: TestClient, world: World, rt: Runtime
) -> None:
    created = rt.keys.import_key(
        world.ctx,
        secret=LEGACY,
        user_id=world.users["alice"],
        name="migrated from LiteLLM",
        use_case_id=world.use_cases["drafting"],
    )
    assert created.key.prefix.startswith("gx_")
    assert created.secret == LEGACY
    with rt.database.read() as session:
        stored = session.scalars(select(ApiKey)).all()
    assert all(LEGACY not in (k.prefix, k.secret_hash) for k in stored)
    (event,) = [e for e in records(rt, "api_key.created") if e["new"].get("imported")]
    assert LEGACY not in orjson.dumps(event).decode()

    answer = sdk(gw, LEGACY).chat.completions.create(
        model="gpt-eu", messages=[{"role": "user", "content": "Bonjour"}], max_tokens=20
    )
    assert answer.choices[0].message.content == world.openai.reply
    me = gw.get("/api/v1/me", headers={"Authorization": f"Bearer {LEGACY}"})
    assert me.status_code == 200, me.text
    assert me.json()["user"]["username"] == "alice"

    rt.keys.revoke(world.ctx, created.key.id, reason="migration finished")
    rt.gateway.forget()
    with pytest.raises(openai.AuthenticationError):
        sdk(gw, LEGACY).chat.completions.create(
            model="gpt-eu", messages=[{"role": "user", "content": "Bonjour"}], max_tokens=20
        )
    with pytest.raises(openai.AuthenticationError):
        sdk(gw, "sk-legacy-0000000000000000").chat.completions.create(
            model="gpt-eu", messages=[{"role": "user", "content": "Bonjour"}], max_tokens=20
        )


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("sk-short", "12-200 characters"),
        ("sk legacy with spaces", "printable ASCII"),
        ("sk-légacy-4f9c2e7a1b", "printable ASCII"),
        ("gk_0123456789ab_whatever-secret", "cannot be imported"),
    ],
)
def test_secrets_that_cannot_be_imported(
    world: World, rt: Runtime, secret: str, message: str
) -> None:
    with pytest.raises(GouvernailError, match=message):
        rt.keys.import_key(world.ctx, secret=secret, user_id=world.users["alice"], name="x")


def test_a_secret_is_imported_once_and_our_own_keys_cannot_be_reused(
    world: World, rt: Runtime
) -> None:
    rt.keys.import_key(world.ctx, secret=LEGACY, user_id=world.users["alice"], name="first")
    with pytest.raises(ConflictError, match="already registered"):
        rt.keys.import_key(world.ctx, secret=LEGACY, user_id=world.users["bob"], name="again")
