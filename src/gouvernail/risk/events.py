"""Audit events of the risk register and of the GxP assessment.

Risk events carry the use case id and the risk's number in the use case, the values before and
after, and the score and level the scoring rule gave at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class RiskCreated(AuditEvent):
    """A risk was added to a use case's register (by hand, or from the library: ``source``)."""

    action = "risk.created"
    object_type = "risk"


@dataclass(frozen=True, kw_only=True)
class RiskUpdated(AuditEvent):
    """A risk's content changed (rating, mitigation, owner, residual rating, review date);
    old and new values of the changed fields."""

    action = "risk.updated"
    object_type = "risk"


@dataclass(frozen=True, kw_only=True)
class RiskStatusChanged(AuditEvent):
    """A risk moved between open, mitigated, accepted and closed, with the reason (for an
    acceptance: why the residual risk is borne)."""

    action = "risk.status_changed"
    object_type = "risk"


@dataclass(frozen=True, kw_only=True)
class GxpAssessed(AuditEvent):
    """A use case's GxP assessment was recorded or revised: context of use, FDA model risk,
    GMP criticality and the draft Annex 22 verdict, with the rule-set version."""

    action = "gxp.assessed"
    object_type = "gxp_assessment"
