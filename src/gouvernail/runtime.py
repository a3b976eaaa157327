"""The runtime: every long-lived object, built from the settings, owned by one value.

``create_app`` and the CLI each build a ``Runtime``; nothing lives at module level. Tests build
a fresh one per test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gouvernail.aiact import AiActClassifier
from gouvernail.audit import AuditTrail
from gouvernail.audit.signing import CheckpointSigner
from gouvernail.charter.service import Charters
from gouvernail.committee import Committee, approval_stage
from gouvernail.db.engine import Database
from gouvernail.docpack import Documentation, Sources
from gouvernail.identity.directory import Directory
from gouvernail.identity.keys import ApiKeys
from gouvernail.identity.passwords import Passwords
from gouvernail.identity.signin import Authenticator
from gouvernail.inventory import Inventory
from gouvernail.literacy.service import Literacy
from gouvernail.metrics import Metrics
from gouvernail.policy import Policy
from gouvernail.registry.approvals import Approvals
from gouvernail.registry.curation import Curation, key_gate
from gouvernail.registry.duplicates import Duplicates
from gouvernail.registry.prompts import Prompts
from gouvernail.registry.service import UseCases
from gouvernail.registry.workflows import Workflows
from gouvernail.risk import GxpRules, RiskLibrary, Risks
from gouvernail.risk.scoring import Level
from gouvernail.search.duplicates import DuplicateFinder
from gouvernail.settings import Environment, Settings
from gouvernail.signatures.service import Signatures

if TYPE_CHECKING:
    import httpx

    from gouvernail.agents import AgentRuns, Agents
    from gouvernail.agents.mcp.upstream import McpConnector
    from gouvernail.agents.tools.approvals import ToolApprovals
    from gouvernail.agents.tools.gateway import ToolGateway
    from gouvernail.agents.tools.inventory import ToolInventory
    from gouvernail.gateway.governance import Governance
    from gouvernail.gateway.policy_documents import PolicyDocuments
    from gouvernail.gateway.service import GatewayService
    from gouvernail.insight.service import Insight
    from gouvernail.inspection import Inspector
    from gouvernail.jobs.queue import Jobs
    from gouvernail.jobs.schedules import Schedules
    from gouvernail.observatory.alerts.service import Alerts
    from gouvernail.observatory.bias.service import BiasTests
    from gouvernail.observatory.canaries.service import Canaries
    from gouvernail.observatory.environment.service import Footprints
    from gouvernail.observatory.evaluations.service import Evaluations
    from gouvernail.observatory.feedback.service import Feedbacks
    from gouvernail.observatory.incidents.service import Incidents
    from gouvernail.observatory.licences.service import Licences
    from gouvernail.observatory.shadow.service import Shadow
    from gouvernail.observatory.value.service import Values
    from gouvernail.selfhosted import EmbeddingModel


@dataclass
class Runtime:
    settings: Settings
    database: Database
    signer: CheckpointSigner
    trail: AuditTrail
    policy: Policy
    passwords: Passwords
    directory: Directory
    authenticator: Authenticator
    keys: ApiKeys
    signatures: Signatures
    charters: Charters
    inventory: Inventory
    literacy: Literacy
    metrics: Metrics
    use_cases: UseCases
    curation: Curation
    approvals: Approvals
    committee: Committee
    risks: Risks
    aiact: AiActClassifier

    def __post_init__(self) -> None:
        self.keys.on_revoke.append(self.gateway_changed)

    def gateway_changed(self) -> None:
        """Something the gateway caches changed here: this replica sees it at once (the others
        within ``gateway.admission_cache_seconds``)."""
        if "gateway" in self.__dict__:
            self.gateway.forget()

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        database = Database(settings.effective_database_url)
        signer = CheckpointSigner.from_file(
            settings.signing_key_path,
            create=settings.env is not Environment.PROD,
        )
        metrics = Metrics()
        trail = AuditTrail(
            database,
            signer,
            checkpoint_interval=settings.audit_checkpoint_interval,
            batch_max=settings.audit_batch_max,
            on_commit=metrics.audit_committed,
        )
        passwords = Passwords(
            min_length=settings.password_min_length,
            max_age_days=settings.password_max_age_days,
            memory_kib=settings.password_hash_memory_kib,
            time_cost=settings.password_hash_time_cost,
        )
        limiter = MovingWindowRateLimiter(storage_from_string(settings.redis_url or "memory://"))
        authenticator = Authenticator(database, trail, passwords, settings, limiter)
        signatures = Signatures(database, trail, passwords, authenticator)
        charters = Charters(
            database, trail, signatures, default_grace_days=settings.charter_grace_days
        )
        literacy = Literacy(
            database,
            trail,
            self_declaration=settings.literacy_self_declaration,
            warning_days=settings.literacy_expiry_warning_days,
        )
        workflows = Workflows.load(settings.approval_workflows_file)
        aiact = AiActClassifier.load_default(settings.ai_act_rules_dir)
        use_cases = registry_service(settings, database, trail, charters, workflows, aiact)
        return cls(
            settings=settings,
            database=database,
            signer=signer,
            trail=trail,
            policy=Policy(),
            passwords=passwords,
            directory=Directory(database, trail, passwords),
            authenticator=authenticator,
            keys=ApiKeys(database, trail, settings.api_key_default_days, literacy.gate, key_gate),
            signatures=signatures,
            charters=charters,
            inventory=Inventory(database, trail, charters),
            literacy=literacy,
            metrics=metrics,
            use_cases=use_cases,
            curation=Curation(use_cases),
            approvals=Approvals(database, signatures, workflows),
            committee=Committee(
                database,
                trail,
                signatures,
                quorum=settings.committee_quorum,
                pending_stage=approval_stage(workflows),
            ),
            risks=Risks(
                database,
                trail,
                RiskLibrary.load(settings.risk_library_file),
                GxpRules.builtin(),
                acceptance_max=Level(settings.risk_acceptance_max_level),
            ),
            aiact=aiact,
        )

    @cached_property
    def prompts(self) -> Prompts:
        """Versioned, labelled prompts of use cases (the playground's system prompts among
        them); a production move drops the gateway's cached prompts and must pass the
        evaluation gate (no regression on the use case's suites)."""

        def gate(use_case_id: int, prompt_version_id: int) -> str | None:
            return self.evaluations.promotion_gate(use_case_id, prompt_version_id)

        return Prompts(self.database, self.trail, gate=gate, on_change=self.gateway_changed)

    @cached_property
    def documentation(self) -> Documentation:
        """Documentation packs (per use case, and the platform's validation pack)."""
        return Documentation(
            Sources(self.database, self.use_cases, self.risks, self.approvals, self.signatures),
            self.trail,
            junit_file=self.settings.validation_junit_file or self.settings.data_dir / "junit.xml",
            requirements_file=self.settings.validation_requirements_file,
        )

    @cached_property
    def inspector(self) -> Inspector:
        """The detectors (loaded on first use; the server warms them up at start)."""
        from gouvernail.inspection import Inspector

        return Inspector.load(
            self.settings.gateway.detectors_files,
            names=self.settings.gateway.inspection != "fast",
        )

    @cached_property
    def self_hosted_embeddings(self) -> EmbeddingModel:
        """The bundled embedding model served at ``/self-hosted/v1`` (loaded on first use; the
        server warms it up in the background at start)."""
        from gouvernail.selfhosted import EmbeddingModel

        return EmbeddingModel(threads=self.settings.self_hosted.threads)

    @cached_property
    def gateway(self) -> GatewayService:
        """The OpenAI-compatible gateway (built on first use: it loads the detectors, unless
        ``gateway.inspection`` is off)."""
        return self.build_gateway()

    def build_gateway(self, transport: httpx.AsyncBaseTransport | None = None) -> GatewayService:
        """A gateway on this runtime's services; ``transport``: where provider calls go (tests
        plug their fake providers in here; the default is real HTTP)."""
        from gouvernail.gateway.service import GatewayService

        if transport is None and self.settings.self_hosted.enabled:
            from gouvernail.gateway.providers.transport import AiohttpTransport
            from gouvernail.selfhosted.inprocess import in_process

            real = AiohttpTransport(max_connections=200, keepalive_expiry=30.0)
            transport = in_process(self, real)  # our own /self-hosted/v1 without a socket
        service = GatewayService(
            self.settings,
            database=self.database,
            trail=self.trail,
            metrics=self.metrics,
            charter=self.charters.rules_in_force,
            eligibility=self.literacy.eligibility,
            models=self.inventory.routable_models,
            transport=transport,
            inspector=None if self.settings.gateway.inspection == "off" else self.inspector,
        )
        service.apply_policy(self.policy_documents)  # what administrators saved in the portal
        return service

    @cached_property
    def insight(self) -> Insight:
        """Governed answers from internal documents; its model calls go through ``gateway``."""
        from gouvernail.insight.service import Insight

        return Insight(
            self.database,
            self.trail,
            self.settings,
            gateway=lambda: self.gateway.gateway,
            inspector=lambda: None if self.settings.gateway.inspection == "off" else self.inspector,
            charters=self.charters,
            use_cases=self.use_cases,
        )

    @cached_property
    def feedback(self) -> Feedbacks:
        """Verdicts on answers, and the error rates they give."""
        from gouvernail.observatory.feedback.service import Feedbacks

        return Feedbacks(self.database, self.trail, self.use_cases.is_member)

    @cached_property
    def bias(self) -> BiasTests:
        """Bias tests by counterfactual pairs; their model calls go through ``gateway``. The
        shipped templates, plus ``<data_dir>/bias_templates.yaml`` if present."""
        from gouvernail.observatory.bias.service import BiasTests
        from gouvernail.observatory.bias.templates import BiasTemplates

        return BiasTests(
            self.database,
            self.trail,
            BiasTemplates.load(self.settings.data_dir),
            gateway=lambda: self.gateway.gateway,
        )

    @cached_property
    def evaluations(self) -> Evaluations:
        """Evaluation suites, runs (their model calls go through ``gateway``), comparisons and
        the promotion gate of prompt versions and models."""
        from gouvernail.observatory.evaluations.service import Evaluations

        return Evaluations(
            self.database,
            self.trail,
            self.settings.evaluations,
            gateway=lambda: self.gateway.gateway,
        )

    @cached_property
    def incidents(self) -> Incidents:
        """The AI incident register, with the AI Act serious-incident rules."""
        from gouvernail.observatory.incidents.rules import SeriousIncidentRules
        from gouvernail.observatory.incidents.service import Incidents

        return Incidents(self.database, self.trail, SeriousIncidentRules.builtin())

    @cached_property
    def canaries(self) -> Canaries:
        """Canaries for silent vendor changes; their model calls go through ``gateway``. The
        shipped prompt sets, plus ``<data_dir>/canary_prompts.yaml`` if present."""
        from gouvernail.observatory.canaries.prompts import CanaryPrompts
        from gouvernail.observatory.canaries.service import Canaries

        return Canaries(
            self.database,
            self.trail,
            CanaryPrompts.load(self.settings.data_dir),
            self.settings.canaries,
            gateway=lambda: self.gateway.gateway,
            may_run=lambda roles: self.policy.decide(roles, "canaries", "run").allowed,
        )

    @cached_property
    def value(self) -> Values:
        """Value models of use cases and their ROI reports."""
        from gouvernail.observatory.value.service import Values

        return Values(
            self.database,
            self.trail,
            self.settings.value,
            licence_costs=lambda use_case_id: self.licences.use_case_costs(use_case_id),
        )

    @cached_property
    def environment(self) -> Footprints:
        """Energy and CO2e of the gateway's calls, and sobriety hints."""
        from gouvernail.observatory.environment.service import Footprints

        return Footprints(
            self.database, self.settings, self.inventory, self.charters.rules_in_force
        )

    @cached_property
    def licences(self) -> Licences:
        """Licences and AI tools used outside the gateway: seats, activity exports inspected
        with the gateway's detectors against the charter in force, figures and costs."""
        from gouvernail.observatory.licences.service import Licences

        inspection = self.settings.gateway.inspection
        return Licences(
            self.database,
            self.trail,
            self.settings.licences,
            charter=self.charters.rules_in_force,
            inspector=lambda: None if inspection == "off" else self.inspector,
            inspection_mode="fast" if inspection == "fast" else "full",
        )

    @cached_property
    def shadow(self) -> Shadow:
        """Shadow-AI discovery from web-proxy logs (DuckDB, imported only when used)."""
        from gouvernail.observatory.shadow.service import Shadow

        return Shadow(
            self.database,
            self.trail,
            self.settings.shadow,
            use_cases=self.use_cases,
            inventory=self.inventory,
        )

    @cached_property
    def alerts(self) -> Alerts:
        """Alerts on error rates, budgets, provider SLA, canary drifts and shadow-AI spikes,
        read from those services and delivered by webhook and e-mail."""
        from gouvernail.observatory.alerts.service import Alerts
        from gouvernail.observatory.alerts.sources import runtime_sources

        return Alerts(
            self.database,
            self.trail,
            self.settings.alerts,
            runtime_sources(self),
            public_url=self.settings.effective_public_url,
        )

    @cached_property
    def agents(self) -> Agents:
        """The agent registry: agents, their versions, suspension, their keys."""
        from gouvernail.agents import Agents

        return Agents(
            self.database,
            self.trail,
            self.keys,
            charter=self.charters.rules_in_force,
            on_change=self.gateway_changed,
        )

    @cached_property
    def agent_runs(self) -> AgentRuns:
        """Runs of agents with their trace ids (ending one is seen by the gateway at once)."""
        from gouvernail.agents import AgentRuns

        return AgentRuns(self.database, self.trail, on_end=self.gateway_changed)

    @cached_property
    def mcp_connector(self) -> McpConnector:
        """The client side of the tool gateway: sessions with the inventory's MCP servers."""
        from gouvernail.agents.mcp.upstream import McpConnector

        agents = self.settings.agents
        return McpConnector(
            timeout_seconds=agents.tool_timeout_seconds,
            max_result_chars=agents.max_tool_result_chars,
        )

    @cached_property
    def tool_inventory(self) -> ToolInventory:
        """MCP servers and their tools, with each tool's governance."""
        from gouvernail.agents.tools.inventory import ToolInventory

        def secret(name: str) -> str | None:
            value = self.settings.provider_secret(name)
            return value.get_secret_value() if value is not None else None

        return ToolInventory(
            self.database,
            self.trail,
            charter=self.charters.rules_in_force,
            connector=lambda: self.mcp_connector,
            secret=secret,
        )

    @cached_property
    def tool_approvals(self) -> ToolApprovals:
        """Human approvals of consequential tool calls (signed for GxP-relevant tools)."""
        from gouvernail.agents.tools.approvals import ToolApprovals

        return ToolApprovals(
            self.database,
            self.trail,
            self.signatures,
            hours=lambda: self.settings.agents.approval_hours,
            may_read_all=lambda p: self.policy.decide(p.roles, "agent_tools", "read_all").allowed,
        )

    @cached_property
    def tool_gateway(self) -> ToolGateway:
        """Agents' tool calls under the same identity, policy and audit as their model calls
        (the door of ``/mcp`` and ``/api/v1/agents/tools``)."""
        from gouvernail.agents.tools.builtin import Builtins
        from gouvernail.agents.tools.gateway import ToolGateway

        return ToolGateway(
            self.database,
            self.trail,
            gateway=lambda: self.gateway,
            inventory=self.tool_inventory,
            approvals=self.tool_approvals,
            connector=lambda: self.mcp_connector,
            builtins=Builtins(lambda: self.insight),
            settings=self.settings.agents,
        )

    @cached_property
    def jobs(self) -> Jobs:
        """The job queue (imports, runs, purges), with the kinds the product ships."""
        from gouvernail.jobs.builtin import builtin_kinds
        from gouvernail.jobs.queue import Jobs

        return Jobs(self.database, self.trail, self.settings.jobs, builtin_kinds())

    @cached_property
    def schedules(self) -> Schedules:
        """Jobs on cron expressions or intervals, taken by whichever worker polls first."""
        from gouvernail.jobs.schedules import Schedules

        return Schedules(self.database, self.trail, self.jobs)

    @cached_property
    def policy_documents(self) -> PolicyDocuments:
        """Detectors and enforcement rules edited by administrators (versioned, audited)."""
        from gouvernail.gateway.policy_documents import PolicyDocuments

        g = self.settings.gateway
        return PolicyDocuments(self.database, self.trail, list(g.detectors_files), g.rules_file)

    @cached_property
    def governance(self) -> Governance:
        """Kill switches, per-use-case gateway settings, limits, sandboxes."""
        from gouvernail.gateway.governance import Governance

        return Governance(
            self.trail,
            self.settings.gateway,
            charter=self.charters.rules_in_force,
            on_change=self.gateway_changed,
        )

    async def aclose(self) -> None:
        """Close what needs the event loop (the gateway's connections), then the rest."""
        if "gateway" in self.__dict__:
            await self.gateway.aclose()
        if "mcp_connector" in self.__dict__:
            await self.mcp_connector.aclose()
        self.close()

    def close(self) -> None:
        if "insight" in self.__dict__:
            self.insight.close()
        if "inspector" in self.__dict__:
            self.inspector.close()
        if "self_hosted_embeddings" in self.__dict__:
            self.self_hosted_embeddings.close()
        self.trail.close()
        self.database.dispose()


def registry_service(
    settings: Settings,
    database: Database,
    trail: AuditTrail,
    charters: Charters,
    workflows: Workflows,
    aiact: AiActClassifier,
) -> UseCases:
    """The use-case registry, wired to the AI Act classifier, the duplicate finder and the
    charter's data classes."""

    def classify(answers: dict[str, Any], on: date | None) -> dict[str, Any]:
        result: dict[str, Any] = aiact.classify(answers, on=on).model_dump(mode="json")
        return result

    def data_classes() -> list[str] | None:
        active = charters.active()
        return [c.name for c in active.rules.data_classes] if active else None

    return UseCases(
        database,
        trail,
        workflows=workflows,
        weights=settings.portfolio_weights,
        duplicates=Duplicates(database, DuplicateFinder(), settings.duplicate_threshold),
        classify=classify,
        data_classes=data_classes,
    )
