"""Importing one proxy-log file: claim it, read it segment by segment, commit each segment's
sums with the offset where it ends, and finish with the whole file's SHA-256.

- The same file again (its first 64 KiB and size) resumes an unfinished import at its next
  segment, or is refused once complete: nothing is counted twice.
- Only one importer works on a file at a time: a lease, renewed at every segment, taken over
  once it has passed (an importer that crashed).
- A catalogue changed since the import began restarts it from the first line, so one import
  is never matched against two catalogues.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import orjson
from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.identity.models import Team, User
from gouvernail.observatory.shadow.analysis import EXAMPLES, Analyzer, Outcome
from gouvernail.observatory.shadow.catalogue import Matcher
from gouvernail.observatory.shadow.events import LogImported
from gouvernail.observatory.shadow.formats import FORMATS, query
from gouvernail.observatory.shadow.models import ShadowImport, ShadowObservation, ShadowService
from gouvernail.observatory.shadow.segments import Reader, first_line, head_digest
from gouvernail.settings import ShadowSettings

OBSERVATIONS = cast(Table, ShadowObservation.__table__)
Progress = Callable[[int, int], None]
"""Called after each segment with the bytes of the file read so far and its size."""


@dataclass(frozen=True, slots=True)
class Claim:
    import_id: int
    holder: str
    start: int
    resumed: bool


def imported_already(row: ShadowImport) -> ConflictError:
    return ConflictError(
        f"this file was imported already (import {row.id}, {row.name}, "
        f"{row.finished_at:%Y-%m-%d %H:%M} UTC)",
        field="file",
    )


class Importer:
    def __init__(self, database: Database, trail: AuditTrail, settings: ShadowSettings) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings

    def run(
        self,
        context: AuditContext,
        path: Path,
        kind: str,
        matcher: Matcher,
        ids: dict[str, int],
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> Claim:
        """Import ``path`` (format ``kind``); which import it was. ``ids``: service slug → row
        id."""
        header = self._check(path, kind)
        claim = self._claim(context, path, kind, header, matcher, name or path.name)
        analyzer = Analyzer(
            kind,
            header,
            matcher,
            memory_mb=self.settings.duckdb_memory_mb,
            threads=self.settings.duckdb_threads,
        )
        reader = Reader(
            path,
            start=claim.start,
            size=self.settings.segment_mb * 2**20,
            max_line=self.settings.max_line_kb * 1024,
        )
        people = _People()
        try:
            for segment in reader:
                began = time.perf_counter()
                outcome = analyzer.run(segment)
                self._commit(claim, segment.end, outcome, ids, people, time.perf_counter() - began)
                if progress is not None:
                    progress(reader.consumed, path.stat().st_size)
        except Exception as error:
            self._finish(context, claim, None, str(error) or type(error).__name__)
            raise
        self._finish(context, claim, reader.digest.hexdigest(), "")
        return claim

    def check(self, path: Path, kind: str) -> None:
        """What refuses a file before its import starts (format, empty, header, imported
        already), so an upload is answered at once rather than by a failed job."""
        self._check(path, kind)
        with self.database.read() as session:
            row = session.scalar(
                select(ShadowImport).where(
                    ShadowImport.head_digest == head_digest(path),
                    ShadowImport.format == kind,
                    ShadowImport.status == "complete",
                )
            )
            if row is not None:
                raise imported_already(row)

    # --- steps ----------------------------------------------------------------------------------

    @staticmethod
    def _check(path: Path, kind: str) -> str | None:
        if kind not in FORMATS:
            raise GouvernailError(
                f"unknown log format {kind!r}: one of {', '.join(FORMATS)}", field="format"
            )
        if not path.is_file():
            raise GouvernailError(f"{path} is not a file this server can read", field="file")
        if path.stat().st_size == 0:
            raise GouvernailError(f"{path} is empty", field="file")
        header = None
        try:
            if kind in ("zscaler", "csv"):
                header = first_line(path)
            query(kind, header)
        except ValueError as error:
            raise GouvernailError(f"{path.name}: {error}", field="file") from None
        return header

    def _claim(
        self,
        context: AuditContext,
        path: Path,
        kind: str,
        header: str | None,
        matcher: Matcher,
        name: str,
    ) -> Claim:
        head = head_digest(path)
        holder = uuid.uuid4().hex
        now = utcnow()
        until = now + timedelta(seconds=self.settings.lease_seconds)
        for _ in range(2):  # a concurrent first claim loses the insert, then finds the row
            try:
                with self.database.write() as session:
                    row = session.scalar(
                        select(ShadowImport).where(
                            ShadowImport.head_digest == head, ShadowImport.format == kind
                        )
                    )
                    if row is None:
                        row = ShadowImport(
                            name=name[:500],
                            format=kind,
                            size=path.stat().st_size,
                            head_digest=head,
                            catalogue_digest=matcher.digest,
                            header=header,
                            started_by=context.actor.name,
                            lease_until=until,
                            lease_holder=holder,
                            examples="[]",
                        )
                        session.add(row)
                        session.flush()
                        return Claim(row.id, holder, 0, resumed=False)
                    return self._resume(session, row, holder, now, until, matcher)
            except IntegrityError:
                continue
        raise ConflictError("this file is being imported by someone else right now")

    @staticmethod
    def _resume(
        session: Session,
        row: ShadowImport,
        holder: str,
        now: datetime,
        until: datetime,
        matcher: Matcher,
    ) -> Claim:
        if row.status == "complete":
            raise imported_already(row)
        taken = session.execute(  # type: ignore[attr-defined]  # a CursorResult
            update(ShadowImport)
            .where(
                ShadowImport.id == row.id,
                or_(ShadowImport.lease_until.is_(None), ShadowImport.lease_until < now),
            )
            .values(lease_until=until, lease_holder=holder, status="running", error="")
        ).rowcount
        if not taken:
            raise ConflictError(
                f"this file is being imported (import {row.id}); try again after "
                f"{row.lease_until:%H:%M:%S} UTC",
                field="file",
            )
        if row.catalogue_digest != matcher.digest:  # start again with today's catalogue
            session.execute(delete(ShadowObservation).where(ShadowObservation.import_id == row.id))
            session.execute(
                update(ShadowImport)
                .where(ShadowImport.id == row.id)
                .values(
                    catalogue_digest=matcher.digest,
                    bytes_done=0,
                    segments_done=0,
                    lines=0,
                    malformed=0,
                    requests=0,
                    ai_requests=0,
                    examples="[]",
                    log_from=None,
                    log_to=None,
                )
            )
            return Claim(row.id, holder, 0, resumed=True)
        return Claim(row.id, holder, row.bytes_done, resumed=True)

    def _commit(
        self,
        claim: Claim,
        end: int,
        outcome: Outcome,
        ids: dict[str, int],
        people: _People,
        seconds: float,
    ) -> None:
        now = utcnow()
        with self.database.write() as session:
            row = session.get(ShadowImport, claim.import_id, with_for_update=True)
            if row is None or row.lease_holder != claim.holder:
                raise ConflictError("another importer took this import over (lease expired)")
            people.resolve(session, {s.identity for s in outcome.sums})
            if outcome.sums:
                session.execute(
                    insert(OBSERVATIONS),  # Core: no ORM bookkeeping per row
                    [
                        {
                            "import_id": claim.import_id,
                            "service_id": ids[s.service.slug],
                            "day": s.day,
                            "identity": s.identity[:320],
                            "user_id": people.user(s.identity),
                            "department": people.department(s.identity, s.department)[:200],
                            "host": s.host[:255],
                            "requests": s.requests,
                            "bytes_up": s.bytes_up,
                            "bytes_down": s.bytes_down,
                            "first_seen": _at(s.first),
                            "last_seen": _at(s.last),
                        }
                        for s in outcome.sums
                    ],
                )
            examples = orjson.loads(row.examples)
            row.examples = orjson.dumps((examples + outcome.examples)[:EXAMPLES]).decode()
            row.bytes_done = end
            row.segments_done += 1
            row.lines += outcome.lines
            row.malformed += outcome.malformed
            row.requests += outcome.requests
            row.ai_requests += outcome.ai_requests
            if outcome.first is not None:
                first = _at(outcome.first)
                row.log_from = first if row.log_from is None else min(row.log_from, first)
            if outcome.last is not None:
                last = _at(outcome.last)
                row.log_to = last if row.log_to is None else max(row.log_to, last)
            row.seconds += seconds
            row.lease_until = now + timedelta(seconds=self.settings.lease_seconds)

    def _finish(self, context: AuditContext, claim: Claim, digest: str | None, error: str) -> None:
        def work(tx: Tx) -> None:
            session = tx.session
            row = session.get(ShadowImport, claim.import_id, with_for_update=True)
            if row is None or row.lease_holder != claim.holder:
                return  # taken over: the other importer reports
            row.status = "complete" if digest else "failed"
            row.digest = digest
            row.error = error[:2000]
            row.lease_until, row.lease_holder = None, ""
            row.finished_at = utcnow() if digest else None
            tx.emit(
                LogImported(
                    object_id=str(row.id),
                    new={
                        "file": row.name,
                        "format": row.format,
                        "sha256": digest,
                        "status": row.status,
                        "lines": row.lines,
                        "malformed": row.malformed,
                        "requests": row.requests,
                        "ai_requests": row.ai_requests,
                        "resumed": claim.resumed,
                    },
                    reason=error[:2000],
                )
            )

        self.trail.run(context, work)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class _People:
    """Identities as logged → our users and their departments (a user name or an e-mail,
    case-insensitive), looked up once per import."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[int, str] | None] = {}

    def resolve(self, session: Session, identities: Iterable[str]) -> None:
        wanted = {i.lower() for i in identities if i and i.lower() not in self._found}
        if not wanted:
            return
        rows = session.execute(
            select(User.id, User.username, User.email, User.team_id).where(
                or_(func.lower(User.username).in_(wanted), func.lower(User.email).in_(wanted))
            )
        ).all()
        for user_id, username, email, team_id in rows:
            department = _department(session, team_id)
            for key in (username.lower(), (email or "").lower()):
                if key in wanted:
                    self._found[key] = (user_id, department)
        for key in wanted:
            self._found.setdefault(key, None)

    def user(self, identity: str) -> int | None:
        found = self._found.get(identity.lower())
        return found[0] if found else None

    def department(self, identity: str, logged: str | None) -> str:
        """The directory's department of a known user, else what the log says."""
        found = self._found.get(identity.lower())
        return found[1] if found and found[1] else (logged or "")


def _department(session: Session, team_id: int | None) -> str:
    """The name of the first department at or above a team (else the team's own name)."""
    current, own = team_id, ""
    while current is not None:
        team = session.get(Team, current)
        if team is None:
            break
        own = own or team.name
        if team.kind == "department":
            return team.name
        current = team.parent_id
    return own


def service_ids(session: Session) -> dict[str, int]:
    return {slug: i for i, slug in session.execute(select(ShadowService.id, ShadowService.slug))}
