"""Shadow AI, a page of the observatory: the AI services people use outside the gateway, found
in the web-proxy logs imported (``runtime.shadow``), over the last 7, 30 or 90 days, for every
department or one. The findings first (direct calls to model APIs, which bypass the gateway;
large uploads to unsanctioned services), then by service with its severity, by department and
by person, the requests per day, and the latest imports with their malformed lines. Security
and AI referents sanction a service, or withdraw its sanction, from its row, with a reason.

Who visited which service is personal data: the page needs ``shadow: read`` (security and AI
referents, auditors, administrators), sanctioning ``shadow: manage``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, QueryParams

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.observatory.shadow.schemas import Finding, Report, ServicePatch
from gouvernail.portal import once
from gouvernail.portal.charts import Series
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _, format_number
from gouvernail.portal.navigation import N_
from gouvernail.portal.pages.observatory import PERIODS
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("shadow", "read"))]
Curator = Annotated[Principal, Depends(PageRequire("shadow", "manage"))]

PATH = "/observatory/shadow-ai"
DEFAULT_DAYS = 90
LATEST_IMPORTS = 10
REASON_MIN = 3  # as the service asks (``ServicePatch.reason``)
UNITS = ((2**30, N_("%(size)s GB")), (2**20, N_("%(size)s MB")), (2**10, N_("%(size)s KB")))


@dataclass(frozen=True)
class Chosen:
    """What the filter form asked for: the last ``days`` days (UTC, today included) and
    optionally one department, as the report names it."""

    days: int
    since: date
    until: date
    department: str | None


def size(value: int | None) -> str:
    """Bytes as the current language writes them ("unknown" when the log format does not
    record them, as Squid's native log does not record uploads)."""
    if value is None:
        return _("unknown")
    for unit, text in UNITS:
        if value >= unit:
            return _(text, size=format_number(value / unit, 1))
    return _("%(size)s bytes", size=format_number(value, 0))


def explain(finding: Finding, names: Mapping[str, str], alert_mb: int) -> str:
    """Why the finding matters, in the current language (the report words it in English)."""
    who = finding.identity or _("an unidentified client")
    service = names.get(finding.service, finding.service)
    if finding.kind == "direct_api":
        return _(
            "Calls from %(who)s straight to %(service)s: %(count)s. They bypass the gateway "
            "(no charter, inspection, budget or audit).",
            who=who,
            service=service,
            count=format_number(finding.requests, 0),
        )
    if finding.kind == "large_upload":
        return _(
            "%(who)s sent %(size)s to %(service)s, which is not sanctioned (alert above "
            "%(limit)s MB).",
            who=who,
            size=size(finding.bytes_up),
            service=service,
            limit=format_number(alert_mb, 0),
        )
    return finding.explanation


def _series(chosen: Chosen, report: Report) -> list[Series]:
    """Requests per day over the whole period (days without requests included)."""
    by_day = {day.day: day.requests for day in report.days}
    points = []
    current = chosen.since
    while current <= chosen.until:
        points.append((current.isoformat()[5:], float(by_day.get(current, 0))))
        current += timedelta(days=1)
    return [Series(_("requests"), points)]


def _chosen(runtime: Runtime, source: QueryParams | FormData) -> tuple[Chosen, Report, list[str]]:
    """The period and department asked for (unknown values fall back to the defaults), the
    report over them, and the departments seen in the period (the filter's choices)."""
    raw = text_of(source, "days", 4)
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_DAYS
    until = datetime.now(UTC).date()
    since = until - timedelta(days=days - 1)
    everyone = runtime.shadow.report(since, until)
    named = sorted({row.department for row in everyone.departments if row.department})
    wanted = text_of(source, "department", 200)
    department = wanted if wanted in named else None
    report = runtime.shadow.report(since, until, department) if department else everyone
    return Chosen(days, since, until, department), report, named


def _page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    source: QueryParams | FormData,
    *,
    errors: dict[str, str] | None = None,
    failed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    chosen, report, departments = _chosen(runtime, source)
    catalogue = {service.slug: service for service in runtime.shadow.services()}
    names = {slug: service.name for slug, service in catalogue.items()}
    failed = failed or {}
    done = text_of(request.query_params, "done", 80)
    notice = None
    if done in catalogue and not errors:
        service = catalogue[done]
        notice = (
            _("%(service)s is now sanctioned.", service=service.name)
            if service.sanctioned
            else _("%(service)s is no longer sanctioned.", service=service.name)
        )
    alert_mb = runtime.settings.shadow.upload_alert_mb
    return render(
        request,
        "shadow.html",
        {
            "title": _("Shadow AI"),
            "chosen": chosen,
            "report": report,
            "periods": [(days, _("last %(days)s days", days=days)) for days in PERIODS],
            "department_options": [("", _("every department"))]
            + [(name, name) for name in departments],
            "catalogue": catalogue,
            "names": names,
            "findings": [
                (finding, explain(finding, names, alert_mb)) for finding in report.findings
            ],
            "series": _series(chosen, report),
            "imports": runtime.shadow.imports(LATEST_IMPORTS),
            "size": size,
            "form_ids": {
                s.slug: failed["form_id"] if failed.get("slug") == s.slug else once.new_form_id()
                for s in report.services
            },
            "failed": failed,
            "errors": errors or {},
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get(PATH)
def shadow_ai(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    return _page(request, runtime, principal, request.query_params)


def _refusal(error: GouvernailError, name: str) -> str:
    """A refused change in the user's language when it is a known case, else as the service
    words it."""
    if error.status == 409 and error.field == "version":
        return _(
            "Someone changed %(service)s since this page was shown, so it was not changed. "
            "The page now shows it as it is: send the form again if you still want to.",
            service=name,
        )
    return error.message


@router.post(PATH + "/services/{slug}/sanction")
def sanction(slug: str, request: Request, principal: Curator, runtime: Rt, form: Form) -> Response:
    """Sanction a service, or withdraw its sanction, with the version shown and a reason (kept
    in the audit trail); back to the page with the same period and department."""
    reason = text_of(form, "reason", 2000)
    version = text_of(form, "version", 10)
    target = text_of(form, "sanctioned", 5)
    field = f"reason-{slug}"
    failed = {"slug": slug, "reason": reason, "form_id": text_of(form, once.FIELD, 64)}
    error = None
    if target not in ("true", "false") or not version.isdigit():
        error = _("The form is incomplete: reload the page.")
    elif len(reason) < REASON_MIN:
        error = _("Say why: the reason is kept in the audit trail.")
    if error:
        return _page(
            request, runtime, principal, form, errors={field: error}, failed=failed, status=422
        )
    name = runtime.shadow.service(slug).name  # 404 for a service the catalogue does not have
    back = {"days": text_of(form, "days", 4), "department": text_of(form, "department", 200)}
    back = {key: value for key, value in back.items() if value} | {"done": slug}

    def change() -> str:
        runtime.shadow.change(
            audit_context(request, principal),
            slug,
            ServicePatch(version=int(version), reason=reason, sanctioned=target == "true"),
        )
        return f"{PATH}?{urlencode(back)}#services-h"

    def refused(error: GouvernailError) -> Response:
        return _page(
            request,
            runtime,
            principal,
            form,
            errors={field: _refusal(error, name)},
            failed=failed,
            status=error.status,
        )

    done = once.submit(runtime.database, form, principal.user_id, change, refused)
    return done if isinstance(done, Response) else RedirectResponse(done, 303)
