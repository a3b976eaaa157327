"""The GxP assessment of a use case: one current assessment, revised as a whole.

The rules (``gxp.py``) decide the FDA model risk and the draft Annex 22 verdict; this service
checks that the facts are complete, stores them with the verdicts and the rule-set version, and
records every revision in the audit trail (old and new values), which is the assessment's
history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.risk import events as ev
from gouvernail.risk.checks import load_use_case
from gouvernail.risk.gxp import Annex22Verdict, Facts, GmpCriticality, Grade, GxpRules
from gouvernail.risk.models import GxpAssessment
from gouvernail.risk.schemas import GxpIn, GxpView

FIELDS = (
    "gxp_relevant",
    "question_of_interest",
    "context_of_use",
    "model_influence",
    "decision_consequence",
    "model_risk",
    "gmp_criticality",
    "generative_ai",
    "dynamic_model",
    "human_in_the_loop",
    "annex22_allowed",
    "annex22_rule",
    "ruleset",
)
GXP_ONLY = ("question_of_interest", "context_of_use", "model_influence", "decision_consequence")


def check_facts(data: GxpIn) -> None:
    """A GxP-relevant use case needs the whole FDA context; a use case that is not GxP-relevant
    must not carry GxP facts (they would contradict the answer)."""
    if data.gxp_relevant:
        for name in (*GXP_ONLY, "gmp_criticality"):
            value = getattr(data, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise GouvernailError(f"{name} is required for a GxP-relevant use case", field=name)
        return
    for name in GXP_ONLY:
        value = getattr(data, name)
        if value not in (None, ""):
            raise GouvernailError(
                f"{name} is only for a GxP-relevant use case (gxp_relevant is false)", field=name
            )
    if data.gmp_criticality not in (None, GmpCriticality.NOT_GMP):
        raise GouvernailError(
            "a use case that is not GxP-relevant is not a GMP application", field="gmp_criticality"
        )


def facts_of(data: GxpIn) -> Facts:
    gmp = data.gmp_criticality if data.gxp_relevant else None
    return Facts(
        gmp=gmp or GmpCriticality.NOT_GMP,
        generative=data.generative_ai,
        dynamic=data.dynamic_model,
        human_in_the_loop=data.human_in_the_loop,
    )


def current_assessment(session: Session, use_case_id: int) -> GxpAssessment | None:
    return session.scalar(select(GxpAssessment).where(GxpAssessment.use_case_id == use_case_id))


def _values(row: GxpAssessment) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


class GxpAssessments:
    """``runtime.risks.gxp``: read and record the GxP assessment of a use case."""

    def __init__(self, database: Database, trail: AuditTrail, rules: GxpRules) -> None:
        self.database = database
        self.trail = trail
        self.rules = rules

    def view(self, row: GxpAssessment) -> GxpView:
        risk = Grade(row.model_risk) if row.model_risk else None
        return GxpView(
            use_case_id=row.use_case_id,
            gxp_relevant=row.gxp_relevant,
            question_of_interest=row.question_of_interest,
            context_of_use=row.context_of_use,
            model_influence=Grade(row.model_influence) if row.model_influence else None,
            decision_consequence=(
                Grade(row.decision_consequence) if row.decision_consequence else None
            ),
            model_risk=risk,
            gmp_criticality=GmpCriticality(row.gmp_criticality) if row.gmp_criticality else None,
            generative_ai=row.generative_ai,
            dynamic_model=row.dynamic_model,
            human_in_the_loop=row.human_in_the_loop,
            rationale=row.rationale,
            annex22=Annex22Verdict(
                allowed=row.annex22_allowed, rule=row.annex22_rule, reason=row.annex22_reason
            ),
            credibility_activities=self.rules.activities_for(risk) if risk else [],
            ruleset=row.ruleset,
            ruleset_current=row.ruleset == self.rules.version,
            version=row.version,
            assessed_by=row.assessed_by_name,
            assessed_at=row.assessed_at,
        )

    def get(self, use_case_id: int) -> GxpView:
        with self.database.read() as session:
            load_use_case(session, use_case_id)
            row = current_assessment(session, use_case_id)
            if row is None:
                raise NotFoundError(f"use case {use_case_id} has no GxP assessment yet")
            return self.view(row)

    def assess(self, ctx: AuditContext, use_case_id: int, data: GxpIn) -> GxpView:
        """Record the first assessment (``version`` omitted) or replace the current one
        (``version`` = the one revised; 409 if it changed meanwhile)."""
        check_facts(data)
        verdict = self.rules.annex22_verdict(facts_of(data))
        model_risk = (
            self.rules.model_risk_of(data.model_influence, data.decision_consequence)
            if data.gxp_relevant and data.model_influence and data.decision_consequence
            else None
        )

        def work(tx: Tx) -> GxpView:
            load_use_case(tx.session, use_case_id, writing=True)
            row = current_assessment(tx.session, use_case_id)
            if row is None and data.version is not None:
                raise ConflictError(
                    f"use case {use_case_id} has no GxP assessment yet: omit version",
                    field="version",
                    code="version_conflict",
                )
            if row is not None and data.version != row.version:
                raise ConflictError(
                    f"the GxP assessment is at version {row.version}, not {data.version}: "
                    "reload it and apply your change again",
                    field="version",
                    code="version_conflict",
                )
            old = _values(row) if row is not None else {}
            if row is None:
                row = GxpAssessment(use_case_id=use_case_id, version=0)
                tx.session.add(row)
            row.gxp_relevant = data.gxp_relevant
            row.question_of_interest = data.question_of_interest.strip()
            row.context_of_use = data.context_of_use.strip()
            row.model_influence = (
                data.model_influence.value if data.gxp_relevant and data.model_influence else None
            )
            row.decision_consequence = (
                data.decision_consequence.value
                if data.gxp_relevant and data.decision_consequence
                else None
            )
            row.model_risk = model_risk.value if model_risk else None
            row.gmp_criticality = facts_of(data).gmp.value
            row.generative_ai = data.generative_ai
            row.dynamic_model = data.dynamic_model
            row.human_in_the_loop = data.human_in_the_loop
            row.rationale = data.rationale.strip()
            row.annex22_allowed = verdict.allowed
            row.annex22_rule = verdict.rule
            row.annex22_reason = verdict.reason
            row.ruleset = self.rules.version
            row.version += 1
            row.assessed_by = tx.context.actor.id
            row.assessed_by_name = tx.context.actor.name
            row.assessed_at = utcnow()
            tx.session.flush()
            tx.emit(
                ev.GxpAssessed(
                    object_id=str(use_case_id),
                    object_version=row.version,
                    old=old,
                    new=_values(row),
                    reason=row.rationale,
                )
            )
            return self.view(row)

        return self.trail.run(ctx, work)
