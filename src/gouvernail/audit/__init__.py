"""The tamper-evident audit trail: typed events, hash chain, group-commit writer, verification,
signed exports."""

from gouvernail.audit.events import SYSTEM, Actor, AuditEvent
from gouvernail.audit.trail import AuditContext, AuditTrail, Tx

__all__ = ["SYSTEM", "Actor", "AuditContext", "AuditEvent", "AuditTrail", "Tx"]
