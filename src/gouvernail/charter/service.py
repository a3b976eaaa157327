"""Charter versions: draft, revise, sign, activate (now or scheduled), withdraw, accept, roll out.

A draft can be edited (each edit raises its revision); it is activated only with an
``approved`` signature on its current revision. Activation sets when the version comes into
force (now, or a later date) and the grace period left to users who accepted the previous
version; every active user is told once. Employees accept a version with a signature of
meaning ``accepted``. Which version is in force and who complies is ``charter.acceptance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit import events as ev
from gouvernail.charter import rollout
from gouvernail.charter.acceptance import (
    OBJECT_TYPE,
    AcceptanceStatus,
    Timeline,
    acceptances,
    moment,
    status_in,
    version_content,
)
from gouvernail.charter.checks import (
    MAX_GRACE_DAYS,
    check_schedule,
    check_text,
    check_trainings,
    parse_rules,
)
from gouvernail.charter.models import CharterStatus, CharterVersion
from gouvernail.charter.rules import CharterRules
from gouvernail.charter.views import CharterView, get_version, status_of, view_of
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.directory import find_team, team_subtree
from gouvernail.identity.principal import Principal
from gouvernail.signatures.models import Meaning, Signature
from gouvernail.signatures.service import (
    SignableVersion,
    Signatures,
    SignatureView,
    content_hash,
)

DEFAULTS = Path(__file__).parent / "defaults"
LANGUAGES = ("en", "fr")

__all__ = ["CharterView", "Charters", "default_path", "parse_rules", "status_in"]


class CharterSignable:
    object_type = OBJECT_TYPE
    signed_through: str | None = None
    decided_by: tuple[str, str] | None = ("charter", "activate")  # the committee adopts it

    def current(self, session: Session, object_id: str) -> SignableVersion:
        version = get_version(session, object_id)
        meanings: set[Meaning] = set()
        if version.status == CharterStatus.DRAFT.value:
            meanings = {Meaning.AUTHORED, Meaning.REVIEWED, Meaning.APPROVED, Meaning.REJECTED}
        elif version.status == CharterStatus.ACTIVATED.value:
            state = Timeline.load(session).state_of(version.id, utcnow())
            meanings = {Meaning.ACCEPTED} if state in ("scheduled", "active") else set()
        return SignableVersion(
            version=version.revision,
            content_hash=content_hash(version_content(version)),
            meanings=frozenset(meanings),
            label=f"charter {version.number}",
        )


class Charters:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        signatures: Signatures,
        *,
        default_grace_days: int = 30,
    ) -> None:
        self.database = database
        self.trail = trail
        self.signatures = signatures
        self.default_grace_days = default_grace_days
        signatures.register(CharterSignable())

    # --- drafting ---------------------------------------------------------------------------------

    def draft(
        self, ctx: AuditContext, *, number: str, title: str, body: str, rules: Any
    ) -> CharterView:
        number, title = number.strip(), title.strip()
        if not number or len(number) > 32:
            raise GouvernailError("the version number needs 1-32 characters", field="number")
        check_text(title, body)
        parsed = parse_rules(rules)

        def work(tx: Tx) -> CharterView:
            if (
                tx.session.scalar(select(CharterVersion.id).where(CharterVersion.number == number))
                is not None
            ):
                raise ConflictError(f"charter version {number!r} exists", field="number")
            check_trainings(tx.session, parsed)
            version = CharterVersion(
                number=number,
                title=title,
                body=body,
                rules=parsed.model_dump_json(),
                status=CharterStatus.DRAFT.value,
                revision=1,
                created_at=utcnow(),
                grace_days=0,
            )
            tx.session.add(version)
            tx.session.flush()
            view = view_of(version, Timeline([]))
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
        check_text(title, body)
        parsed = parse_rules(rules) if rules is not None else None

        def work(tx: Tx) -> CharterView:
            version = get_version(tx.session, charter_id)
            if version.status != CharterStatus.DRAFT.value:
                raise ConflictError(
                    f"charter {version.number} is {version.status}: only drafts can be revised;"
                    " draft a new version instead"
                )
            old_hash = content_hash(version_content(version))
            if title is not None:
                version.title = title.strip()
            if body is not None:
                version.body = body
            if parsed is not None:
                check_trainings(tx.session, parsed)
                version.rules = parsed.model_dump_json()
            new_hash = content_hash(version_content(version))
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
            return view_of(version, Timeline([]))

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

    def load_default(self, ctx: AuditContext, language: str) -> CharterView:
        """Draft the default charter shipped with Gouvernail, in French or English."""
        if language not in LANGUAGES:
            raise GouvernailError(
                f"no default charter in {language!r}; available: {list(LANGUAGES)}",
                field="default",
            )
        return self.load_file(ctx, default_path(language))

    # --- activation -------------------------------------------------------------------------------

    def activate(
        self,
        ctx: AuditContext,
        charter_id: int,
        *,
        reason: str,
        effective_at: datetime | None = None,
        grace_days: int | None = None,
        require_approval: bool = True,
    ) -> CharterView:
        """Activate a draft: in force at ``effective_at`` (default now), with ``grace_days``
        for users who accepted the version it replaces; every active user is told once.
        Without ``require_approval`` (console bootstrap only) the approval gate is skipped,
        and the audit record says so."""
        if not reason.strip():
            raise GouvernailError("a reason is required to activate a charter", field="reason")
        grace = self.default_grace_days if grace_days is None else grace_days
        if not 0 <= grace <= MAX_GRACE_DAYS:
            raise GouvernailError(f"grace_days must be 0-{MAX_GRACE_DAYS}", field="grace_days")
        if effective_at is not None and effective_at.tzinfo is None:
            raise GouvernailError(
                "effective_at needs a time zone, e.g. 2026-12-01T00:00:00Z", field="effective_at"
            )

        def work(tx: Tx) -> CharterView:
            version = get_version(tx.session, charter_id)
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
            effective = now if effective_at is None else effective_at
            check_schedule(tx.session, effective, now)
            before = Timeline.load(tx.session)
            replaced, current = before.in_force(effective), before.in_force(now)
            version.status = CharterStatus.ACTIVATED.value
            version.activated_at = now
            version.effective_at = effective
            version.grace_days = grace
            tx.session.flush()
            timeline = Timeline.load(tx.session)
            enacted = timeline.get(version.id)
            assert enacted is not None
            scheduled = effective > now
            event = ev.CharterScheduled if scheduled else ev.CharterActivated
            tx.emit(
                event(
                    object_id=str(version.id),
                    object_version=version.revision,
                    old={"in_force": current.number if current else None},
                    new={
                        "status": "scheduled" if scheduled else "active",
                        "effective_at": effective,
                        "grace_days": grace,
                        "replaces": replaced.number if replaced else None,
                        "approved_by": [a.printed_name for a in approvals],
                        "approval_gate": require_approval,
                    },
                    reason=reason.strip(),
                )
            )
            message = rollout.notice_text(enacted, version.title, timeline.previous(enacted))
            _emit_told(tx, enacted.id, version.revision, rollout.tell(tx.session, enacted, message))
            return view_of(version, timeline)

        return self.trail.run(ctx, work)

    def withdraw(self, ctx: AuditContext, charter_id: int, *, reason: str) -> CharterView:
        """Cancel a scheduled version before it comes into force; those told are told again."""
        if not reason.strip():
            raise GouvernailError("a reason is required to withdraw a charter", field="reason")

        def work(tx: Tx) -> CharterView:
            version = get_version(tx.session, charter_id)
            timeline = Timeline.load(tx.session)
            status = status_of(version, timeline, utcnow())
            if status != "scheduled":
                raise ConflictError(
                    f"charter {version.number} is {status}: only a scheduled version can be "
                    "withdrawn (a version in force is replaced by activating a new one)"
                )
            version.status = CharterStatus.WITHDRAWN.value
            tx.session.flush()
            told = rollout.tell_withdrawn(tx.session, version.id, version.number, reason.strip())
            tx.emit(
                ev.CharterWithdrawn(
                    object_id=str(version.id),
                    object_version=version.revision,
                    old={"status": "scheduled", "effective_at": version.effective_at},
                    new={"status": "withdrawn", "told": told},
                    reason=reason.strip(),
                )
            )
            return view_of(version, Timeline.load(tx.session))

        return self.trail.run(ctx, work)

    # --- reading ----------------------------------------------------------------------------------

    def get(self, charter_id: int) -> CharterView:
        with self.database.read() as session:
            view = view_of(get_version(session, charter_id), Timeline.load(session))
        return view.model_copy(
            update={"signatures": self.signatures.list_for(OBJECT_TYPE, str(charter_id))}
        )

    def list(self) -> list[CharterView]:
        with self.database.read() as session:
            timeline = Timeline.load(session)
            return [
                view_of(v, timeline)
                for v in session.scalars(select(CharterVersion).order_by(CharterVersion.id))
            ]

    def active(self, at: datetime | None = None) -> CharterView | None:
        """The version in force at ``at`` (default now), if any."""
        with self.database.read() as session:
            timeline = Timeline.load(session)
            current = timeline.in_force(moment(at))
            return view_of(get_version(session, current.id), timeline) if current else None

    def rules_in_force(self, at: datetime | None = None) -> CharterRules | None:
        """The machine rules of the version in force (what the gateway enforces)."""
        current = self.active(at)
        return current.rules if current else None

    # --- acceptance -------------------------------------------------------------------------------

    def acceptance_status(self, user_id: int, at: datetime | None = None) -> AcceptanceStatus:
        """accepted, in_grace (with its deadline), missing or no_charter, at ``at``."""
        when = moment(at)
        with self.database.read() as session:
            return status_in(session, user_id, when)

    def accepted_by(self, user_id: int) -> bool:
        """Has the user accepted the version in force (or a later one)?"""
        return self.acceptance_status(user_id).state == "accepted"

    def accept(
        self,
        principal: Principal,
        *,
        password: str | None,
        version_id: int | None = None,
        request_id: str = "",
    ) -> SignatureView:
        """Accept a version (default: the newest activated one, in force or scheduled)."""
        now = utcnow()
        with self.database.read() as session:
            timeline = Timeline.load(session)
            if not timeline.versions:
                raise NotFoundError("no charter is in force yet")
            target = timeline.versions[-1] if version_id is None else timeline.get(version_id)
            if target is None:
                raise NotFoundError(
                    f"charter version {version_id} is not activated: it cannot be accepted",
                    field="version_id",
                )
            if timeline.state_of(target.id, now) == "superseded":
                raise ConflictError(
                    f"charter {target.number} is superseded; accept the one in force",
                    field="version_id",
                )
            done = acceptances(session, timeline, now, [principal.user_id])
            if target.id in done.get(principal.user_id, {}):
                raise ConflictError(f"you already accepted charter {target.number}")
        return self.signatures.sign(
            principal,
            object_type=OBJECT_TYPE,
            object_id=str(target.id),
            meaning=Meaning.ACCEPTED.value,
            reason=f"I accept charter {target.number}",
            password=password,
            request_id=request_id,
        )

    # --- roll-out ---------------------------------------------------------------------------------

    def rollout(
        self,
        charter_id: int,
        *,
        at: datetime | None = None,
        team: str | None = None,
        state: str | None = None,
    ) -> rollout.RolloutReport:
        """Counts and list of active users told / accepted / pending / overdue for a version;
        ``team`` narrows to a team and every team under it."""
        wanted = None
        if state is not None:
            try:
                wanted = rollout.RolloutState(state)
            except ValueError:
                raise GouvernailError(
                    f"state must be one of {[s.value for s in rollout.RolloutState]}",
                    field="state",
                ) from None
        with self.database.read() as session:
            version = get_version(session, charter_id)
            timeline = Timeline.load(session)
            enacted = timeline.get(version.id)
            if enacted is None:
                raise ConflictError(
                    f"charter {version.number} is {version.status}: it has no roll-out"
                )
            team_ids = None
            if team:
                team_ids = team_subtree(session, find_team(session, team).id)
            return rollout.report(
                session,
                timeline,
                enacted,
                at=moment(at),
                team_ids=team_ids,
                team=team,
                state=wanted,
            )

    def notify(self, ctx: AuditContext, charter_id: int) -> Sequence[int]:
        """Tell the active users not told yet (e.g. people who joined since the activation)."""

        def work(tx: Tx) -> list[int]:
            version = get_version(tx.session, charter_id)
            timeline = Timeline.load(tx.session)
            enacted = timeline.get(version.id)
            if enacted is None or timeline.state_of(enacted.id, utcnow()) == "superseded":
                raise ConflictError(
                    f"charter {version.number} is {status_of(version, timeline, utcnow())}: "
                    "only a scheduled or active version is rolled out"
                )
            message = rollout.notice_text(enacted, version.title, timeline.previous(enacted))
            told = rollout.tell(tx.session, enacted, message)
            _emit_told(tx, enacted.id, version.revision, told)
            return told

        return self.trail.run(ctx, work)


def default_path(language: str) -> Path:
    return DEFAULTS / f"charter.{language}.yaml"


def _emit_told(tx: Tx, version_id: int, revision: int, told: list[int]) -> None:
    if told:
        tx.emit(
            ev.CharterRolloutNotified(
                object_id=str(version_id),
                object_version=revision,
                new={"told": len(told), "user_ids": told},
            )
        )
