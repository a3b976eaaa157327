"""Agent-to-agent messages (``docs/agent-messages.md``): an agent sends a message to a peer
within one of its runs; the recipient finds it in its inbox and takes it up by starting a run
that joins the message's trace.

Sending is an ordered list of checks, each refusal answered with its code and audited as
``agent.message_refused`` (never with the text):

```
the sender's run     named in x-gouvernail-agent-run, the sender's, running   (not audited)
the sender           admitted by the gateway's admission (agent, use case, kill switches,
                     the owner's charter and training): the route passes its refusal
the recipient        a registered agent                                 404 agent_unknown
a reply              answers a message the recipient sent the sender    400 agent_reply_invalid
the peers            the recipient is in the sender's peer_agents,      403 agent_peer_not_allowed
                     unless the message is a reply to it
the recipient        active                                             409 agent_peer_suspended
the data class       the most sensitive of what the detectors found and of what the
                     sender's run has seen; the recipient may read it
                                                       403 agent_message_class_not_allowed
```
A message with prompt-injection signals is delivered, flagged: it is data, never instructions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.agents.messages import events as ev
from gouvernail.agents.messages.schemas import (
    INJECTION_NOTICE,
    InboxMessage,
    MessageDetail,
    MessageIn,
    MessageView,
    UntrustedContent,
)
from gouvernail.agents.models import (
    Agent,
    AgentMessage,
    AgentRun,
    AgentStatus,
    MessageStatus,
    RunStatus,
)
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, ForbiddenError, GouvernailError, NotFoundError
from gouvernail.gateway.rules import sensitivity as charter_rank
from gouvernail.inspection import Inspector, Mode
from gouvernail.inspection.findings import Inspection

RUN_HEADER = "x-gouvernail-agent-run"


def sensitivity(charter: CharterRules | None, name: str) -> int:
    """Rank of a class, as the gateway ranks findings: one the charter does not know ranks
    above all (without a charter, every class ranks alike)."""
    return charter_rank(charter, name) if charter else 0


def most_sensitive(charter: CharterRules | None, *names: str | None) -> str | None:
    found = sorted({n for n in names if n})
    return max(found, key=lambda n: sensitivity(charter, n)) if found else None


def may_read(charter: CharterRules | None, allowed: list[str], data_class: str) -> bool:
    """Whether an agent allowed ``allowed`` classes may read a message of ``data_class``: the
    class is in its list, or ranks at most as high as the most sensitive class of the list
    (a class the charter does not know is readable only when listed)."""
    if data_class in allowed:
        return True
    known = [
        sensitivity(charter, name) for name in allowed if charter and name in charter.class_names
    ]
    return bool(known) and sensitivity(charter, data_class) <= max(known)


@dataclass(frozen=True, slots=True)
class Taken:
    """What a run that takes up a message inherits from it."""

    id: int
    message_id: str
    trace_id: str
    parent_id: int | None
    parent_run: str | None
    data_class: str | None
    injection: bool


def take_up(session: Session, message_id: str, agent_id: int) -> Taken:
    """Inside the unit of work that starts a run: the message becomes read; 404 unknown,
    403 addressed to another agent, 409 already taken up (or refused)."""
    message = session.scalar(select(AgentMessage).where(AgentMessage.message_id == message_id))
    if message is None:
        raise NotFoundError(f"no message {message_id!r}", field="message_id")
    if message.recipient_id != agent_id:
        raise ForbiddenError(
            f"the message {message_id} is not addressed to this agent",
            field="message_id",
            code="agent_message_not_yours",
        )
    if message.status != MessageStatus.DELIVERED.value:
        raise ConflictError(
            f"the message {message_id} is {message.status}: a message is taken up once",
            field="message_id",
            code="agent_message_taken",
        )
    message.status = MessageStatus.READ.value
    message.read_at = utcnow()
    parent = session.get(AgentRun, message.sender_run_id) if message.sender_run_id else None
    return Taken(
        id=message.id,
        message_id=message.message_id,
        trace_id=message.trace_id,
        parent_id=parent.id if parent else None,
        parent_run=parent.run_id if parent else None,
        data_class=message.data_class,
        injection=message.injection,
    )


@dataclass(frozen=True, slots=True)
class _Refusal:
    status: int
    code: str
    message: str
    field: str | None = None
    data_class: str | None = None

    def error(self) -> GouvernailError:
        return GouvernailError(self.message, status=self.status, code=self.code, field=self.field)


class AgentMessages:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        *,
        charter: Callable[[], CharterRules | None],
        inspector: Callable[[], Inspector | None],
        mode: Mode = "full",
    ) -> None:
        self.database = database
        self.trail = trail
        self.charter = charter
        self.inspector = inspector
        self.mode = mode

    # --- sending ----------------------------------------------------------------------------

    def sender_run(self, agent_id: int, run_id: str | None) -> AgentRun:
        """The sender's run, as the gateway checks a call's (same codes)."""
        if not run_id:
            raise GouvernailError(
                f"send a message within a run: its id in '{RUN_HEADER}'",
                code="agent_run_required",
                field=RUN_HEADER,
            )
        with self.database.read() as session:
            run = session.scalar(select(AgentRun).where(AgentRun.run_id == run_id))
            if run is None:
                raise NotFoundError(
                    f"no run {run_id!r}", code="agent_run_unknown", field=RUN_HEADER
                )
            if run.agent_id != agent_id:
                raise ForbiddenError(
                    f"the run {run_id} is not a run of this agent", code="agent_run_not_yours"
                )
            if run.status != RunStatus.RUNNING.value:
                raise ConflictError(
                    f"the run {run_id} has ended: start another", code="agent_run_ended"
                )
            session.expunge(run)
            return run

    def inspect(self, text: str, charter: CharterRules | None) -> Inspection | None:
        inspector = self.inspector()
        if inspector is None:
            return None
        return inspector.inspect_text(
            text, mode=self.mode, rank=lambda name: sensitivity(charter, name)
        )

    def send(
        self,
        ctx: AuditContext,
        *,
        sender_id: int,
        run_id: str | None,
        body: MessageIn,
        admission: GouvernailError | None = None,
    ) -> MessageView:
        """Deliver ``body`` from the agent ``sender_id`` within its run ``run_id``, or raise
        the refusal (audited). ``admission``: the gateway's refusal of the sender's key (the
        agent suspended, its use case not live or switched off, its owner's charter or
        training lapsed), recorded like the other refusals."""
        refused = (
            _Refusal(admission.status, admission.code, admission.message)
            if admission is not None
            else None
        )
        run = self.sender_run(sender_id, run_id)
        charter = self.charter()
        inspection = self.inspect(body.content, charter)
        found = dict(Counter(f.type for f in inspection.findings)) if inspection else {}
        injection = inspection.injection if inspection else None
        detected = inspection.data_class if inspection else None
        data_class = most_sensitive(charter, detected, run.data_class_seen)
        message_id = "msg_" + secrets.token_hex(12)

        def work(tx: Tx) -> MessageView | _Refusal:
            session = tx.session
            sender = session.get(Agent, sender_id)
            assert sender is not None  # the key's foreign key
            recipient = session.scalar(select(Agent).where(Agent.slug == body.to))
            base: dict[str, Any] = {
                "sender_id": sender.id,
                "sender": sender.slug,
                "sender_run": run.run_id,
                "trace_id": run.trace_id,
                "recipient_id": recipient.id if recipient else None,
                "recipient": body.to,
                "reply_to": body.reply_to,
            }
            refusal = _check(session, sender, recipient, body, data_class, charter, refused)
            row = AgentMessage(
                message_id=message_id,
                trace_id=run.trace_id,
                sender_id=sender.id,
                sender_run_id=run.id,
                recipient_id=recipient.id if recipient else None,
                recipient_name=body.to[:64],
                reply_to=_reply_pk(session, body.reply_to) if refusal is None else None,
                findings=orjson.dumps(found).decode(),
                injection=bool(injection and injection.detected),
                data_class=data_class,
                created_at=utcnow(),
            )
            if refusal is not None:
                row.status = MessageStatus.REFUSED.value
                row.code = refusal.code
                session.add(row)
                tx.emit(
                    ev.AgentMessageRefused(
                        object_id=message_id,
                        new={
                            **base,
                            "code": refusal.code,
                            "message": refusal.message,
                            "data_class": refusal.data_class,
                        },
                    )
                )
                return refusal
            assert recipient is not None
            row.status = MessageStatus.DELIVERED.value
            row.content = body.content
            session.add(row)
            tx.emit(
                ev.AgentMessageSent(
                    object_id=message_id,
                    object_version=1,
                    new={
                        **base,
                        "data_class": data_class,
                        "detected_class": detected,
                        "findings": found,
                        "injection": row.injection,
                        "injection_signals": list(injection.signals) if injection else [],
                        "content_sha256": hashlib.sha256(body.content.encode()).hexdigest(),
                        "content_chars": len(body.content),
                    },
                )
            )
            return _view(row, sender.slug, recipient.slug, body.reply_to)

        outcome = self.trail.run(ctx, work)
        if isinstance(outcome, _Refusal):
            raise outcome.error()
        return outcome

    def acknowledge(self, ctx: AuditContext, agent_id: int, message_id: str) -> MessageView:
        """The recipient has read a message without taking it up in a run (a reply its
        waiting run has read): it leaves the inbox, and its retention starts."""

        def work(tx: Tx) -> MessageView:
            row = tx.session.scalar(
                select(AgentMessage).where(AgentMessage.message_id == message_id)
            )
            if row is None:
                raise NotFoundError(f"no message {message_id!r}")
            if row.recipient_id != agent_id:
                raise ForbiddenError(
                    f"the message {message_id} is not addressed to this agent",
                    code="agent_message_not_yours",
                )
            if row.status != MessageStatus.DELIVERED.value:
                raise ConflictError(
                    f"the message {message_id} is {row.status}", code="agent_message_taken"
                )
            row.status = MessageStatus.READ.value
            row.read_at = utcnow()
            tx.emit(
                ev.AgentMessageRead(
                    object_id=message_id,
                    object_version=2,
                    old={"status": MessageStatus.DELIVERED.value},
                    new={"status": MessageStatus.READ.value, "trace_id": row.trace_id},
                )
            )
            slugs = _slugs(tx.session, {row.sender_id})
            reply = _public_ids(tx.session, {row.reply_to}).get(row.reply_to or -1)
            return _view(row, slugs.get(row.sender_id, ""), row.recipient_name, reply)

        return self.trail.run(ctx, work)

    # --- reading ----------------------------------------------------------------------------

    def inbox(self, agent_id: int, *, limit: int = 20) -> list[InboxMessage]:
        """Messages addressed to the agent and not yet taken up, oldest first."""
        with self.database.read() as session:
            rows = session.scalars(
                select(AgentMessage)
                .where(
                    AgentMessage.recipient_id == agent_id,
                    AgentMessage.status == MessageStatus.DELIVERED.value,
                )
                .order_by(AgentMessage.id)
                .limit(limit)
            ).all()
            slugs = _slugs(session, {r.sender_id for r in rows})
            replies = _public_ids(session, {r.reply_to for r in rows if r.reply_to})
            return [
                InboxMessage(
                    message_id=row.message_id,
                    sender=slugs.get(row.sender_id, str(row.sender_id)),
                    trace_id=row.trace_id,
                    reply_to=replies.get(row.reply_to) if row.reply_to else None,
                    data_class=row.data_class,
                    injection=row.injection,
                    created_at=row.created_at,
                    content=UntrustedContent(text=row.content),
                    notice=INJECTION_NOTICE if row.injection else None,
                )
                for row in rows
            ]

    def get(self, message_id: str) -> tuple[MessageDetail, int, int | None]:
        """A message, with the ids of its sender and recipient agents (who may read it)."""
        with self.database.read() as session:
            row = session.scalar(select(AgentMessage).where(AgentMessage.message_id == message_id))
            if row is None:
                raise NotFoundError(f"no message {message_id!r}")
            slugs = _slugs(session, {row.sender_id, row.recipient_id or 0})
            reply = _public_ids(session, {row.reply_to}).get(row.reply_to) if row.reply_to else None
            sender_run = (
                session.scalar(select(AgentRun.run_id).where(AgentRun.id == row.sender_run_id))
                if row.sender_run_id
                else None
            )
            taken = session.scalar(select(AgentRun.run_id).where(AgentRun.message_id == row.id))
            refused = row.status == MessageStatus.REFUSED.value
            view = _view(row, slugs.get(row.sender_id, ""), row.recipient_name, reply)
            detail = MessageDetail(
                **view.model_dump(),
                sender_run=sender_run,
                code=row.code,
                findings=orjson.loads(row.findings),
                read_at=row.read_at,
                taken_up_by=taken,
                content=None if refused else UntrustedContent(text=row.content),
                notice=INJECTION_NOTICE if row.injection and not refused else None,
            )
            return detail, row.sender_id, row.recipient_id


# --- helpers (inside a unit of work) ---------------------------------------------------------


def _view(row: AgentMessage, sender: str, recipient: str, reply_to: str | None) -> MessageView:
    return MessageView(
        message_id=row.message_id,
        trace_id=row.trace_id,
        sender=sender,
        to=recipient,
        reply_to=reply_to,
        data_class=row.data_class,
        injection=row.injection,
        status=MessageStatus(row.status),
        created_at=row.created_at,
    )


def _slugs(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Agent.id, Agent.slug).where(Agent.id.in_(ids))).all()
    return {row.id: row.slug for row in rows}


def _public_ids(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    rows = session.execute(
        select(AgentMessage.id, AgentMessage.message_id).where(AgentMessage.id.in_(wanted))
    ).all()
    return {row.id: row.message_id for row in rows}


def _reply_pk(session: Session, reply_to: str | None) -> int | None:
    if not reply_to:
        return None
    return session.scalar(select(AgentMessage.id).where(AgentMessage.message_id == reply_to))


def _check(
    session: Session,
    sender: Agent,
    recipient: Agent | None,
    body: MessageIn,
    data_class: str | None,
    charter: CharterRules | None,
    admission: _Refusal | None,
) -> _Refusal | None:
    """The first check the message fails (see the module docstring), or None."""
    if admission is not None:
        return admission
    if recipient is None:
        return _Refusal(404, "agent_unknown", f"no agent {body.to!r}", "to")
    reply = False
    if body.reply_to:
        asked = session.scalar(select(AgentMessage).where(AgentMessage.message_id == body.reply_to))
        if (
            asked is None
            or asked.recipient_id != sender.id
            or asked.sender_id != recipient.id
            or asked.status == MessageStatus.REFUSED.value
        ):
            return _Refusal(
                400,
                "agent_reply_invalid",
                f"reply_to must name a message {recipient.slug} sent to {sender.slug}",
                "reply_to",
            )
        reply = True
    peers: list[str] = orjson.loads(sender.peer_agents)
    if not reply and recipient.slug not in peers:
        return _Refusal(
            403,
            "agent_peer_not_allowed",
            f"{recipient.slug} is not one of {sender.slug}'s peer agents "
            f"({', '.join(peers) or 'none'})",
            "to",
        )
    if recipient.status != AgentStatus.ACTIVE.value:
        return _Refusal(
            409, "agent_peer_suspended", f"the agent {recipient.slug} is suspended", "to"
        )
    allowed: list[str] = orjson.loads(recipient.data_classes)
    if data_class is not None and not may_read(charter, allowed, data_class):
        return _Refusal(
            403,
            "agent_message_class_not_allowed",
            f"the message is {data_class} data, which {recipient.slug} may not read "
            f"(it may read: {', '.join(allowed) or 'no class'})",
            "content",
            data_class,
        )
    return None
