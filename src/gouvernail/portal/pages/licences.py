"""Licences, a tab of the observatory: for each AI tool bought per seat, the seats bought,
assigned and active over the last 30, 60 and 90 days (vendor exports, gateway calls and outside
activity), the cost per active user, the seats to reclaim and what reclaiming them would save,
and how many messages sent to the tool outside the gateway carried data above what the charter
lets it receive.

Every figure is ``runtime.licences.report`` at today's date. Who holds which seat, and who sent
what, is personal data: the people to reclaim are listed only for ``licences: read_people``,
the charter findings per person only for ``licences: read_findings``; others see the counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gouvernail.api.deps import Rt
from gouvernail.identity.principal import Principal
from gouvernail.portal.guards import PageRequireAny, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import LICENCES_TAB
from gouvernail.portal.templating import render

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequireAny(*LICENCES_TAB.rights))]


@router.get(LICENCES_TAB.href)
def licences(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    policy = runtime.policy
    people = policy.decide(principal.roles, "licences", "read_people").allowed
    findings = policy.decide(principal.roles, "licences", "read_findings").allowed
    report = runtime.licences.report(people_visible=people)
    return render(
        request,
        "licences.html",
        {
            "title": _("Licences"),
            "report": report,
            "names": {tool.slug: tool.name for tool in report.tools},
            "findings": runtime.licences.findings() if findings else None,
        },
        principal=principal,
    )
