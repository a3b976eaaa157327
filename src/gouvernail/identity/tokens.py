"""Opaque secrets (API keys, session tokens): random, shown once, stored as SHA-256.

These secrets carry 256 bits of entropy, so a fast hash is safe to store and lets the gateway
check a key on every call without an argon2 cost; passwords, which people choose, use argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "gk"
SESSION_PREFIX = "gs"


def new_secret(kind: str) -> tuple[str, str]:
    """(full secret, public prefix). The prefix identifies the key in lists and logs."""
    public = secrets.token_hex(6)
    return f"{kind}_{public}_{secrets.token_urlsafe(32)}", f"{kind}_{public}"


def prefix_of(secret: str) -> str | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or len(parts[1]) != 12:
        return None
    return f"{parts[0]}_{parts[1]}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
