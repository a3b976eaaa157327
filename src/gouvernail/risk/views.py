"""How a risk is shown: its ratings through the scoring rule, the API view, the audit values."""

from __future__ import annotations

from typing import Any

from gouvernail.risk.models import Risk, RiskStatus
from gouvernail.risk.schemas import RiskView
from gouvernail.risk.scoring import Rating

# The fields of a risk that people edit (and that the audit records before and after).
CONTENT = (
    "category",
    "title",
    "description",
    "likelihood",
    "severity",
    "mitigation",
    "owner_id",
    "residual_likelihood",
    "residual_severity",
    "review_on",
)


def inherent_of(risk: Risk) -> Rating:
    return Rating(risk.likelihood, risk.severity)


def residual_of(risk: Risk) -> Rating | None:
    if risk.residual_likelihood is None or risk.residual_severity is None:
        return None
    return Rating(risk.residual_likelihood, risk.residual_severity)


def view_of(risk: Risk, owner_name: str | None) -> RiskView:
    inherent, residual = inherent_of(risk), residual_of(risk)
    return RiskView(
        id=risk.id,
        use_case_id=risk.use_case_id,
        number=risk.number,
        category=risk.category,
        title=risk.title,
        description=risk.description,
        likelihood=risk.likelihood,
        severity=risk.severity,
        score=inherent.score,
        level=inherent.level.value,
        mitigation=risk.mitigation,
        owner_id=risk.owner_id,
        owner_name=owner_name,
        residual_likelihood=risk.residual_likelihood,
        residual_severity=risk.residual_severity,
        residual_score=residual.score if residual else None,
        residual_level=residual.level.value if residual else None,
        status=RiskStatus(risk.status),
        status_reason=risk.status_reason,
        review_on=risk.review_on,
        source=risk.source,
        version=risk.version,
        created_at=risk.created_at,
        updated_at=risk.updated_at,
    )


def audit_values(risk: Risk, fields: tuple[str, ...] | set[str] = CONTENT) -> dict[str, Any]:
    """Audit values of the given fields, with the scores they give (dates as ISO text)."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(risk, name)
        values[name] = value.isoformat() if hasattr(value, "isoformat") else value
    inherent, residual = inherent_of(risk), residual_of(risk)
    if {"likelihood", "severity"} & set(fields):
        values.update(score=inherent.score, level=inherent.level.value)
    if {"residual_likelihood", "residual_severity"} & set(fields):
        values.update(
            residual_score=residual.score if residual else None,
            residual_level=residual.level.value if residual else None,
        )
    return values
