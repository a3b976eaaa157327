"""The full-text half of retrieval, ranked by relevance and filtered by access inside the query.

SQLite: FTS5 over the text stemmed with Snowball before indexing (FTS5 has no French stemmer;
``search.Analyzer`` elides, drops stop words, stems and folds accents), ranked by FTS5's BM25.
PostgreSQL: a ``tsvector`` column in the source's language configuration (``french``,
``english``) with a GIN index, ranked by ``ts_rank_cd``. Both take the question's terms as
alternatives (OR): a question rarely repeats every word of its answer.

SQLite's planner, left to itself, walks the chunks by access list and probes the full-text index
for each (16 s at 100,000 chunks, measured by ``benchmarks/insight_scale.py``); ``CROSS JOIN``
makes it read the full-text matches first and filter them (73 ms).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from gouvernail.search import Analyzer, Language, Thesaurus

PG_CONFIGS = {Language.FRENCH: "french", Language.ENGLISH: "english"}
ALLOWED = "SELECT acl_id FROM insight_acl_entries WHERE principal IN :principals"


class FullText:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        # no thesaurus: its concepts are the registry's (use-case vocabulary), not documents'
        self.analyzer = Analyzer(thesaurus=Thesaurus.from_mapping({}))

    def terms(self, passage: str, language: Language) -> str:
        return " ".join(self.analyzer.terms(passage, language))

    def in_row(self, language: Language) -> str | None:
        """On PostgreSQL, the SQL that computes a chunk's ``tsvector`` from its ``:searchable``
        parameter inside the chunk's INSERT; None on SQLite (the chunk is indexed by ``add``)."""
        if self.dialect == "sqlite":
            return None
        return f"to_tsvector('{PG_CONFIGS[language]}', :searchable)"

    def add(self, session: Session, rows: Sequence[tuple[int, str]], language: Language) -> None:
        """Index chunks ``(id, text)`` in FTS5 (their rows exist already; SQLite only)."""
        if rows:
            session.execute(
                text("INSERT INTO insight_chunks_fts(rowid, terms) VALUES (:id, :terms)"),
                [{"id": i, "terms": self.terms(t, language)} for i, t in rows],
            )

    def remove(self, session: Session, chunk_ids: Sequence[int]) -> None:
        if chunk_ids and self.dialect == "sqlite":
            session.execute(
                text("DELETE FROM insight_chunks_fts WHERE rowid IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": list(chunk_ids)},
            )
        # on PostgreSQL the tsvector goes with its row

    def search(
        self,
        session: Session,
        question: str,
        language: Language,
        *,
        source_ids: Sequence[int],
        principals: Sequence[str],
        limit: int,
    ) -> list[tuple[int, float]]:
        """The best chunks ``(id, score)`` of ``source_ids`` the holder of ``principals`` may
        read, best first; withheld chunks are found too (the caller shows them as such)."""
        if not source_ids or not principals:
            return []
        params = {"sources": list(source_ids), "principals": list(principals), "limit": limit}
        if self.dialect == "sqlite":
            terms = list(dict.fromkeys(self.analyzer.terms(question, language)))
            if not terms:
                return []
            match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
            statement = text(
                "SELECT c.id, -bm25(insight_chunks_fts) AS score FROM insight_chunks_fts"  # noqa: S608
                " CROSS JOIN insight_chunks c ON c.id = insight_chunks_fts.rowid"
                " WHERE insight_chunks_fts MATCH :match AND c.source_id IN :sources"
                f" AND c.acl_id IN ({ALLOWED})"
                " ORDER BY bm25(insight_chunks_fts) LIMIT :limit"
            )
            params["match"] = match
        else:
            statement = text(
                "WITH q AS (SELECT to_tsquery(CAST(:config AS regconfig), array_to_string(ARRAY("  # noqa: S608
                "SELECT quote_literal(lexeme) FROM unnest(tsvector_to_array(to_tsvector("
                "CAST(:config AS regconfig), :question))) AS lexeme), ' | ')) AS query)"
                " SELECT c.id, ts_rank_cd(c.tsv, q.query) AS score FROM insight_chunks c, q"
                " WHERE c.tsv @@ q.query AND c.source_id IN :sources"
                f" AND c.acl_id IN ({ALLOWED})"
                " ORDER BY score DESC LIMIT :limit"
            )
            params.update(config=PG_CONFIGS[language], question=question)
        statement = statement.bindparams(
            bindparam("sources", expanding=True), bindparam("principals", expanding=True)
        )
        return [(int(row[0]), float(row[1])) for row in session.execute(statement, params)]
