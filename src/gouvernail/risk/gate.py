"""What the risk register and the GxP assessment still lack before a use case may be approved.

The lifecycle's approval gate calls ``missing_for_approval`` inside its own transaction: it only
reads, and returns one sentence per missing item (empty: nothing missing). The rules are
documented in ``docs/risk-scoring.md`` ("Approval gate").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.identity.models import User
from gouvernail.risk.assessment import current_assessment
from gouvernail.risk.gxp import GxpRules
from gouvernail.risk.models import Category, Risk, RiskStatus
from gouvernail.risk.scoring import Level
from gouvernail.risk.views import residual_of

# AI Act tiers that call for the stricter register (Art. 9: risk management system).
HIGH_TIERS = frozenset({"high"})
# Art. 9(2)(a): the known and foreseeable risks to health, safety or fundamental rights.
HIGH_TIER_CATEGORIES = frozenset(
    {Category.SAFETY, Category.BIAS, Category.PRIVACY, Category.COMPLIANCE}
)


def _risk_items(risk: Risk, owner: User | None, high: bool) -> list[str]:
    name = f"risk #{risk.number} '{risk.title}'"
    items = []
    if not risk.mitigation.strip():
        items.append(f"{name} has no mitigation")
    if owner is None:
        items.append(f"{name} has no owner")
    elif not owner.is_active:
        items.append(f"{name}: its owner {owner.display_name} is deactivated; name another")
    residual = residual_of(risk)
    if residual is None:
        items.append(f"{name} has no residual score")
    elif residual.level is Level.CRITICAL:
        items.append(
            f"critical residual {name} is {risk.status}: reduce it below critical or close it"
        )
    if high and risk.review_on is None:
        items.append(f"{name} has no review date (required for a high-risk use case)")
    return items


def missing_for_approval(
    session: Session, use_case_id: int, tier: str | None, *, rules: GxpRules | None = None
) -> list[str]:
    """Human-readable prerequisites of approval that the risk register and the GxP assessment
    do not meet yet. ``tier`` is the use case's AI Act tier (``"high"`` adds the high-risk
    rules); ``rules`` defaults to the built-in GxP rule set."""
    high = tier in HIGH_TIERS
    missing: list[str] = []
    risks = session.execute(
        select(Risk, User)
        .outerjoin(User, User.id == Risk.owner_id)
        .where(Risk.use_case_id == use_case_id)
        .order_by(Risk.number)
    ).all()
    if not risks:
        missing.append(
            "the risk register is empty: record the use case's risks (the risk library "
            "offers common ones)"
        )
    for risk, owner in risks:
        if risk.status != RiskStatus.CLOSED.value:
            missing.extend(_risk_items(risk, owner, high))
    if high and risks and not any(risk.category in HIGH_TIER_CATEGORIES for risk, _ in risks):
        missing.append(
            "no risk to health, safety or fundamental rights is recorded (category safety, "
            "bias, privacy or compliance): required for a high-risk use case (AI Act Art. 9)"
        )
    assessment = current_assessment(session, use_case_id)
    if assessment is None:
        missing.append(
            "GxP assessment missing: record whether the use case is GxP-relevant and, if it "
            "is, its context of use, model risk and GMP criticality"
        )
        return missing
    if not assessment.annex22_allowed:
        missing.append(f"Annex 22: {assessment.annex22_reason}")
    current = (rules or GxpRules.builtin()).version
    if assessment.ruleset != current:
        missing.append(
            f"the GxP assessment was made under rule set {assessment.ruleset}; "
            f"reassess it under {current}"
        )
    return missing
