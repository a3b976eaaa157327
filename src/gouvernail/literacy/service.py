"""AI literacy (EU AI Act Art. 4): training modules, completions (recorded, declared or
imported), each person's standing, coverage, and the eligibility rule for AI keys.

Every change is one audited unit of work. An import validates every row first and imports
nothing when a row is bad, unless a partial import is asked for; rows already recorded are
skipped, so importing the same export twice changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.acceptance import moment
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.identity.directory import get_user
from gouvernail.identity.models import User
from gouvernail.identity.principal import Principal
from gouvernail.literacy import events as lev
from gouvernail.literacy import importer
from gouvernail.literacy.coverage import CoverageReport, coverage_in
from gouvernail.literacy.eligibility import eligibility_in, trainings_in
from gouvernail.literacy.importing import ImportRejectedError, ImportReport, validate_rows
from gouvernail.literacy.models import TrainingCompletion, TrainingImport, TrainingModule
from gouvernail.literacy.modules import (
    ModuleChanges,
    ModuleSpec,
    check_audience,
    expiry,
    find_module,
    snapshot,
    team_ids,
    team_slugs,
    validated,
)
from gouvernail.literacy.views import CompletionView, Eligibility, ModuleView, MyTrainings

DEFAULT_MODULES = Path(__file__).parent / "defaults" / "modules.yaml"


class Source:
    RECORDED = "recorded"
    IMPORTED = "imported"
    DECLARED = "declared"


class Literacy:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        *,
        self_declaration: bool = False,
        warning_days: int = 30,
    ) -> None:
        self.database = database
        self.trail = trail
        self.self_declaration = self_declaration
        self.warning_days = warning_days

    # --- modules ----------------------------------------------------------------------------------

    def create_module(self, ctx: AuditContext, spec: ModuleSpec) -> ModuleView:
        check_audience(spec.audience_roles, spec.audience_levels)

        def work(tx: Tx) -> ModuleView:
            return self._create(tx, spec)

        return self.trail.run(ctx, work)

    def _create(self, tx: Tx, spec: ModuleSpec) -> ModuleView:
        session = tx.session
        if session.scalar(select(TrainingModule.id).where(TrainingModule.code == spec.code)):
            raise ConflictError(f"a training module {spec.code!r} exists", field="code")
        now = utcnow()
        module = TrainingModule(
            code=spec.code,
            title_en=spec.title_en.strip(),
            title_fr=spec.title_fr.strip(),
            description=spec.description,
            audience_roles=orjson.dumps(sorted(set(spec.audience_roles))).decode(),
            audience_teams=orjson.dumps(team_ids(session, spec.audience_teams)).decode(),
            audience_levels=orjson.dumps(sorted(set(spec.audience_levels))).decode(),
            validity_days=spec.validity_days,
            required=spec.required,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(module)
        session.flush()
        slugs = team_slugs(session)
        tx.emit(
            lev.TrainingModuleCreated(
                object_id=spec.code, object_version=1, new=snapshot(module, slugs)
            )
        )
        return ModuleView.of(module, slugs)

    def update_module(
        self, ctx: AuditContext, code: str, changes: ModuleChanges, *, reason: str
    ) -> ModuleView:
        reason = reason.strip()
        if not reason:
            raise GouvernailError("a reason is required to change a module", field="reason")
        if changes.no_expiry and changes.validity_days is not None:
            raise GouvernailError(
                "give validity_days or no_expiry, not both", field="validity_days"
            )
        check_audience(changes.audience_roles or (), changes.audience_levels or ())

        def work(tx: Tx) -> ModuleView:
            session = tx.session
            module = find_module(session, code, "code")
            slugs = team_slugs(session)
            old = snapshot(module, slugs)
            for name in ("title_en", "title_fr", "description", "required"):
                value = getattr(changes, name)
                if value is not None:
                    setattr(module, name, value.strip() if isinstance(value, str) else value)
            if changes.audience_roles is not None:
                module.audience_roles = orjson.dumps(sorted(set(changes.audience_roles))).decode()
            if changes.audience_teams is not None:
                ids = team_ids(session, changes.audience_teams)
                module.audience_teams = orjson.dumps(ids).decode()
            if changes.audience_levels is not None:
                levels = sorted(set(changes.audience_levels))
                module.audience_levels = orjson.dumps(levels).decode()
            if changes.validity_days is not None or changes.no_expiry:
                module.validity_days = changes.validity_days
            new = snapshot(module, slugs)
            changed = [k for k in new if new[k] != old[k]]
            if not changed:
                raise GouvernailError("nothing to change")
            recomputed = 0
            if "validity_days" in changed:
                recomputed = self._recompute_expiry(session, module)
            module.version += 1
            module.updated_at = utcnow()
            tx.emit(
                lev.TrainingModuleUpdated(
                    object_id=code,
                    object_version=module.version,
                    old={k: old[k] for k in changed},
                    new={**{k: new[k] for k in changed}, "expiries_recomputed": recomputed},
                    reason=reason,
                )
            )
            return ModuleView.of(module, slugs)

        return self.trail.run(ctx, work)

    @staticmethod
    def _recompute_expiry(session: Session, module: TrainingModule) -> int:
        rows = session.execute(
            select(TrainingCompletion.id, TrainingCompletion.completed_at).where(
                TrainingCompletion.module_id == module.id
            )
        )
        values = [
            {"id": cid, "expires_at": expiry(done, module.validity_days)} for cid, done in rows
        ]
        if values:
            session.execute(update(TrainingCompletion), values)
        return len(values)

    def load_modules(self, ctx: AuditContext, path: Path | None = None) -> list[ModuleView]:
        """Create the modules of a YAML file (``modules: [...]``; default: the shipped ones)
        whose code does not exist yet; return those created."""
        source = path or DEFAULT_MODULES
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise GouvernailError(f"cannot read {source}: {error}", field="file") from None
        if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
            raise GouvernailError(
                f"{source}: expected a mapping with a list 'modules'", field="file"
            )
        specs = [
            validated(ModuleSpec, item, f"modules.{i}.") for i, item in enumerate(data["modules"])
        ]
        for spec in specs:
            check_audience(spec.audience_roles, spec.audience_levels)

        def work(tx: Tx) -> list[ModuleView]:
            existing = set(tx.session.scalars(select(TrainingModule.code)))
            return [self._create(tx, s) for s in specs if s.code not in existing]

        return self.trail.run(ctx, work)

    def modules(self) -> list[ModuleView]:
        with self.database.read() as session:
            slugs = team_slugs(session)
            rows = session.scalars(select(TrainingModule).order_by(TrainingModule.code))
            return [ModuleView.of(m, slugs) for m in rows]

    def module(self, code: str) -> ModuleView:
        with self.database.read() as session:
            return ModuleView.of(find_module(session, code, "code"), team_slugs(session))

    # --- completions ------------------------------------------------------------------------------

    def record(
        self,
        ctx: AuditContext,
        *,
        user_id: int,
        module: str,
        completed_at: datetime | None = None,
        score: float | None = None,
        evidence: str | None = None,
        source: str = Source.RECORDED,
    ) -> CompletionView:
        """Record that a person completed a module (default: now)."""
        now = utcnow()
        when = now if completed_at is None else completed_at
        # a date or a time without zone (learning platforms) is UTC
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        if when > now + timedelta(minutes=5):
            raise GouvernailError("completed_at is in the future", field="completed_at")
        if score is not None and not 0 <= score <= 100:
            raise GouvernailError("score must be between 0 and 100", field="score")
        if evidence is not None and len(evidence) > 500:
            raise GouvernailError("evidence has at most 500 characters", field="evidence")

        def work(tx: Tx) -> CompletionView:
            user = get_user(tx.session, user_id)
            row = find_module(tx.session, module)
            exists = tx.session.scalar(
                select(TrainingCompletion.id).where(
                    TrainingCompletion.user_id == user.id,
                    TrainingCompletion.module_id == row.id,
                    TrainingCompletion.completed_at == when,
                )
            )
            if exists is not None:
                raise ConflictError(
                    f"{user.username} already has {module} completed at {when:%Y-%m-%d %H:%M}",
                    field="completed_at",
                )
            completion = TrainingCompletion(
                user=user,
                module=row,
                completed_at=when,
                expires_at=expiry(when, row.validity_days),
                score=score,
                source=source,
                evidence=evidence or None,
                recorded_by=tx.context.actor.id[:64],
                recorded_at=now,
            )
            tx.session.add(completion)
            tx.session.flush()
            view = CompletionView.of(completion)
            tx.emit(
                lev.TrainingCompleted(
                    object_id=str(completion.id),
                    object_version=1,
                    new=view.model_dump(
                        mode="json", exclude={"id", "recorded_at", "recorded_by", "import_id"}
                    ),
                )
            )
            return view

        return self.trail.run(ctx, work)

    def declare(
        self,
        principal: Principal,
        *,
        module: str,
        completed_at: datetime | None = None,
        score: float | None = None,
        evidence: str | None = None,
        request_id: str = "",
    ) -> CompletionView:
        """A person declares their own completion, where ``literacy_self_declaration`` allows."""
        if not self.self_declaration:
            raise ForbiddenError(
                "self-declared trainings are not accepted here (setting "
                "literacy_self_declaration): ask your AI referent to record it",
                code="self_declaration_disabled",
            )
        return self.record(
            AuditContext(principal.actor, request_id),
            user_id=principal.user_id,
            module=module,
            completed_at=completed_at,
            score=score,
            evidence=evidence,
            source=Source.DECLARED,
        )

    def completions(
        self, *, user_id: int | None = None, module: str | None = None, limit: int = 1000
    ) -> list[CompletionView]:
        with self.database.read() as session:
            query = select(TrainingCompletion).order_by(TrainingCompletion.id.desc()).limit(limit)
            if user_id is not None:
                query = query.where(TrainingCompletion.user_id == user_id)
            if module is not None:
                query = query.where(TrainingCompletion.module_id == find_module(session, module).id)
            return [CompletionView.of(c) for c in session.scalars(query).unique()]

    def import_file(
        self,
        ctx: AuditContext,
        data: bytes,
        *,
        filename: str,
        mapping: importer.ImportMapping | None = None,
        partial: bool = False,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import completions from a learning platform's CSV or XLSX export.

        Raises ``ImportRejectedError`` (with the report of every bad row) when a row is bad and
        ``partial`` is false: nothing is imported then."""
        table = importer.read_table(data, filename)
        wanted = mapping or importer.ImportMapping()
        found = importer.columns(table.header, wanted)
        digest = hashlib.sha256(data).hexdigest()
        base = {
            "filename": filename[:255],
            "format": table.format,
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "rows": len(table.rows),
            "partial": partial,
            "dry_run": dry_run,
        }

        def check(session: Session) -> tuple[ImportReport, list[dict[str, Any]]]:
            return validate_rows(session, table, found, wanted.date_format, utcnow(), base)

        if dry_run:
            with self.database.read() as session:
                report, _ = check(session)
            return report

        def work(tx: Tx) -> ImportReport:
            report, rows = check(tx.session)
            if report.errors and not partial:
                raise ImportRejectedError(report)
            batch = TrainingImport(
                filename=filename[:255],
                file_sha256=digest,
                format=table.format,
                rows=report.rows,
                imported=len(rows),
                duplicates=report.duplicates,
                rejected=report.rejected,
                partial=partial,
                actor_id=tx.context.actor.id[:64],
                created_at=utcnow(),
            )
            tx.session.add(batch)
            tx.session.flush()
            if rows:
                for row in rows:
                    row.update(import_id=batch.id, recorded_by=batch.actor_id)
                tx.session.execute(insert(TrainingCompletion), rows)
            tx.emit(
                lev.TrainingImported(
                    object_id=str(batch.id),
                    object_version=1,
                    new={
                        "filename": batch.filename,
                        "file_sha256": digest,
                        "format": table.format,
                        "rows": report.rows,
                        "imported": len(rows),
                        "duplicates": report.duplicates,
                        "rejected": report.rejected,
                        "partial": partial,
                    },
                )
            )
            return report.model_copy(
                update={"imported": len(rows), "committed": True, "import_id": batch.id}
            )

        return self.trail.run(ctx, work)

    # --- standing ---------------------------------------------------------------------------------

    def eligibility(self, user_id: int, at: datetime | None = None) -> Eligibility:
        """May this person get and use gateway keys at ``at`` (default now)? The one check
        shared by key issuing and the gateway."""
        with self.database.read() as session:
            return eligibility_in(session, user_id, moment(at), self.warning_days)

    def gate(self, session: Session, user_id: int) -> None:
        """Key issuing's check, inside its unit of work: raise the 403 refusal if any."""
        eligibility_in(session, user_id, utcnow(), self.warning_days).require()

    def trainings(self, user_id: int, at: datetime | None = None) -> MyTrainings:
        with self.database.read() as session:
            return trainings_in(session, user_id, moment(at), self.warning_days)

    def coverage(
        self,
        *,
        by: str = "team",
        at: datetime | None = None,
        team: str | None = None,
        within_days: int | None = None,
    ) -> CoverageReport:
        with self.database.read() as session:
            return coverage_in(
                session,
                by=by,
                at=moment(at),
                team=team,
                within_days=self.warning_days if within_days is None else within_days,
            )

    def user_id(self, name: str) -> int:
        """A user's id from a username or e-mail (CLI convenience)."""
        with self.database.read() as session:
            found = session.scalar(
                select(User.id).where(
                    (User.username == name.lower()) | (func.lower(User.email) == name.lower())
                )
            )
        if found is None:
            raise NotFoundError(f"no user with username or e-mail {name!r}", field="user")
        return found
