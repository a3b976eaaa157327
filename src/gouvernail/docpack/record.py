"""Everything the registry holds about one use case, read as one consistent whole.

The pack is read from several services (registry, risk register, GxP assessment, approvals,
signatures, committee, audit trail). Every change to any of them writes an audit record about
the use case, so the reading is consistent when no such record appeared while it ran: the last
relevant sequence number is taken before and after, and the reading is done again if it moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from gouvernail.audit.models import AuditRecord
from gouvernail.committee.models import AgendaItem, Meeting
from gouvernail.db.engine import Database
from gouvernail.docpack.events import DocumentationGenerated
from gouvernail.errors import ConflictError, NotFoundError
from gouvernail.registry.approvals import OBJECT_TYPE, Approvals, ApprovalsView
from gouvernail.registry.schemas import UseCaseView
from gouvernail.registry.service import UseCases
from gouvernail.risk import Risks
from gouvernail.risk.models import Risk
from gouvernail.risk.schemas import GxpView, HeatMap, RiskView
from gouvernail.signatures.models import Signature
from gouvernail.signatures.service import Signatures, SignatureView

ATTEMPTS = 3


@dataclass(frozen=True)
class AuditEntry:
    """One audit record about the use case or a record hanging off it."""

    seq: int
    ts: datetime
    actor_id: str
    actor_name: str
    action: str
    object_type: str
    object_id: str
    reason: str
    hash: str


@dataclass(frozen=True)
class AgendaEntry:
    """The use case on a committee meeting's agenda, and what the committee decided."""

    meeting: str
    scheduled_at: datetime
    meeting_status: str
    why: str
    notes: str
    outcome: str | None


@dataclass(frozen=True)
class UseCaseRecord:
    view: UseCaseView
    risks: list[RiskView]
    heatmap: HeatMap
    gxp: GxpView | None
    approvals: ApprovalsView
    signatures: list[SignatureView]
    agenda: list[AgendaEntry]
    audit: list[AuditEntry]


def _relevant(use_case_id: int) -> ColumnElement[bool]:
    """Audit records about the use case, its risks, its GxP assessment, the signatures of it
    and its committee agenda items; downloads of its documentation excepted (reading the
    record does not change it)."""
    key = str(use_case_id)
    risks = select(cast(Risk.id, String)).where(Risk.use_case_id == use_case_id)
    signatures = select(cast(Signature.id, String)).where(
        Signature.object_type == OBJECT_TYPE, Signature.object_id == key
    )
    items = select(cast(AgendaItem.id, String)).where(AgendaItem.use_case_id == use_case_id)
    kind, ident = AuditRecord.object_type, AuditRecord.object_id
    return and_(
        or_(
            and_(kind == OBJECT_TYPE, ident == key),
            and_(kind == "gxp_assessment", ident == key),
            and_(kind == "risk", ident.in_(risks)),
            and_(kind == "signature", ident.in_(signatures)),
            and_(kind == "committee_agenda_item", ident.in_(items)),
        ),
        AuditRecord.action != DocumentationGenerated.action,
    )


def last_seq(session: Session, use_case_id: int) -> int:
    found = session.scalar(select(func.max(AuditRecord.seq)).where(_relevant(use_case_id)))
    return int(found or 0)


def history(session: Session, use_case_id: int) -> list[AuditEntry]:
    rows = session.scalars(
        select(AuditRecord).where(_relevant(use_case_id)).order_by(AuditRecord.seq)
    )
    return [
        AuditEntry(
            seq=row.seq,
            ts=row.ts,
            actor_id=row.actor_id,
            actor_name=row.actor_name,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            reason=row.reason,
            hash=row.hash,
        )
        for row in rows
    ]


def agenda(session: Session, use_case_id: int) -> list[AgendaEntry]:
    rows = session.execute(
        select(AgendaItem, Meeting)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.use_case_id == use_case_id)
        .order_by(Meeting.scheduled_at, AgendaItem.id)
    ).all()
    return [
        AgendaEntry(
            meeting=meeting.title,
            scheduled_at=meeting.scheduled_at,
            meeting_status=meeting.status,
            why=item.why,
            notes=item.notes,
            outcome=item.outcome,
        )
        for item, meeting in rows
    ]


@dataclass(frozen=True)
class Sources:
    """The services a use case's record is read from."""

    database: Database
    use_cases: UseCases
    risks: Risks
    approvals: Approvals
    signatures: Signatures

    def read(self, use_case_id: int) -> UseCaseRecord:
        """The whole record, consistent (see the module's docstring); 404 if unknown."""
        for _ in range(ATTEMPTS):
            with self.database.read() as session:
                before = last_seq(session, use_case_id)
            record = self._read_once(use_case_id)
            if (record.audit[-1].seq if record.audit else 0) == before:
                return record
        raise ConflictError(
            f"use case {use_case_id} kept changing while its documentation was read: try again"
        )

    def _read_once(self, use_case_id: int) -> UseCaseRecord:
        view = self.use_cases.get(use_case_id)
        try:
            gxp: GxpView | None = self.risks.gxp.get(use_case_id)
        except NotFoundError:
            gxp = None
        risks = self.risks.list_risks(use_case_id)
        heatmap = self.risks.heatmap(use_case_id)
        approvals = self.approvals.view(use_case_id)
        signatures = self.signatures.list_for(OBJECT_TYPE, str(use_case_id))
        with self.database.read() as session:
            return UseCaseRecord(
                view=view,
                risks=risks,
                heatmap=heatmap,
                gxp=gxp,
                approvals=approvals,
                signatures=signatures,
                agenda=agenda(session, use_case_id),
                audit=history(session, use_case_id),
            )
