"""Copying intake fields onto a use case: plain fields, department and sponsor by name, and
the child rows (key results keep their measurements when unchanged; data sources are checked
against the data classes of the charter in force)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.errors import GouvernailError
from gouvernail.identity.models import Team, User
from gouvernail.registry import views
from gouvernail.registry.models import TEXT_FIELDS, DataSource, KeyResult, UseCase
from gouvernail.registry.schemas import DataSourceIn, KeyResultIn, UseCaseIn, UseCasePatch


def active_user(session: Session, username: str, field: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise GouvernailError(f"no active user {username!r}", field=field)
    return user


def apply(
    session: Session,
    use_case: UseCase,
    body: UseCaseIn | UseCasePatch,
    data_classes: list[str] | None,
) -> None:
    """Copy the fields given in ``body`` onto the use case (and its child rows)."""
    given = body.model_fields_set
    for name in TEXT_FIELDS:
        if name in given and getattr(body, name) is not None:
            setattr(use_case, name, getattr(body, name))
    if "sourcing" in given and body.sourcing is not None:
        use_case.sourcing = body.sourcing.value
    if "preferred_hosting" in given:
        use_case.preferred_hosting = (
            body.preferred_hosting.value if body.preferred_hosting else None
        )
    if "department" in given:
        use_case.department_id = _team(session, body.department)
    if "sponsor" in given:
        use_case.sponsor_id = (
            active_user(session, body.sponsor, "sponsor").id if body.sponsor else None
        )
    if body.key_results is not None:
        _replace_key_results(session, use_case, body.key_results)
    if body.data_sources is not None:
        _replace_sources(session, use_case, body.data_sources, data_classes)


def _team(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    team = session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise GouvernailError(f"no team {slug!r}", field="department")
    return team.id


def _replace_key_results(session: Session, use_case: UseCase, wanted: list[KeyResultIn]) -> None:
    existing = views.key_results_of(session, use_case.id)
    kept = {(r.description, r.unit, r.baseline, r.target, r.due_on): r for r in existing}
    for row in existing:
        session.delete(row)
    session.flush()
    for position, result in enumerate(wanted):
        before = kept.get(
            (result.description, result.unit, result.baseline, result.target, result.due_on)
        )
        session.add(
            KeyResult(
                use_case_id=use_case.id,
                position=position,
                description=result.description,
                unit=result.unit,
                baseline=result.baseline,
                target=result.target,
                due_on=result.due_on,
                measured_value=before.measured_value if before else None,
                measured_on=before.measured_on if before else None,
                measurement_note=before.measurement_note if before else "",
            )
        )


def _replace_sources(
    session: Session,
    use_case: UseCase,
    wanted: list[DataSourceIn],
    classes: list[str] | None,
) -> None:
    for index, source in enumerate(wanted):
        if classes is not None and source.data_class not in classes:
            raise GouvernailError(
                f"data source {source.name!r}: data class {source.data_class!r} is not in "
                f"the charter in force ({', '.join(classes)})",
                field=f"data_sources.{index}.data_class",
            )
    for row in views.sources_of(session, use_case.id):
        session.delete(row)
    session.flush()
    for position, source in enumerate(wanted):
        owner = (
            active_user(session, source.owner, f"data_sources.{position}.owner").id
            if source.owner
            else None
        )
        session.add(
            DataSource(
                use_case_id=use_case.id,
                position=position,
                name=source.name,
                location=source.location,
                owner_id=owner,
                data_class=source.data_class,
                available=source.available,
                relevance=source.relevance,
                completeness=source.completeness,
                recency=source.recency,
            )
        )
