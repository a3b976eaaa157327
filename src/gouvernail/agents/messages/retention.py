"""Messages' text goes when the sender's use case's retention says (the ``gateway.purge_content``
job runs it with the gateway's content purge).

A message's text is needed until its recipient has it (taken up by a run, or acknowledged as
read); after that, as for prompts and answers of the sender's use case: ``none`` — the text goes
at the next purge; ``redacted`` or ``full`` — it stays ``retention_days`` after the message was
sent (``redacted`` keeps the text whole: a message is delivered as written). The message row
(who, to whom, when, class, findings, SHA-256 in the audit trail) stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from gouvernail.agents.messages import events as ev
from gouvernail.agents.models import Agent, AgentMessage, MessageStatus
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.audit.events import SYSTEM
from gouvernail.db.base import utcnow
from gouvernail.gateway.models import ContentRetention, UseCaseGateway


def purge_messages(trail: AuditTrail, *, now: datetime | None = None) -> int:
    """Clear the text of messages past their retention; returns how many."""
    moment = now or utcnow()

    def work(tx: Tx) -> int:
        rows = tx.session.execute(
            select(
                AgentMessage.id,
                AgentMessage.status,
                AgentMessage.created_at,
                UseCaseGateway.content_retention,
                UseCaseGateway.retention_days,
            )
            .join(Agent, Agent.id == AgentMessage.sender_id)
            .outerjoin(UseCaseGateway, UseCaseGateway.use_case_id == Agent.use_case_id)
            .where(AgentMessage.content != "")
        ).all()
        expired: list[int] = []
        for message_id, status, created_at, retention, days in rows:
            kept = retention or ContentRetention.NONE.value
            if kept == ContentRetention.NONE.value:
                if status == MessageStatus.READ.value:
                    expired.append(message_id)
            elif created_at + timedelta(days=days or 0) <= moment:
                expired.append(message_id)
        if not expired:
            return 0
        for start in range(0, len(expired), 500):
            tx.session.execute(
                update(AgentMessage)
                .where(AgentMessage.id.in_(expired[start : start + 500]))
                .values(content="")
                .execution_options(synchronize_session=False)
            )
        tx.emit(
            ev.AgentMessagesPurged(
                object_id=moment.date().isoformat(),
                new={"count": len(expired)},
                reason="retention period over",
            )
        )
        return len(expired)

    return trail.run(AuditContext(SYSTEM, "purge"), work)
