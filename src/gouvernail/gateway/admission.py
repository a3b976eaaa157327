"""Authenticate and admit: which key, person, team and use case a call comes from, and whether
AI is on for them.

Everything admission needs about a key is read in one snapshot (key, person, teams up to the top,
use case and its gateway settings, kill switches, charter in force, the person's eligibility,
limits) and reused for ``admission_cache_seconds`` (at most one second). That bound is the whole
propagation story: a kill switch, a suspension, a revoked key or a withdrawn training reaches every
replica within it, with no message bus to lose a message. Concurrent calls with the same key
share one reload.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gouvernail.agents.models import Agent, AgentStatus
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.models import (
    ContentRetention,
    GatewayLimit,
    KillSwitch,
    SwitchScope,
    UseCaseGateway,
)
from gouvernail.gateway.prompting import AskedPrompt, asked_prompt
from gouvernail.identity import tokens
from gouvernail.identity.keys import find_api_key
from gouvernail.identity.models import AuthSession, Team, User
from gouvernail.literacy.views import Eligibility
from gouvernail.registry.models import Status, UseCase, UseCaseMember
from gouvernail.settings import GatewaySettings

LIVE = frozenset({Status.PILOT.value, Status.PRODUCTION.value})
SANDBOX_CLOSED = frozenset({Status.SUSPENDED.value, Status.RETIRED.value})


@dataclass(frozen=True, slots=True)
class LimitSpec:
    scope: str
    target_id: int
    requests_per_minute: int | None
    tokens_per_minute: int | None
    monthly_budget_eur: Decimal | None


@dataclass(frozen=True, slots=True)
class UseCaseFacts:
    id: int
    title: str
    status: str
    sandbox: bool
    department_id: int | None
    ai_act_tier: str | None
    fallback_procedure: str
    ceiling: str | None
    allowed_models: tuple[str, ...]
    retention: ContentRetention
    retention_days: int
    prompt: AskedPrompt | None = None
    """The registry prompt the use case asks the gateway to apply (``gateway/prompting.py``)."""

    def allows(self, model_name: str) -> bool:
        """May this use case call that model? (No list: every approved model.)"""
        return not self.allowed_models or model_name in self.allowed_models


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """The agent whose key calls (``agents/``): the key's user is its accountable owner."""

    id: int
    slug: str
    allowed_models: tuple[str, ...]

    def allows(self, model_name: str) -> bool:
        return model_name in self.allowed_models


@dataclass(frozen=True, slots=True)
class Admitted:
    """What the rest of the pipeline knows about the caller."""

    key_id: int | None
    """None for a call made through the portal's playground with a sign-in session."""
    key_prefix: str
    user_id: int
    username: str
    display_name: str
    team_id: int | None
    teams: tuple[int, ...]
    """The caller's team, the use case's department, and every team above them."""
    use_case: UseCaseFacts
    charter: CharterRules
    limits: tuple[LimitSpec, ...]
    agent: AgentFacts | None = None
    """Set for an agent's key (then every call is a step of one of its runs)."""


@dataclass(slots=True)
class _Snapshot:
    admitted: Admitted | None
    refusal: GatewayError | None
    loaded_at: float
    unauthenticated: bool = False


@dataclass(slots=True)
class _Cache:
    entries: dict[str, _Snapshot] = field(default_factory=dict)
    loading: dict[str, asyncio.Future[_Snapshot]] = field(default_factory=dict)


def unauthenticated(message: str, code: str = "invalid_api_key") -> GatewayError:
    return GatewayError(401, message, code=code)


def _fallback_of(use_case: UseCase) -> str:
    deployment: dict[str, Any] = orjson.loads(use_case.deployment or "{}")
    text = deployment.get("fallback_procedure")
    return text if isinstance(text, str) else ""


def team_chain(session: Session, *team_ids: int | None) -> tuple[int, ...]:
    """The teams given and their parents, each once, in order."""
    seen: list[int] = []
    for team_id in team_ids:
        current = team_id
        while current is not None and current not in seen:
            seen.append(current)
            current = session.scalar(select(Team.parent_id).where(Team.id == current))
    return tuple(seen)


