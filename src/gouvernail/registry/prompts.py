"""Prompts of a use case, versioned: each save of a named prompt (the playground's system
prompt, an application's template) is a new, audited version; nothing is overwritten."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.engine import Database
from gouvernail.errors import ForbiddenError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.registry.events import PromptVersionSaved
from gouvernail.registry.models import PromptVersion, UseCase, UseCaseMember

MAX_PROMPT = 20_000


class PromptIn(BaseModel):
    name: str = Field(default="system", min_length=1, max_length=100, pattern=r"^[\w .-]+$")
    text: str = Field(min_length=1, max_length=MAX_PROMPT)
    note: str = Field(default="", max_length=500)


class PromptVersionView(BaseModel):
    id: int
    use_case_id: int
    name: str
    version: int
    text: str
    note: str
    created_by: str
    created_at: datetime


def _view(row: PromptVersion, author: str) -> PromptVersionView:
    return PromptVersionView(
        id=row.id,
        use_case_id=row.use_case_id,
        name=row.name,
        version=row.version,
        text=row.text,
        note=row.note,
        created_by=author,
        created_at=row.created_at,
    )


class Prompts:
    def __init__(self, database: Database, trail: AuditTrail) -> None:
        self.database = database
        self.trail = trail

    def versions(self, use_case_id: int, name: str | None = None) -> list[PromptVersionView]:
        """Every version, newest first (of one name, or of all)."""
        with self.database.read() as session:
            if session.get(UseCase, use_case_id) is None:
                raise NotFoundError(f"no use case with id {use_case_id}")
            query = (
                select(PromptVersion, User.display_name)
                .join(User, User.id == PromptVersion.created_by)
                .where(PromptVersion.use_case_id == use_case_id)
                .order_by(PromptVersion.name, PromptVersion.version.desc())
            )
            if name is not None:
                query = query.where(PromptVersion.name == name)
            return [_view(row, author) for row, author in session.execute(query)]

    def latest(self, use_case_id: int, name: str = "system") -> PromptVersionView | None:
        found = self.versions(use_case_id, name)
        return found[0] if found else None

    def save(
        self, ctx: AuditContext, use_case_id: int, user_id: int, body: PromptIn
    ) -> PromptVersionView:
        """A new version (members of the use case only); saving the same text again as the
        latest version changes nothing and returns that version."""

        def work(tx: Tx) -> PromptVersionView:
            session = tx.session
            use_case = session.get(UseCase, use_case_id)
            if use_case is None:
                raise NotFoundError(f"no use case with id {use_case_id}")
            member = session.scalar(
                select(UseCaseMember.id).where(
                    UseCaseMember.use_case_id == use_case_id, UseCaseMember.user_id == user_id
                )
            )
            if member is None:
                raise ForbiddenError("only members of the use case save its prompts")
            latest = session.scalar(
                select(PromptVersion)
                .where(PromptVersion.use_case_id == use_case_id, PromptVersion.name == body.name)
                .order_by(PromptVersion.version.desc())
                .limit(1)
            )
            author = session.get(User, user_id)
            assert author is not None
            if latest is not None and latest.text == body.text:
                return _view(latest, author.display_name)
            number = (
                session.scalar(
                    select(func.max(PromptVersion.version)).where(
                        PromptVersion.use_case_id == use_case_id,
                        PromptVersion.name == body.name,
                    )
                )
                or 0
            ) + 1
            row = PromptVersion(
                use_case_id=use_case_id,
                name=body.name,
                version=number,
                text=body.text,
                note=body.note,
                created_by=user_id,
            )
            session.add(row)
            session.flush()
            tx.emit(
                PromptVersionSaved(
                    object_id=str(use_case_id),
                    new={
                        "name": body.name,
                        "version": number,
                        "sha256": hashlib.sha256(body.text.encode()).hexdigest(),
                        "chars": len(body.text),
                        "note": body.note,
                    },
                )
            )
            return _view(row, author.display_name)

        return self.trail.run(ctx, work)
