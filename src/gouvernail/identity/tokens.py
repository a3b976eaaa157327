"""Opaque secrets (API keys, session tokens): random, shown once, stored as SHA-256.

These secrets carry 256 bits of entropy, so a fast hash is safe to store and lets the gateway
check a key on every call without an argon2 cost; passwords, which people choose, use argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "gk"
IMPORTED_KEY_PREFIX = "gx"
SESSION_PREFIX = "gs"
IMPORTED_MIN_LENGTH = 12
IMPORTED_MAX_LENGTH = 200


def new_secret(kind: str) -> tuple[str, str]:
    """(full secret, public prefix). The prefix identifies the key in lists and logs."""
    public = secrets.token_hex(6)
    return f"{kind}_{public}_{secrets.token_urlsafe(32)}", f"{kind}_{public}"


def prefix_of(secret: str) -> str | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or len(parts[1]) != 12:
        return None
    return f"{parts[0]}_{parts[1]}"


def imported_secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot be imported as an API key (see ``ApiKeys.import_key``), or None.

    An imported secret is one another gateway issued (a LiteLLM ``sk-…`` key, say), kept so that
    clients keep working during a migration. It must not look like one of our own tokens, since
    those are found by their prefix."""
    if not IMPORTED_MIN_LENGTH <= len(secret) <= IMPORTED_MAX_LENGTH:
        return f"an imported secret must be {IMPORTED_MIN_LENGTH}-{IMPORTED_MAX_LENGTH} characters"
    if not secret.isascii() or not secret.isprintable() or any(c.isspace() for c in secret):
        return "an imported secret must be printable ASCII without spaces"
    if prefix_of(secret) is not None and secret.startswith(
        (f"{API_KEY_PREFIX}_", f"{IMPORTED_KEY_PREFIX}_", f"{SESSION_PREFIX}_")
    ):
        return "a Gouvernail token cannot be imported; create a key instead"
    return None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
