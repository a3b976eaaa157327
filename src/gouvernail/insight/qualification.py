"""A source's measured quality feeds the qualification of the use case it serves.

After each sync, the use case's data source for this insight source (matched by location, else
by name; added when the use case does not list it yet) receives the measured scores: available
(5 once documents are indexed, 1 when none is), completeness and recency (``quality.py``).
The registry records the change as any edit of the use case (``use_case.updated``, with the
reason naming the sync), under its optimistic versioning: a concurrent edit wins and the
scores are written at the next sync.
"""

from __future__ import annotations

import structlog

from gouvernail.audit import AuditContext
from gouvernail.errors import GouvernailError
from gouvernail.insight.quality import QualityView
from gouvernail.registry.schemas import DataSourceIn, UseCasePatch
from gouvernail.registry.service import UseCases

log = structlog.get_logger(__name__)


def feed(
    use_cases: UseCases,
    context: AuditContext,
    *,
    use_case_id: int,
    name: str,
    location: str,
    owner: str,
    data_class: str,
    quality: QualityView,
) -> bool:
    """Write the measured scores into the use case's data source; whether anything changed."""
    view = use_cases.get(use_case_id)
    current = [
        DataSourceIn(
            name=s.name,
            location=s.location,
            owner=s.owner.username if s.owner else None,
            data_class=s.data_class,
            available=s.available,
            relevance=s.relevance,
            completeness=s.completeness,
            recency=s.recency,
        )
        for s in view.data_sources
    ]
    index = next((i for i, s in enumerate(current) if s.location == location), None)
    if index is None:
        index = next((i for i, s in enumerate(current) if s.name == name), None)
    if index is None:
        current.append(
            DataSourceIn(name=name, location=location, owner=owner, data_class=data_class)
        )
        index = len(current) - 1
    indexed = quality.by_status.get("indexed", 0)
    measured = current[index].model_copy(
        update={
            "available": 5 if indexed else 1,
            "completeness": quality.completeness_score,
            "recency": quality.recency_score,
        }
    )
    if measured == current[index] and index < len(view.data_sources):
        return False
    current[index] = measured
    patch = UseCasePatch(
        version=view.version,
        data_sources=current,
        reason=f"data quality measured by the sync of insight source {quality.source}",
    )
    try:
        use_cases.update(context, use_case_id, patch)
    except GouvernailError as error:  # a concurrent edit, a retired use case: next sync
        log.info("qualification not fed", source=quality.source, reason=error.message)
        return False
    return True
