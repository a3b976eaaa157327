"""The catalogue: every use case with its status, AI Act tier, department, priority score and
requester; filters, sorting and text search in a GET form (bookmarkable, works without
JavaScript; with htmx only the results are replaced), and the same selection as CSV or XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from gouvernail.api.deps import Rt
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal.guards import PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.labels import LABELS
from gouvernail.portal.templating import render
from gouvernail.registry import catalogue
from gouvernail.registry.models import Status

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("use_cases", "read"))]

STATUSES = tuple(s.value for s in Status)
TIERS = tuple(LABELS["tier"])
FLAGS = tuple(LABELS["flag"])
SORTS = tuple(s.value for s in catalogue.Sort)


@dataclass(frozen=True)
class Selection:
    """What the filter form asked for, with unknown values left out."""

    filters: catalogue.Filters
    sort: catalogue.Sort
    values: dict[str, str]  # for the form: the value chosen per field ("" for any)

    @property
    def query(self) -> str:
        """The selection as a query string (for the export links)."""
        return urlencode([(name, value) for name, value in self.values.items() if value])


def _one(params: QueryParams, name: str, allowed: tuple[str, ...] | None, limit: int = 64) -> str:
    value = params.get(name, "").strip()[:limit]
    return value if allowed is None or value in allowed else ""


def selection(params: QueryParams) -> Selection:
    values = {
        "status": _one(params, "status", STATUSES),
        "tier": _one(params, "tier", TIERS),
        "department": _one(params, "department", None),
        "flag": _one(params, "flag", FLAGS),
        "q": _one(params, "q", None, 500),
        "sort": _one(params, "sort", SORTS) or catalogue.Sort.PRIORITY.value,
    }
    filters = catalogue.Filters(
        status=[values["status"]] if values["status"] else [],
        tier=[values["tier"]] if values["tier"] else [],
        department=values["department"] or None,
        flag=values["flag"] or None,
        q=values["q"] or None,
    )
    return Selection(filters, catalogue.Sort(values["sort"]), values)


@router.get("/catalogue")
def catalogue_page(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    chosen = selection(request.query_params)
    rows = catalogue.search(runtime.use_cases, chosen.filters, chosen.sort)
    teams = runtime.directory.list_teams()
    return render(
        request,
        "catalogue.html",
        {
            "title": _("Catalogue of use cases"),
            "rows": rows,
            "chosen": chosen,
            "statuses": STATUSES,
            "tiers": TIERS,
            "flags": FLAGS,
            "teams": teams,
            "team_names": {team.slug: team.name for team in teams},
        },
        principal=principal,
    )


@router.get("/catalogue/export")
def export_catalogue(request: Request, principal: Reader, runtime: Rt) -> Response:
    """The selection shown on the page (same filters, search and order) as CSV or XLSX."""
    try:
        fmt = catalogue.ExportFormat(request.query_params.get("format", "csv"))
    except ValueError:
        raise GouvernailError(_("Choose an export format: CSV or XLSX."), field="format") from None
    chosen = selection(request.query_params)
    rows = catalogue.search(runtime.use_cases, chosen.filters, chosen.sort)
    body, media_type = catalogue.export(rows, fmt)
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="use-cases.{fmt.value}"',
            "Cache-Control": "no-store",
        },
    )
