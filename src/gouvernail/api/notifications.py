"""Your notifications (security referents receive failed and unauthorised attempts here)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from gouvernail.api.deps import Require, Rt
from gouvernail.identity.models import Notification
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["identity"])


class NotificationOut(BaseModel):
    id: int
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications")
def my_notifications(
    principal: Annotated[Principal, Depends(Require("notifications", "read_own"))],
    runtime: Rt,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """Your newest notifications first."""
    with runtime.database.read() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.user_id == principal.user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
        return [NotificationOut.model_validate(r, from_attributes=True) for r in rows]
