"""The gateway service: builds the pipeline from the runtime's services and owns what lives as
long as the server (upstream connection pool, quota store, detectors, caches)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gouvernail.agents.runs import AgentRuns
from gouvernail.audit import AuditTrail
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.gateway.accounting import (
    Impacts,
    MemoryQuotaStore,
    MemoryRunCounters,
    Prices,
    QuotaStore,
    RedisQuotaStore,
    RedisRunCounters,
    RunCounters,
    Scope,
)
from gouvernail.gateway.accounting._quota import month_of
from gouvernail.gateway.admission import Admission
from gouvernail.gateway.agent_runs import RunBook
from gouvernail.gateway.pipeline import Gateway
from gouvernail.gateway.policy_documents import PolicyDocuments, watch
from gouvernail.gateway.prompting import PromptOwners, owner_loader
from gouvernail.gateway.providers import Upstreams
from gouvernail.gateway.record import Recorder
from gouvernail.gateway.rules import Rules
from gouvernail.gateway.spend import month_to_date
from gouvernail.gateway.steps import Catalogue
from gouvernail.inventory.routing import RoutableModel
from gouvernail.literacy.views import Eligibility
from gouvernail.metrics import Metrics
from gouvernail.settings import Settings

if TYPE_CHECKING:
    import httpx

    from gouvernail.inspection import Inspector


class GatewayService:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database,
        trail: AuditTrail,
        metrics: Metrics,
        charter: Callable[[], CharterRules | None],
        eligibility: Callable[[int], Eligibility],
        models: Callable[[], list[RoutableModel]],
        transport: httpx.AsyncBaseTransport | None = None,
        inspector: Inspector | None = None,
    ) -> None:
        g = settings.gateway
        self.settings = settings
        self.database = database
        self.admission = Admission(database, g, charter=charter, eligibility=eligibility)
        self.catalogue = Catalogue(models, g.admission_cache_seconds)
        self.inspector = inspector
        self.quotas: QuotaStore = (
            RedisQuotaStore(settings.redis_url, reservation_ttl=g.reservation_ttl_seconds)
            if settings.redis_url
            else MemoryQuotaStore(reservation_ttl=g.reservation_ttl_seconds)
        )
        run_counters: RunCounters = (
            RedisRunCounters(settings.redis_url) if settings.redis_url else MemoryRunCounters()
        )
        self.runs = RunBook(AgentRuns(database, trail), run_counters, g.admission_cache_seconds)
        self.upstreams = Upstreams(
            transport=transport,
            connect_timeout=g.connect_timeout,
            read_timeout=g.read_timeout,
            retries=g.retries,
            backoff_base=g.backoff_base,
            backoff_max=g.backoff_max,
            breaker_failures=g.breaker_failures,
            breaker_cooldown=g.breaker_cooldown,
        )
        self.rules = Rules.load(g.rules_file)
        self.policy_applied: dict[str, int] = {}
        """The version of each administrator's policy document in use here."""
        self.prices = Prices(g.fx_to_eur)
        self.impacts = Impacts()
        self.gateway = Gateway(
            settings,
            admission=self.admission,
            catalogue=self.catalogue,
            inspector=inspector,
            fast_detect=inspector.fast_findings if inspector is not None else None,
            rules=self.rules,
            prices=self.prices,
            impacts=self.impacts,
            quotas=self.quotas,
            upstreams=self.upstreams,
            recorder=Recorder(
                trail,
                metrics,
                sample_seconds=g.unauthenticated_sample_seconds,
                detect=inspector.fast_findings if inspector is not None else None,
            ),
            prompt_owners=PromptOwners(owner_loader(database.read)),
            runs=self.runs,
        )

    async def seed_spend(self) -> int:
        """Start the quota store from the month-to-date spend in the request log, so that
        monthly budgets survive a restart (a shared store already counting keeps its figures).
        Returns how many scopes were seeded."""
        now = utcnow()

        def load() -> dict[Scope, Decimal]:
            with self.database.read() as session:
                return month_to_date(session, now)

        totals = await asyncio.to_thread(load)
        month = month_of(now.timestamp())
        for scope, amount in totals.items():
            await self.quotas.seed(scope, month, amount)
        return len(totals)

    def forget(self) -> None:
        """This replica changed something the gateway reads: drop the cached snapshots."""
        self.admission.forget()
        self.catalogue.forget()
        self.runs.forget()

    def warm_up(self) -> None:
        if self.inspector is not None:
            self.inspector.warm_up()

    async def models_for(self, secret: str | None) -> dict[str, Any]:
        """``GET /v1/models``: the approved models the key's use case may call."""
        who = await self.admission.admit(secret)
        use_case, agent = who.use_case, who.agent
        listed = []
        for model in (await self.catalogue.models()).values():
            if not use_case.allows(model.name) or (
                agent is not None and not agent.allows(model.name)
            ):
                continue
            listed.append(
                {
                    "id": model.name,
                    "object": "model",
                    "created": 0,
                    "owned_by": model.vendor,
                    "capabilities": sorted(c.value for c in model.capabilities),
                    "hosting": model.hosting.value,
                    "max_data_class": model.max_data_class,
                }
            )
        return {"object": "list", "data": sorted(listed, key=lambda m: m["id"])}

    def apply_policy(self, documents: PolicyDocuments) -> list[str]:
        """Use the newest detectors and rules the administrators saved (see policy_documents)."""
        reconfigure = self.inspector.reconfigure if self.inspector is not None else None
        return documents.apply(self.rules, reconfigure, self.policy_applied)

    async def watch_policy(self, documents: PolicyDocuments) -> None:
        reconfigure = self.inspector.reconfigure if self.inspector is not None else None
        await watch(
            documents,
            self.rules,
            reconfigure,
            self.policy_applied,
            self.settings.gateway.policy_reload_seconds,
        )

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        await self.quotas.aclose()
        await self.runs.counters.aclose()