def _agent(session: Session, agent_id: int) -> AgentFacts:
    agent = session.get(Agent, agent_id)
    assert agent is not None  # foreign key
    if agent.status != AgentStatus.ACTIVE.value:
        raise GatewayError(
            403,
            f"the agent {agent.slug} is {agent.status}: {agent.status_reason or 'no reason given'}",
            code=f"agent_{agent.status}",
        )
    return AgentFacts(agent.id, agent.slug, tuple(orjson.loads(agent.allowed_models)))


def _off(use_case: UseCaseFacts, who: str, reason: str, code: str) -> GatewayError:
    fallback = use_case.fallback_procedure or "no fallback procedure is documented"
    return GatewayError(
        503,
        f"AI is switched off for {who}: {reason or 'no reason given'}. "
        f"Fallback procedure without AI: {fallback}",
        code=code,
        extra={"fallback_procedure": use_case.fallback_procedure},
    )


class Admission:
    def __init__(
        self,
        database: Database,
        settings: GatewaySettings,
        *,
        charter: Callable[[], CharterRules | None],
        eligibility: Callable[[int], Eligibility],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.settings = settings
        self.charter = charter
        self.eligibility = eligibility
        self.clock = clock
        self._cache = _Cache()

    def forget(self) -> None:
        """Drop every snapshot (this replica sees a change it made at once)."""
        self._cache.entries.clear()

    async def admit(
        self, secret: str | None, use_case_id: int | None = None, *, acting_for: int | None = None
    ) -> Admitted:
        """The caller of an API key; or, with ``use_case_id``, the signed-in user of a portal
        session acting on that use case (the playground). A session without a use case is
        refused: sign-in sessions never call the gateway directly.

        ``acting_for`` (a user id, with ``use_case_id``): a service of this process (insight)
        calls for that user, whom it has authenticated itself, on the use case the service
        belongs to; membership of the use case is not required, everything else is checked."""
        if acting_for is not None:
            if use_case_id is None:
                raise ValueError("a service acting for a user names the use case it serves")
            key = f"service:{acting_for}:{use_case_id}"
            load = partial(self._admit_service, acting_for, use_case_id)
        elif not secret:
            raise unauthenticated(
                "no API key: send 'Authorization: Bearer <Gouvernail API key>'", "missing_api_key"
            )
        else:
            key = tokens.digest(secret) + (f":{use_case_id}" if use_case_id is not None else "")
            load = partial(self._admit_secret, secret, use_case_id)
        snapshot = self._cache.entries.get(key)
        ttl = self.settings.admission_cache_seconds
        if snapshot is None or self.clock() - snapshot.loaded_at >= ttl:
            snapshot = await self._reload(key, load)
        if snapshot.refusal is not None:
            raise snapshot.refusal
        assert snapshot.admitted is not None
        return snapshot.admitted

    async def _reload(self, key: str, load: Callable[[], Admitted]) -> _Snapshot:
        pending = self._cache.loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_Snapshot] = asyncio.get_running_loop().create_future()
        self._cache.loading[key] = future
        try:
            snapshot = await asyncio.to_thread(self._load, load)
            if len(self._cache.entries) > 50_000:
                self._cache.entries.clear()
            self._cache.entries[key] = snapshot
            future.set_result(snapshot)
            return snapshot
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning if nobody waits
            raise
        finally:
            del self._cache.loading[key]

    # --- the snapshot (runs in a worker thread) --------------------------------------------------

    def _load(self, load: Callable[[], Admitted]) -> _Snapshot:
        now = self.clock()
        try:
            return _Snapshot(load(), None, now)
        except GatewayError as refusal:
            return _Snapshot(None, refusal, now, unauthenticated=refusal.status == 401)

    def _admit_secret(self, secret: str, use_case_id: int | None) -> Admitted:
        prefix = tokens.prefix_of(secret)
        if prefix is not None and prefix.startswith(tokens.SESSION_PREFIX + "_"):
            return self._admit_session(secret, use_case_id)
        return self._admit(secret)

    def _admit_service(self, user_id: int, use_case_id: int) -> Admitted:
        with self.database.read() as session:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                raise unauthenticated("the account is unknown or deactivated")
            use_case = session.get(UseCase, use_case_id)
            if use_case is None:
                raise GatewayError(404, f"no use case {use_case_id}", code="no_use_case")
            return self._grant(session, user, use_case, None, "service")

    def _admit(self, secret: str) -> Admitted:
        prefix = tokens.prefix_of(secret)
        if (
            prefix is None or not prefix.startswith(tokens.API_KEY_PREFIX + "_")
        ) and tokens.imported_secret_problem(secret) is not None:
            raise unauthenticated("the API key is not a Gouvernail key (gk_…)")
        with self.database.read() as session:
            key = find_api_key(session, secret)
            if key is None:
                raise unauthenticated("the API key is invalid")
            prefix = key.prefix
            if key.revoked_at is not None:
                raise unauthenticated(f"the API key {prefix} was revoked", "revoked_api_key")
            if key.expires_at <= utcnow():
                raise unauthenticated(f"the API key {prefix} has expired", "expired_api_key")
            user: User = key.user
            if not user.is_active:
                raise unauthenticated(f"the account {user.username} is deactivated")
            if key.use_case_id is None:
                raise GatewayError(
                    403,
                    f"the key {prefix} is not bound to a use case: create a key for a use case "
                    "you belong to, or for your personal sandbox (POST /api/v1/sandbox)",
                    code="no_use_case",
                )
            use_case = session.get(UseCase, key.use_case_id)
            assert use_case is not None  # foreign key
            agent = _agent(session, key.agent_id) if key.agent_id is not None else None
            return self._grant(session, user, use_case, key.id, prefix, agent)

    def _admit_session(self, token: str, use_case_id: int | None) -> Admitted:
        """A portal sign-in session acting on one use case its user belongs to."""
        if use_case_id is None:
            raise unauthenticated(
                "a sign-in session cannot call the gateway: use an API key", "session_not_allowed"
            )
        with self.database.read() as session:
            row = session.scalar(
                select(AuthSession).where(AuthSession.token_hash == tokens.digest(token))
            )
            if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
                raise unauthenticated("the sign-in session has ended: sign in again")
            user: User = row.user
            if not user.is_active:
                raise unauthenticated(f"the account {user.username} is deactivated")
            member = session.scalar(
                select(UseCaseMember.id).where(
                    UseCaseMember.use_case_id == use_case_id, UseCaseMember.user_id == user.id
                )
            )
            use_case = session.get(UseCase, use_case_id)
            if use_case is None or member is None:
                raise GatewayError(
                    403, "you are not a member of this use case", code="not_a_member"
                )
            return self._grant(session, user, use_case, None, "portal")

    def _grant(
        self,
        session: Session,
        user: User,
        use_case: UseCase,
        key_id: int | None,
        prefix: str,
        agent: AgentFacts | None = None,
    ) -> Admitted:
        """The checks every caller passes: the use case is live and not switched off, the
        charter is in force and the user is eligible; then the limits that apply."""
        facts = self._use_case(session, use_case)
        teams = team_chain(session, user.team_id, use_case.department_id)
        self._check_live(facts)
        self._check_switches(session, facts, teams)
        limits = self._limits(session, key_id, user.id, teams, facts)
        charter = self.charter()
        if charter is None:
            raise GatewayError(
                403, "no charter is in force: AI access is closed until one is", code="no_charter"
            )
        eligibility = self.eligibility(user.id)
        if not eligibility.allowed:
            raise GatewayError(
                403,
                " ".join(reason.message for reason in eligibility.reasons),
                code=eligibility.reasons[0].code,
            )
        return Admitted(
            key_id=key_id,
            key_prefix=prefix,
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            team_id=user.team_id,
            teams=teams,
            use_case=facts,
            charter=charter,
            limits=limits,
            agent=agent,
        )

    @staticmethod
    def _use_case(session: Session, use_case: UseCase) -> UseCaseFacts:
        config = session.get(UseCaseGateway, use_case.id)
        sandbox = use_case.sandbox_of is not None
        return UseCaseFacts(
            id=use_case.id,
            title=use_case.title,
            status=use_case.status,
            sandbox=sandbox,
            department_id=use_case.department_id,
            ai_act_tier=use_case.ai_act_tier,
            fallback_procedure=_fallback_of(use_case),
            ceiling=config.data_class_ceiling if config else None,
            allowed_models=tuple(orjson.loads(config.allowed_models)) if config else (),
            retention=ContentRetention(config.content_retention)
            if config
            else ContentRetention.NONE,
            retention_days=config.retention_days if config else 0,
            prompt=asked_prompt(
                session, use_case.id, config.system_prompt, config.system_prompt_mode
            )
            if config
            else None,
        )

    @staticmethod
    def _check_live(facts: UseCaseFacts) -> None:
        if facts.sandbox:
            if facts.status in SANDBOX_CLOSED:
                raise GatewayError(
                    403, f"your sandbox is {facts.status}", code=f"use_case_{facts.status}"
                )
            return
        if facts.status == Status.SUSPENDED.value:
            raise _off(
                facts,
                f"use case {facts.id} ({facts.title})",
                "it is suspended",
                "use_case_suspended",
            )
        if facts.status not in LIVE:
            raise GatewayError(
                403,
                f"use case {facts.id} ({facts.title}) is {facts.status}: the gateway serves use "
                "cases in pilot or production (prototype in your personal sandbox meanwhile)",
                code="use_case_not_live",
            )

    @staticmethod
    def _check_switches(session: Session, facts: UseCaseFacts, teams: tuple[int, ...]) -> None:
        engaged = session.scalars(
            select(KillSwitch).where(
                KillSwitch.engaged.is_(True),
                or_(
                    KillSwitch.scope == SwitchScope.GLOBAL.value,
                    (KillSwitch.scope == SwitchScope.TEAM.value)
                    & KillSwitch.target_id.in_(teams or (-1,)),
                    (KillSwitch.scope == SwitchScope.USE_CASE.value)
                    & (KillSwitch.target_id == facts.id),
                ),
            )
        ).all()
        order = {
            SwitchScope.GLOBAL.value: 0,
            SwitchScope.TEAM.value: 1,
            SwitchScope.USE_CASE.value: 2,
        }
        for switch in sorted(engaged, key=lambda s: order[s.scope]):
            if switch.scope == SwitchScope.GLOBAL.value:
                raise _off(facts, "the whole company", switch.reason, "kill_switch_global")
            if switch.scope == SwitchScope.TEAM.value:
                team = session.get(Team, switch.target_id)
                name = team.name if team else str(switch.target_id)
                raise _off(facts, f"department {name}", switch.reason, "kill_switch_department")
            raise _off(
                facts, f"use case {facts.id} ({facts.title})", switch.reason, "kill_switch_use_case"
            )

    def _limits(
        self,
        session: Session,
        key_id: int | None,
        user_id: int,
        teams: tuple[int, ...],
        facts: UseCaseFacts,
    ) -> tuple[LimitSpec, ...]:
        rows = session.scalars(
            select(GatewayLimit).where(
                or_(
                    (GatewayLimit.scope == "key") & (GatewayLimit.target_id == (key_id or -1)),
                    (GatewayLimit.scope == "user") & (GatewayLimit.target_id == user_id),
                    (GatewayLimit.scope == "team") & GatewayLimit.target_id.in_(teams or (-1,)),
                    (GatewayLimit.scope == "use_case") & (GatewayLimit.target_id == facts.id),
                )
            )
        ).all()
        specs = {
            (row.scope, row.target_id): LimitSpec(
                row.scope,
                row.target_id,
                row.requests_per_minute,
                row.tokens_per_minute,
                row.monthly_budget_eur,
            )
            for row in rows
        }
        s = self.settings
        specs.setdefault(
            ("user", user_id),
            LimitSpec(
                "user",
                user_id,
                s.user_requests_per_minute,
                s.user_tokens_per_minute,
                s.user_monthly_budget_eur,
            ),
        )
        if facts.sandbox:  # the sandbox cap is a ceiling: a row may lower it, never raise it
            row = specs.get(("use_case", facts.id))
            budget = s.sandbox_monthly_budget_eur
            rpm = s.sandbox_requests_per_minute
            specs[("use_case", facts.id)] = LimitSpec(
                "use_case",
                facts.id,
                min(rpm, row.requests_per_minute or rpm) if row else rpm,
                row.tokens_per_minute if row else None,
                min(budget, row.monthly_budget_eur or budget) if row else budget,
            )
        return tuple(specs.values())
