"""Signing an approval stage of a use case from a page (the committee's agenda or the use
case's approvals tab): the form read and checked, then the same electronic signature as
``POST /api/v1/use-cases/{id}/approvals`` (password asked again, bound to the revision
reviewed), once per form."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import FormData

from gouvernail.api.deps import request_id
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal import once
from gouvernail.portal.forms import text_of
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import LABELS
from gouvernail.registry.schemas import ApprovalIn
from gouvernail.runtime import Runtime

PASSWORD_LIMIT = 1024


@dataclass
class Signing:
    """What the form holds, what to fix in it, and where to go once it is signed."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    status: int = 422
    location: str | None = None


def read(form: FormData) -> tuple[Signing, ApprovalIn | None]:
    """The form's values and the decision to sign, or the message of each wrong field."""
    values = {
        "stage": text_of(form, "stage", 100),
        "decision": text_of(form, "decision", 10),
        "comment": text_of(form, "comment", 5000),
        "revision": text_of(form, "revision", 10),
    }
    signing = Signing(values)
    if values["decision"] not in LABELS["approval"]:
        signing.errors["decision"] = _("Choose whether you approve or reject.")
    if not values["stage"] or not values["revision"].isdigit():
        signing.errors["__all__"] = _("The form is incomplete: reload the page.")
    if not password_of(form):
        signing.errors["password"] = _("Enter your password to sign.")
    if signing.errors:
        return signing, None
    return signing, ApprovalIn(
        stage=values["stage"],
        decision=values["decision"],
        comment=values["comment"],
        password=password_of(form),
        revision=int(values["revision"]),
    )


def sign(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    use_case_id: int,
    form: FormData,
    *,
    done: str,
) -> Signing:
    """Sign the decision the form holds; ``location`` is set when it is recorded (``done``,
    or the page the first post of this form went to), ``errors`` otherwise."""
    signing, body = read(form)
    if body is None:
        return signing

    def create() -> str:
        runtime.approvals.decide(principal, use_case_id, body, request_id(request))
        return done

    try:
        signing.location = once.once(
            runtime.database, text_of(form, once.FIELD, 64), principal.user_id, create
        )
    except once.AlreadySubmittedError as repeated:
        signing.location = repeated.location
    except GouvernailError as error:
        if error.status == 404:
            raise
        signing.errors, signing.status = refused(error), error.status
    return signing


def password_of(form: FormData) -> str:
    """The password typed to sign ("" when none)."""
    value = form.get("password")
    return value[:PASSWORD_LIMIT] if isinstance(value, str) else ""


def refused(error: GouvernailError) -> dict[str, str]:
    """A refused signature's message, next to the password when the password is at fault."""
    if error.code == "invalid_credentials" or (
        error.status == 401 and error.code != "reauthentication_required"
    ):
        return {"password": _("Wrong password: nothing was signed.")}
    field_name = "password" if error.field == "password" else "__all__"
    return {field_name: error.message}
