"""Insight over HTTP: sources (data owners, AI referents, administrators), their sync and
status, and questions answered from the documents the asker may read.

A chat tool reaches the same answers through the gateway with the model name
``insight:<source>`` (``api/gateway.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gouvernail.api.deps import Require, Rt, audit_context
from gouvernail.identity.principal import Principal
from gouvernail.insight.quality import QualityView
from gouvernail.insight.schemas import AskIn, AskView, SourceIn, SourceView, SyncView

router = APIRouter(prefix="/api/v1/insight", tags=["insight"])

Asker = Annotated[Principal, Depends(Require("insight", "ask"))]
Reader = Annotated[Principal, Depends(Require("insight_sources", "read"))]
Manager = Annotated[Principal, Depends(Require("insight_sources", "manage"))]


@router.post("/sources", status_code=201, response_model=SourceView)
def create_source(body: SourceIn, request: Request, principal: Manager, runtime: Rt) -> SourceView:
    """Register a folder or a SharePoint library; nothing is read until its first sync."""
    return runtime.insight.create(audit_context(request, principal), body)


@router.get("/sources", response_model=list[SourceView])
def list_sources(principal: Reader, runtime: Rt) -> list[SourceView]:
    """Every source with its documents by status and its last sync."""
    return runtime.insight.all()


@router.get("/sources/{slug}", response_model=SourceView)
def get_source(slug: str, principal: Reader, runtime: Rt) -> SourceView:
    return runtime.insight.get(slug)


@router.get("/sources/{slug}/quality", response_model=QualityView)
def source_quality(slug: str, principal: Reader, runtime: Rt) -> QualityView:
    """Recency, completeness, duplicates and unresolved permissions of a source's documents,
    with the 1-5 scores they give the use case's qualification."""
    return runtime.insight.quality(slug)


@router.delete("/sources/{slug}", status_code=204)
def delete_source(slug: str, request: Request, principal: Manager, runtime: Rt) -> Response:
    """Delete a source and its index (the documents in the store are untouched)."""
    runtime.insight.delete(audit_context(request, principal), slug)
    return Response(status_code=204)


@router.post("/sources/{slug}/sync", response_model=SyncView)
async def sync_source(slug: str, request: Request, principal: Manager, runtime: Rt) -> SyncView:
    """Bring the index up to date with the store (what changed only); resumes a sync that
    crashed. 409 while another sync of the source runs."""
    return await runtime.insight.sync(audit_context(request, principal), slug)


@router.post("/ask", response_model=AskView)
async def ask(body: AskIn, request: Request, principal: Asker, runtime: Rt) -> AskView:
    """Answer from the passages of ``sources`` the caller may read, with numbered citations;
    abstain when they do not hold the answer; give the ranked passages when AI is off."""
    return await runtime.insight.ask(
        audit_context(request, principal), body, user_id=principal.user_id
    )
