"""API keys: created for a user (shown once), listed, revoked; checked by ``Authenticator``.

A key is issued only to a user the access gate admits (the charter in force accepted, the
required AI-literacy trainings valid: see ``literacy.eligibility``); the gate raises the 403
refusal, with a code and a message saying how to fix it, inside the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity import tokens
from gouvernail.identity.directory import get_user
from gouvernail.identity.models import ApiKey
from gouvernail.identity.views import ApiKeyView, CreatedApiKey

MAX_KEY_DAYS = 3650


def find_api_key(session: Session, secret: str) -> ApiKey | None:
    """The key whose secret is ``secret``, or None; revocation and expiry are the caller's.

    Our own keys are found by their public prefix, imported ones by the SHA-256 of the secret
    (unique index); the digest is compared in constant time either way."""
    prefix = tokens.prefix_of(secret)
    if prefix is not None and prefix.startswith(tokens.API_KEY_PREFIX + "_"):
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    elif tokens.imported_secret_problem(secret) is None:
        key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == tokens.digest(secret)))
        if key is not None and not key.prefix.startswith(tokens.IMPORTED_KEY_PREFIX + "_"):
            key = None
    else:
        return None
    if key is None or not tokens.matches(secret, key.secret_hash):
        return None
    return key


class AccessGate(Protocol):
    """Raises a ``ForbiddenError`` when the user may not hold gateway keys."""

    def __call__(self, session: Session, user_id: int) -> None: ...


class UseCaseGate(Protocol):
    """Raises when the user may not hold a key bound to this use case (not a member, unknown
    or retired use case)."""

    def __call__(self, session: Session, user_id: int, use_case_id: int) -> None: ...


class ApiKeys:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        default_days: int,
        gate: AccessGate,
        use_case_gate: UseCaseGate | None = None,
    ) -> None:
        self.database = database
        self.trail = trail
        self.default_days = default_days
        self.gate = gate
        self.use_case_gate = use_case_gate
        self.on_revoke: list[Callable[[], None]] = []
        """Called after a revocation (the runtime makes its gateway forget cached keys)."""

    def create(
        self,
        ctx: AuditContext,
        *,
        user_id: int,
        name: str,
        days: int | None = None,
        use_case_id: int | None = None,
        agent_id: int | None = None,
    ) -> CreatedApiKey:
        """``agent_id``: an agent's key (issued by ``runtime.agents``, which checks the agent
        first; ``user_id`` is its accountable owner and ``use_case_id`` its use case)."""
        secret, prefix = tokens.new_secret(tokens.API_KEY_PREFIX)
        return self._issue(ctx, secret, prefix, user_id, name, days, use_case_id, agent_id)

    def import_key(
        self,
        ctx: AuditContext,
        *,
        secret: str,
        user_id: int,
        name: str,
        days: int | None = None,
        use_case_id: int | None = None,
    ) -> CreatedApiKey:
        """Register a secret another gateway issued (a LiteLLM ``sk-…`` key, say) so that the
        clients holding it keep working through a migration. Same rules as ``create`` (the
        owner's eligibility, use-case membership, expiry); stored as SHA-256 only, listed under
        a random ``gx_`` prefix, and audited as a created key with ``imported: true``."""
        problem = tokens.imported_secret_problem(secret)
        if problem:
            raise GouvernailError(problem, field="secret")
        with self.database.read() as session:
            taken = session.scalar(
                select(ApiKey.id).where(ApiKey.secret_hash == tokens.digest(secret))
            )
        if taken is not None:
            raise ConflictError("this secret is already registered as an API key")
        prefix = tokens.new_secret(tokens.IMPORTED_KEY_PREFIX)[1]
        return self._issue(ctx, secret, prefix, user_id, name, days, use_case_id)

    def _issue(
        self,
        ctx: AuditContext,
        secret: str,
        prefix: str,
        user_id: int,
        name: str,
        days: int | None,
        use_case_id: int | None,
        agent_id: int | None = None,
    ) -> CreatedApiKey:
        name = name.strip()
        if not name or len(name) > 200:
            raise GouvernailError("give the key a name of 1-200 characters", field="name")
        days = self.default_days if days is None else days
        if not 1 <= days <= MAX_KEY_DAYS:
            raise GouvernailError(
                f"expires_in_days must be 1-{MAX_KEY_DAYS}", field="expires_in_days"
            )
        imported = prefix.startswith(tokens.IMPORTED_KEY_PREFIX + "_")

        def work(tx: Tx) -> CreatedApiKey:
            user = get_user(tx.session, user_id)
            if not user.is_active:
                raise ConflictError(f"user {user.username} is deactivated")
            self.gate(tx.session, user.id)
            if use_case_id is not None:
                if self.use_case_gate is None:
                    raise GouvernailError(
                        f"no use case {use_case_id} to bind the key to", field="use_case_id"
                    )
                self.use_case_gate(tx.session, user.id, use_case_id)
            now = utcnow()
            key = ApiKey(
                prefix=prefix,
                secret_hash=tokens.digest(secret),
                name=name,
                user=user,
                use_case_id=use_case_id,
                agent_id=agent_id,
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
            tx.session.add(key)
            tx.session.flush()
            tx.emit(
                ev.ApiKeyCreated(
                    object_id=str(key.id),
                    object_version=1,
                    new={
                        "prefix": prefix,
                        "name": name,
                        "user_id": user.id,
                        "use_case_id": use_case_id,
                        "expires_at": key.expires_at,
                        **({"imported": True} if imported else {}),
                        **({"agent_id": agent_id} if agent_id is not None else {}),
                    },
                )
            )
            return CreatedApiKey(key=ApiKeyView.of(key), secret=secret)

        return self.trail.run(ctx, work)

    def list(self, *, user_id: int | None = None) -> list[ApiKeyView]:
        with self.database.read() as session:
            query = select(ApiKey).order_by(ApiKey.id)
            if user_id is not None:
                query = query.where(ApiKey.user_id == user_id)
            return [ApiKeyView.of(k) for k in session.scalars(query)]

    def get(self, key_id: int) -> ApiKeyView:
        with self.database.read() as session:
            key = session.get(ApiKey, key_id)
            if key is None:
                raise NotFoundError(f"no API key with id {key_id}")
            return ApiKeyView.of(key)

    def revoke(self, ctx: AuditContext, key_id: int, *, reason: str) -> ApiKeyView:
        reason = reason.strip()
        if not reason:
            raise GouvernailError("a reason is required to revoke a key", field="reason")

        def work(tx: Tx) -> ApiKeyView:
            key = tx.session.get(ApiKey, key_id)
            if key is None:
                raise NotFoundError(f"no API key with id {key_id}")
            if key.revoked_at is not None:
                raise ConflictError(f"key {key.prefix} is already revoked")
            key.revoked_at = utcnow()
            key.revoked_reason = reason
            tx.emit(
                ev.ApiKeyRevoked(
                    object_id=str(key.id),
                    object_version=2,
                    old={"revoked": False},
                    new={"revoked": True, "prefix": key.prefix},
                    reason=reason,
                )
            )
            return ApiKeyView.of(key)

        revoked = self.trail.run(ctx, work)
        for listener in self.on_revoke:
            listener()
        return revoked
