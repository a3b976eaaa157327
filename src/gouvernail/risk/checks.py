"""What a risk must satisfy before a change is written: the use case is open to changes, the
version is the current one, the owner is an active user, the residual rating stays within the
inherent one, and the status fits the content. Each refusal names the field at fault."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.identity.models import User
from gouvernail.registry.models import Status, UseCase
from gouvernail.risk.models import Risk, RiskStatus
from gouvernail.risk.scoring import Level, Rating, check_residual
from gouvernail.risk.views import inherent_of, residual_of

# Which status may follow which; every change carries a reason.
TRANSITIONS: Mapping[RiskStatus, frozenset[RiskStatus]] = {
    RiskStatus.OPEN: frozenset({RiskStatus.MITIGATED, RiskStatus.ACCEPTED, RiskStatus.CLOSED}),
    RiskStatus.MITIGATED: frozenset({RiskStatus.OPEN, RiskStatus.ACCEPTED, RiskStatus.CLOSED}),
    RiskStatus.ACCEPTED: frozenset({RiskStatus.OPEN, RiskStatus.MITIGATED, RiskStatus.CLOSED}),
    RiskStatus.CLOSED: frozenset({RiskStatus.OPEN}),
}


def load_use_case(session: Session, use_case_id: int, *, writing: bool = False) -> UseCase:
    use_case = session.get(UseCase, use_case_id)
    if use_case is None:
        raise NotFoundError(f"no use case with id {use_case_id}")
    if writing and use_case.status == Status.RETIRED.value:
        raise ConflictError(f"use case {use_case_id} is retired: its records are closed")
    return use_case


def load_risk(session: Session, use_case_id: int, number: int) -> Risk:
    risk = session.scalar(
        select(Risk).where(Risk.use_case_id == use_case_id, Risk.number == number)
    )
    if risk is None:
        raise NotFoundError(f"use case {use_case_id} has no risk #{number}")
    return risk


def check_version(risk: Risk, version: int) -> None:
    if risk.version != version:
        raise ConflictError(
            f"risk #{risk.number} is at version {risk.version}, not {version}: "
            "someone changed it meanwhile; reload it and apply your change again",
            field="version",
            code="version_conflict",
        )


def check_owner(session: Session, owner_id: int | None) -> str | None:
    """The owner's printed name; refused unless the owner is an active user."""
    if owner_id is None:
        return None
    user = session.get(User, owner_id)
    if user is None:
        raise GouvernailError(f"no user with id {owner_id}", field="owner_id")
    if not user.is_active:
        raise GouvernailError(
            f"user {user.username} is deactivated and cannot own a risk", field="owner_id"
        )
    return user.display_name


def check_ratings(risk: Risk) -> None:
    """Both residual values or neither, within the inherent score."""
    if (risk.residual_likelihood is None) != (risk.residual_severity is None):
        missing = "residual_severity" if risk.residual_severity is None else "residual_likelihood"
        raise GouvernailError(
            "give both residual_likelihood and residual_severity, or neither", field=missing
        )
    residual = residual_of(risk)
    if residual is not None:
        check_residual(inherent_of(risk), residual)


def check_may_become(risk: Risk, status: RiskStatus, acceptance_max: Level) -> None:
    """What a status needs: mitigated a mitigation and a residual rating, accepted a residual
    level up to ``acceptance_max``."""
    residual = residual_of(risk)
    if status in (RiskStatus.MITIGATED, RiskStatus.ACCEPTED) and residual is None:
        raise GouvernailError(
            f"rate the residual risk (residual_likelihood, residual_severity) of risk "
            f"#{risk.number} before marking it {status.value}",
            field="status",
        )
    if status is RiskStatus.MITIGATED and not risk.mitigation.strip():
        raise GouvernailError(
            f"risk #{risk.number} has no mitigation: describe it before marking the risk mitigated",
            field="status",
        )
    if status is RiskStatus.ACCEPTED:
        assert residual is not None
        check_acceptable(risk, residual, acceptance_max)


def check_acceptable(risk: Risk, residual: Rating, acceptance_max: Level) -> None:
    if residual.level.rank > acceptance_max.rank:
        raise GouvernailError(
            f"risk #{risk.number} has a {residual.level.value} residual level "
            f"(score {residual.score}); only residual risks up to "
            f"{acceptance_max.value} may be accepted: reduce it further",
            field="status",
        )


def check_status_still_holds(risk: Risk, acceptance_max: Level) -> None:
    """An edit may not leave a risk in a status its content no longer supports."""
    status = RiskStatus(risk.status)
    if status in (RiskStatus.MITIGATED, RiskStatus.ACCEPTED):
        try:
            check_may_become(risk, status, acceptance_max)
        except GouvernailError as error:
            raise ConflictError(
                f"risk #{risk.number} is {status.value}; {error.message} — or reopen it first",
                field=error.field,
            ) from None


def check_inherent_against_residual(risk: Risk, changed: set[str]) -> None:
    residual = residual_of(risk)
    if residual is None or residual.score <= inherent_of(risk).score:
        return
    if {"residual_likelihood", "residual_severity"} & changed:
        return  # check_ratings names the residual fields
    field = "likelihood" if "likelihood" in changed else "severity"
    raise GouvernailError(
        f"the inherent score {risk.likelihood * risk.severity} would fall below the "
        f"residual score {residual.score}: lower the residual rating too",
        field=field,
    )
