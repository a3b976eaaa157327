"""The purge job: stored prompts and answers go when their retention ends.

Only ``request_content`` rows are deleted; request-log rows and audit records stay (high-risk
use cases keep their logs at least six months, AI Act Art. 19 and 26(6), and the audit trail is
append-only). Each run that deletes something records how much and how old, and keeps the
request log's monthly partitions ready on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit.events import SYSTEM
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.gateway import events as ev
from gouvernail.gateway.models import RequestContent
from gouvernail.gateway.partitions import ensure_partitions


def purge_content(database: Database, trail: AuditTrail, *, now: datetime | None = None) -> int:
    """Delete the content past its retention; returns how many calls' content went."""
    moment = now or utcnow()
    ensure_partitions(database, now=moment)

    def work(tx: Tx) -> int:
        expired = RequestContent.purge_after <= moment
        count, oldest, newest = tx.session.execute(
            select(func.count(), func.min(RequestContent.at), func.max(RequestContent.at)).where(
                expired
            )
        ).one()
        if not count:
            return 0
        tx.session.execute(delete(RequestContent).where(expired))
        tx.emit(
            ev.RequestContentPurged(
                object_id=moment.date().isoformat(),
                new={"count": count, "oldest": oldest, "newest": newest},
                reason="retention period over",
            )
        )
        return int(count)

    return trail.run(AuditContext(SYSTEM, "purge"), work)
