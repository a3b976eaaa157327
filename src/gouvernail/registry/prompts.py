"""Prompts of a use case, versioned and labelled (the prompt registry).

Each save of a named prompt (the playground's system prompt, an application's template) is a new,
audited version that takes the ``draft`` label; nothing is overwritten. One version of each name
holds ``production`` (``prompt_labels.py``): putting a version there, or rolling back to an older
one, is an audited decision with a reason, checked by the promotion gate when one is installed:
``gate(use_case_id, prompt_version_id)`` returns None to allow, or the reason it refuses (409).
An AI referent may promote despite a refusal (``prompts: override_gate``, the reason is
mandatory, audited apart as ``prompt.gate_overridden``). The gateway applies the production
version to the calls of a use case that asks for it (``gateway/prompting.py``).

Who may move which label is decided here (``required_rights``) and enforced by the caller (the
API audits refusals): members of the use case move ``draft``, its owner ``production``; others
need ``prompts: label_any`` or ``prompts: promote_any``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.registry.events import (
    PromptGateOverridden,
    PromptLabelMoved,
    PromptPromotionRefused,
    PromptVersionSaved,
)
from gouvernail.registry.models import MemberRole, PromptVersion, UseCase, UseCaseMember
from gouvernail.registry.prompt_labels import (
    DRAFT,
    LABELS,
    PRODUCTION,
    GateOutcome,
    Label,
    PromptLabel,
    PromptLabelMove,
)

MAX_PROMPT = 20_000
NAME_PATTERN = r"^[\w .-]+$"

Gate = Callable[[int, int], str | None]
"""(use case id, prompt version id) → None to allow a promotion to production, or the reason
it is refused."""


class PromptIn(BaseModel):
    name: str = Field(default="system", min_length=1, max_length=100, pattern=NAME_PATTERN)
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
    labels: list[Label] = Field(
        default_factory=list, description="The labels this version holds now."
    )


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(
        ge=1, description="The version (of this prompt name) that takes the label."
    )
    reason: str = Field(
        "", max_length=2000, description="Why (recorded); required to move production."
    )
    override_gate: bool = Field(
        False,
        description="Promote although the promotion gate refuses (prompts: override_gate; "
        "audited as prompt.gate_overridden).",
    )


class LabelMoveView(BaseModel):
    id: int
    use_case_id: int
    name: str
    label: Label
    version: int
    prompt_version_id: int
    previous_version: int | None = Field(description="The version that held the label before.")
    previous_version_id: int | None
    moved_by: str
    moved_by_id: int
    moved_at: datetime
    reason: str
    gate: GateOutcome
    gate_refusal: str = Field(description="What the gate said, when it refused and was overridden.")


class PromotionRefusedError(GouvernailError):
    status = 409
    code = "promotion_refused"


def _view(row: PromptVersion, author: str, labels: list[Label] | None = None) -> PromptVersionView:
    return PromptVersionView(
        id=row.id,
        use_case_id=row.use_case_id,
        name=row.name,
        version=row.version,
        text=row.text,
        note=row.note,
        created_by=author,
        created_at=row.created_at,
        labels=labels or [],
    )


def _use_case(session: Session, use_case_id: int) -> UseCase:
    use_case = session.get(UseCase, use_case_id)
    if use_case is None:
        raise NotFoundError(f"no use case with id {use_case_id}")
    return use_case


def _version(session: Session, use_case_id: int, name: str, number: int) -> PromptVersion:
    row = session.scalar(
        select(PromptVersion).where(
            PromptVersion.use_case_id == use_case_id,
            PromptVersion.name == name,
            PromptVersion.version == number,
        )
    )
    if row is None:
        raise NotFoundError(
            f"use case {use_case_id} has no version {number} of prompt {name!r}", field="version"
        )
    return row


def _labels_of(session: Session, use_case_id: int) -> dict[int, list[Label]]:
    held: dict[int, list[Label]] = defaultdict(list)
    rows = session.execute(
        select(PromptLabel.prompt_version_id, PromptLabel.label)
        .where(PromptLabel.use_case_id == use_case_id)
        .order_by(PromptLabel.label)
    )
    for version_id, label in rows:
        if label in LABELS:
            held[version_id].append(label)
    return held


class Prompts:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        *,
        gate: Gate | None = None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.database = database
        self.trail = trail
        self.gate = gate
        self.on_change = on_change
        """Called after ``production`` moved (the gateway forgets its cached prompts)."""

    # --- reading ---------------------------------------------------------------------------------

    def versions(self, use_case_id: int, name: str | None = None) -> list[PromptVersionView]:
        """Every version with the labels it holds, newest first (of one name, or of all)."""
        with self.database.read() as session:
            _use_case(session, use_case_id)
            query = (
                select(PromptVersion, User.display_name)
                .join(User, User.id == PromptVersion.created_by)
                .where(PromptVersion.use_case_id == use_case_id)
                .order_by(PromptVersion.name, PromptVersion.version.desc())
            )
            if name is not None:
                query = query.where(PromptVersion.name == name)
            labels = _labels_of(session, use_case_id)
            return [
                _view(row, author, labels.get(row.id)) for row, author in session.execute(query)
            ]

    def latest(self, use_case_id: int, name: str = "system") -> PromptVersionView | None:
        found = self.versions(use_case_id, name)
        return found[0] if found else None

    def labelled(self, use_case_id: int, name: str, label: Label) -> PromptVersionView | None:
        """The version of ``name`` that holds ``label`` now, if any."""
        return next((v for v in self.versions(use_case_id, name) if label in v.labels), None)

    def history(self, use_case_id: int, name: str | None = None) -> list[LabelMoveView]:
        """Every move of a label, newest first (of one prompt name, or of all)."""
        taken, before = aliased(PromptVersion), aliased(PromptVersion)
        with self.database.read() as session:
            _use_case(session, use_case_id)
            query = (
                select(PromptLabelMove, taken.version, before.version, User.display_name)
                .join(taken, taken.id == PromptLabelMove.prompt_version_id)
                .outerjoin(before, before.id == PromptLabelMove.previous_version_id)
                .join(User, User.id == PromptLabelMove.moved_by)
                .where(PromptLabelMove.use_case_id == use_case_id)
                .order_by(PromptLabelMove.id.desc())
            )
            if name is not None:
                query = query.where(PromptLabelMove.name == name)
            return [
                LabelMoveView(
                    id=move.id,
                    use_case_id=move.use_case_id,
                    name=move.name,
                    label=PRODUCTION if move.label == PRODUCTION else DRAFT,
                    version=version,
                    prompt_version_id=move.prompt_version_id,
                    previous_version=previous,
                    previous_version_id=move.previous_version_id,
                    moved_by=who,
                    moved_by_id=move.moved_by,
                    moved_at=move.moved_at,
                    reason=move.reason,
                    gate=GateOutcome(move.gate),
                    gate_refusal=move.gate_refusal,
                )
                for move, version, previous, who in session.execute(query)
            ]

    # --- who may ---------------------------------------------------------------------------------

    def required_rights(
        self, use_case_id: int, user_id: int, label: Label, *, override: bool = False
    ) -> list[str]:
        """The ``prompts`` rights ``user_id`` needs, beyond being a member, to move ``label``:
        none for members moving ``draft`` and for the owner moving ``production``."""
        with self.database.read() as session:
            _use_case(session, use_case_id)
            role = session.scalar(
                select(UseCaseMember.role).where(
                    UseCaseMember.use_case_id == use_case_id, UseCaseMember.user_id == user_id
                )
            )
        needed: list[str] = []
        if label == PRODUCTION and role != MemberRole.OWNER:
            needed.append("promote_any")
        elif label == DRAFT and role is None:
            needed.append("label_any")
        if override:
            needed.append("override_gate")
        return needed

    # --- changing --------------------------------------------------------------------------------

    def save(
        self, ctx: AuditContext, use_case_id: int, user_id: int, body: PromptIn
    ) -> PromptVersionView:
        """A new version, which takes the ``draft`` label (members of the use case only);
        saving the same text again as the latest version changes nothing and returns it."""

        def work(tx: Tx) -> PromptVersionView:
            session = tx.session
            _use_case(session, use_case_id)
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
                return _view(
                    latest, author.display_name, _labels_of(session, use_case_id)[latest.id]
                )
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
            reason = body.note or f"version {number} saved"
            self._move(tx, row, DRAFT, user_id, reason, GateOutcome.NOT_REQUIRED)
            return _view(row, author.display_name, _labels_of(session, use_case_id)[row.id])

        return self.trail.run(ctx, work)

    def move_label(
        self,
        ctx: AuditContext,
        use_case_id: int,
        name: str,
        label: Label,
        body: LabelIn,
        *,
        user_id: int,
    ) -> LabelMoveView:
        """Give ``label`` to version ``body.version`` of prompt ``name``. The caller has checked
        ``required_rights``. Production needs a reason and passes the promotion gate (a
        refusal is audited, then raised as 409), unless ``override_gate``."""
        reason = body.reason.strip()
        if label == PRODUCTION and len(reason) < 3:
            raise GouvernailError(
                "say why this version goes to production (reason, at least 3 characters)",
                field="reason",
            )
        with self.database.read() as session:
            _use_case(session, use_case_id)
            target = _version(session, use_case_id, name, body.version)
            target_id = target.id
            holder = session.scalar(
                select(PromptLabel.prompt_version_id).where(
                    PromptLabel.use_case_id == use_case_id,
                    PromptLabel.name == name,
                    PromptLabel.label == label,
                )
            )
        if holder == target_id:
            raise ConflictError(
                f"version {body.version} of prompt {name!r} already holds {label}", field="version"
            )
        outcome, refusal = GateOutcome.NOT_REQUIRED, None
        if label == PRODUCTION:
            # asked outside the unit of work: an evaluation may take time to look up
            refusal = self.gate(use_case_id, target_id) if self.gate is not None else None
            if self.gate is None:
                outcome = GateOutcome.NO_GATE
            elif refusal is None:
                outcome = GateOutcome.PASSED
            elif body.override_gate:
                outcome = GateOutcome.OVERRIDDEN
            else:
                self._refuse(ctx, use_case_id, name, body.version, target_id, refusal, reason)

        def work(tx: Tx) -> int:
            row = tx.session.get(PromptVersion, target_id)
            assert row is not None  # versions are never deleted
            move = self._move(tx, row, label, user_id, reason, outcome, refusal or "")
            if outcome is GateOutcome.OVERRIDDEN:
                tx.emit(
                    PromptGateOverridden(
                        object_id=str(use_case_id),
                        new={
                            "name": name,
                            "version": row.version,
                            "prompt_version_id": row.id,
                            "refusal": refusal,
                        },
                        reason=reason,
                    )
                )
            return move.id

        move_id = self.trail.run(ctx, work)
        if label == PRODUCTION:
            self.on_change()
        return next(m for m in self.history(use_case_id, name) if m.id == move_id)

    def _refuse(
        self,
        ctx: AuditContext,
        use_case_id: int,
        name: str,
        number: int,
        version_id: int,
        refusal: str,
        reason: str,
    ) -> None:
        def work(tx: Tx) -> None:
            tx.emit(
                PromptPromotionRefused(
                    object_id=str(use_case_id),
                    new={
                        "name": name,
                        "label": PRODUCTION,
                        "version": number,
                        "prompt_version_id": version_id,
                        "refusal": refusal,
                    },
                    reason=reason,
                )
            )

        self.trail.run(ctx, work)
        raise PromotionRefusedError(
            f"the promotion gate refuses version {number} of prompt {name!r}: {refusal}",
            field="version",
        )

    @staticmethod
    def _move(
        tx: Tx,
        row: PromptVersion,
        label: Label,
        user_id: int,
        reason: str,
        gate: GateOutcome,
        refusal: str = "",
    ) -> PromptLabelMove:
        """Point ``label`` at ``row`` (one holder per use case, name and label), record the
        move and audit it."""
        session = tx.session
        held = session.scalar(
            select(PromptLabel)
            .where(
                PromptLabel.use_case_id == row.use_case_id,
                PromptLabel.name == row.name,
                PromptLabel.label == label,
            )
            .with_for_update()
        )
        previous_id = held.prompt_version_id if held is not None else None
        if previous_id == row.id:  # moved there meanwhile
            raise ConflictError(
                f"version {row.version} of prompt {row.name!r} already holds {label}",
                field="version",
            )
        previous = session.get(PromptVersion, previous_id) if previous_id is not None else None
        now = utcnow()
        if held is None:
            held = PromptLabel(use_case_id=row.use_case_id, name=row.name, label=label, version=0)
            session.add(held)
        held.prompt_version_id, held.moved_by, held.moved_at = row.id, user_id, now
        held.version += 1
        move = PromptLabelMove(
            use_case_id=row.use_case_id,
            name=row.name,
            label=label,
            prompt_version_id=row.id,
            previous_version_id=previous_id,
            moved_by=user_id,
            moved_at=now,
            reason=reason,
            gate=gate.value,
            gate_refusal=refusal,
        )
        session.add(move)
        session.flush()
        tx.emit(
            PromptLabelMoved(
                object_id=str(row.use_case_id),
                object_version=held.version,
                old={}
                if previous is None
                else {"version": previous.version, "prompt_version_id": previous.id},
                new={
                    "name": row.name,
                    "label": label,
                    "version": row.version,
                    "prompt_version_id": row.id,
                    "gate": gate.value,
                },
                reason=reason,
            )
        )
        return move
