"""Data quality of a source, from what its syncs saw: recency (age of the documents),
completeness (documents that could not be read, parsed or placed under permissions, and empty
ones) and duplicates (identical content under several names).

Scores from 1 to 5 follow the registry's qualification scale for a data source (``recency``,
``completeness``), so the use case's qualification can quote them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.db.base import utcnow
from gouvernail.insight.models import InsightDocument, InsightSource

AGE_BUCKETS = ((90, "under 3 months"), (365, "3 to 12 months"), (3 * 365, "1 to 3 years"))
OLDEST = "over 3 years"


class DuplicateGroup(BaseModel):
    content_hash: str
    paths: list[str]


class QualityView(BaseModel):
    source: str
    documents: int
    by_status: dict[str, int]
    failures: dict[str, int]
    """Documents not indexed, by reason (encrypted, corrupt, too_large, unresolved, empty...)."""
    age_days: dict[str, float | None]
    """Median and 90th percentile age of the documents, from their modification dates."""
    age_distribution: dict[str, int]
    duplicate_documents: int
    """Documents whose content is also found under another name (beyond the first copy)."""
    duplicates: list[DuplicateGroup]
    completeness_score: int | None
    recency_score: int | None
    uniqueness_score: int | None


def quality(session: Session, source: InsightSource, now: datetime | None = None) -> QualityView:
    now = now or utcnow()
    documents = session.scalars(
        select(InsightDocument).where(InsightDocument.source_id == source.id)
    ).all()
    statuses = Counter(d.status for d in documents)
    failures = Counter(d.error_code or d.status for d in documents if d.status != "indexed")
    ages = sorted((now - d.modified_at).total_seconds() / 86400 for d in documents if d.modified_at)
    distribution: Counter[str] = Counter()
    for age in ages:
        distribution[next((label for days, label in AGE_BUCKETS if age < days), OLDEST)] += 1
    copies: dict[str, list[str]] = {}
    for d in documents:
        if d.content_hash:
            copies.setdefault(d.content_hash, []).append(d.path)
    groups = [
        DuplicateGroup(content_hash=h, paths=sorted(p)) for h, p in copies.items() if len(p) > 1
    ]
    extra = sum(len(g.paths) - 1 for g in groups)
    total = len(documents)
    return QualityView(
        source=source.slug,
        documents=total,
        by_status=dict(statuses),
        failures=dict(failures),
        age_days={"median": _quantile(ages, 0.5), "p90": _quantile(ages, 0.9)},
        age_distribution={label: distribution[label] for _, label in AGE_BUCKETS}
        | {OLDEST: distribution[OLDEST]},
        duplicate_documents=extra,
        duplicates=groups[:100],
        completeness_score=_score(statuses["indexed"] / total) if total else None,
        recency_score=_recency(_quantile(ages, 0.5)),
        uniqueness_score=_score(1 - extra / total) if total else None,
    )


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _score(share: float) -> int:
    """1-5 from a share of good documents: 5 from 98 %, 4 from 90 %, 3 from 75 %, 2 from 50 %."""
    return next((s for s, floor in ((5, 0.98), (4, 0.9), (3, 0.75), (2, 0.5)) if share >= floor), 1)


def _recency(median_days: float | None) -> int | None:
    if median_days is None:
        return None
    limits = ((5, 90), (4, 365), (3, 2 * 365), (2, 4 * 365))
    return next((s for s, days in limits if median_days <= days), 1)
