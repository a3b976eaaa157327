"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gouvernail.errors import GouvernailError


class Passwords:
    """Hashes and checks passwords; enforces length and ageing."""

    def __init__(
        self,
        *,
        min_length: int,
        max_age_days: int,
        memory_kib: int = 65536,
        time_cost: int = 3,
    ) -> None:
        # Hashes record their own parameters: changing the cost keeps older hashes verifiable.
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
        self.min_length = min_length
        self.max_age_days = max_age_days
        # Verifying against this keeps the time of "unknown user" equal to "wrong password".
        self._dummy = self._hasher.hash("gouvernail-timing-equaliser")

    def check_policy(self, password: str, *, username: str, field: str = "password") -> None:
        if len(password) < self.min_length:
            raise GouvernailError(
                f"the password must have at least {self.min_length} characters", field=field
            )
        if len(password) > 1024:
            raise GouvernailError("the password must have at most 1024 characters", field=field)
        if username.lower() in password.lower():
            raise GouvernailError("the password must not contain the username", field=field)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def expired(self, changed_at: datetime | None, now: datetime) -> bool:
        if self.max_age_days == 0 or changed_at is None:
            return False
        return now - changed_at > timedelta(days=self.max_age_days)
