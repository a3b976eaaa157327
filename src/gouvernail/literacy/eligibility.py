"""The access rule: a person gets (and uses) gateway keys only while a charter is in force,
they comply with it (accepted, or in its grace period), and they hold a valid completion of
every training required of them. One function answers it, with every reason, for key issuing
and for the gateway's admit step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gouvernail.charter.acceptance import AcceptanceState, AcceptanceStatus, status_in
from gouvernail.charter.models import CharterVersion
from gouvernail.charter.rules import CharterRules
from gouvernail.identity.directory import get_user
from gouvernail.literacy.requirements import Catalogue, Person, Standing, held_by, standing
from gouvernail.literacy.views import (
    Eligibility,
    EligibilityReason,
    ModuleStanding,
    MyTrainings,
)

FIX_TRAINING = (
    "complete it on the learning platform; an AI referent records or imports the completion "
    "(POST /api/v1/literacy/completions)"
)
UNDEFINED = (
    " The charter requires modules not defined yet: an AI referent creates them first "
    "(POST /api/v1/literacy/modules, or gouvernail literacy module-load)."
)


def rules_of(session: Session, version_id: int | None) -> CharterRules | None:
    """The machine rules of a charter version (None for no version)."""
    version = session.get(CharterVersion, version_id) if version_id is not None else None
    return CharterRules.model_validate_json(version.rules) if version else None


def _standings(
    session: Session, person: Person, catalogue: Catalogue, at: datetime, warn_days: int
) -> list[ModuleStanding]:
    held = held_by(session, at, [person.id]).get(person.id, {})
    required = {m.code for m in catalogue.required_for(person)}
    applicable = {m.code for m in catalogue.applicable(person)}
    done = set(held)
    rows = []
    for module in catalogue.modules.values():
        if module.code not in applicable and module.id not in done:
            continue
        mine = held.get(module.id) if module.id is not None else None
        rows.append(
            ModuleStanding(
                code=module.code,
                title_en=module.title_en,
                title_fr=module.title_fr,
                defined=module.id is not None,
                required=module.code in required,
                status=standing(mine, at, warn_days),
                completed_at=mine.completed_at if mine else None,
                expires_at=mine.expires_at if mine else None,
                score=mine.score if mine else None,
            )
        )
    return rows


def _reasons(
    username: str, active: bool, charter: AcceptanceStatus, trainings: list[ModuleStanding]
) -> list[EligibilityReason]:
    reasons = []
    if not active:
        reasons.append(
            EligibilityReason(code="user_inactive", message=f"{username} is deactivated.")
        )
    if charter.state is AcceptanceState.NO_CHARTER:
        reasons.append(
            EligibilityReason(
                code="no_charter_in_force",
                message="No charter is in force: the company must adopt one (draft, approve "
                "and activate it) before AI keys are issued.",
            )
        )
    elif not charter.compliant:
        reasons.append(
            EligibilityReason(
                code="charter_not_accepted",
                charter_number=charter.in_force_number,
                message=f"{username} has not accepted charter {charter.in_force_number} "
                f"(id {charter.in_force_id}) in force: read it (GET /api/v1/charter) and "
                "accept it (POST /api/v1/charter/accept).",
            )
        )
    missing = [t for t in trainings if t.required and t.status is Standing.MISSING]
    expired = [t for t in trainings if t.required and t.status is Standing.EXPIRED]
    if missing or expired:
        parts = []
        if missing:
            parts.append(
                "missing "
                + ", ".join(
                    f"{t.code} ({t.title_en})" if t.defined else f"{t.code} (not defined yet)"
                    for t in missing
                )
            )
        if expired:
            parts.append(
                "expired " + ", ".join(f"{t.code} (on {t.expires_at:%Y-%m-%d})" for t in expired)
            )
        undefined = "" if all(t.defined for t in missing) else UNDEFINED
        reasons.append(
            EligibilityReason(
                code="training_required",
                modules=[t.code for t in missing + expired],
                message=f"{username} lacks required AI-literacy training: "
                + "; ".join(parts)
                + f": {FIX_TRAINING}.{undefined}",
            )
        )
    return reasons


def eligibility_in(session: Session, user_id: int, at: datetime, warn_days: int) -> Eligibility:
    """May ``user_id`` hold gateway keys at ``at``? Every failing reason is listed."""
    user = get_user(session, user_id)
    person = Person.of(user)
    charter = status_in(session, user_id, at)
    catalogue = Catalogue.load(session, rules_of(session, charter.in_force_id))
    trainings = _standings(session, person, catalogue, at, warn_days)
    reasons = _reasons(user.username, user.is_active, charter, trainings)
    return Eligibility(
        user_id=user_id,
        at=at,
        allowed=not reasons,
        reasons=reasons,
        charter=charter,
        trainings=trainings,
    )


def trainings_in(session: Session, user_id: int, at: datetime, warn_days: int) -> MyTrainings:
    eligibility = eligibility_in(session, user_id, at, warn_days)
    required = [t for t in eligibility.trainings if t.required]
    return MyTrainings(
        user_id=user_id,
        username=get_user(session, user_id).username,
        at=at,
        trainings=eligibility.trainings,
        missing_required=[t.code for t in required if t.status is Standing.MISSING],
        expired_required=[t.code for t in required if t.status is Standing.EXPIRED],
        expiring_required=[t.code for t in required if t.status is Standing.EXPIRING],
        eligibility=eligibility,
    )
