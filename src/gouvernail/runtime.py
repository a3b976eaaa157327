"""The runtime: every long-lived object, built from the settings, owned by one value.

``create_app`` and the CLI each build a ``Runtime``; nothing lives at module level. Tests build
a fresh one per test.
"""

from __future__ import annotations

from dataclasses import dataclass

from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gouvernail.audit import AuditTrail
from gouvernail.audit.signing import CheckpointSigner
from gouvernail.charter.service import Charters
from gouvernail.db.engine import Database
from gouvernail.identity.directory import Directory
from gouvernail.identity.keys import ApiKeys
from gouvernail.identity.passwords import Passwords
from gouvernail.identity.signin import Authenticator
from gouvernail.metrics import Metrics
from gouvernail.policy import Policy
from gouvernail.settings import Environment, Settings
from gouvernail.signatures.service import Signatures


@dataclass
class Runtime:
    settings: Settings
    database: Database
    signer: CheckpointSigner
    trail: AuditTrail
    policy: Policy
    passwords: Passwords
    directory: Directory
    authenticator: Authenticator
    keys: ApiKeys
    signatures: Signatures
    charters: Charters
    metrics: Metrics

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        database = Database(settings.effective_database_url)
        signer = CheckpointSigner.from_file(
            settings.signing_key_path,
            create=settings.env is not Environment.PROD,
        )
        metrics = Metrics()
        trail = AuditTrail(
            database,
            signer,
            checkpoint_interval=settings.audit_checkpoint_interval,
            batch_max=settings.audit_batch_max,
            on_commit=metrics.audit_committed,
        )
        passwords = Passwords(
            min_length=settings.password_min_length,
            max_age_days=settings.password_max_age_days,
        )
        limiter = MovingWindowRateLimiter(storage_from_string(settings.redis_url or "memory://"))
        authenticator = Authenticator(database, trail, passwords, settings, limiter)
        signatures = Signatures(database, trail, passwords, authenticator)
        return cls(
            settings=settings,
            database=database,
            signer=signer,
            trail=trail,
            policy=Policy(),
            passwords=passwords,
            directory=Directory(database, trail, passwords),
            authenticator=authenticator,
            keys=ApiKeys(database, trail, settings.api_key_default_days),
            signatures=signatures,
            charters=Charters(database, trail, signatures),
            metrics=metrics,
        )

    def close(self) -> None:
        self.trail.close()
        self.database.dispose()
