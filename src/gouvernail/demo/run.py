"""What every step of a demo load shares: the runtime, the actor, the demo password, the day of
loading (the demo's dates are relative to it), the people and what was created."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gouvernail.audit import AuditContext
from gouvernail.errors import GouvernailError
from gouvernail.identity.passwords import Passwords
from gouvernail.identity.principal import Principal
from gouvernail.identity.views import UserView
from gouvernail.registry.service import UseCases
from gouvernail.runtime import Runtime

M = TypeVar("M", bound=BaseModel)


@dataclass
class DemoRun:
    rt: Runtime
    ctx: AuditContext
    password: str
    today: date
    force: bool = False
    users: dict[str, UserView] = field(default_factory=dict)
    created: Counter[str] = field(default_factory=Counter)

    @property
    def request_id(self) -> str:
        return self.ctx.request_id

    def day(self, offset: int) -> date:
        """The day ``offset`` days after the day of loading (negative: before)."""
        return self.today + timedelta(days=offset)

    def moment(self, offset: int, hour: int = 13) -> datetime:
        """``hour`` o'clock UTC on ``day(offset)``."""
        return datetime.combine(self.day(offset), time(hour), tzinfo=UTC)

    def user(self, username: str) -> UserView:
        try:
            return self.users[username]
        except KeyError:
            raise GouvernailError(f"the demo data names an unknown user {username!r}") from None

    def principal(self, username: str) -> Principal:
        """The person as the API would see them once signed in: signing asks for their
        password again (the demo password), exactly as through the API."""
        user = self.user(username)
        return Principal.signed_in(user)


def build(model: type[M], data: object, where: str) -> M:
    """A service input built from the demo data; a mistake in the data names where it is."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise GouvernailError(f"demo data, {where}: {error}") from None


@contextmanager
def registry_day(use_cases: UseCases, day: date) -> Iterator[None]:
    """Let the registry act as on ``day``. The demo starts its pilots in the past so that their
    dates are realistic (one of them is past its end date without results); the registry's
    clock is the same seam its tests use, and it is put back at once."""
    real = use_cases.today
    use_cases.today = lambda: day
    try:
        yield
    finally:
        use_cases.today = real


@contextmanager
def one_hash(passwords: Passwords, shared: str, digest: str | None = None) -> Iterator[None]:
    """Hash the demo password ``shared`` once and recognise it without hashing again.

    Every demo user has the same, printed password, so one argon2 hash (one salt) serves them
    all, and checking that very password against that very hash needs no second computation.
    This saves some 70 argon2 computations per load (each deliberately slow: a minute in all on
    a busy machine). ``digest``: the hash an earlier load gave them, already checked against
    ``shared``. Any other password or hash takes the normal path; the methods are put back when
    the load ends, so run the load on a runtime of its own (the CLI does)."""
    known = digest or passwords.hash(shared)
    real_hash, real_verify = passwords.hash, passwords.verify

    def hash_once(password: str) -> str:
        return known if password == shared else real_hash(password)

    def verify_once(stored: str | None, password: str) -> bool:
        return (stored == known and password == shared) or real_verify(stored, password)

    passwords.hash = hash_once  # type: ignore[method-assign]
    passwords.verify = verify_once  # type: ignore[method-assign]
    try:
        yield
    finally:
        passwords.hash = real_hash  # type: ignore[method-assign]
        passwords.verify = real_verify  # type: ignore[method-assign]
