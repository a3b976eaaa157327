"""Ed25519 keys that sign audit checkpoints, so that an export verifies offline.

The private key stays on the server (``GOUVERNAIL_AUDIT_SIGNING_KEY_FILE``); an auditor gets the
public key (``gouvernail audit public-key``) and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CHECKPOINT_DOMAIN = b"gouvernail-audit-checkpoint/v1"


def checkpoint_message(seq: int, record_hash: str, ts: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    return b"\n".join((CHECKPOINT_DOMAIN, str(seq).encode(), record_hash.encode(), ts.encode()))


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class CheckpointSigner:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, seq: int, record_hash: str, ts: str) -> str:
        signature = self.private_key.sign(checkpoint_message(seq, record_hash, ts))
        return base64.b64encode(signature).decode()

    @classmethod
    def from_file(cls, path: Path, *, create: bool) -> CheckpointSigner:
        """Load the PEM private key at ``path``; generate it (mode 0600) if allowed and absent."""
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"audit signing key {path} does not exist")
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key)


def verify_checkpoint(
    public_key: Ed25519PublicKey, seq: int, record_hash: str, ts: str, signature: str
) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), checkpoint_message(seq, record_hash, ts))
    except (InvalidSignature, ValueError):
        return False
    return True
