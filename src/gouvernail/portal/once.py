"""A form that creates something carries a random ``form_id``; the first post claims it, a
repeated post (double click, reload, network retry) is sent to what the first one created
instead of creating it again. A post that fails releases its claim, so that the corrected
form can be sent again."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData

from gouvernail.db.base import utcnow
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.portal.forms import text_of
from gouvernail.portal.i18n import _
from gouvernail.portal.models import FormSubmission

FIELD = "form_id"
KEEP = timedelta(days=2)


def new_form_id() -> str:
    return secrets.token_urlsafe(18)


class AlreadySubmittedError(Exception):
    """This form was already submitted; ``location`` shows what it created."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def once(database: Database, form_id: str, user_id: int, create: Callable[[], str]) -> str:
    """Run ``create`` (which returns the created record's page) unless this form already ran:
    then raise ``AlreadySubmittedError`` with that page."""
    if not form_id or len(form_id) > 64:
        raise GouvernailError(_("The form is incomplete: reload the page."), field=FIELD)
    try:
        with database.write() as session:
            session.add(FormSubmission(form_id=form_id, user_id=user_id))
    except IntegrityError:
        with database.read() as session:
            claimed = session.get(FormSubmission, form_id)
        if claimed is not None and claimed.location and claimed.user_id == user_id:
            raise AlreadySubmittedError(claimed.location) from None
        raise ConflictError(
            _("This form was already sent and is being processed; reload the page."),
            code="form_already_submitted",
        ) from None
    try:
        location = create()
    except BaseException:
        with database.write() as session:
            session.execute(delete(FormSubmission).where(FormSubmission.form_id == form_id))
        raise
    with database.write() as session:
        session.execute(
            update(FormSubmission)
            .where(FormSubmission.form_id == form_id)
            .values(location=location[:300])
        )
        session.execute(delete(FormSubmission).where(FormSubmission.claimed_at < utcnow() - KEEP))
    return location


def submit(
    database: Database,
    form: FormData,
    user_id: int,
    create: Callable[[], str],
    refused: Callable[[GouvernailError], Response],
) -> str | Response:
    """A page's create action, once per form: the created record's page (``create``'s
    answer); or the redirect to what a first post of this form made; or ``refused(error)``,
    the form shown again, when the service refuses."""
    try:
        return once(database, text_of(form, FIELD, 64), user_id, create)
    except AlreadySubmittedError as repeated:
        return RedirectResponse(repeated.location, 303)
    except GouvernailError as error:
        if error.status == 404:
            raise
        return refused(error)
