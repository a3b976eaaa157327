"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.200).

A signature binds a user, a meaning, the server's UTC time and the SHA-256 of the exact version
of the record signed. Signing asks for the password again (or a fresh single sign-on
re-authentication). Records that can be signed register a ``Signable`` that says what their
current version and content hash are; a signature whose hash is not the record's current hash
is shown as a signature of an older version, never of the new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.identity.passwords import Passwords
from gouvernail.identity.principal import Principal
from gouvernail.identity.signin import Authenticator, Refusal
from gouvernail.signatures.models import Meaning, Signature


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a record version's content."""
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class SignableVersion:
    version: int
    content_hash: str
    meanings: frozenset[Meaning]
    label: str


class Signable(Protocol):
    """What a record type provides so that its versions can be signed.

    ``signed_through`` names the dedicated route when a signature of this type means more
    than itself (an approval stage, minutes approval) and must be checked there; the generic
    signing route then refuses it. ``None``: the generic route may sign it."""

    object_type: str
    signed_through: str | None
    decided_by: tuple[str, str] | None
    """The right (resource, action) an ``approved`` or ``rejected`` signature needs, when
    such a signature decides something (a charter approval gates its activation)."""

    def current(self, session: Session, object_id: str) -> SignableVersion: ...


class SignatureView(BaseModel):
    id: int
    user_id: int
    printed_name: str
    meaning: str
    signed_at: datetime
    object_type: str
    object_id: str
    object_version: int
    object_hash: str
    method: str
    reason: str
    current: bool
    manifestation: str

    @classmethod
    def of(cls, signature: Signature, current: SignableVersion | None) -> SignatureView:
        is_current = current is not None and (
            current.version == signature.object_version
            and current.content_hash == signature.object_hash
        )
        when = signature.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        text = (
            f"{signature.printed_name} — {signature.meaning} — {when} — "
            f"version {signature.object_version}"
        )
        if not is_current:
            text += " (an earlier version: not a signature of the current one)"
        return cls(
            id=signature.id,
            user_id=signature.user_id,
            printed_name=signature.printed_name,
            meaning=signature.meaning,
            signed_at=signature.signed_at,
            object_type=signature.object_type,
            object_id=signature.object_id,
            object_version=signature.object_version,
            object_hash=signature.object_hash,
            method=signature.method,
            reason=signature.reason,
            current=is_current,
            manifestation=text,
        )


class Signatures:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        passwords: Passwords,
        authenticator: Authenticator,
    ) -> None:
        self.database = database
        self.trail = trail
        self.passwords = passwords
        self.authenticator = authenticator
        self._signables: dict[str, Signable] = {}

    def register(self, signable: Signable) -> None:
        self._signables[signable.object_type] = signable

    def decision_right(self, object_type: str, meaning: str) -> tuple[str, str] | None:
        """The right a signature of ``meaning`` on ``object_type`` needs beyond signing."""
        if meaning not in (Meaning.APPROVED.value, Meaning.REJECTED.value):
            return None
        return self.signable(object_type).decided_by

    def signable(self, object_type: str) -> Signable:
        try:
            return self._signables[object_type]
        except KeyError:
            raise GouvernailError(
                f"records of type {object_type!r} cannot be signed; "
                f"signable types: {sorted(self._signables)}",
                field="object_type",
            ) from None

    def sign(
        self,
        principal: Principal,
        *,
        object_type: str,
        object_id: str,
        meaning: str,
        reason: str,
        password: str | None,
        expected_version: int | None = None,
        request_id: str = "",
        after_sign: Callable[[Tx, Signature], None] | None = None,
    ) -> SignatureView:
        """Sign the current version of a record. ``after_sign`` runs in the same transaction
        once the signature row exists (for example to record which approval stage it decides);
        if it raises, nothing is kept."""
        signable = self.signable(object_type)
        if after_sign is None and signable.signed_through is not None:
            raise GouvernailError(
                f"records of type {object_type!r} are signed through {signable.signed_through}",
                field="object_type",
            )
        try:
            wanted = Meaning(meaning)
        except ValueError:
            raise GouvernailError(
                f"meaning must be one of {[m.value for m in Meaning]}", field="meaning"
            ) from None
        with self.database.read() as session:
            stored = session.scalar(select(User.password_hash).where(User.id == principal.user_id))
        password_ok = password is not None and self.passwords.verify(stored, password)

        def work(tx: Tx) -> SignatureView | Refusal:
            method = self.authenticator.reauthenticate(tx, principal, password, password_ok, stored)
            if isinstance(method, Refusal):
                return method
            current = signable.current(tx.session, object_id)
            if wanted not in current.meanings:
                raise GouvernailError(
                    f"{current.label} cannot be signed as {wanted.value!r} now; allowed: "
                    f"{sorted(m.value for m in current.meanings) or 'none'}",
                    field="meaning",
                )
            if expected_version is not None and expected_version != current.version:
                raise GouvernailError(
                    f"you reviewed version {expected_version}, but {current.label} is now at "
                    f"version {current.version}: review it again before signing",
                    field="version",
                    code="version_changed",
                    status=409,
                )
            signature = Signature(
                user_id=principal.user_id,
                printed_name=principal.display_name,
                meaning=wanted.value,
                signed_at=utcnow(),
                object_type=object_type,
                object_id=object_id,
                object_version=current.version,
                object_hash=current.content_hash,
                method=method,
                reason=reason.strip(),
            )
            tx.session.add(signature)
            tx.session.flush()
            tx.emit(
                ev.RecordSigned(
                    object_id=str(signature.id),
                    object_version=1,
                    new={
                        "signed_object_type": object_type,
                        "signed_object_id": object_id,
                        "signed_version": current.version,
                        "signed_hash": current.content_hash,
                        "meaning": wanted.value,
                        "printed_name": principal.display_name,
                        "method": method,
                    },
                    reason=reason.strip(),
                )
            )
            if after_sign is not None:
                after_sign(tx, signature)
            return SignatureView.of(signature, current)

        outcome = self.trail.run(AuditContext(principal.actor, request_id), work)
        if isinstance(outcome, Refusal):
            raise outcome.error
        return outcome

    def list_for(self, object_type: str, object_id: str) -> list[SignatureView]:
        signable = self.signable(object_type)
        with self.database.read() as session:
            try:
                current: SignableVersion | None = signable.current(session, object_id)
            except NotFoundError:
                current = None
            rows = session.scalars(
                select(Signature)
                .where(Signature.object_type == object_type, Signature.object_id == object_id)
                .order_by(Signature.id)
            )
            return [SignatureView.of(row, current) for row in rows]

    def current_by(
        self, session: Session, object_type: str, object_id: str, meaning: Meaning
    ) -> list[Signature]:
        """Signatures with ``meaning`` that bind the record's current version."""
        current = self.signable(object_type).current(session, object_id)
        return list(
            session.scalars(
                select(Signature).where(
                    Signature.object_type == object_type,
                    Signature.object_id == object_id,
                    Signature.meaning == meaning.value,
                    Signature.object_version == current.version,
                    Signature.object_hash == current.content_hash,
                )
            )
        )
