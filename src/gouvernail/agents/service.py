"""The agent registry (``runtime.agents``): register, edit (a new version each time), suspend
and resume agents, and issue their API keys.

An agent belongs to a use case; its accountable owner is a member of it; its models are
inventory models the use case allows; its data classes are at most the use case's ceiling;
its peers are registered agents. Every change is one audited unit of work with a reason; a
suspension or an edit drops the gateway's cached snapshots here (``on_change``), and other
replicas see it within ``gateway.admission_cache_seconds``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.agents import events as ev
from gouvernail.agents.models import Agent, AgentStatus, AgentVersion
from gouvernail.agents.schemas import (
    NAME,
    AgentIn,
    AgentPatch,
    AgentVersionView,
    AgentView,
    ApprovalRule,
)
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.gateway.models import UseCaseGateway
from gouvernail.identity.keys import ApiKeys
from gouvernail.identity.models import User
from gouvernail.identity.views import CreatedApiKey
from gouvernail.inventory.models import InventoryModel
from gouvernail.registry.models import MemberRole, Status, UseCase, UseCaseMember

LISTS = ("allowed_models", "allowed_tools", "data_classes", "peer_agents")
LIMITS = ("max_steps", "max_tokens", "max_cost_eur", "max_seconds")
EDITABLE = ("name", "owner_id", "purpose", *LISTS, "approval_rule", *LIMITS)
_NAME = re.compile(NAME)
CENT = Decimal("0.0001")


def view_of(agent: Agent, owner: str) -> AgentView:
    return AgentView(
        id=agent.id,
        slug=agent.slug,
        name=agent.name,
        use_case_id=agent.use_case_id,
        owner_id=agent.owner_id,
        owner=owner,
        purpose=agent.purpose,
        allowed_models=orjson.loads(agent.allowed_models),
        allowed_tools=orjson.loads(agent.allowed_tools),
        data_classes=orjson.loads(agent.data_classes),
        peer_agents=orjson.loads(agent.peer_agents),
        approval_rule=ApprovalRule.model_validate_json(agent.approval_rule),
        max_steps=agent.max_steps,
        max_tokens=agent.max_tokens,
        max_cost_eur=agent.max_cost_eur,
        max_seconds=agent.max_seconds,
        status=AgentStatus(agent.status),
        status_reason=agent.status_reason,
        version=agent.version,
        created_at=agent.created_at,
        updated_at=agent.updated_at,
    )


def _snapshot(agent: Agent) -> dict[str, Any]:
    """The registry fields of a version, as audited and kept in ``agent_versions``."""
    out: dict[str, Any] = {
        "slug": agent.slug,
        "name": agent.name,
        "use_case_id": agent.use_case_id,
        "owner_id": agent.owner_id,
        "purpose": agent.purpose,
        "approval_rule": orjson.loads(agent.approval_rule),
        "max_cost_eur": str(Decimal(agent.max_cost_eur).quantize(CENT)),
        "status": agent.status,
    }
    for name in LISTS:
        out[name] = orjson.loads(getattr(agent, name))
    for name in ("max_steps", "max_tokens", "max_seconds"):
        out[name] = getattr(agent, name)
    return out


def _names(values: list[str], field: str) -> list[str]:
    unique = list(dict.fromkeys(v.strip() for v in values))
    for value in unique:
        if not _NAME.match(value):
            raise GouvernailError(
                f"{value!r} is not a valid name (letters, digits and _ . : / -, at most 100)",
                field=field,
            )
    return unique


class Agents:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        keys: ApiKeys,
        *,
        charter: Callable[[], CharterRules | None],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.database = database
        self.trail = trail
        self.keys = keys
        self.charter = charter
        self.on_change = on_change

    # --- reads ------------------------------------------------------------------------------

    def get(self, slug: str) -> AgentView:
        with self.database.read() as session:
            agent = _agent(session, slug)
            return view_of(agent, _username(session, agent.owner_id))

    def all(
        self, *, use_case_id: int | None = None, owner_id: int | None = None
    ) -> list[AgentView]:
        with self.database.read() as session:
            query = select(Agent).order_by(Agent.slug)
            if use_case_id is not None:
                query = query.where(Agent.use_case_id == use_case_id)
            if owner_id is not None:
                query = query.where(Agent.owner_id == owner_id)
            return [view_of(a, _username(session, a.owner_id)) for a in session.scalars(query)]

    def versions(self, slug: str) -> list[AgentVersionView]:
        with self.database.read() as session:
            agent = _agent(session, slug)
            rows = session.scalars(
                select(AgentVersion)
                .where(AgentVersion.agent_id == agent.id)
                .order_by(AgentVersion.version.desc())
            )
            return [
                AgentVersionView(
                    version=row.version,
                    snapshot=orjson.loads(row.snapshot),
                    reason=row.reason,
                    changed_by=row.changed_by,
                    changed_at=row.changed_at,
                )
                for row in rows
            ]

    def owns(self, use_case_id: int, user_id: int) -> bool:
        """Whether the user is an owner of the use case (who may register agents for it)."""
        with self.database.read() as session:
            if session.get(UseCase, use_case_id) is None:
                raise NotFoundError(f"no use case with id {use_case_id}", field="use_case_id")
            owner = session.scalar(
                select(UseCaseMember.id).where(
                    UseCaseMember.use_case_id == use_case_id,
                    UseCaseMember.user_id == user_id,
                    UseCaseMember.role == MemberRole.OWNER.value,
                )
            )
            return owner is not None

    # --- changes ----------------------------------------------------------------------------

    def register(self, ctx: AuditContext, body: AgentIn, *, by: int) -> AgentView:
        charter = self.charter()

        def work(tx: Tx) -> AgentView:
            session = tx.session
            use_case = session.get(UseCase, body.use_case_id)
            if use_case is None:
                raise NotFoundError(f"no use case with id {body.use_case_id}", field="use_case_id")
            if use_case.status == Status.RETIRED.value:
                raise ConflictError("the use case is retired: no new agents", field="use_case_id")
            if session.scalar(select(Agent.id).where(Agent.slug == body.slug)) is not None:
                raise ConflictError(f"an agent {body.slug!r} already exists", field="slug")
            now = utcnow()
            agent = Agent(
                slug=body.slug,
                name=body.name.strip(),
                use_case_id=use_case.id,
                owner_id=body.owner_id,
                purpose=body.purpose.strip(),
                approval_rule=body.approval_rule.model_dump_json(),
                max_steps=body.max_steps,
                max_tokens=body.max_tokens,
                max_cost_eur=body.max_cost_eur,
                max_seconds=body.max_seconds,
                status=AgentStatus.ACTIVE.value,
                version=1,
                created_by=by,
                created_at=now,
                updated_at=now,
            )
            for name in LISTS:
                setattr(agent, name, orjson.dumps(getattr(body, name)).decode())
            _check(session, agent, charter)
            session.add(agent)
            session.flush()
            snapshot = _keep_version(session, agent, body.reason, by)
            tx.emit(
                ev.AgentRegistered(
                    object_id=str(agent.id), object_version=1, new=snapshot, reason=body.reason
                )
            )
            return view_of(agent, _username(session, agent.owner_id))

        return self.trail.run(ctx, work)

    def update(self, ctx: AuditContext, slug: str, patch: AgentPatch, *, by: int) -> AgentView:
        charter = self.charter()
        given = patch.model_dump(exclude_unset=True, exclude={"version", "reason"})

        def work(tx: Tx) -> AgentView:
            session = tx.session
            agent = _agent(session, slug)
            if agent.version != patch.version:
                raise ConflictError(
                    f"the agent is at version {agent.version}, you read {patch.version}: "
                    "read it again",
                    field="version",
                )
            before = _snapshot(agent)
            for name, value in given.items():
                if value is None:
                    continue
                if name in LISTS:
                    setattr(agent, name, orjson.dumps(value).decode())
                elif name == "approval_rule":
                    agent.approval_rule = ApprovalRule.model_validate(value).model_dump_json()
                elif name in {"name", "purpose"}:
                    setattr(agent, name, str(value).strip())
                else:
                    setattr(agent, name, value)
            _check(session, agent, charter)
            after = _snapshot(agent)
            changed = [k for k in after if after[k] != before[k]]
            if not changed:
                raise GouvernailError("nothing changed", field="version")
            agent.version += 1
            agent.updated_at = utcnow()
            _keep_version(session, agent, patch.reason, by)
            tx.emit(
                ev.AgentChanged(
                    object_id=str(agent.id),
                    object_version=agent.version,
                    old={k: before[k] for k in changed},
                    new={k: after[k] for k in changed},
                    reason=patch.reason,
                )
            )
            return view_of(agent, _username(session, agent.owner_id))

        changed = self.trail.run(ctx, work)
        self.on_change()
        return changed

    def set_status(
        self, ctx: AuditContext, slug: str, status: AgentStatus, *, reason: str, by: int
    ) -> AgentView:
        """Suspend (its next call is refused) or resume an agent; a new version either way."""

        def work(tx: Tx) -> AgentView:
            session = tx.session
            agent = _agent(session, slug)
            if agent.status == status.value:
                raise ConflictError(f"the agent {slug} is already {status.value}")
            old = agent.status
            agent.status = status.value
            agent.status_reason = reason
            agent.version += 1
            agent.updated_at = utcnow()
            _keep_version(session, agent, reason, by)
            event = ev.AgentSuspended if status is AgentStatus.SUSPENDED else ev.AgentResumed
            tx.emit(
                event(
                    object_id=str(agent.id),
                    object_version=agent.version,
                    old={"status": old},
                    new={"status": status.value, "slug": agent.slug},
                    reason=reason,
                )
            )
            return view_of(agent, _username(session, agent.owner_id))

        changed = self.trail.run(ctx, work)
        self.on_change()
        return changed

    def issue_key(
        self, ctx: AuditContext, slug: str, *, name: str, days: int | None = None
    ) -> CreatedApiKey:
        """An API key bound to the agent: its user is the accountable owner, its use case the
        agent's (the owner's charter, training and membership are checked as for any key).
        The secret is shown once; the audit record (``api_key.created``) names the agent."""
        agent = self.get(slug)
        if agent.status is not AgentStatus.ACTIVE:
            raise ConflictError(f"the agent {slug} is suspended: no new keys")
        return self.keys.create(
            ctx,
            user_id=agent.owner_id,
            name=name,
            days=days,
            use_case_id=agent.use_case_id,
            agent_id=agent.id,
        )


# --- helpers (inside a unit of work) ---------------------------------------------------------


def _agent(session: Session, slug: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.slug == slug))
    if agent is None:
        raise NotFoundError(f"no agent {slug!r}")
    return agent


def _username(session: Session, user_id: int) -> str:
    return session.scalar(select(User.username).where(User.id == user_id)) or str(user_id)


def _keep_version(session: Session, agent: Agent, reason: str, by: int) -> dict[str, Any]:
    snapshot = _snapshot(agent)
    session.add(
        AgentVersion(
            agent_id=agent.id,
            version=agent.version,
            snapshot=orjson.dumps(snapshot).decode(),
            reason=reason,
            changed_by=by,
            changed_at=agent.updated_at,
        )
    )
    return snapshot


def _check(session: Session, agent: Agent, charter: CharterRules | None) -> None:
    """What the registry requires of an agent, each refusal naming its field."""
    user = session.get(User, agent.owner_id)
    if user is None or not user.is_active:
        raise NotFoundError(f"no active user with id {agent.owner_id}", field="owner_id")
    member = session.scalar(
        select(UseCaseMember.id).where(
            UseCaseMember.use_case_id == agent.use_case_id, UseCaseMember.user_id == user.id
        )
    )
    if member is None:
        raise ForbiddenError(
            f"the accountable owner {user.username} is not a member of use case "
            f"{agent.use_case_id}: add them to it first",
            field="owner_id",
        )
    config = session.get(UseCaseGateway, agent.use_case_id)
    allowed: list[str] = orjson.loads(config.allowed_models) if config else []
    models = _names(orjson.loads(agent.allowed_models), "allowed_models")
    if not models:
        raise GouvernailError("name at least one model", field="allowed_models")
    known = set(session.scalars(select(InventoryModel.name).where(InventoryModel.name.in_(models))))
    for model in models:
        if model not in known:
            raise GouvernailError(f"no model {model!r} in the inventory", field="allowed_models")
        if allowed and model not in allowed:
            raise ForbiddenError(
                f"the use case does not allow the model {model}; allowed: {', '.join(allowed)}",
                field="allowed_models",
            )
    agent.allowed_models = orjson.dumps(models).decode()
    agent.allowed_tools = orjson.dumps(
        _names(orjson.loads(agent.allowed_tools), "allowed_tools")
    ).decode()
    classes = _names(orjson.loads(agent.data_classes), "data_classes")
    if classes:
        if charter is None:
            raise ConflictError(
                "no charter is in force: data classes cannot be checked", field="data_classes"
            )
        names = charter.class_names
        ceiling = config.data_class_ceiling if config and config.data_class_ceiling else names[-1]
        for name in classes:
            if name not in names:
                raise GouvernailError(
                    f"unknown data class {name!r}; the charter's: {', '.join(names)}",
                    field="data_classes",
                )
            if charter.class_rank(name) > charter.class_rank(ceiling):
                raise ForbiddenError(
                    f"the data class {name} is above the use case's ceiling ({ceiling})",
                    field="data_classes",
                )
    agent.data_classes = orjson.dumps(classes).decode()
    peers = _names(orjson.loads(agent.peer_agents), "peer_agents")
    if agent.slug in peers:
        raise GouvernailError("an agent is not its own peer", field="peer_agents")
    found = set(session.scalars(select(Agent.slug).where(Agent.slug.in_(peers))))
    for peer in peers:
        if peer not in found:
            raise NotFoundError(f"no agent {peer!r} to talk to", field="peer_agents")
    agent.peer_agents = orjson.dumps(peers).decode()
