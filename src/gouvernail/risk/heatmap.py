"""Heat maps: how many risks sit in each cell of the 5x5 matrix, inherent and residual.

Counted in the database (``GROUP BY``), so the portfolio map costs two small queries whatever
the number of risks. Closed risks are left out: a heat map shows the exposure that remains.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gouvernail.errors import GouvernailError
from gouvernail.identity.directory import team_subtree
from gouvernail.identity.models import Team
from gouvernail.registry.models import Status, UseCase
from gouvernail.risk.models import Risk, RiskStatus
from gouvernail.risk.schemas import Grid, HeatMap
from gouvernail.risk.scoring import SCALE, Level, Rating, matrix


def _grid(rows: list[tuple[int, int, int]]) -> Grid:
    cells = [[0 for _ in SCALE] for _ in SCALE]
    by_level = {level.value: 0 for level in Level}
    for likelihood, severity, count in rows:
        cells[severity - 1][likelihood - 1] += count
        by_level[Rating(likelihood, severity).level.value] += count
    return Grid(cells=cells, by_level=by_level, total=sum(by_level.values()))


def _counts(
    session: Session, conditions: list[ColumnElement[bool]], *, residual: bool
) -> list[tuple[int, int, int]]:
    likelihood = Risk.residual_likelihood if residual else Risk.likelihood
    severity = Risk.residual_severity if residual else Risk.severity
    query = (
        select(likelihood, severity, func.count())
        .join(UseCase, UseCase.id == Risk.use_case_id)
        .where(Risk.status != RiskStatus.CLOSED.value, *conditions)
        .group_by(likelihood, severity)
    )
    return [
        (lk, sv, count)
        for lk, sv, count in session.execute(query).all()
        if lk is not None and sv is not None
    ]


def heatmap(session: Session, conditions: list[ColumnElement[bool]]) -> HeatMap:
    inherent = _grid(_counts(session, conditions, residual=False))
    residual = _grid(_counts(session, conditions, residual=True))
    use_cases = session.scalar(
        select(func.count(func.distinct(Risk.use_case_id)))
        .join(UseCase, UseCase.id == Risk.use_case_id)
        .where(Risk.status != RiskStatus.CLOSED.value, *conditions)
    )
    return HeatMap(
        levels=[[level.value for level in row] for row in matrix()],
        inherent=inherent,
        residual=residual,
        without_residual=inherent.total - residual.total,
        use_cases=use_cases or 0,
    )


def use_case_heatmap(session: Session, use_case_id: int) -> HeatMap:
    return heatmap(session, [Risk.use_case_id == use_case_id])


def portfolio_heatmap(session: Session, *, department: str | None, statuses: list[str]) -> HeatMap:
    conditions: list[ColumnElement[bool]] = []
    if department:
        conditions.append(UseCase.department_id.in_(_team_and_descendants(session, department)))
    if statuses:
        known = {status.value for status in Status}
        for status in statuses:
            if status not in known:
                raise GouvernailError(
                    f"unknown use-case status {status!r}; use one of {', '.join(Status)}",
                    field="status",
                )
        conditions.append(UseCase.status.in_(statuses))
    return heatmap(session, conditions)


def _team_and_descendants(session: Session, slug: str) -> set[int]:
    root = session.scalar(select(Team.id).where(Team.slug == slug))
    if root is None:
        raise GouvernailError(f"no team with slug {slug!r}", field="department")
    return team_subtree(session, root)
