"""Charter versions: draft, revise, sign, activate, accept.

A draft can be edited (each edit raises its revision); it becomes the charter in force only
with an ``approved`` signature on its current revision. Employees accept the version in force
with a signature of meaning ``accepted``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.charter.models import CharterStatus, CharterVersion
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.principal import Principal
from gouvernail.signatures.models import Meaning, Signature
from gouvernail.signatures.service import (
    SignableVersion,
    Signatures,
    SignatureView,
    content_hash,
)

OBJECT_TYPE = "charter_version"


class CharterView(BaseModel):
    id: int
    number: str
    title: str
    body: str
    rules: CharterRules
    status: str
    revision: int
    content_hash: str
    created_at: datetime
    activated_at: datetime | None
    signatures: list[SignatureView] = []


def _content(version: CharterVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "body": version.body,
        "rules": orjson.loads(version.rules),
    }


def _view(version: CharterVersion, signatures: list[SignatureView] | None = None) -> CharterView:
    return CharterView(
        id=version.id,
        number=version.number,
        title=version.title,
        body=version.body,
        rules=CharterRules.model_validate_json(version.rules),
        status=version.status,
        revision=version.revision,
        content_hash=content_hash(_content(version)),
        created_at=version.created_at,
        activated_at=version.activated_at,
        signatures=signatures or [],
    )


def parse_rules(rules: Any) -> CharterRules:
    try:
        return CharterRules.model_validate(rules)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GouvernailError(
            f"charter rules: {where}: {first['msg']}", field=f"rules.{where}"
        ) from None


class CharterSignable:
    object_type = OBJECT_TYPE

    def current(self, session: Session, object_id: str) -> SignableVersion:
        version = _get(session, object_id)
        meanings = (
            {Meaning.AUTHORED, Meaning.REVIEWED, Meaning.APPROVED, Meaning.REJECTED}
            if version.status == CharterStatus.DRAFT.value
            else {Meaning.ACCEPTED}
            if version.status == CharterStatus.ACTIVE.value
            else set()
        )
        return SignableVersion(
            version=version.revision,
            content_hash=content_hash(_content(version)),
            meanings=frozenset(meanings),
            label=f"charter {version.number}",
        )


def _get(session: Session, charter_id: int | str) -> CharterVersion:
    try:
        key = int(charter_id)
    except ValueError:
        raise NotFoundError(f"no charter version with id {charter_id!r}") from None
    version = session.get(CharterVersion, key)
    if version is None:
        raise NotFoundError(f"no charter version with id {charter_id}")
    return version


class Charters:
    def __init__(self, database: Database, trail: AuditTrail, signatures: Signatures) -> None:
        self.database = database
        self.trail = trail
        self.signatures = signatures
        signatures.register(CharterSignable())

    def draft(
        self, ctx: AuditContext, *, number: str, title: str, body: str, rules: Any
    ) -> CharterView:
        number, title = number.strip(), title.strip()
        if not number or len(number) > 32:
            raise GouvernailError("the version number needs 1-32 characters", field="number")
        if not title:
            raise GouvernailError("the charter needs a title", field="title")
        if not body.strip():
            raise GouvernailError("the charter needs its text", field="body")
        parsed = parse_rules(rules)

        def work(tx: Tx) -> CharterView:
            if (
                tx.session.scalar(select(CharterVersion.id).where(CharterVersion.number == number))
                is not None
            ):
                raise ConflictError(f"charter version {number!r} exists", field="number")
            version = CharterVersion(
                number=number,
                title=title,
                body=body,
                rules=parsed.model_dump_json(),
                status=CharterStatus.DRAFT.value,
                revision=1,
                created_at=utcnow(),
            )
            tx.session.add(version)
            tx.session.flush()
            view = _view(version)
            tx.emit(
                ev.CharterDrafted(
                    object_id=str(version.id),
                    object_version=1,
                    new={"number": number, "title": title, "content_hash": view.content_hash},
                )
            )
            return view

        return self.trail.run(ctx, work)

    def revise(
        self,
        ctx: AuditContext,
        charter_id: int,
        *,
        reason: str,
        title: str | None = None,
        body: str | None = None,
        rules: Any = None,
    ) -> CharterView:
        if not reason.strip():
            raise GouvernailError("a reason is required to revise the charter", field="reason")
        parsed = parse_rules(rules) if rules is not None else None

        def work(tx: Tx) -> CharterView:
            version = _get(tx.session, charter_id)
            if version.status != CharterStatus.DRAFT.value:
                raise ConflictError(
                    f"charter {version.number} is {version.status}: only drafts can be revised;"
                    " draft a new version instead"
                )
            old_hash = content_hash(_content(version))
            if title is not None:
                version.title = title.strip()
            if body is not None:
                version.body = body
            if parsed is not None:
                version.rules = parsed.model_dump_json()
            new_hash = content_hash(_content(version))
            if new_hash == old_hash:
                raise GouvernailError("nothing to change")
            version.revision += 1
            tx.emit(
                ev.CharterRevised(
                    object_id=str(version.id),
                    object_version=version.revision,
                    old={"content_hash": old_hash},
                    new={"content_hash": new_hash},
                    reason=reason.strip(),
                )
            )
            return _view(version)

        return self.trail.run(ctx, work)

    def activate(
        self,
        ctx: AuditContext,
        charter_id: int,
        *,
        reason: str,
        require_approval: bool = True,
    ) -> CharterView:
        """Put a draft in force. Without ``require_approval`` (console bootstrap only) the
        approval gate is skipped, and the audit record says so."""
        if not reason.strip():
            raise GouvernailError("a reason is required to activate a charter", field="reason")

        def work(tx: Tx) -> CharterView:
            version = _get(tx.session, charter_id)
            if version.status != CharterStatus.DRAFT.value:
                raise ConflictError(f"charter {version.number} is {version.status}, not a draft")
            approvals: list[Signature] = self.signatures.current_by(
                tx.session, OBJECT_TYPE, str(version.id), Meaning.APPROVED
            )
            if require_approval and not approvals:
                raise ConflictError(
                    f"charter {version.number} revision {version.revision} has no 'approved' "
                    "signature on its current revision: sign it before activating",
                    code="approval_missing",
                )
            now = utcnow()
            previous = tx.session.scalars(
                select(CharterVersion).where(CharterVersion.status == CharterStatus.ACTIVE.value)
            ).all()
            for old in previous:
                old.status = CharterStatus.SUPERSEDED.value
            version.status = CharterStatus.ACTIVE.value
            version.activated_at = now
            tx.emit(
                ev.CharterActivated(
                    object_id=str(version.id),
                    object_version=version.revision,
                    old={"superseded": [p.number for p in previous]},
                    new={
                        "status": "active",
                        "approved_by": [a.printed_name for a in approvals],
                        "approval_gate": require_approval,
                    },
                    reason=reason.strip(),
                )
            )
            return _view(version)

        return self.trail.run(ctx, work)

    def load_file(self, ctx: AuditContext, path: Path) -> CharterView:
        """Draft a charter version from a YAML file (number, title, body, rules)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise GouvernailError(f"cannot read {path}: {error}", field="file") from None
        if not isinstance(data, dict):
            raise GouvernailError(
                f"{path}: expected a mapping with number, title, body, rules", field="file"
            )
        missing = sorted({"number", "title", "body", "rules"} - data.keys())
        if missing:
            raise GouvernailError(f"{path}: missing {missing}", field="file")
        return self.draft(
            ctx,
            number=str(data["number"]),
            title=str(data["title"]),
            body=str(data["body"]),
            rules=data["rules"],
        )

    def get(self, charter_id: int) -> CharterView:
        with self.database.read() as session:
            version = _get(session, charter_id)
            view = _view(version)
        return view.model_copy(
            update={"signatures": self.signatures.list_for(OBJECT_TYPE, str(charter_id))}
        )

    def list(self) -> list[CharterView]:
        with self.database.read() as session:
            return [
                _view(v)
                for v in session.scalars(select(CharterVersion).order_by(CharterVersion.id))
            ]

    def active(self) -> CharterView | None:
        with self.database.read() as session:
            version = session.scalar(
                select(CharterVersion).where(CharterVersion.status == CharterStatus.ACTIVE.value)
            )
            return _view(version) if version else None

    def accepted_by(self, user_id: int) -> bool:
        """Has the user signed 'accepted' on the exact version in force?"""
        with self.database.read() as session:
            version = session.scalar(
                select(CharterVersion).where(CharterVersion.status == CharterStatus.ACTIVE.value)
            )
            if version is None:
                return False
            return any(
                s.user_id == user_id
                for s in self.signatures.current_by(
                    session, OBJECT_TYPE, str(version.id), Meaning.ACCEPTED
                )
            )

    def accept(
        self, principal: Principal, *, password: str | None, request_id: str = ""
    ) -> SignatureView:
        current = self.active()
        if current is None:
            raise NotFoundError("no charter is in force yet")
        if self.accepted_by(principal.user_id):
            raise ConflictError(f"you already accepted charter {current.number}")
        return self.signatures.sign(
            principal,
            object_type=OBJECT_TYPE,
            object_id=str(current.id),
            meaning=Meaning.ACCEPTED.value,
            reason=f"I accept charter {current.number}",
            password=password,
            request_id=request_id,
        )
