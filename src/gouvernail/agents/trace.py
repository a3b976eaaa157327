"""The trace view (``docs/agent-messages.md``): everything that happened under one W3C trace
id, as a tree of runs (a run taken up from a message is a child of the run that sent it), each
with its events in time order: model calls (``request_log``), tool calls, messages sent and
received, approvals; and the trace's totals.

``export`` adds, to each run and event, the audit records that document it (every hashed
field, its sequence number and hash), so that an inspector can check them against an exported
chain (``gouvernail audit verify --export``); ``csv_rows`` flattens it to one row per event.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gouvernail.agents.models import (
    Agent,
    AgentMessage,
    AgentRun,
    AgentTool,
    MessageStatus,
    RunStatus,
    ToolApproval,
    ToolCall,
    ToolCallStatus,
)
from gouvernail.agents.runs import TOOL_STEPS
from gouvernail.audit.chain import format_ts
from gouvernail.audit.models import AuditRecord
from gouvernail.db.engine import Database
from gouvernail.errors import NotFoundError
from gouvernail.gateway.models import RequestLog
from gouvernail.identity.models import User

CHUNK = 500


class AuditRef(BaseModel):
    """An audit record, every hashed field as stored (check it against a chain export)."""

    seq: int
    ts: str
    actor_id: str
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_version: int | None
    old_values: str
    new_values: str
    reason: str
    request_id: str
    prev_hash: str
    hash: str


class _Event(BaseModel):
    at: datetime
    ref: str = Field(description="The request, tool call, message or approval id.")
    status: str
    refused: bool = Field(description="Refused, withheld, rejected or failed.")
    audit: list[AuditRef] | None = Field(None, description="Filled in the export only.")


class ModelCall(_Event):
    kind: Literal["model_call"] = "model_call"
    model: str | None
    model_requested: str
    code: str | None
    decision: str
    rules: list[str]
    findings: dict[str, Any]
    data_class: str | None
    injection: bool
    prompt_tokens: int
    completion_tokens: int
    cost_eur: Decimal
    energy_wh: float | None = Field(description="None: no estimate (not zero).")
    gco2e: float | None = Field(description="None: no estimate (not zero).")
    latency_ms: float


class ToolCallEvent(_Event):
    kind: Literal["tool_call"] = "tool_call"
    tool: str
    code: str
    arguments_class: str | None
    result_class: str | None
    findings: dict[str, Any]
    approval_id: int | None
    cost_eur: Decimal
    latency_ms: int


class MessageEvent(_Event):
    kind: Literal["message_sent", "message_received"]
    peer: str = Field(description="The recipient (sent) or the sender (received).")
    code: str
    data_class: str | None
    injection: bool
    findings: dict[str, int]


class ApprovalEvent(_Event):
    kind: Literal["approval"] = "approval"
    tool: str
    approver: str
    gxp: bool
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    signature_id: int | None


TraceEvent = Annotated[
    ModelCall | ToolCallEvent | MessageEvent | ApprovalEvent, Field(discriminator="kind")
]


class Totals(BaseModel):
    steps: int = 0
    model_calls: int = 0
    tool_calls: int = 0
    messages: int = 0
    refusals: int = 0
    tokens: int = 0
    cost_eur: Decimal = Decimal(0)
    energy_wh: float | None = Field(None, description="None: no call had an estimate.")
    gco2e: float | None = Field(None, description="None: no call had an estimate.")
    calls_without_estimate: int = Field(0, description="Model calls with no CO2e estimate.")

    def add(self, other: Totals) -> None:
        for name in ("steps", "model_calls", "tool_calls", "messages", "refusals", "tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cost_eur += other.cost_eur
        self.calls_without_estimate += other.calls_without_estimate
        self.energy_wh = _plus(self.energy_wh, other.energy_wh)
        self.gco2e = _plus(self.gco2e, other.gco2e)


class TraceRun(BaseModel):
    run_id: str
    agent: str
    agent_id: int
    parent_run: str | None
    message_id: str | None = Field(description="The message that started it.")
    status: RunStatus
    data_class_seen: str | None
    untrusted_input: bool
    max_steps: int
    max_tokens: int
    max_cost_eur: Decimal
    max_seconds: int
    started_at: datetime
    ended_at: datetime | None
    end_reason: str
    totals: Totals
    events: list[TraceEvent]
    children: list[TraceRun]
    audit: list[AuditRef] | None = Field(None, description="Filled in the export only.")


class Trace(BaseModel):
    trace_id: str
    agents: list[str]
    started_at: datetime | None
    ended_at: datetime | None = Field(description="None while a run is still running.")
    totals: Totals
    runs: list[TraceRun] = Field(description="The root runs, each with its children.")


def _plus(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else a + b


def _pairs(session: Session, query: Select[int, str]) -> dict[int, str]:
    return {row[0]: row[1] for row in session.execute(query)}


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --- building the tree ---------------------------------------------------------------------


def trace_of_run(database: Database, run_id: str) -> str:
    with database.read() as session:
        trace_id = session.scalar(select(AgentRun.trace_id).where(AgentRun.run_id == run_id))
    if trace_id is None:
        raise NotFoundError(f"no run {run_id!r}")
    return trace_id


def agents_of(database: Database, trace_id: str) -> list[str]:
    """The slugs of every agent of the trace (404 for an unknown trace): who may read one of
    them may read the trace."""
    with database.read() as session:
        ids = set(session.scalars(select(AgentRun.agent_id).where(AgentRun.trace_id == trace_id)))
        for sender, recipient in session.execute(
            select(AgentMessage.sender_id, AgentMessage.recipient_id).where(
                AgentMessage.trace_id == trace_id
            )
        ):
            ids.update(i for i in (sender, recipient) if i is not None)
        if not ids:
            raise NotFoundError(f"no trace {trace_id!r}")
        return sorted(session.scalars(select(Agent.slug).where(Agent.id.in_(ids))))


def build(database: Database, trace_id: str, *, with_audit: bool = False) -> Trace:
    """The trace's tree (404 when no run and no message carries the id)."""
    with database.read() as session:
        runs = list(
            session.scalars(
                select(AgentRun)
                .where(AgentRun.trace_id == trace_id)
                .order_by(AgentRun.started_at, AgentRun.id)
            )
        )
        messages = list(
            session.scalars(
                select(AgentMessage)
                .where(AgentMessage.trace_id == trace_id)
                .order_by(AgentMessage.id)
            )
        )
        if not runs and not messages:
            raise NotFoundError(f"no trace {trace_id!r}")
        return _Builder(session, trace_id, runs, messages, with_audit).trace()


