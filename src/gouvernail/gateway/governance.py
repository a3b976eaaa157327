"""What people change about the gateway: kill switches, how a use case is served (ceiling,
models, content retention, the registry prompt it applies), limits and budgets, and personal
sandboxes.

Every change is one audited unit of work. The replica that makes it forgets its cached
snapshots at once (``on_change``); the others see it within ``admission_cache_seconds``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.gateway import events as ev
from gouvernail.gateway.models import (
    ContentRetention,
    GatewayLimit,
    KillSwitch,
    SwitchScope,
    UseCaseGateway,
)
from gouvernail.gateway.prompting import PromptMode
from gouvernail.identity.models import ApiKey, Team, User
from gouvernail.inventory.models import InventoryModel
from gouvernail.registry.models import MemberRole, Sourcing, Status, UseCase, UseCaseMember
from gouvernail.registry.prompt_labels import PRODUCTION, PromptLabel
from gouvernail.registry.prompts import NAME_PATTERN
from gouvernail.settings import GatewaySettings

LimitScope = Literal["user", "team", "use_case", "key"]
T = TypeVar("T")


class SwitchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engaged: bool
    reason: str = Field(min_length=3, max_length=2000, description="Why (recorded, shown).")


class SwitchView(BaseModel):
    scope: SwitchScope
    target_id: int
    engaged: bool
    reason: str
    changed_by: int | None
    changed_at: datetime
    version: int


class UseCaseGatewayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_class_ceiling: str | None = Field(
        None, description="Highest data class the use case may send (None: no extra cap)."
    )
    allowed_models: list[str] = Field(
        default_factory=list, max_length=100, description="Empty: every approved model."
    )
    content_retention: ContentRetention = ContentRetention.NONE
    retention_days: int = Field(0, ge=0, le=3650)
    system_prompt: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=NAME_PATTERN,
        description="A prompt name of the use case's registry: the gateway applies its "
        "production version to chat and Responses calls (None: it applies none).",
    )
    system_prompt_mode: PromptMode = Field(
        "replace",
        description="replace: the caller's system messages (and Responses system input) give "
        "way to the prompt; prepend: the prompt goes first, the caller's stay.",
    )
    reason: str = Field(min_length=3, max_length=2000)


class UseCaseGatewayView(BaseModel):
    use_case_id: int
    data_class_ceiling: str | None
    allowed_models: list[str]
    content_retention: ContentRetention
    retention_days: int
    system_prompt: str | None
    system_prompt_mode: PromptMode
    version: int


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests_per_minute: int | None = Field(None, ge=1, le=10_000_000)
    tokens_per_minute: int | None = Field(None, ge=1, le=10_000_000_000)
    monthly_budget_eur: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=6)
    reason: str = Field(min_length=3, max_length=2000)


class LimitView(BaseModel):
    scope: LimitScope
    target_id: int
    requests_per_minute: int | None
    tokens_per_minute: int | None
    monthly_budget_eur: Decimal | None
    version: int


def _switch_view(row: KillSwitch) -> SwitchView:
    return SwitchView(
        scope=SwitchScope(row.scope),
        target_id=row.target_id,
        engaged=row.engaged,
        reason=row.reason,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        version=row.version,
    )


def _gateway_view(use_case_id: int, row: UseCaseGateway | None) -> UseCaseGatewayView:
    if row is None:
        return UseCaseGatewayView(
            use_case_id=use_case_id,
            data_class_ceiling=None,
            allowed_models=[],
            content_retention=ContentRetention.NONE,
            retention_days=0,
            system_prompt=None,
            system_prompt_mode="replace",
            version=0,
        )
    return UseCaseGatewayView(
        use_case_id=use_case_id,
        data_class_ceiling=row.data_class_ceiling,
        allowed_models=orjson.loads(row.allowed_models),
        content_retention=ContentRetention(row.content_retention),
        retention_days=row.retention_days,
        system_prompt=row.system_prompt,
        system_prompt_mode="prepend" if row.system_prompt_mode == "prepend" else "replace",
        version=row.version,
    )


def _limit_view(row: GatewayLimit) -> LimitView:
    return LimitView(
        scope=row.scope,
        target_id=row.target_id,
        requests_per_minute=row.requests_per_minute,
        tokens_per_minute=row.tokens_per_minute,
        monthly_budget_eur=row.monthly_budget_eur,
        version=row.version,
    )


def _target_exists(session: Session, scope: str, target_id: int) -> None:
    table = {
        "team": Team,
        "use_case": UseCase,
        "user": User,
        "key": ApiKey,
    }.get(scope)
    if table is not None and session.get(table, target_id) is None:
        raise NotFoundError(f"no {scope.replace('_', ' ')} with id {target_id}")


class Governance:
    def __init__(
        self,
        trail: AuditTrail,
        settings: GatewaySettings,
        *,
        charter: Callable[[], CharterRules | None],
        on_change: Callable[[], None],
    ) -> None:
        self.trail = trail
        self.settings = settings
        self.charter = charter
        self.on_change = on_change

    def _run(self, ctx: AuditContext, work: Callable[[Tx], T]) -> T:
        result = self.trail.run(ctx, work)
        self.on_change()
        return result

    # --- kill switches ---------------------------------------------------------------------------

    def switches(self, session: Session) -> list[SwitchView]:
        rows = session.scalars(select(KillSwitch).order_by(KillSwitch.scope, KillSwitch.target_id))
        return [_switch_view(row) for row in rows]

    def set_switch(
        self,
        ctx: AuditContext,
        actor_id: int | None,
        scope: SwitchScope,
        target_id: int,
        body: SwitchIn,
    ) -> SwitchView:
        if scope is SwitchScope.GLOBAL:
            target_id = 0

        def work(tx: Tx) -> SwitchView:
            _target_exists(tx.session, scope.value, target_id)
            row = tx.session.scalar(
                select(KillSwitch)
                .where(KillSwitch.scope == scope.value, KillSwitch.target_id == target_id)
                .with_for_update()
            )
            old = {"engaged": row.engaged, "reason": row.reason} if row else {"engaged": False}
            if row is None:
                row = KillSwitch(scope=scope.value, target_id=target_id, version=0)
                tx.session.add(row)
            elif row.engaged == body.engaged:
                state = "engaged" if row.engaged else "released"
                raise ConflictError(f"the {scope.value} kill switch is already {state}")
            row.engaged = body.engaged
            row.reason = body.reason.strip()
            row.changed_by = actor_id
            row.changed_at = utcnow()
            row.version += 1
            tx.session.flush()
            tx.emit(
                ev.KillSwitchChanged(
                    object_id=f"{scope.value}:{target_id}",
                    object_version=row.version,
                    old=old,
                    new={"engaged": row.engaged},
                    reason=row.reason,
                )
            )
            return _switch_view(row)

        return self._run(ctx, work)

    # --- how a use case is served ----------------------------------------------------------------

    def use_case_gateway(self, session: Session, use_case_id: int) -> UseCaseGatewayView:
        if session.get(UseCase, use_case_id) is None:
            raise NotFoundError(f"no use case with id {use_case_id}")
        return _gateway_view(use_case_id, session.get(UseCaseGateway, use_case_id))

    def _check(self, session: Session, use_case: UseCase, body: UseCaseGatewayIn) -> None:
        charter = self.charter()
        if body.data_class_ceiling is not None:
            names = charter.class_names if charter else []
            if body.data_class_ceiling not in names:
                raise GouvernailError(
                    f"unknown data class {body.data_class_ceiling!r}; the charter in force has "
                    f"{names}",
                    field="data_class_ceiling",
                )
        if len(set(body.allowed_models)) != len(body.allowed_models):
            raise GouvernailError("a model is listed twice", field="allowed_models")
        if body.allowed_models:
            known = set(
                session.scalars(
                    select(InventoryModel.name).where(InventoryModel.name.in_(body.allowed_models))
                )
            )
            missing = sorted(set(body.allowed_models) - known)
            if missing:
                raise GouvernailError(f"not in the inventory: {missing}", field="allowed_models")
        keeps = body.content_retention is not ContentRetention.NONE
        if keeps and body.retention_days < 1:
            raise GouvernailError(
                "say how many days prompts and answers are kept", field="retention_days"
            )
        floor = self.settings.high_risk_min_retention_days
        if keeps and use_case.ai_act_tier == "high" and body.retention_days < floor:
            raise GouvernailError(
                f"a high-risk use case keeps its logs at least {floor} days (AI Act Art. 19 "
                "and 26(6))",
                field="retention_days",
            )
        if body.system_prompt is not None:
            in_production = session.scalar(
                select(PromptLabel.id).where(
                    PromptLabel.use_case_id == use_case.id,
                    PromptLabel.name == body.system_prompt,
                    PromptLabel.label == PRODUCTION,
                )
            )
            if in_production is None:
                raise ConflictError(
                    f"no version of the prompt {body.system_prompt!r} of this use case is "
                    "labelled production: put one in production first (PUT /api/v1/use-cases/"
                    f"{use_case.id}/prompts/{body.system_prompt}/labels/production)",
                    field="system_prompt",
                )

    def configure(
        self, ctx: AuditContext, use_case_id: int, body: UseCaseGatewayIn
    ) -> UseCaseGatewayView:
        def work(tx: Tx) -> UseCaseGatewayView:
            use_case = tx.session.get(UseCase, use_case_id)
            if use_case is None:
                raise NotFoundError(f"no use case with id {use_case_id}")
            if use_case.sandbox_of is not None:
                raise ConflictError(
                    "a personal sandbox is served at the lowest data class with its capped "
                    "budget; it cannot be configured"
                )
            self._check(tx.session, use_case, body)
            row = tx.session.get(UseCaseGateway, use_case_id, with_for_update=True)
            before = _gateway_view(use_case_id, row).model_dump(mode="json")
            if row is None:
                row = UseCaseGateway(use_case_id=use_case_id, version=0)
                tx.session.add(row)
            row.data_class_ceiling = body.data_class_ceiling
            row.allowed_models = orjson.dumps(body.allowed_models).decode()
            row.content_retention = body.content_retention.value
            row.retention_days = body.retention_days
            row.system_prompt = body.system_prompt
            row.system_prompt_mode = body.system_prompt_mode
            row.version += 1
            row.updated_at = utcnow()
            tx.session.flush()
            view = _gateway_view(use_case_id, row)
            after = view.model_dump(mode="json")
            changed = [k for k in after if k != "version" and after[k] != before[k]]
            tx.emit(
                ev.UseCaseGatewayChanged(
                    object_id=str(use_case_id),
                    object_version=row.version,
                    old={k: before[k] for k in changed},
                    new={k: after[k] for k in changed},
                    reason=body.reason.strip(),
                )
            )
            return view

        return self._run(ctx, work)

    # --- limits ----------------------------------------------------------------------------------

    def limits(self, session: Session) -> list[LimitView]:
        rows = session.scalars(select(GatewayLimit).order_by(GatewayLimit.scope, GatewayLimit.id))
        return [_limit_view(row) for row in rows]

    def set_limit(
        self, ctx: AuditContext, scope: LimitScope, target_id: int, body: LimitIn
    ) -> LimitView:
        def work(tx: Tx) -> LimitView:
            _target_exists(tx.session, scope, target_id)
            row = tx.session.scalar(
                select(GatewayLimit)
                .where(GatewayLimit.scope == scope, GatewayLimit.target_id == target_id)
                .with_for_update()
            )
            before = _limit_view(row).model_dump(mode="json") if row else {}
            if row is None:
                row = GatewayLimit(scope=scope, target_id=target_id, version=0)
                tx.session.add(row)
            row.requests_per_minute = body.requests_per_minute
            row.tokens_per_minute = body.tokens_per_minute
            row.monthly_budget_eur = body.monthly_budget_eur
            row.version += 1
            row.updated_at = utcnow()
            tx.session.flush()
            view = _limit_view(row)
            tx.emit(
                ev.GatewayLimitChanged(
                    object_id=f"{scope}:{target_id}",
                    object_version=row.version,
                    old=before,
                    new=view.model_dump(mode="json"),
                    reason=body.reason.strip(),
                )
            )
            return view

        return self._run(ctx, work)

    # --- personal sandboxes ----------------------------------------------------------------------

    def open_sandbox(self, ctx: AuditContext, user_id: int) -> tuple[int, bool]:
        """The user's sandbox use case (created at the idea stage on first call); returns
        (use case id, created)."""

        def work(tx: Tx) -> tuple[int, bool]:
            existing = tx.session.scalar(select(UseCase.id).where(UseCase.sandbox_of == user_id))
            if existing is not None:
                return existing, False
            user = tx.session.get(User, user_id)
            if user is None:
                raise NotFoundError(f"no user with id {user_id}")
            now = utcnow()
            use_case = UseCase(
                title=f"Sandbox of {user.display_name}"[:200],
                description=(
                    "Personal sandbox to prototype with approved models: lowest data class, "
                    f"budget capped at {self.settings.sandbox_monthly_budget_eur} EUR a month. "
                    "Turn a prototype into an idea of the registry to go further."
                ),
                department_id=user.team_id,
                requester_id=user.id,
                sourcing=Sourcing.STRATEGIC.value,
                sandbox_of=user.id,
                status=Status.IDEA.value,
                created_at=now,
                updated_at=now,
            )
            tx.session.add(use_case)
            tx.session.flush()
            tx.session.add(
                UseCaseMember(use_case_id=use_case.id, user_id=user.id, role=MemberRole.OWNER)
            )
            tx.emit(
                ev.SandboxCreated(
                    object_id=str(use_case.id),
                    object_version=1,
                    new={
                        "user_id": user.id,
                        "status": use_case.status,
                        "monthly_budget_eur": str(self.settings.sandbox_monthly_budget_eur),
                        "requests_per_minute": self.settings.sandbox_requests_per_minute,
                    },
                )
            )
            return use_case.id, True

        return self._run(ctx, work)
