"""The content of a use case that approvals bind: what was decided on.

Measurements, members, status and the date the fallback was last rehearsed are not part of it:
recording them does not call for a new approval. Everything else is, so any change to it raises
the revision and makes earlier approvals stale.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.registry.models import TEXT_FIELDS, DataSource, KeyResult, UseCase
from gouvernail.signatures.service import content_hash

FIELDS = (
    *TEXT_FIELDS,
    "department_id",
    "sponsor_id",
    "sourcing",
    "preferred_hosting",
    "ai_act_tier",
)


def snapshot(session: Session, use_case: UseCase) -> dict[str, Any]:
    deployment = orjson.loads(use_case.deployment or "{}")
    deployment.pop("fallback_last_rehearsed", None)
    classification = orjson.loads(use_case.classification) if use_case.classification else None
    return {
        **{name: getattr(use_case, name) for name in FIELDS},
        "qualification": orjson.loads(use_case.qualification or "{}"),
        "automation": orjson.loads(use_case.automation or "{}"),
        "deployment": deployment,
        "classification": (
            {
                "answers": classification.get("answers"),
                "ruleset": classification.get("result", {}).get("ruleset"),
            }
            if classification
            else None
        ),
        "key_results": [
            [kr.description, kr.unit, kr.baseline, kr.target, kr.due_on.isoformat()]
            for kr in session.scalars(
                select(KeyResult)
                .where(KeyResult.use_case_id == use_case.id)
                .order_by(KeyResult.position)
            )
        ],
        "data_sources": [
            [
                ds.name,
                ds.location,
                ds.owner_id,
                ds.data_class,
                ds.available,
                ds.relevance,
                ds.completeness,
                ds.recency,
            ]
            for ds in session.scalars(
                select(DataSource)
                .where(DataSource.use_case_id == use_case.id)
                .order_by(DataSource.position)
            )
        ],
    }


def digest(session: Session, use_case: UseCase) -> str:
    return content_hash(snapshot(session, use_case))