class _Builder:
    def __init__(
        self,
        session: Session,
        trace_id: str,
        runs: list[AgentRun],
        messages: list[AgentMessage],
        with_audit: bool,
    ) -> None:
        self.session = session
        self.trace_id = trace_id
        self.runs = runs
        self.messages = messages
        self.with_audit = with_audit
        pks = [r.id for r in runs]
        agent_ids = {r.agent_id for r in runs}
        agent_ids.update(m.sender_id for m in messages)
        agent_ids.update(m.recipient_id for m in messages if m.recipient_id)
        self.slugs: dict[int, str] = _pairs(
            session, select(Agent.id, Agent.slug).where(Agent.id.in_(agent_ids))
        )
        self.run_ids = {r.id: r.run_id for r in runs}
        self.message_ids = {m.id: m.message_id for m in messages}
        self.calls: dict[int, list[RequestLog]] = defaultdict(list)
        self.tools: dict[int, list[ToolCall]] = defaultdict(list)
        self.approvals: dict[int, list[ToolApproval]] = defaultdict(list)
        for chunk in _chunks(pks):
            for row in session.scalars(
                select(RequestLog).where(RequestLog.agent_run_id.in_(chunk))
            ):
                self.calls[row.agent_run_id or 0].append(row)
            for call in session.scalars(select(ToolCall).where(ToolCall.run_id.in_(chunk))):
                self.tools[call.run_id or 0].append(call)
            for approval in session.scalars(
                select(ToolApproval).where(ToolApproval.run_id.in_(chunk))
            ):
                self.approvals[approval.run_id].append(approval)
        tool_ids = {a.tool_id for rows in self.approvals.values() for a in rows}
        self.tool_names: dict[int, str] = _pairs(
            session, select(AgentTool.id, AgentTool.name).where(AgentTool.id.in_(tool_ids))
        )
        deciders = {a.decided_by for rows in self.approvals.values() for a in rows if a.decided_by}
        self.usernames: dict[int, str] = _pairs(
            session, select(User.id, User.username).where(User.id.in_(deciders))
        )
        self.records = self._records() if with_audit else {}

    # --- events of one run ------------------------------------------------------------------

    def _audit(self, object_type: str, object_id: str) -> list[AuditRef] | None:
        if not self.with_audit:
            return None
        return self.records.get((object_type, object_id), [])

    def model_call(self, row: RequestLog) -> ModelCall:
        return ModelCall(
            at=row.at,
            ref=row.request_id,
            status=str(row.status),
            refused=row.status >= 400 or bool(row.error_code),
            model=row.model,
            model_requested=row.model_requested,
            code=row.error_code,
            decision=row.decision,
            rules=orjson.loads(row.rule_ids),
            findings=orjson.loads(row.findings),
            data_class=row.data_class,
            injection=row.injection,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cost_eur=Decimal(row.cost_eur),
            energy_wh=row.energy_wh,
            gco2e=row.gco2e,
            latency_ms=row.latency_ms,
            audit=self._audit("gateway_call", row.request_id),
        )

    def tool_call(self, call: ToolCall) -> ToolCallEvent:
        return ToolCallEvent(
            at=call.created_at,
            ref=call.call_id,
            status=call.status,
            refused=call.status
            in (ToolCallStatus.REFUSED, ToolCallStatus.WITHHELD, ToolCallStatus.FAILED),
            tool=call.tool_name,
            code=call.code,
            arguments_class=call.arguments_class,
            result_class=call.result_class,
            findings=orjson.loads(call.findings),
            approval_id=call.approval_id,
            cost_eur=Decimal(call.cost_eur),
            latency_ms=call.latency_ms,
            audit=self._audit("agent_tool_call", call.call_id),
        )

    def message(self, row: AgentMessage, kind: Literal["sent", "received"]) -> MessageEvent:
        peer = (
            row.recipient_name
            if kind == "sent"
            else self.slugs.get(row.sender_id, str(row.sender_id))
        )
        return MessageEvent(
            kind="message_sent" if kind == "sent" else "message_received",
            at=row.created_at if kind == "sent" else (row.read_at or row.created_at),
            ref=row.message_id,
            status=row.status,
            refused=row.status == MessageStatus.REFUSED.value,
            peer=peer,
            code=row.code,
            data_class=row.data_class,
            injection=row.injection,
            findings=orjson.loads(row.findings),
            audit=self._audit("agent_message", row.message_id) if kind == "sent" else None,
        )

    def approval(self, row: ToolApproval) -> ApprovalEvent:
        return ApprovalEvent(
            at=row.requested_at,
            ref=str(row.id),
            status=row.status,
            refused=row.status == "rejected",
            tool=self.tool_names.get(row.tool_id, str(row.tool_id)),
            approver=row.approver,
            gxp=row.gxp,
            decided_by=self.usernames.get(row.decided_by) if row.decided_by else None,
            decided_at=row.decided_at,
            reason=row.reason,
            signature_id=row.signature_id,
            audit=self._audit("agent_approval", str(row.id)),
        )

    def events(self, run: AgentRun) -> tuple[list[TraceEvent], Totals]:
        totals = Totals()
        found: list[TraceEvent] = []
        for row in self.calls[run.id]:
            event = self.model_call(row)
            found.append(event)
            totals.model_calls += 1
            totals.steps += 1 if row.attempts > 0 else 0
            totals.tokens += row.prompt_tokens + row.completion_tokens
            totals.cost_eur += event.cost_eur
            totals.energy_wh = _plus(totals.energy_wh, row.energy_wh)
            totals.gco2e = _plus(totals.gco2e, row.gco2e)
            totals.calls_without_estimate += 1 if row.gco2e is None else 0
        for call in self.tools[run.id]:
            found.append(self.tool_call(call))
            totals.tool_calls += 1
            if call.status in [s.value for s in TOOL_STEPS]:
                totals.steps += 1
                totals.cost_eur += Decimal(call.cost_eur)
        for message in self.messages:
            if message.sender_run_id == run.id:
                found.append(self.message(message, "sent"))
                totals.messages += 1
            if message.id == run.message_id:
                found.append(self.message(message, "received"))
        found.extend(self.approval(a) for a in self.approvals[run.id])
        found.sort(key=lambda e: (e.at, e.ref))
        totals.refusals = sum(1 for e in found if e.refused)
        return found, totals

    # --- the tree ---------------------------------------------------------------------------

    def trace(self) -> Trace:
        nodes: dict[int, TraceRun] = {}
        totals = Totals()
        for run in self.runs:
            events, run_totals = self.events(run)
            totals.add(run_totals)
            nodes[run.id] = TraceRun(
                run_id=run.run_id,
                agent=self.slugs.get(run.agent_id, str(run.agent_id)),
                agent_id=run.agent_id,
                parent_run=self.run_ids.get(run.parent_id) if run.parent_id else None,
                message_id=self.message_ids.get(run.message_id) if run.message_id else None,
                status=RunStatus(run.status),
                data_class_seen=run.data_class_seen,
                untrusted_input=run.untrusted_input,
                max_steps=run.max_steps,
                max_tokens=run.max_tokens,
                max_cost_eur=run.max_cost_eur,
                max_seconds=run.max_seconds,
                started_at=run.started_at,
                ended_at=run.ended_at,
                end_reason=run.end_reason,
                totals=run_totals,
                events=events,
                children=[],
                audit=self._audit("agent_run", run.run_id),
            )
        roots: list[TraceRun] = []
        for run in self.runs:
            parent = nodes.get(run.parent_id) if run.parent_id else None
            (parent.children if parent else roots).append(nodes[run.id])
        orphans = [m for m in self.messages if m.sender_run_id not in nodes]
        totals.messages += len(orphans)
        running = any(r.status == RunStatus.RUNNING.value for r in self.runs)
        return Trace(
            trace_id=self.trace_id,
            agents=sorted(set(self.slugs.values())),
            started_at=min((r.started_at for r in self.runs), default=None),
            ended_at=None
            if running or not self.runs
            else max(r.ended_at for r in self.runs if r.ended_at),
            totals=totals,
            runs=roots,
        )

    def _records(self) -> dict[tuple[str, str], list[AuditRef]]:
        wanted: dict[str, list[str]] = {
            "agent_run": [r.run_id for r in self.runs],
            "gateway_call": [c.request_id for rows in self.calls.values() for c in rows],
            "agent_message": [m.message_id for m in self.messages],
            "agent_tool_call": [c.call_id for rows in self.tools.values() for c in rows],
            "agent_approval": [str(a.id) for rows in self.approvals.values() for a in rows],
        }
        found: dict[tuple[str, str], list[AuditRef]] = defaultdict(list)
        for object_type, ids in wanted.items():
            for chunk in _chunks(sorted(set(ids))):
                rows = self.session.scalars(
                    select(AuditRecord)
                    .where(AuditRecord.object_type == object_type, AuditRecord.object_id.in_(chunk))
                    .order_by(AuditRecord.seq)
                )
                for row in rows:
                    found[(object_type, row.object_id)].append(
                        AuditRef(
                            seq=row.seq,
                            ts=format_ts(row.ts),
                            actor_id=row.actor_id,
                            actor_name=row.actor_name,
                            action=row.action,
                            object_type=row.object_type,
                            object_id=row.object_id,
                            object_version=row.object_version,
                            old_values=row.old_values,
                            new_values=row.new_values,
                            reason=row.reason,
                            request_id=row.request_id,
                            prev_hash=row.prev_hash,
                            hash=row.hash,
                        )
                    )
        return found


