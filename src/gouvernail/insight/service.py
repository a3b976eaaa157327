"""Insight: sources, their sync, and questions answered from what the asker may read."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.engine import Database
from gouvernail.errors import ConflictError, GouvernailError, NotFoundError
from gouvernail.gateway.errors import GatewayError
from gouvernail.gateway.through import Caller, Through
from gouvernail.identity.models import User
from gouvernail.insight.access import parse_readers, principals_of
from gouvernail.insight.answers import abstained, check_citations, prompt
from gouvernail.insight.connectors import Connector
from gouvernail.insight.events import QuestionAnswered, SourceCreated, SourceDeleted, SourceSynced
from gouvernail.insight.folder import FolderConnector
from gouvernail.insight.models import InsightChunk, InsightDocument, InsightSource
from gouvernail.insight.parsing import ParseLimits, Parser
from gouvernail.insight.qualification import feed
from gouvernail.insight.quality import QualityView, quality
from gouvernail.insight.retrieval import Passage, Ranked, rank
from gouvernail.insight.schemas import (
    AskIn,
    AskView,
    CitationView,
    PassageView,
    SourceIn,
    SourceView,
    SyncView,
    WithheldView,
)
from gouvernail.insight.store import Store
from gouvernail.insight.sync import Progress, Syncer
from gouvernail.registry.models import UseCase
from gouvernail.search import Language
from gouvernail.settings import Settings

if TYPE_CHECKING:
    from gouvernail.charter.service import Charters
    from gouvernail.gateway.pipeline import Gateway
    from gouvernail.inspection import Inspector
    from gouvernail.registry.service import UseCases


class Insight:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        settings: Settings,
        *,
        gateway: Callable[[], Gateway],
        inspector: Callable[[], Inspector | None],
        charters: Charters,
        use_cases: UseCases,
    ) -> None:
        self.database = database
        self.trail = trail
        self.settings = settings
        self.charters = charters
        self.use_cases = use_cases
        self.store = Store(database.dialect)
        self.through = Through(gateway)
        self._parser: Parser | None = None
        self.syncer = Syncer(
            database, self.store, self.parser, self.through, inspector, settings.insight
        )

    def parser(self) -> Parser:
        if self._parser is None:
            limits = ParseLimits(
                max_bytes=self.settings.insight.max_document_bytes,
                timeout_seconds=self.settings.insight.parse_timeout_seconds,
            )
            self._parser = Parser(limits, workers=self.settings.insight.parse_workers)
        return self._parser

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()

    # --- sources ------------------------------------------------------------------------------

    def create(self, context: AuditContext, body: SourceIn) -> SourceView:
        try:
            parse_readers(body.readers)
        except ValueError as error:
            raise GouvernailError(str(error), field="readers") from None
        if body.kind == "sharepoint" and body.sharepoint is None:
            raise GouvernailError(
                "a SharePoint source needs its sharepoint options (tenant, client, secret)",
                field="sharepoint",
            )
        bundle = body.sharepoint.ca_bundle if body.sharepoint else None
        if bundle and not Path(bundle).is_file():
            raise GouvernailError(f"no file {bundle}", field="sharepoint.ca_bundle")
        if body.kind == "folder" and not Path(body.location).is_dir():
            raise GouvernailError(
                f"{body.location} is not a directory this server can read", field="location"
            )
        active = self.charters.active()
        classes = [c.name for c in active.rules.data_classes] if active else []
        if classes and body.data_class not in classes:
            raise GouvernailError(
                f"unknown data class {body.data_class!r}: one of {', '.join(classes)}",
                field="data_class",
            )

        def work(tx: Tx) -> SourceView:
            session = tx.session
            if session.scalar(select(InsightSource.id).where(InsightSource.slug == body.slug)):
                raise ConflictError(f"a source {body.slug!r} exists already", field="slug")
            if session.get(UseCase, body.use_case_id) is None:
                raise GouvernailError(f"no use case {body.use_case_id}", field="use_case_id")
            owner = session.scalar(select(User).where(User.username == body.owner))
            if owner is None or not owner.is_active:
                raise GouvernailError(f"no active user {body.owner!r}", field="owner")
            options = body.sharepoint.model_dump() if body.sharepoint else {}
            source = InsightSource(
                slug=body.slug,
                name=body.name,
                kind=body.kind,
                location=body.location,
                options=orjson.dumps(options).decode(),
                use_case_id=body.use_case_id,
                owner_id=owner.id,
                data_class=body.data_class,
                language=body.language,
                readers=orjson.dumps(body.readers).decode(),
                embedding_model=body.embedding_model,
                answer_model=body.answer_model,
                created_by=int(tx.context.actor.id) if tx.context.actor.id.isdigit() else None,
            )
            session.add(source)
            session.flush()
            tx.emit(
                SourceCreated(
                    object_id=body.slug,
                    new=body.model_dump(mode="json", exclude={"sharepoint"})
                    | {"sharepoint": options},
                )
            )
            return self._view(session, source)

        return self.trail.run(context, work)

    def all(self) -> list[SourceView]:
        with self.database.read() as session:
            sources = session.scalars(select(InsightSource).order_by(InsightSource.slug)).all()
            return [self._view(session, s) for s in sources]

    def quality(self, slug: str) -> QualityView:
        with self.database.read() as session:
            return quality(session, self._source(session, slug))

    def get(self, slug: str) -> SourceView:
        with self.database.read() as session:
            return self._view(session, self._source(session, slug))

    def delete(self, context: AuditContext, slug: str) -> None:
        def work(tx: Tx) -> None:
            source = self._source(tx.session, slug)
            if source.sync_state == "running":
                raise ConflictError(f"a sync of {slug} is running: wait for it to end")
            documents = tx.session.scalars(
                select(InsightDocument).where(InsightDocument.source_id == source.id)
            ).all()
            for document in documents:
                self.store.clear(tx.session, source, document)
                tx.session.delete(document)
            self.store.vectors.drop(tx.session, source.id)
            tx.session.delete(source)
            tx.emit(SourceDeleted(object_id=slug, old={"documents": len(documents)}))

        self.trail.run(context, work)

    @staticmethod
    def _source(session: Session, slug: str) -> InsightSource:
        source = session.scalar(select(InsightSource).where(InsightSource.slug == slug))
        if source is None:
            raise NotFoundError(f"no insight source {slug!r}")
        return source

    def _view(self, session: Session, source: InsightSource) -> SourceView:
        counts = dict(
            session.execute(
                select(InsightDocument.status, func.count())
                .where(InsightDocument.source_id == source.id)
                .group_by(InsightDocument.status)
            ).all()
        )
        chunks = session.scalar(select(func.count()).where(InsightChunk.source_id == source.id))
        owner = session.get(User, source.owner_id)
        return SourceView(
            slug=source.slug,
            name=source.name,
            kind=source.kind,
            location=source.location,
            use_case_id=source.use_case_id,
            owner=owner.username if owner else "",
            data_class=source.data_class,
            language=source.language,
            readers=orjson.loads(source.readers),
            embedding_model=source.embedding_model,
            answer_model=source.answer_model,
            sync_state=source.sync_state,
            synced_at=source.synced_at,
            last_error=source.last_error,
            documents=counts,
            chunks=chunks or 0,
        )

    # --- sync -----------------------------------------------------------------------------------

    def connector(self, slug: str) -> Connector:
        with self.database.read() as session:
            source = self._source(session, slug)
            kind, location = source.kind, source.location
            readers = parse_readers(orjson.loads(source.readers))
            options = orjson.loads(source.options)
        if kind == "folder":
            return FolderConnector(Path(location), readers)
        from gouvernail.insight.sharepoint import SharePointConnector

        secret = self.settings.provider_secret(options["credential_ref"])
        if secret is None:
            raise GouvernailError(
                f"the client secret named {options['credential_ref']} is not set on this "
                "server (environment variable or gateway.secrets_dir)",
                code="missing_credential",
            )
        return SharePointConnector(
            tenant_id=options["tenant_id"],
            client_id=options["client_id"],
            client_secret=secret.get_secret_value(),
            site=location,
            library=options.get("library"),
            authority_host=options["authority_host"],
            graph_url=options["graph_url"],
            verify=options.get("ca_bundle") or True,
        )

    async def sync(
        self,
        context: AuditContext,
        slug: str,
        *,
        connector: Connector | None = None,
        progress: Progress | None = None,
    ) -> SyncView:
        with self.database.read() as session:
            source_id = self._source(session, slug).id
        used = connector if connector is not None else await asyncio.to_thread(self.connector, slug)
        try:
            report = await self.syncer.run(source_id, used, progress=progress)
        finally:
            used.close()
        view = SyncView(
            source=slug,
            counts={k: v for k, v in report.counts.items() if v},
            problems=report.problems,
            seconds=round(report.seconds, 3),
            error=report.error,
        )
        if not report.error:
            await asyncio.to_thread(self._feed, context, slug)
        await self.trail.arecord(
            context,
            SourceSynced(
                object_id=slug,
                new={"counts": view.counts, "problems": len(view.problems)},
                reason=report.error,
            ),
        )
        return view

    def _feed(self, context: AuditContext, slug: str) -> None:
        with self.database.read() as session:
            source = self._source(session, slug)
            owner = session.get(User, source.owner_id)
            measured = quality(session, source)
        feed(
            self.use_cases,
            context,
            use_case_id=source.use_case_id,
            name=source.name,
            location=source.location,
            owner=owner.username if owner else "",
            data_class=source.data_class,
            quality=measured,
        )

    # --- questions ------------------------------------------------------------------------------

    async def ask(
        self,
        context: AuditContext,
        body: AskIn,
        *,
        user_id: int,
        answer_caller: Caller | None = None,
    ) -> AskView:
        """Answer ``body.question`` from what ``user_id`` may read. The model call is made for
        that user on the sources' use case, unless ``answer_caller`` says otherwise (a chat tool
        calling ``insight:<source>`` with its own key)."""
        sources, principals = await asyncio.to_thread(self._asking, body.sources, user_id)
        request_ids: list[str] = []
        vectors, vector_problem = await self._question_vectors(
            body.question, sources, user_id, context.request_id, request_ids
        )
        limit = body.passages or self.settings.insight.passages
        ranked = await asyncio.to_thread(
            self._rank, body.question, sources, principals, vectors, limit
        )
        given = [
            dataclasses.replace(p, number=i)
            for i, p in enumerate((p for p in ranked.passages if not p.withheld), start=1)
        ]
        withheld = [p for p in ranked.passages if p.withheld]
        result = AskView(
            mode="abstained",
            answer=None,
            reason="",
            passages=[_passage_view(p) for p in given],
            citations=[],
            withheld=[_withheld_view(p) for p in withheld],
            model=None,
            request_ids=request_ids,
        )
        minimum = self.settings.insight.min_similarity
        weak = ranked.best_similarity is not None and ranked.best_similarity < minimum
        if not given or (weak and ranked.fulltext_hits == 0):
            result.reason = "no passage of the documents you may read matches this question"
            result.passages = []
        elif weak:
            result.reason = (
                f"the closest passage is too far from the question (similarity "
                f"{ranked.best_similarity:.2f} < {minimum})"
            )
            result.passages = []
        else:
            await self._answer(
                body.question, sources[0], given, result, answer_caller, user_id, context
            )
        if vector_problem and result.mode != "answer":
            result.reason += f" (vector search unavailable: {vector_problem})"
        await self.trail.arecord(context, _asked(context, body, result))
        return result

    def _asking(
        self, slugs: Sequence[str], user_id: int
    ) -> tuple[list[InsightSource], tuple[str, ...]]:
        with self.database.read() as session:
            sources = [self._source(session, slug) for slug in dict.fromkeys(slugs)]
            if len({s.use_case_id for s in sources}) > 1:
                raise GouvernailError(
                    "these sources serve different use cases: ask them one use case at a time",
                    field="sources",
                )
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                raise GouvernailError("unknown or deactivated user", status=401)
            for source in sources:
                session.expunge(source)
            return sources, principals_of(session, user)

    async def _question_vectors(
        self,
        question: str,
        sources: Sequence[InsightSource],
        user_id: int,
        request_id: str,
        request_ids: list[str],
    ) -> tuple[dict[int, np.ndarray], str]:
        groups: dict[tuple[str, int], list[InsightSource]] = defaultdict(list)
        for source in sources:
            if source.vector_dimensions is not None:
                groups[(source.embedding_model, source.use_case_id)].append(source)
        vectors: dict[int, np.ndarray] = {}
        problem = ""
        for (model, use_case_id), group in groups.items():
            caller = Caller(use_case_id=use_case_id, user_id=user_id, request_id=request_id)
            try:
                matrix = await self.through.embed(
                    [question], model=model, caller=caller, record=request_ids
                )
            except GatewayError as error:
                problem = error.message
                continue
            for source in group:
                vectors[source.id] = matrix[0]
        return vectors, problem

    def _rank(
        self,
        question: str,
        sources: Sequence[InsightSource],
        principals: Sequence[str],
        vectors: dict[int, np.ndarray],
        limit: int,
        mode: str = "hybrid",
    ) -> Ranked:
        settings = self.settings.insight
        with self.database.read() as session:
            return rank(
                session,
                self.store,
                question,
                sources,
                principals,
                vectors=vectors,
                candidates=settings.candidates,
                limit=limit,
                rrf_k=settings.rrf_k,
                mode=mode,
            )

    async def _answer(
        self,
        question: str,
        source: InsightSource,
        given: list[Passage],
        result: AskView,
        answer_caller: Caller | None,
        user_id: int,
        context: AuditContext,
    ) -> None:
        """Ask the model; fill ``result`` with the answer and its checked citations, or with the
        passages alone when the model cannot be used (the procedure without AI)."""
        caller = answer_caller or Caller(
            use_case_id=source.use_case_id, user_id=user_id, request_id=context.request_id
        )
        messages = prompt(question, given)
        try:
            answer = await self.through.chat(
                messages.messages,
                model=source.answer_model,
                caller=caller,
                declared=messages.declared,
                record=result.request_ids,
            )
        except GatewayError as error:
            result.mode = "passages"
            result.reason = f"AI is unavailable ({error.code}): {error.message}"
            return
        result.model = answer.model
        if abstained(answer.text):
            result.reason = "the documents you may read do not answer this question"
            result.passages = []
            return
        checks = check_citations(
            answer.text, given, self.store.fulltext.analyzer, Language(source.language)
        )
        if not any(c.known for c in checks):
            result.mode = "passages"
            result.reason = "the model's answer cited none of the passages: here they are instead"
            return
        result.mode = "answer"
        result.answer = answer.text
        result.citations = [
            CitationView(
                number=c.number,
                sentence=c.sentence[:500],
                supported=c.supported,
                support=round(c.support, 3),
            )
            for c in checks
        ]
        cited = {c.number for c in checks if c.known}
        result.reason = (
            "answered from the cited passages"
            if all(c.supported for c in checks)
            else "answered; some citations are not supported by the passage they name"
        )
        result.passages = [v for v in result.passages if v.number in cited] + [
            v for v in result.passages if v.number not in cited
        ]


def _passage_view(p: Passage) -> PassageView:
    return PassageView(
        number=p.number,
        source=p.source,
        document_id=p.document_id,
        title=p.title,
        path=p.path,
        url=p.url,
        locator=p.locator,
        page=p.page,
        slide=p.slide,
        sheet=p.sheet,
        text=p.text,
        score=round(p.score, 6),
    )


def _withheld_view(p: Passage) -> WithheldView:
    return WithheldView(
        source=p.source,
        document_id=p.document_id,
        title=p.title,
        locator=p.locator,
        signals=p.signals,
    )


def _asked(context: AuditContext, body: AskIn, result: AskView) -> QuestionAnswered:
    return QuestionAnswered(
        object_id=context.request_id or "insight",
        new={
            "sources": body.sources,
            "mode": result.mode,
            "reason": result.reason,
            "model": result.model,
            "cited_documents": sorted(
                {
                    p.document_id
                    for p in result.passages
                    if p.number in {c.number for c in result.citations}
                }
            ),
            "passages": [[p.document_id, p.locator] for p in result.passages],
            "withheld": [[w.document_id, w.locator, w.signals] for w in result.withheld],
            "unsupported_citations": [c.number for c in result.citations if not c.supported],
            "request_ids": result.request_ids,
        },
    )
