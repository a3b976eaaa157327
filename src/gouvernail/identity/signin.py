"""Signing in and out, sessions, lockout, password ageing and re-authentication.

Argon2 checks run in the caller's thread, never in the audit writer; the unit of work then
applies the outcome (failure counter, lockout, session) together with its audit records, so
that concurrent failures are counted exactly and a reported sign-in is always recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import RateLimitItemPerMinute
from limits.strategies import RateLimiter
from sqlalchemy import select, update

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import (
    ForbiddenError,
    GouvernailError,
    RateLimitedError,
    UnauthenticatedError,
)
from gouvernail.identity import security, tokens
from gouvernail.identity.directory import apply_password, get_user
from gouvernail.identity.keys import find_api_key
from gouvernail.identity.models import ApiKey, AuthSession, User
from gouvernail.identity.passwords import Passwords
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import UserView
from gouvernail.settings import Settings

FAR_FUTURE = timedelta(days=365 * 100)
KEY_TOUCH_INTERVAL = timedelta(seconds=60)
INVALID_CREDENTIALS = "invalid username or password"


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    user: UserView


@dataclass(frozen=True)
class Refusal:
    error: GouvernailError


def _attempt_actor(username: str) -> ev.Actor:
    return ev.Actor(id="anonymous", name=f"sign-in attempt as {username[:64]!r}")


class Authenticator:
    """Turns credentials into a principal and keeps Part 11's account controls."""

    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        passwords: Passwords,
        settings: Settings,
        limiter: RateLimiter,
    ) -> None:
        self.database = database
        self.trail = trail
        self.passwords = passwords
        self.settings = settings
        self.limiter = limiter
        self._rate = RateLimitItemPerMinute(settings.login_rate_per_minute)

    # --- throttling -----------------------------------------------------------------------------

    def throttle(self, client: str) -> None:
        """Refuse a client address that tries too many credentials a minute."""
        if not self.limiter.hit(self._rate, "sign-in", client):
            raise RateLimitedError(f"too many attempts from {client}; wait a minute and try again")

    # --- password sign-in -----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, client: str, request_id: str) -> SignedIn:
        self.throttle(client)
        username = username.strip().lower()
        with self.database.read() as session:
            stored = session.scalar(select(User.password_hash).where(User.username == username))
        password_ok = self.passwords.verify(stored, password)
        ctx = AuditContext(_attempt_actor(username), request_id)

        def work(tx: Tx) -> SignedIn | Refusal:
            now = utcnow()
            user = tx.session.scalar(select(User).where(User.username == username))
            refusal = self._refuse(
                tx,
                user,
                username,
                client,
                now,
                password_ok and user is not None and user.password_hash == stored,
            )
            if refusal is not None:
                return refusal
            assert user is not None
            return self._open_session(tx, user, "password", now, client)

        outcome = self.trail.run(ctx, work)
        if isinstance(outcome, Refusal):
            raise outcome.error
        return outcome

    def _refuse(
        self,
        tx: Tx,
        user: User | None,
        username: str,
        client: str,
        now: datetime,
        password_ok: bool,
    ) -> Refusal | None:
        """Apply a failed attempt (count, lock, audit, report) or return None if it may pass."""

        def fail(cause: str, error: GouvernailError, *, report: bool = True) -> Refusal:
            tx.emit(
                ev.SignInFailed(
                    object_id=str(user.id) if user else "unknown",
                    object_version=user.version if user else None,
                    new={"username": username[:64], "client": client, "cause": cause},
                )
            )
            if report:
                security.report(
                    tx.session,
                    "sign_in_failed",
                    f"failed sign-in as {username[:64]!r} from {client}: {cause}",
                )
            return Refusal(error)

        invalid = UnauthenticatedError(INVALID_CREDENTIALS, code="invalid_credentials")
        if user is None:
            return fail("unknown_user", invalid)
        if not user.is_active:
            return fail(
                "deactivated",
                ForbiddenError(
                    "this account is deactivated; ask an administrator", code="account_deactivated"
                ),
            )
        if user.locked_until is not None and user.locked_until > now:
            return fail(
                "locked",
                ForbiddenError(
                    "this account is locked after repeated failed sign-ins; "
                    "ask a security referent or wait",
                    code="account_locked",
                ),
            )
        if user.password_hash is None:
            return fail("no_password", invalid)
        if not password_ok:
            user.failed_logins += 1
            if user.failed_logins >= self.settings.lockout_threshold:
                minutes = self.settings.lockout_minutes
                user.locked_until = now + (timedelta(minutes=minutes) if minutes else FAR_FUTURE)
                tx.emit(
                    ev.AccountLocked(
                        object_id=str(user.id),
                        object_version=user.version,
                        new={
                            "locked_until": user.locked_until,
                            "failed_logins": user.failed_logins,
                        },
                        reason=f"{user.failed_logins} consecutive failed sign-ins",
                    )
                )
                security.report(
                    tx.session,
                    "account_locked",
                    f"account {user.username} locked after {user.failed_logins} failed sign-ins",
                )
            return fail("wrong_password", invalid)
        if user.must_change_password or self.passwords.expired(user.password_changed_at, now):
            return fail(
                "password_change_required",
                ForbiddenError(
                    "your password must be changed before you sign in: POST /api/v1/auth/password",
                    code="password_change_required",
                ),
                report=False,
            )
        return None

    def _open_session(
        self,
        tx: Tx,
        user: User,
        method: str,
        now: datetime,
        client: str,
        *,
        reauth: bool = False,
    ) -> SignedIn:
        token, _ = tokens.new_secret(tokens.SESSION_PREFIX)
        expires = now + timedelta(hours=self.settings.session_hours)
        tx.session.add(
            AuthSession(
                token_hash=tokens.digest(token),
                user_id=user.id,
                method=method,
                created_at=now,
                expires_at=expires,
                reauth_at=now if reauth else None,
            )
        )
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        tx.emit(
            ev.SignInSucceeded(
                object_id=str(user.id),
                object_version=user.version,
                new={"method": method, "client": client},
            )
        )
        return SignedIn(token, expires, UserView.of(user))

    def change_password(
        self, username: str, current: str, new: str, *, client: str, request_id: str
    ) -> None:
        """The user changes their own password (also when it has expired)."""
        self.throttle(client)
        username = username.strip().lower()
        self.passwords.check_policy(new, username=username, field="new_password")
        if new == current:
            raise GouvernailError(
                "the new password must differ from the current one", field="new_password"
            )
        with self.database.read() as session:
            stored = session.scalar(select(User.password_hash).where(User.username == username))
        password_ok = self.passwords.verify(stored, current)
        new_hash = self.passwords.hash(new)
        ctx = AuditContext(_attempt_actor(username), request_id)

        def work(tx: Tx) -> Refusal | None:
            now = utcnow()
            user = tx.session.scalar(select(User).where(User.username == username))
            ok = password_ok and user is not None and user.password_hash == stored
            refusal = self._refuse(tx, user, username, client, now, ok)
            if refusal is not None and refusal.error.code != "password_change_required":
                return refusal
            assert user is not None
            tx.events.clear()  # a pending change is not a failure once the change succeeds
            apply_password(user, new_hash, must_change=False, now=now)
            user.version += 1
            tx.emit(
                ev.PasswordChanged(
                    object_id=str(user.id),
                    object_version=user.version,
                    new={"by_administrator": False},
                    reason="changed by the user",
                )
            )
            return None

        refusal = self.trail.run(ctx, work)
        if refusal is not None:
            raise refusal.error

    # --- single sign-on -------------------------------------------------------------------------

    def sso_sign_in(
        self,
        *,
        issuer: str,
        subject: str,
        username: str,
        display_name: str,
        email: str | None,
        client: str,
        request_id: str,
        reauth_session: int | None = None,
    ) -> SignedIn | None:
        """Sign in (or re-authenticate an open session) after the provider vouched for the user.

        Returns None for a re-authentication (the session gets a fresh ``reauth_at``)."""
        ctx = AuditContext(_attempt_actor(username), request_id)

        def work(tx: Tx) -> SignedIn | Refusal | None:
            now = utcnow()
            user = tx.session.scalar(
                select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
            )
            if user is None:
                return Refusal(
                    ForbiddenError(
                        "this single sign-on identity has no account here", code="no_account"
                    )
                )
            if reauth_session is not None:
                auth_session = tx.session.get(AuthSession, reauth_session)
                if auth_session is None or auth_session.user_id != user.id:
                    return Refusal(
                        ForbiddenError(
                            "re-authentication must be done by the signed-in user",
                            code="reauth_mismatch",
                        )
                    )
                auth_session.reauth_at = now
                tx.emit(
                    ev.SignInSucceeded(
                        object_id=str(user.id),
                        object_version=user.version,
                        new={"method": "sso", "client": client, "reauthentication": True},
                    )
                )
                return None
            refusal = self._refuse_sso(tx, user, client, now)
            return refusal or self._open_session(tx, user, "sso", now, client, reauth=True)

        outcome = self.trail.run(ctx, work)
        if isinstance(outcome, Refusal):
            raise outcome.error
        return outcome

    def _refuse_sso(self, tx: Tx, user: User, client: str, now: datetime) -> Refusal | None:
        if user.is_active and not (user.locked_until and user.locked_until > now):
            return None
        cause = "deactivated" if not user.is_active else "locked"
        tx.emit(
            ev.SignInFailed(
                object_id=str(user.id),
                object_version=user.version,
                new={"username": user.username, "client": client, "cause": cause, "method": "sso"},
            )
        )
        security.report(
            tx.session,
            "sign_in_failed",
            f"refused single sign-on of {user.username} from {client}: {cause}",
        )
        return Refusal(ForbiddenError(f"this account is {cause}", code=f"account_{cause}"))

    # --- tokens ---------------------------------------------------------------------------------

    def resolve(self, secret: str) -> Principal | None:
        """The principal behind a session token or an API key, or None if it is not valid."""
        prefix = tokens.prefix_of(secret)
        now = utcnow()
        with self.database.read() as session:
            if prefix is not None and prefix.startswith(tokens.SESSION_PREFIX + "_"):
                row = session.scalar(
                    select(AuthSession).where(AuthSession.token_hash == tokens.digest(secret))
                )
                if row is None or row.revoked_at or row.expires_at <= now:
                    return None
                user, key = row.user, None
            else:
                key = find_api_key(session, secret)
                if key is None or key.revoked_at or key.expires_at <= now:
                    return None
                user, row = key.user, None
            if not user.is_active:
                return None
            principal = Principal(
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                roles=() if key is not None and key.agent_id else tuple(user.roles),
                team_id=user.team_id,
                via="session" if row else "api_key",
                session_id=row.id if row else None,
                api_key_id=key.id if key else None,
                use_case_id=key.use_case_id if key else None,
                agent_id=key.agent_id if key else None,
            )
            stale = key is not None and (
                key.last_used_at is None or now - key.last_used_at > KEY_TOUCH_INTERVAL
            )
        if stale and key is not None:
            with self.database.write() as session:
                session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        return principal

    def report_invalid_credential(
        self, secret: str, *, route: str, client: str, request_id: str
    ) -> None:
        """Audit a rejected credential (never the credential itself) and tell security."""
        prefix = tokens.prefix_of(secret)

        def work(tx: Tx) -> None:
            tx.emit(
                ev.AccessDenied(
                    object_id=route,
                    new={
                        "cause": "invalid_credential",
                        "key_prefix": prefix,
                        "client": client,
                    },
                )
            )
            security.report(
                tx.session,
                "invalid_credential",
                f"invalid or expired credential {prefix or '(malformed)'} from {client} on {route}",
            )

        self.trail.run(
            AuditContext(ev.Actor(id="anonymous", name="unauthenticated caller"), request_id), work
        )

    def sign_out(self, principal: Principal, *, request_id: str) -> None:
        if principal.session_id is None:
            raise GouvernailError("only a sign-in session can be signed out; revoke API keys")

        def work(tx: Tx) -> None:
            row = tx.session.get(AuthSession, principal.session_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()
            tx.emit(ev.SignedOut(object_id=str(principal.user_id)))

        self.trail.run(AuditContext(principal.actor, request_id), work)

    # --- re-authentication for signatures -------------------------------------------------------

    def reauthenticate(
        self,
        tx: Tx,
        principal: Principal,
        password: str | None,
        password_ok: bool,
        stored_hash: str | None,
    ) -> str | Refusal:
        """Inside a signing unit: check the fresh proof of identity; return the method used,
        or the refusal to return (not raise, so that the failure is counted and recorded).

        A wrong password counts toward lockout exactly like a failed sign-in (§11.300(d))."""
        now = utcnow()
        user = get_user(tx.session, principal.user_id)
        if password is not None:
            if user.password_hash is None:
                raise GouvernailError(
                    "this account signs in through single sign-on: re-authenticate there",
                    field="password",
                )
            refusal = self._refuse(
                tx,
                user,
                user.username,
                "signature",
                now,
                password_ok and user.password_hash == stored_hash,
            )
            if refusal is not None and refusal.error.code != "password_change_required":
                return refusal
            return "password"
        if principal.session_id is None:
            raise GouvernailError("signing needs your password", field="password")
        auth_session = tx.session.get(AuthSession, principal.session_id)
        window = timedelta(seconds=self.settings.signature_reauth_seconds)
        if (
            auth_session is None
            or auth_session.reauth_at is None
            or (now - auth_session.reauth_at > window)
        ):
            raise GouvernailError(
                "signing needs your password, or a single sign-on re-authentication in the "
                f"last {self.settings.signature_reauth_seconds} s (GET /auth/oidc/reauth)",
                field="password",
                code="reauthentication_required",
                status=401,
            )
        auth_session.reauth_at = None  # one re-authentication, one signature
        return "sso"