# --- flat rows --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "trace_id",
    "agent",
    "run_id",
    "parent_run",
    "depth",
    "kind",
    "at",
    "ref",
    "status",
    "refused",
    "code",
    "detail",
    "data_class",
    "tokens",
    "cost_eur",
    "energy_wh",
    "gco2e",
    "latency_ms",
    "audit_seqs",
    "audit_hashes",
)


def walk(runs: Iterable[TraceRun], depth: int = 0) -> Iterator[tuple[int, TraceRun]]:
    """Every run of the tree, parents before children, with its depth."""
    for run in runs:
        yield depth, run
        yield from walk(run.children, depth + 1)


def _seqs(audit: list[AuditRef] | None) -> tuple[str, str]:
    refs = audit or []
    return " ".join(str(a.seq) for a in refs), " ".join(a.hash for a in refs)


def _row(trace: Trace, depth: int, run: TraceRun, event: TraceEvent | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CSV_COLUMNS, "")
    row.update(trace_id=trace.trace_id, agent=run.agent, run_id=run.run_id, depth=depth)
    row["parent_run"] = run.parent_run or ""
    if event is None:
        seqs, hashes = _seqs(run.audit)
        row.update(
            kind="run",
            at=run.started_at.isoformat(),
            ref=run.run_id,
            status=run.status.value,
            detail=run.message_id or "",
            data_class=run.data_class_seen or "",
            tokens=run.totals.tokens,
            cost_eur=str(run.totals.cost_eur),
            energy_wh="" if run.totals.energy_wh is None else run.totals.energy_wh,
            gco2e="" if run.totals.gco2e is None else run.totals.gco2e,
            audit_seqs=seqs,
            audit_hashes=hashes,
        )
        return row
    seqs, hashes = _seqs(event.audit)
    row.update(
        kind=event.kind,
        at=event.at.isoformat(),
        ref=event.ref,
        status=event.status,
        refused=event.refused,
        audit_seqs=seqs,
        audit_hashes=hashes,
    )
    if isinstance(event, ModelCall):
        row.update(
            code=event.code or "",
            detail=event.model or event.model_requested,
            data_class=event.data_class or "",
            tokens=event.prompt_tokens + event.completion_tokens,
            cost_eur=str(event.cost_eur),
            energy_wh="" if event.energy_wh is None else event.energy_wh,
            gco2e="" if event.gco2e is None else event.gco2e,
            latency_ms=event.latency_ms,
        )
    elif isinstance(event, ToolCallEvent):
        row.update(
            code=event.code,
            detail=event.tool,
            data_class=event.result_class or event.arguments_class or "",
            cost_eur=str(event.cost_eur),
            latency_ms=event.latency_ms,
        )
    elif isinstance(event, MessageEvent):
        row.update(code=event.code, detail=event.peer, data_class=event.data_class or "")
    else:
        row.update(detail=f"{event.tool} ({event.approver})", code=event.reason)
    return row


def csv_text(trace: Trace) -> str:
    """One row per run and per event, parents before children, events in time order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for depth, run in walk(trace.runs):
        writer.writerow(_row(trace, depth, run, None))
        for event in run.events:
            writer.writerow(_row(trace, depth, run, event))
    return buffer.getvalue()


def json_bytes(trace: Trace) -> bytes:
    return orjson.dumps(trace.model_dump(mode="json"), option=orjson.OPT_INDENT_2)


__all__ = [
    "ApprovalEvent",
    "AuditRef",
    "MessageEvent",
    "ModelCall",
    "ToolCallEvent",
    "Totals",
    "Trace",
    "TraceEvent",
    "TraceRun",
    "agents_of",
    "build",
    "csv_text",
    "json_bytes",
    "trace_of_run",
    "walk",
]
