"""The inventory: models and vendors with their contracts, certifications, promised SLA beside
the SLA the gateway measured, maximum data class, and status changes (approve, suspend,
retire with a reason, for those who decide)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.gateway.sla import report
from gouvernail.identity.principal import Principal
from gouvernail.inventory.values import ModelStatus
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.registry import history
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Reader = Annotated[Principal, Depends(PageRequire("inventory", "read"))]
Decider = Annotated[Principal, Depends(PageRequire("inventory", "decide"))]
SLA_DAYS = 30


def _inventory_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    models = runtime.inventory.list_models()
    measured = {row.model: row for row in report(runtime.database, models, SLA_DAYS).models}
    return render(
        request,
        "inventory.html",
        {
            "title": _("Inventory"),
            "models": models,
            "measured": measured,
            "sla_days": SLA_DAYS,
            "vendors": runtime.inventory.list_vendors(),
            "statuses": [s.value for s in ModelStatus],
            "errors": errors or {},
            "notice": notice,
        },
        principal=principal,
        status=status,
    )


@router.get("/inventory")
def inventory(request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    done = request.query_params.get("done", "")
    known = {model.name for model in runtime.inventory.list_models()}
    notice = _("Status of %(model)s changed.", model=done) if done in known else None
    return _inventory_page(request, runtime, principal, notice=notice)


@router.get("/inventory/models/{name}")
def model_page(name: str, request: Request, principal: Reader, runtime: Rt) -> HTMLResponse:
    """One model: everything the inventory holds, and its audited changes."""
    model = runtime.inventory.get_model(name)
    return render(
        request,
        "inventory_model.html",
        {
            "title": model.name,
            "model": model,
            "vendor": runtime.inventory.get_vendor(model.vendor),
            "history": history.of(runtime.database, "model", model.name),
        },
        principal=principal,
    )


@router.post("/inventory/models/{name}/status")
def change_status(
    name: str, request: Request, principal: Decider, runtime: Rt, form: Form
) -> Response:
    target = text_of(form, "status", 20)
    reason = text_of(form, "reason", 2000)
    version = text_of(form, "version", 10)
    errors: dict[str, str] = {}
    if target not in {s.value for s in ModelStatus}:
        errors[f"status-{name}"] = _("Choose a status.")
    if not reason:
        errors[f"reason-{name}"] = _("Say why: the reason is kept in the audit trail.")
    if errors or not version.isdigit():
        return _inventory_page(request, runtime, principal, errors=errors, status=422)
    try:
        runtime.inventory.set_status(
            audit_context(request, principal),
            name,
            ModelStatus(target),
            reason=reason,
            version=int(version),
        )
    except GouvernailError as error:
        message = error.message
        if error.details:
            message += " " + "; ".join(str(d.get("message", d)) for d in error.details)
        return _inventory_page(
            request, runtime, principal, errors={f"reason-{name}": message}, status=error.status
        )
    return RedirectResponse(f"/inventory?done={name}", 303)
