"""Administration of the gateway's detectors and enforcement rules: the YAML an administrator
would put in a file, edited here, validated in full, saved as a new audited version with the
reason, applied at once on this replica and within seconds on the others."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError, NotFoundError
from gouvernail.gateway.policy_documents import KINDS, MAX_TEXT, Kind
from gouvernail.identity.principal import Principal
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.navigation import N_
from gouvernail.portal.templating import render
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("gateway", "read"))]
Editor = Annotated[Principal, Depends(PageRequire("gateway_policy", "edit"))]
TITLES = {"detectors": N_("Detectors"), "rules": N_("Enforcement rules")}


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise NotFoundError(_("There is no such policy document."))
    return kind


def _page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    kind: Kind,
    *,
    text: str | None = None,
    reason: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    documents = runtime.policy_documents
    return render(
        request,
        "admin/policy.html",
        {
            "title": _(TITLES[kind]),
            "kind": kind,
            "kinds": {k: _(TITLES[k]) for k in KINDS},
            "text": documents.current_text(kind) if text is None else text,
            "reason": reason,
            "versions": documents.versions(kind),
            "errors": errors or {},
            "notice": notice,
            "max_text": MAX_TEXT,
        },
        principal=principal,
        status=status,
    )


@router.get("/admin/policy/{kind}")
def policy_page(kind: str, request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    done = request.query_params.get("saved", "")
    notice = _("Version %(version)s saved and applied.", version=done) if done.isdigit() else None
    return _page(request, runtime, principal, _kind(kind), notice=notice)


@router.post("/admin/policy/{kind}")
def save_policy(
    kind: str, request: Request, principal: Editor, runtime: Rt, form: Form
) -> Response:
    which: Literal["detectors", "rules"] = _kind(kind)
    text = text_of(form, "text", MAX_TEXT + 1)
    raw = form.get("text")
    if isinstance(raw, str):  # keep the administrator's own spacing, not a stripped copy
        text = raw[: MAX_TEXT + 1]
    reason = text_of(form, "reason", 2000)
    try:
        number = runtime.policy_documents.save(
            audit_context(request, principal), which, text, reason, principal.user_id
        )
    except GouvernailError as error:
        field = error.field if error.field in ("text", "reason") else "text"
        return _page(
            request,
            runtime,
            principal,
            which,
            text=text,
            reason=reason,
            errors={field: error.message},
            status=422,
        )
    runtime.gateway.apply_policy(runtime.policy_documents)
    return RedirectResponse(f"/admin/policy/{which}?saved={number}", 303)
