"""The environmental report and sobriety hints (``runtime.environment``), read from the request
log for a period (the last N days, or from and to dates) and optionally one department with
its sub-teams (its use cases' calls, as the observatory page scopes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.charter.rules import CharterRules
from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import GouvernailError, NotFoundError
from gouvernail.gateway.accounting import Impacts, Prices
from gouvernail.identity.directory import team_subtree
from gouvernail.identity.models import Team
from gouvernail.inventory.service import Inventory
from gouvernail.observatory.environment.footprint import Scope, build_report
from gouvernail.observatory.environment.schemas import EnvironmentReport, SobrietyReport
from gouvernail.observatory.environment.sobriety import build_hints
from gouvernail.registry.models import UseCase
from gouvernail.settings import Settings

MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """The last ``days`` days up to now, or from ``since`` to ``until`` (dates, UTC, both
    included; ``until`` defaults to today)."""

    days: int = 30
    since: date | None = None
    until: date | None = None
    department: str | None = None
    """A team's slug: its use cases and those of the teams under it."""


class Footprints:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        inventory: Inventory,
        charter: Callable[[], CharterRules | None],
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.settings = settings
        self.inventory = inventory
        self.charter = charter
        self.now = now

    @cached_property
    def impacts(self) -> Impacts:
        """The gateway's energy and CO2 accounting (EcoLogits is imported on first use)."""
        return Impacts()

    @cached_property
    def prices(self) -> Prices:
        return Prices(self.settings.gateway.fx_to_eur)

    def report(self, period: Period) -> EnvironmentReport:
        models = self.inventory.list_models()
        with self.database.read() as session:
            return build_report(session, self._scope(session, period), models)

    def sobriety(self, period: Period) -> SobrietyReport:
        models = self.inventory.routable_models()
        charter = self.charter()
        with self.database.read() as session:
            return build_hints(
                session,
                self._scope(session, period),
                self.settings.sobriety,
                models=models,
                charter=charter,
                impacts=self.impacts,
                prices=self.prices,
            )

    def _scope(self, session: Session, period: Period) -> Scope:
        now = self.now()
        if period.since is None and period.until is None:
            if not 1 <= period.days <= MAX_DAYS:
                raise GouvernailError(f"days must be between 1 and {MAX_DAYS}", field="days")
            since, until = now - timedelta(days=period.days), now
        else:
            first = period.since or (period.until or now.date()) - timedelta(days=period.days - 1)
            last = period.until or now.date()
            if first > last:
                raise GouvernailError(f"since ({first}) is after until ({last})", field="since")
            if (last - first).days + 1 > MAX_DAYS:
                raise GouvernailError(f"a period is at most {MAX_DAYS} days long", field="since")
            since = datetime.combine(first, time(), UTC)
            until = datetime.combine(last + timedelta(days=1), time(), UTC)
        ids = None
        if period.department is not None:
            team = session.scalar(select(Team.id).where(Team.slug == period.department))
            if team is None:
                raise NotFoundError(f"no team {period.department!r}", field="department")
            teams = team_subtree(session, team)
            ids = list(session.scalars(select(UseCase.id).where(UseCase.department_id.in_(teams))))
        return Scope(since, until, ids, period.department)
