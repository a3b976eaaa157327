"""A use case: everything the registry knows about it, on server-rendered tabs (links, the
active one marked ``aria-current``), and the actions the user's rights allow: signing an
approval stage (re-authenticated by password) and the use case's kill switch (confirmed, with a
reason). The tabs and what each reads are in ``use_case_tabs.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.gateway.governance import SwitchIn
from gouvernail.gateway.models import SwitchScope
from gouvernail.identity.principal import Principal
from gouvernail.portal import approvals, once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import N_
from gouvernail.portal.pages.use_case_tabs import TABS, tab_named
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("use_cases", "read"))]
Approver = Annotated[Principal, Depends(PageRequire("use_cases", "approve"))]
Operator = Annotated[Principal, Depends(PageRequire("kill_switches", "operate"))]

DONE = {
    "joined": N_("You joined this use case."),
    "signed": N_("Your decision is signed and recorded."),
    "engaged": N_("AI is switched off for this use case."),
    "released": N_("AI is switched back on for this use case."),
}
DECISIONS = ("approve", "reject")
MIN_REASON = 3


def _page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    use_case_id: int,
    key: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """One tab of the use case (404 for an unknown use case or tab, 403 for a tab the user
    may not open)."""
    tab = tab_named(key)
    use_case = runtime.use_cases.get(use_case_id)
    member = runtime.use_cases.is_member(use_case_id, principal.user_id)
    tab.guard(runtime, request, principal, member)
    done = request.query_params.get("done", "")
    return render(
        request,
        tab.template,
        {
            "title": f"{use_case.reference} — {use_case.title}",
            "use_case": use_case,
            "tab": tab,
            "tabs": [t for t in TABS if t.open_to(runtime, principal, member)],
            "member": member,
            "errors": errors or {},
            "values": values or {},
            "notice": _(DONE[done]) if done in DONE else None,
            "form_id": once.new_form_id(),
            **tab.load(runtime, use_case),
        },
        principal=principal,
        status=status,
    )


@router.get("/use-cases/{use_case_id}")
def use_case_page(
    use_case_id: int, request: Request, principal: Reader, runtime: Rt
) -> HTMLResponse:
    return _page(request, runtime, principal, use_case_id, "summary")


@router.get("/use-cases/{use_case_id}/{tab}")
def use_case_tab(
    use_case_id: int, tab: str, request: Request, principal: Reader, runtime: Rt
) -> HTMLResponse:
    return _page(request, runtime, principal, use_case_id, tab)


@router.post("/use-cases/{use_case_id}/approvals")
def sign_approval(
    use_case_id: int, request: Request, principal: Approver, runtime: Rt, form: Form
) -> Response:
    """Approve or reject the next stage: the same electronic signature as
    ``POST /api/v1/use-cases/{id}/approvals`` (password, bound to the revision reviewed)."""
    done = f"/use-cases/{use_case_id}/approvals?done=signed"
    signing = approvals.sign(runtime, request, principal, use_case_id, form, done=done)
    if signing.location is not None:
        return RedirectResponse(signing.location, 303)
    return _page(
        request,
        runtime,
        principal,
        use_case_id,
        "approvals",
        errors=signing.errors,
        values=signing.values,
        status=signing.status,
    )


@router.post("/use-cases/{use_case_id}/kill-switch")
def flip_kill_switch(
    use_case_id: int, request: Request, principal: Operator, runtime: Rt, form: Form
) -> Response:
    """Switch AI off (or back on) for this use case, confirmed and with a reason: the gateway
    refuses its calls with the reason and the fallback procedure; the service audits it."""
    wanted = text_of(form, "engaged", 5)
    engage = wanted == "yes"
    values = {"reason": text_of(form, "reason", 2000)}
    errors: dict[str, str] = {}
    if wanted not in ("yes", "no"):
        errors["__all__"] = _("The form is incomplete: reload the page.")
    if form.get("confirm") != "yes":
        errors["confirm"] = _("Tick the box to confirm that you mean it.")
    if len(values["reason"]) < MIN_REASON:
        errors["reason"] = _("Say why: the reason is recorded and shown to the callers.")
    if errors:
        return _page(
            request,
            runtime,
            principal,
            use_case_id,
            "kill-switch",
            errors=errors,
            values=values,
            status=422,
        )
    try:
        runtime.governance.set_switch(
            audit_context(request, principal),
            principal.user_id,
            SwitchScope.USE_CASE,
            use_case_id,
            SwitchIn(engaged=engage, reason=values["reason"]),
        )
    except GouvernailError as error:
        return _page(
            request,
            runtime,
            principal,
            use_case_id,
            "kill-switch",
            errors={"__all__": error.message},
            values=values,
            status=error.status,
        )
    done = "engaged" if engage else "released"
    return RedirectResponse(f"/use-cases/{use_case_id}/kill-switch?done={done}", 303)
