"""Documentation packs as downloads: a use case's technical documentation (EU AI Act Annex IV
outline) and the platform's validation pack, as Markdown or PDF. Every download is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.docpack import Format, Rendered
from gouvernail.identity.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["documentation"])

FormatQuery = Annotated[Format, Query(alias="format", description="md (Markdown, default) or pdf.")]
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/markdown": {}, "application/pdf": {}},
        "description": "The document; X-Content-SHA256 is the content hash its cover shows.",
    }
}


def _download(rendered: Rendered) -> Response:
    return Response(
        rendered.body,
        media_type=rendered.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{rendered.filename}"',
            "X-Content-SHA256": rendered.content_hash,
        },
    )


@router.get("/use-cases/{use_case_id}/documentation", responses=DOWNLOAD)
def use_case_documentation(
    use_case_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(Require("use_cases", "read"))],
    runtime: Rt,
    fmt: FormatQuery = Format.MD,
) -> Response:
    """The documentation pack of a use case: cover with content hash, the nine Annex IV
    headings filled from the registry (gaps shown as *not recorded*), qualification,
    committee, approvals with the full signature manifestations, audit history."""
    context = audit_context(request, principal)
    return _download(runtime.documentation.use_case(context, use_case_id, fmt))


@router.get("/validation-pack", responses=DOWNLOAD)
def validation_pack(
    request: Request,
    principal: Annotated[Principal, Depends(Require("validation", "read"))],
    runtime: Rt,
    fmt: FormatQuery = Format.MD,
) -> Response:
    """The platform's validation pack: each requirement, its source, criticality and tests,
    with their results from the JUnit report of the installed version (setting
    ``validation_junit_file``); says so clearly when there is no test evidence."""
    context = audit_context(request, principal)
    return _download(runtime.documentation.validation_pack(context, fmt))
