"""Keeping the catalogue clean: members joining, links between use cases, merges.

A requester who finds their idea already registered joins it instead of creating a duplicate;
the committee links related records and merges true duplicates (the merged one is retired, its
members join the one kept, and both keep the link).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, Tx
from gouvernail.db.base import utcnow
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.registry import events, views
from gouvernail.registry.models import (
    LinkKind,
    MemberRole,
    Status,
    Transition,
    UseCase,
    UseCaseLink,
    UseCaseMember,
)
from gouvernail.registry.schemas import LinkIn, MergeIn, UseCaseView
from gouvernail.registry.service import UseCases

MERGEABLE = {Status.IDEA, Status.QUALIFIED, Status.ASSESSED}


class Curation:
    def __init__(self, use_cases: UseCases) -> None:
        self.use_cases = use_cases
        self.trail = use_cases.trail

    def add_member(
        self,
        ctx: AuditContext,
        use_case_id: int,
        user_id: int,
        *,
        role: MemberRole = MemberRole.MEMBER,
        reason: str,
    ) -> UseCaseView:
        def work(tx: Tx) -> UseCaseView:
            use_case = self.use_cases.locked(tx.session, use_case_id, None)
            user = tx.session.get(User, user_id)
            if user is None or not user.is_active:
                raise GouvernailError(f"no active user with id {user_id}", field="user")
            existing = tx.session.scalar(
                select(UseCaseMember).where(
                    UseCaseMember.use_case_id == use_case.id, UseCaseMember.user_id == user_id
                )
            )
            if existing is not None:
                raise ConflictError(
                    f"{user.username} is already a member of {views.reference(use_case.id)}",
                    field="user",
                )
            tx.session.add(UseCaseMember(use_case_id=use_case.id, user_id=user_id, role=role))
            use_case.version += 1
            tx.emit(
                events.MemberAdded(
                    object_id=str(use_case.id),
                    object_version=use_case.version,
                    new={"user": user.username, "role": role.value},
                    reason=reason,
                )
            )
            tx.session.flush()
            return self.use_cases.view(tx.session, use_case)

        return self.trail.run(ctx, work)

    def remove_member(
        self, ctx: AuditContext, use_case_id: int, username: str, *, reason: str
    ) -> UseCaseView:
        def work(tx: Tx) -> UseCaseView:
            use_case = self.use_cases.locked(tx.session, use_case_id, None)
            row = tx.session.execute(
                select(UseCaseMember, User)
                .join(User, User.id == UseCaseMember.user_id)
                .where(UseCaseMember.use_case_id == use_case.id, User.username == username)
            ).first()
            if row is None:
                raise NotFoundError(
                    f"{username!r} is not a member of {views.reference(use_case.id)}",
                    field="username",
                )
            member, _ = row
            owners = tx.session.scalars(
                select(UseCaseMember.id).where(
                    UseCaseMember.use_case_id == use_case.id,
                    UseCaseMember.role == MemberRole.OWNER.value,
                )
            ).all()
            if member.role == MemberRole.OWNER.value and len(owners) == 1:
                raise ConflictError(
                    "a use case keeps at least one owner: add another owner first",
                    field="username",
                )
            tx.session.delete(member)
            use_case.version += 1
            tx.emit(
                events.MemberRemoved(
                    object_id=str(use_case.id),
                    object_version=use_case.version,
                    old={"user": username, "role": member.role},
                    reason=reason,
                )
            )
            tx.session.flush()
            return self.use_cases.view(tx.session, use_case)

        return self.trail.run(ctx, work)

    def link(self, ctx: AuditContext, use_case_id: int, body: LinkIn) -> UseCaseView:
        if body.kind is LinkKind.MERGED_INTO:
            raise GouvernailError("use POST /merge to merge use cases", field="kind")
        if body.target_id == use_case_id:
            raise GouvernailError("a use case cannot be linked to itself", field="target_id")

        def work(tx: Tx) -> UseCaseView:
            use_case = self.use_cases.locked(tx.session, use_case_id, None)
            target = tx.session.get(UseCase, body.target_id)
            if target is None:
                raise NotFoundError(f"no use case with id {body.target_id}", field="target_id")
            exists = tx.session.scalar(
                select(UseCaseLink.id).where(
                    UseCaseLink.source_id == use_case.id,
                    UseCaseLink.target_id == target.id,
                    UseCaseLink.kind == body.kind.value,
                )
            )
            if exists is not None:
                raise ConflictError("these use cases are already linked so", field="target_id")
            tx.session.add(
                UseCaseLink(
                    source_id=use_case.id,
                    target_id=target.id,
                    kind=body.kind.value,
                    reason=body.reason,
                    created_by=_user_id(tx),
                )
            )
            use_case.version += 1
            tx.emit(
                events.UseCaseLinked(
                    object_id=str(use_case.id),
                    object_version=use_case.version,
                    new={"target": target.id, "kind": body.kind.value},
                    reason=body.reason,
                )
            )
            tx.session.flush()
            return self.use_cases.view(tx.session, use_case)

        return self.trail.run(ctx, work)

    def merge(self, ctx: AuditContext, use_case_id: int, body: MergeIn) -> UseCaseView:
        """Retire ``use_case_id`` into ``body.into``; its members join the one kept. Returns
        the use case kept."""
        if body.into == use_case_id:
            raise GouvernailError("a use case cannot be merged into itself", field="into")

        def work(tx: Tx) -> UseCaseView:
            session = tx.session
            merged = self.use_cases.locked(session, use_case_id, None)
            kept = self.use_cases.locked(session, body.into, None)
            if merged.status not in {
                Status.IDEA.value,
                Status.QUALIFIED.value,
                Status.ASSESSED.value,
            }:
                raise ConflictError(
                    f"{views.reference(merged.id)} is {merged.status}: only use cases not yet "
                    "approved can be merged; retire it instead",
                    field="into",
                )
            present = set(
                session.scalars(
                    select(UseCaseMember.user_id).where(UseCaseMember.use_case_id == kept.id)
                )
            )
            joined = []
            for member in session.scalars(
                select(UseCaseMember).where(UseCaseMember.use_case_id == merged.id)
            ):
                if member.user_id not in present:
                    session.add(
                        UseCaseMember(
                            use_case_id=kept.id, user_id=member.user_id, role=MemberRole.MEMBER
                        )
                    )
                    joined.append(member.user_id)
            session.add(
                UseCaseLink(
                    source_id=merged.id,
                    target_id=kept.id,
                    kind=LinkKind.MERGED_INTO.value,
                    reason=body.reason,
                    created_by=_user_id(tx),
                )
            )
            session.add(
                Transition(
                    use_case_id=merged.id,
                    from_status=merged.status,
                    to_status=Status.RETIRED.value,
                    reason=f"merged into {views.reference(kept.id)}: {body.reason}",
                    actor_id=tx.context.actor.id,
                    actor_name=tx.context.actor.name,
                )
            )
            old_status = merged.status
            merged.status = Status.RETIRED.value
            for use_case in (merged, kept):
                use_case.version += 1
                use_case.updated_at = utcnow()
            tx.emit(
                events.UseCaseMerged(
                    object_id=str(merged.id),
                    object_version=merged.version,
                    old={"status": old_status},
                    new={
                        "status": Status.RETIRED.value,
                        "merged_into": kept.id,
                        "members_joined": joined,
                    },
                    reason=body.reason,
                )
            )
            session.flush()
            return self.use_cases.view(session, kept)

        return self.trail.run(ctx, work)


def _user_id(tx: Tx) -> int | None:
    return int(tx.context.actor.id) if tx.context.actor.id.isdigit() else None


def key_gate(session: Session, user_id: int, use_case_id: int) -> None:
    """Only members of a use case still in the registry get API keys bound to it."""
    use_case = session.get(UseCase, use_case_id)
    if use_case is None:
        raise NotFoundError(f"no use case with id {use_case_id}", field="use_case_id")
    if use_case.status == Status.RETIRED.value:
        raise ConflictError(
            f"{views.reference(use_case_id)} is retired: no new keys", field="use_case_id"
        )
    member = session.scalar(
        select(UseCaseMember.id).where(
            UseCaseMember.use_case_id == use_case_id, UseCaseMember.user_id == user_id
        )
    )
    if member is None:
        raise ForbiddenError(
            f"only members of {views.reference(use_case_id)} get keys for it: ask its owner to "
            "add you",
            field="use_case_id",
        )
