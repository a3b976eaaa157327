"""A small company for gateway tests: a charter in force, a department and a team, compliant
people, models in the inventory served by fake providers, a use case in production, API keys.

The use case is put in production by writing its status: the lifecycle gates that lead there
are tested in tests/test_registry_lifecycle.py; here only what the gateway does with a live use
case matters. Everything else goes through the services and the HTTP API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from fastapi.testclient import TestClient
from openai import OpenAI
from sqlalchemy import update
from tests.fake_providers import FakeAnthropic, FakeOpenAI, route
from tests.inventory_helpers import model as model_body
from tests.inventory_helpers import vendor as vendor_body
from tests.registry_helpers import DEPLOYMENT

from gouvernail.audit import AuditContext
from gouvernail.gateway.governance import UseCaseGatewayIn
from gouvernail.gateway.service import GatewayService
from gouvernail.identity.models import User
from gouvernail.inventory.values import GuaranteeSpec, ModelSpec, ModelStatus, VendorSpec
from gouvernail.registry.models import UseCase
from gouvernail.registry.schemas import UseCaseIn
from gouvernail.runtime import Runtime

PROVIDER_KEY = "sk-fake-secret-key"
ANTHROPIC_KEY = "sk-ant-fake-secret-key"


@dataclass
class World:
    rt: Runtime
    ctx: AuditContext
    openai: FakeOpenAI
    anthropic: FakeAnthropic
    vllm: FakeOpenAI
    users: dict[str, int] = field(default_factory=dict)
    use_cases: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def add_model(self, name: str, *, approve: bool = True, **fields: Any) -> None:
        spec = ModelSpec.model_validate(model_body(name, **fields))
        self.rt.inventory.create_model(self.ctx, spec)
        if approve:
            self.rt.inventory.set_status(
                self.ctx, name, ModelStatus.APPROVED, reason="approved for the test"
            )

    def add_self_hosted(self, name: str = "llama-onprem") -> None:
        """A self-hosted model (vLLM in our data centre) allowed up to secret data."""
        self.add_model(
            name,
            vendor="in-house",
            upstream_model="meta-llama/Llama-3.1-70B-Instruct",
            endpoint={"base_url": self.vllm.base_url},
            credential_ref=None,
            capabilities=["chat", "tools"],
            hosting="self_hosted",
            region="fr-lyon",
            max_data_class="secret",
        )

    def add_bundled_embeddings(self, base_url: str, name: str = "minilm-onprem") -> None:
        """The embedding model bundled with Gouvernail, as served at ``base_url``."""
        self.add_model(
            name,
            vendor="in-house",
            upstream_model="all-minilm-l6-v2",
            endpoint={"base_url": base_url},
            credential_ref=None,
            capabilities=["embeddings"],
            hosting="self_hosted",
            region="fr-lyon",
            max_data_class="secret",
        )

    def give_emails(self, *names: str) -> None:
        """``<name>@example.com`` for these people (stores name readers by e-mail)."""
        with self.rt.database.write() as session:
            for name in names:
                session.execute(
                    update(User).where(User.username == name).values(email=f"{name}@example.com")
                )

    def use_case(self, name: str, owner: str, *, status: str = "production", **gateway: Any) -> int:
        view = self.rt.use_cases.submit(
            self.ctx,
            self.users[owner],
            UseCaseIn.model_validate(
                {
                    "title": f"{name} assistant for the regulatory affairs team",
                    "description": f"Use case {name}: drafting help with approved models.",
                    "duplicate_justification": "test fixture",
                }
            ),
        )
        with self.rt.database.write() as session:
            session.execute(
                update(UseCase)
                .where(UseCase.id == view.id)
                .values(
                    status=status,
                    deployment=orjson.dumps(DEPLOYMENT).decode(),
                )
            )
        if gateway:
            self.rt.governance.configure(
                self.ctx,
                view.id,
                UseCaseGatewayIn.model_validate({"reason": "test set-up", **gateway}),
            )
        self.use_cases[name] = view.id
        return view.id

    def key(self, owner: str, use_case: str | None) -> str:
        created = self.rt.keys.create(
            self.ctx,
            user_id=self.users[owner],
            name=f"{owner} {use_case}",
            use_case_id=self.use_cases[use_case] if use_case else None,
        )
        self.keys[f"{owner}:{use_case}"] = created.secret
        return created.secret


def build_world(
    rt: Runtime,
    ctx: AuditContext,
    make_user: Callable[..., int],
    compliant_user: Callable[..., None],
    *,
    openai_base_url: str | None = None,
) -> World:
    """The world; ``openai_base_url``: where the OpenAI-compatible fake is really served."""
    openai_fake = FakeOpenAI(host="api.fake-openai.test")
    anthropic_fake = FakeAnthropic(host="api.fake-anthropic.test")
    vllm_fake = FakeOpenAI(host="vllm.internal.test", api_key=None)
    world = World(rt, ctx, openai_fake, anthropic_fake, vllm_fake)
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department")
    rt.directory.create_team(
        ctx, slug="reg-affairs", name="Regulatory affairs", kind="team", parent="rd"
    )
    for name in ("alice", "bob"):
        world.users[name] = make_user(name, "use_case_owner", team="reg-affairs")
        compliant_user(world.users[name])
    world.users["nora"] = make_user("nora", team="reg-affairs")  # no charter, no training
    world.users["ref"] = make_user("ref", "ai_referent")
    for slug in ("fakeai", "in-house"):
        body = vendor_body(slug)
        guarantees = [GuaranteeSpec.model_validate(g) for g in body.pop("guarantees")]
        rt.inventory.create_vendor(ctx, VendorSpec.model_validate(body), guarantees)
    world.add_model(
        "claude-eu",
        vendor="fakeai",
        provider_kind="anthropic",
        upstream_model="claude-sonnet",
        endpoint={"base_url": anthropic_fake.base_url},
        credential_ref="FAKE_ANTHROPIC_KEY",
        capabilities=["chat", "tools"],
        max_data_class="confidential",
        hosting="eu_cloud",
    )
    world.add_model(
        "gpt-eu",
        vendor="fakeai",
        upstream_model="gpt-4o-mini",
        endpoint={"base_url": openai_base_url or openai_fake.base_url},
        credential_ref="FAKE_PROVIDER_KEY",
        capabilities=["chat", "tools", "embeddings", "responses"],
        max_data_class="confidential",
        # a real local server speaks plain HTTP, which only a self-hosted model may
        hosting="self_hosted" if openai_base_url else "eu_cloud",
        fallback_models=["claude-eu"],
    )
    world.use_case("drafting", "alice")
    rt.curation.add_member(
        ctx, world.use_cases["drafting"], world.users["bob"], reason="joins the drafting team"
    )
    return world


def install_gateway(rt: Runtime, transport: httpx.AsyncBaseTransport) -> GatewayService:
    """Build the runtime's gateway with the fakes' transport (before the app starts)."""
    service = rt.build_gateway(transport)
    rt.__dict__["gateway"] = service
    return service


def sdk(client: TestClient, key: str) -> OpenAI:
    """The official OpenAI SDK, pointed at the gateway under test (no retries: one call is
    one request)."""
    return OpenAI(base_url="http://testserver/v1", api_key=key, http_client=client, max_retries=0)


def transport_for(world: World) -> httpx.MockTransport:
    return route(world.openai, world.anthropic, world.vllm)
