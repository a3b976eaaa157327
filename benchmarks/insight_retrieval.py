"""Insight benchmark: retrieval quality, abstention and citations on a real public corpus, the
French manual pages of Debian's ``manpages-fr`` package.

A standalone script, not a test. Needs the pages and the tools that render them (nothing is
downloaded here)::

    apt-get install -y manpages-fr man-db groff-base

Each page is rendered to plain text by ``man -l`` (groff; ``MANWIDTH=100``, no pager, no
colours, no hyphenation or justification), its header and footer lines are dropped, its
sections become markdown headings under a first heading naming the page (``# ls(1)``, the title
a citation shows), and it is written as one ``.md`` document of a folder source. Its NOM
(NAME) section is removed from the indexed text and becomes the page's query, without the names
before the dash: "ls - Afficher le contenu de répertoires" gives the query "Afficher le contenu
de répertoires", so that a query never matches its page by the command's name alone.

Everything goes through the product: a runtime on a temporary SQLite database (or a throwaway
PostgreSQL database, ``--database-url``), a charter in force, compliant users, the bundled
all-MiniLM-L6-v2 in the inventory as a self-hosted model served at ``/self-hosted/v1`` (the
gateway reaches those routes in process, ``gouvernail.selfhosted.inprocess``, as the CLI does),
the answer model a fake at the gateway's transport seam, a use case in production, a folder
source readable by everyone synced by ``runtime.insight.sync``, questions embedded through the
gateway for a normal user, and ``insight.retrieval.rank`` with that user's principals. Measured:

1. indexing throughput (documents and chunks per second, parsing, inspection and embedding
   included);
2. for full text (BM25) alone, vectors alone and hybrid: recall@1, recall@10, nDCG@10 and MRR at
   the document level (the relevant document is the query's page; a document counts once, at
   the rank of its best chunk; each retriever proposes ``insight.candidates`` chunks, a page
   none of whose chunks is among them is not found);
3. abstention: the share of out-of-corpus questions (``OUT_OF_CORPUS``, general knowledge,
   cooking, sports, law...) on which an answer abstains (best cosine similarity below the
   threshold), and the share of in-corpus queries wrongly abstained on, for
   ``insight.min_similarity`` and a sweep of thresholds;
4. answers end to end: ``runtime.insight.ask`` for a sample of in-corpus queries, answered by an
   extractive fake model (the first sentence of the passage sharing the most words with the
   question, citing it); the share of answers whose every citation names a given passage and
   is supported (``insight.answers.check_citations``), and whose cited passage is of the
   query's page.

Embedding costs about 80 ms per 256-token chunk on a 2-core CPU, so ``--pages`` (default 400,
of the 435 pages of manpages-fr 4.18 in Debian 12: about 7,500 chunks, 16 minutes of indexing on
two busy cores) takes a deterministic sample: pages of sections 1 and 8 first, sorted by name,
then the others; every k-th page of that order when fewer are asked for. Aliases (symbolic
links) are skipped.

    .venv/bin/python benchmarks/insight_retrieval.py                  # 400 pages, SQLite
    .venv/bin/python benchmarks/insight_retrieval.py --pages 100 --json /tmp/insight.json
    .venv/bin/python benchmarks/insight_retrieval.py --database-url \\
        postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Collection, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import orjson

if TYPE_CHECKING:
    import numpy as np

    from gouvernail.audit import AuditContext
    from gouvernail.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
MAN_ROOT = Path("/usr/share/man/fr")
PACKAGE = "manpages-fr"
INSTALL = "apt-get install -y manpages-fr man-db groff-base"
FIRST_SECTIONS = ("1", "8")
MODES = ("fulltext", "vectors", "hybrid")
SWEEP = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
PASSWORD = "benchmark passphrase long enough"  # noqa: S105 (throwaway benchmark accounts)
SLUG = "manpages-fr"
EMBEDDING_MODEL = "minilm-onprem"
ANSWER_MODEL = "extractive-onprem"
EXTRACTIVE_URL = "http://extractive.internal/v1"

T = TypeVar("T", bound=Hashable)

OUT_OF_CORPUS = (
    "Quelle est la capitale de l'Australie ?",
    "Combien de temps faut-il cuire un œuf à la coque ?",
    "Qui a remporté la Coupe du monde de football en 1998 ?",
    "Quelle est la recette traditionnelle du bœuf bourguignon ?",
    "Quel est le délai de préavis pour quitter un logement loué vide ?",
    "Combien de joueurs une équipe de rugby à quinze aligne-t-elle sur le terrain ?",
    "En quelle année a eu lieu la prise de la Bastille ?",
    "Comment faire une pâte brisée sans beurre ?",
    "Quelle est la hauteur de la tour Eiffel ?",
    "Quels sont les symptômes de la grippe saisonnière ?",
    "Quelle est la durée légale du congé de maternité en France ?",
    "Qui a peint La Joconde ?",
    "Quelle est la distance officielle d'un marathon ?",
    "À quelle température faut-il cuire un rôti de porc ?",
    "Quand faut-il tailler les rosiers ?",
    "Quel est le plus long fleuve de France ?",
    "Combien de temps dure la garantie légale de conformité d'un lave-linge ?",
    "Qui a écrit Les Misérables ?",
    "Comment se calcule l'indemnité légale de licenciement ?",
    "Quelle est la vitesse maximale autorisée sur autoroute par temps de pluie ?",
    "Quels légumes peut-on semer au potager au mois de mars ?",
    "Combien de calories contient une banane ?",
    "Quelle est la règle du hors-jeu au football ?",
    "Qui fut le premier président de la Cinquième République ?",
    "Comment préparer une mayonnaise maison ?",
    "Quelle est la différence entre un crocodile et un alligator ?",
    "Quel vin servir avec un plateau de fruits de mer ?",
    "Combien de médailles d'or la France a-t-elle gagnées aux Jeux olympiques de Paris ?",
    "Quel est le taux normal de la TVA en France ?",
    "Comment soigner une piqûre de guêpe ?",
    "Quelle est la planète la plus proche du Soleil ?",
    "Quelles pièces faut-il fournir à la mairie pour un mariage civil ?",
    "Combien de temps faut-il laisser reposer une pâte à crêpes ?",
    "Quel coureur a gagné le plus de Tours de France ?",
    "Combien d'habitants compte la ville de Lyon ?",
    "Comment faire germer un noyau d'avocat ?",
    "Combien de temps dure un match de handball ?",
    "À partir de quel âge un enfant peut-il voyager seul en train ?",
    "Quelles sont les causes de la Première Guerre mondiale ?",
    "Comment détartrer une bouilloire avec du vinaigre blanc ?",
    "Quel est l'animal terrestre le plus rapide ?",
    "Dans quel délai un locataire peut-il contester une hausse de loyer ?",
    "Comment réussir un soufflé au fromage ?",
    "Quel est le rôle de l'hémoglobine dans le sang ?",
    "Qui a composé la Symphonie du Nouveau Monde ?",
    "Comment se joue un jeu décisif au tennis ?",
    "Que faut-il faire en cas de brûlure légère à la main ?",
    "Quelles sont les conditions pour obtenir la nationalité française par mariage ?",
    "Combien de pattes a une araignée ?",
    "Quel fromage utiliser pour une tartiflette ?",
)


# --- metrics (pure; tests/test_insight_benchmark_metrics.py) ------------------------------------


def document_ranking(documents: Iterable[T]) -> list[T]:
    """The documents of a chunk ranking, each once, at the rank of its best chunk."""
    return list(dict.fromkeys(documents))


def recall_at(ranking: Sequence[T], relevant: Collection[T], k: int) -> float:
    """Share of the relevant documents among the first ``k`` of a document ranking."""
    if not relevant:
        return 0.0
    return len(set(ranking[:k]) & set(relevant)) / len(relevant)


def ndcg_at(ranking: Sequence[T], relevant: Collection[T], k: int) -> float:
    """Normalised discounted cumulative gain at ``k``, binary relevance."""
    gain = sum(1 / math.log2(i + 2) for i, d in enumerate(ranking[:k]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return gain / ideal if ideal else 0.0


def reciprocal_rank(ranking: Sequence[T], relevant: Collection[T]) -> float:
    """1 / the rank of the first relevant document (0 when none was retrieved)."""
    for position, document in enumerate(ranking, start=1):
        if document in relevant:
            return 1 / position
    return 0.0


def abstention_share(similarities: Sequence[float | None], threshold: float) -> float:
    """Share of questions whose best similarity is below ``threshold`` (or that found nothing):
    those an answer abstains on."""
    if not similarities:
        return 0.0
    return sum(1 for s in similarities if s is None or s < threshold) / len(similarities)


def mean(values: Iterable[float]) -> float:
    found = list(values)
    return sum(found) / len(found) if found else 0.0


# --- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    section: str
    query: str
    """The NOM line without the names before the dash."""
    markdown: str
    """What is indexed: the page without its NOM section."""

    @property
    def path(self) -> str:
        return f"man{self.section}/{self.name}.{self.section}.md"


def installed_pages() -> list[Path]:
    """The manual pages of the package (aliases skipped); exits with how to install it."""
    missing = [tool for tool in ("man", "groff") if shutil.which(tool) is None]
    listing = _dpkg_query("-L", PACKAGE)
    if missing or listing.returncode != 0:
        what = f"the tools {', '.join(missing)}" if missing else f"the package {PACKAGE}"
        sys.exit(f"{what} not installed: run `{INSTALL}` (as root), then run this again.")
    pages = []
    for line in listing.stdout.splitlines():
        path = Path(line)
        if path.parent.parent == MAN_ROOT and path.name.endswith(".gz") and not path.is_symlink():
            pages.append(path)
    if not pages:
        sys.exit(f"{PACKAGE} lists no page under {MAN_ROOT}: reinstall it (`{INSTALL}`).")
    return pages


def _dpkg_query(*args: str) -> subprocess.CompletedProcess[str]:
    """The system's package database (fixed arguments, no shell)."""
    return subprocess.run(  # noqa: S603
        ["dpkg-query", *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )


def section_of(path: Path) -> str:
    return path.parent.name.removeprefix("man")


def sample(paths: Sequence[Path], count: int) -> list[Path]:
    """``count`` pages: sections 1 and 8 first (sorted by name), then the others; every k-th of
    each group when not all of it fits."""
    ordered = sorted(paths, key=lambda p: (section_of(p) not in FIRST_SECTIONS, p.name))
    first = [p for p in ordered if section_of(p) in FIRST_SECTIONS]
    rest = ordered[len(first) :]
    if count <= len(first):
        return _every_kth(first, count)
    return first + _every_kth(rest, count - len(first))


def _every_kth(items: Sequence[Path], count: int) -> list[Path]:
    count = min(count, len(items))
    return [items[i * len(items) // count] for i in range(count)]


def render(path: Path) -> str:
    """The page as ``man`` prints it to a file: plain UTF-8, 100 columns, no hyphenation."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C.UTF-8",
        "MANWIDTH": "100",
        "MANPAGER": "cat",
        "PAGER": "cat",
        "GROFF_NO_SGR": "1",
    }
    done = subprocess.run(  # noqa: S603 (a fixed program on a file of the package)
        ["man", "--nh", "--nj", "-l", str(path)],  # noqa: S607
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    text = done.stdout.decode("utf-8", "replace")
    return re.sub(r".\x08", "", text)  # overstrike, should the formatter still emit it


HEADING = re.compile(r"^\S.*$")
NAME_SECTIONS = ("NOM", "NAME")
DASH = re.compile(r"\s[-\u2010\u2013\u2014]+\s")


def page_of(path: Path, rendered: str) -> Page | None:
    """The page as indexed and its query; None when it has no usable NOM line."""
    lines = [line.rstrip() for line in rendered.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    lines = lines[1:-1]  # the running header and footer
    sections: list[tuple[str, list[str]]] = []
    for line in lines:
        if HEADING.match(line):
            sections.append((line.strip(), []))
        elif sections:
            sections[-1][1].append(line.strip())
    names = [body for heading, body in sections if heading.upper() in NAME_SECTIONS]
    if not names:
        return None
    line = " ".join(" ".join(names[0]).split())
    parts = DASH.split(line, maxsplit=1)
    if len(parts) != 2 or not parts[1].strip():
        return None
    name = path.name.removesuffix(".gz").rsplit(".", 1)[0]
    section = section_of(path)
    out = [f"# {name}({section})", ""]
    for heading, body in sections:
        if heading.upper() in NAME_SECTIONS:
            continue
        out += [f"## {heading}", *body, ""]
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
    return Page(name, section, parts[1].strip(), markdown)


def build_corpus(paths: Sequence[Path], folder: Path) -> tuple[list[Page], int]:
    """Render the pages (two at a time) into ``folder``; the pages kept and how many were not."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        rendered = list(pool.map(render, paths))
    pages = [p for p in map(page_of, paths, rendered) if p is not None]
    for page in pages:
        target = folder / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.markdown, encoding="utf-8")
    return pages, len(paths) - len(pages)


# --- the extractive answering model ---------------------------------------------------------------

PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
WORD = re.compile(r"\w{5,}")


def extractive_answer(prompt: str) -> str:
    """The first sentence of the passage sharing the most words (5 letters or more) with the
    question, citing it (the best-ranked one on a tie); NO_ANSWER when none shares a word."""
    question = prompt.rsplit("Question:", 1)[-1].lower()
    words = set(WORD.findall(question))
    best: tuple[int, str, str] | None = None
    for number, text in PASSAGE.findall(prompt):
        shared = len(words & set(WORD.findall(text.lower())))
        if shared and (best is None or shared > best[0]):
            best = (shared, number, text)
    if best is None:
        return "NO_ANSWER"
    _, number, text = best
    prose = " ".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    prose = " ".join(prose.split())
    sentence = re.split(r"(?<=[.!?])\s", prose, maxsplit=1)[0].rstrip(".!? ")
    return f"{sentence} [{number}]."


def _extractive(request: httpx.Request) -> httpx.Response:
    body = orjson.loads(request.content)
    prompt = "\n".join(str(m.get("content") or "") for m in body["messages"])
    text = extractive_answer(prompt)
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "extractive"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": len(prompt.split()),
                "completion_tokens": len(text.split()),
                "total_tokens": len(prompt.split()) + len(text.split()),
            },
        },
    )


def answer_model() -> httpx.MockTransport:
    """Where the gateway's provider calls go besides our own self-hosted routes (which it
    answers in process): the extractive fake; any other call is an error."""

    def handle(request: httpx.Request) -> httpx.Response:
        if not str(request.url).startswith(EXTRACTIVE_URL + "/"):
            raise RuntimeError(f"unexpected upstream call: {request.method} {request.url}")
        return _extractive(request)

    return httpx.MockTransport(handle)


# --- the installation -----------------------------------------------------------------------------


@dataclass
class Installation:
    rt: Runtime
    ctx: AuditContext
    use_case_id: int
    owner_id: int
    reader_id: int
    warm_up_seconds: float = 0.0
    """Loading the detectors and the embedding model (the server does it at start)."""


def _model(name: str, upstream: str, base_url: str, capability: str) -> dict[str, Any]:
    return {
        "name": name,
        "vendor": "in-house",
        "provider_kind": "openai_compatible",
        "upstream_model": upstream,
        "endpoint": {"base_url": base_url},
        "credential_ref": None,
        "capabilities": [capability],
        "hosting": "self_hosted",
        "region": "fr-lyon",
        "retention_days": 0,
        "no_training": True,
        "max_data_class": "secret",
        "pricing": {
            "mode": "per_token",
            "currency": "EUR",
            "input_per_million": 0,
            "output_per_million": 0,
        },
        "context_window": 32000,
        "model_card": {"url": "https://example.com/card", "version": "1"},
    }


def install(rt: Runtime, folder: Path) -> Installation:
    """A charter in force, a data owner and a reader who comply with it, the two self-hosted
    models, a use case in production and the folder source (readers: everyone)."""
    from sqlalchemy import update

    from gouvernail.audit import AuditContext
    from gouvernail.audit.events import Actor
    from gouvernail.db.migrate import upgrade
    from gouvernail.identity.principal import Principal
    from gouvernail.insight.schemas import SourceIn
    from gouvernail.inventory.values import ModelSpec, ModelStatus, VendorSpec
    from gouvernail.registry.models import UseCase
    from gouvernail.registry.schemas import AdoptionPlan, DeploymentAnswers, UseCaseIn

    upgrade(rt.database)
    ctx = AuditContext(Actor(id="bench", name="insight benchmark"), "bench")
    rt.literacy.load_modules(ctx, None)
    draft = rt.charters.load_file(ctx, ROOT / "examples" / "charter.yaml")
    rt.charters.activate(ctx, draft.id, reason="benchmark", require_approval=False)
    rt.directory.create_team(ctx, slug="it", name="IT operations", kind="department")
    people = {}
    for username, roles in (("owner", ["use_case_owner"]), ("reader", [])):
        user = rt.directory.create_user(
            ctx,
            username=username,
            display_name=username.title(),
            roles=roles,
            password=PASSWORD,
            team="it",
        )
        rt.charters.accept(Principal.signed_in(user), password=PASSWORD)
        mine = rt.literacy.trainings(user.id)
        for code in (*mine.missing_required, *mine.expired_required):
            rt.literacy.record(ctx, user_id=user.id, module=code)
        people[username] = user.id
    next_year = (date.today() + timedelta(days=365)).isoformat()
    vendor = {
        "slug": "in-house",
        "name": "In-house models",
        "country": "FR",
        "contacts": [{"name": "Ops", "role": "operator", "email": "ops@example.com"}],
        "dpa_signed_on": "2026-01-15",
        "certifications": [{"name": "ISO 27001", "issuer": "Certifier", "valid_until": next_year}],
        "exit_plan": {
            "summary": "Open weights on our own servers.",
            "switching_cost": 0,
            "currency": "EUR",
            "switching_weeks": 1,
        },
        "lock_in": "low",
    }
    rt.inventory.create_vendor(ctx, VendorSpec.model_validate(vendor), [])
    served = rt.settings.self_hosted.embedding_model
    for body in (
        _model(
            EMBEDDING_MODEL,
            served,
            f"http://127.0.0.1:{rt.settings.port}/self-hosted/v1",
            "embeddings",
        ),
        _model(ANSWER_MODEL, "extractive", EXTRACTIVE_URL, "chat"),
    ):
        rt.inventory.create_model(ctx, ModelSpec.model_validate(body))
        rt.inventory.set_status(ctx, body["name"], ModelStatus.APPROVED, reason="benchmark")
    view = rt.use_cases.submit(
        ctx,
        people["owner"],
        UseCaseIn.model_validate(
            {
                "title": "Questions on the Linux manual pages",
                "description": "Answers with citations from the French manual pages.",
                "duplicate_justification": "benchmark installation",
            }
        ),
    )
    deployment = DeploymentAnswers(
        fallback_procedure="Read the manual page with man.",
        cybersecurity_measures="Self-hosted models only, through the gateway.",
        human_oversight="Answers cite their pages; readers check them.",
        adoption_plan=AdoptionPlan(
            communication="None (benchmark).",
            training="None (benchmark).",
            feedback_channel="None (benchmark).",
            timeline="None (benchmark).",
        ),
    ).model_dump_json()
    with rt.database.write() as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == view.id)
            .values(status="production", deployment=deployment)
        )
    rt.insight.create(
        ctx,
        SourceIn(
            slug=SLUG,
            name="Pages de manuel (manpages-fr)",
            kind="folder",
            location=str(folder),
            use_case_id=view.id,
            owner="owner",
            data_class="internal",
            language="fr",
            readers=["everyone"],
            embedding_model=EMBEDDING_MODEL,
            answer_model=ANSWER_MODEL,
        ),
    )
    return Installation(rt, ctx, view.id, people["owner"], people["reader"])


@contextlib.contextmanager
def database_url(server: str | None, scratch: Path) -> Any:
    """A temporary SQLite file, or a throwaway database on ``server`` (dropped at the end)."""
    if not server:
        yield f"sqlite:///{scratch / 'insight-bench.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"gouvernail_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def running(settings: Any, folder: Path) -> AsyncIterator[Installation]:
    """The runtime, installed, its gateway's provider calls going to the extractive fake (the
    bundled embedding model is answered in process, as the CLI's sync does)."""
    from gouvernail.runtime import Runtime
    from gouvernail.selfhosted.inprocess import in_process

    rt = Runtime.build(settings)
    try:
        installation = install(rt, folder)
        # the transport seam build_gateway offers, installed in the cached property's slot
        rt.__dict__["gateway"] = rt.build_gateway(in_process(rt, answer_model()))
        began = time.perf_counter()  # what the server does at start, kept out of the sync
        await asyncio.to_thread(rt.gateway.warm_up)
        await asyncio.to_thread(rt.self_hosted_embeddings.warm)
        installation.warm_up_seconds = time.perf_counter() - began
        yield installation
    finally:
        if "gateway" in rt.__dict__:
            await rt.gateway.aclose()
        rt.close()


# --- the measurements -----------------------------------------------------------------------------


@dataclass
class Retrieval:
    """One query's document ranking per mode, and its best vector similarity."""

    query: str
    page: str
    ranks: dict[str, list[str]] = field(default_factory=dict)
    best_similarity: float | None = None
    milliseconds: dict[str, float] = field(default_factory=dict)


async def sync(inst: Installation) -> dict[str, Any]:
    rt = inst.rt
    began = time.perf_counter()

    def progress(path: str, handled: int) -> None:
        if handled % 50 == 0:
            elapsed = time.perf_counter() - began
            print(f"  synced {handled} documents in {elapsed:.0f} s", file=sys.stderr)

    view = await rt.insight.sync(inst.ctx, SLUG, progress=progress)
    seconds = time.perf_counter() - began
    if view.error:
        sys.exit(f"the sync failed: {view.error}")
    source = rt.insight.get(SLUG)
    documents = source.documents.get("indexed", 0)
    return {
        "documents": documents,
        "chunks": source.chunks,
        "withheld_chunks": view.counts.get("withheld", 0),
        "problems": view.problems,
        "seconds": round(seconds, 1),
        "warm_up_seconds": round(inst.warm_up_seconds, 1),
        "documents_per_second": documents / seconds,
        "chunks_per_second": source.chunks / seconds,
    }


async def embed_questions(inst: Installation, questions: Sequence[str]) -> np.ndarray:
    """The questions' vectors, through the gateway for the reader (32 per call)."""
    import numpy as np

    from gouvernail.gateway.through import Caller

    caller = Caller(use_case_id=inst.use_case_id, user_id=inst.reader_id, request_id="bench")
    parts = [
        await inst.rt.insight.through.embed(
            questions[i : i + 32], model=EMBEDDING_MODEL, caller=caller
        )
        for i in range(0, len(questions), 32)
    ]
    return np.concatenate(parts)


def retrieve(
    inst: Installation, queries: Sequence[tuple[str, str]], vectors: np.ndarray
) -> list[Retrieval]:
    """Each ``(query, page path)`` ranked in the three modes with the reader's principals."""
    from sqlalchemy import select

    from gouvernail.identity.models import User
    from gouvernail.insight.access import principals_of
    from gouvernail.insight.models import InsightSource
    from gouvernail.insight.retrieval import rank

    rt = inst.rt
    settings = rt.settings.insight
    results = []
    with rt.database.read() as session:
        source = session.scalar(select(InsightSource).where(InsightSource.slug == SLUG))
        reader = session.get(User, inst.reader_id)
        assert source is not None
        assert reader is not None
        principals = principals_of(session, reader)
        for number, ((query, page), vector) in enumerate(zip(queries, vectors, strict=True)):
            if number and number % 50 == 0:
                print(f"  ranked {number} queries", file=sys.stderr)
            result = Retrieval(query, page)
            for mode in MODES:
                began = time.perf_counter()
                ranked = rank(
                    session,
                    rt.insight.store,
                    query,
                    [source],
                    principals,
                    vectors={source.id: vector},
                    candidates=settings.candidates,
                    limit=2 * settings.candidates,
                    rrf_k=settings.rrf_k,
                    mode=mode,
                )
                result.milliseconds[mode] = (time.perf_counter() - began) * 1000
                result.ranks[mode] = document_ranking(p.path for p in ranked.passages)
                if mode == "vectors":
                    result.best_similarity = ranked.best_similarity
            results.append(result)
    return results


def quality(results: Sequence[Retrieval]) -> dict[str, dict[str, float]]:
    table = {}
    for mode in MODES:
        rankings = [(r.ranks[mode], {r.page}) for r in results]
        latencies = sorted(r.milliseconds[mode] for r in results)
        table[mode] = {
            "recall@1": mean(recall_at(ranking, relevant, 1) for ranking, relevant in rankings),
            "recall@10": mean(recall_at(ranking, relevant, 10) for ranking, relevant in rankings),
            "ndcg@10": mean(ndcg_at(ranking, relevant, 10) for ranking, relevant in rankings),
            "mrr": mean(reciprocal_rank(ranking, relevant) for ranking, relevant in rankings),
            "found": mean(
                recall_at(ranking, relevant, len(ranking)) for ranking, relevant in rankings
            ),
            "median_ms": latencies[len(latencies) // 2] if latencies else 0.0,
        }
    return table


def abstention(
    inside: Sequence[float | None], outside: Sequence[float | None], current: float
) -> dict[str, Any]:
    thresholds = sorted({*SWEEP, current})
    return {
        "current": current,
        "sweep": [
            {
                "threshold": t,
                "out_of_corpus_abstained": abstention_share(outside, t),
                "in_corpus_wrongly_abstained": abstention_share(inside, t),
            }
            for t in thresholds
        ],
        "out_of_corpus_similarity": _spread(outside),
        "in_corpus_similarity": _spread(inside),
    }


def _spread(values: Sequence[float | None]) -> dict[str, float]:
    found = sorted(v for v in values if v is not None)
    if not found:
        return {}
    return {
        "min": found[0],
        "median": found[len(found) // 2],
        "p90": found[min(len(found) - 1, int(0.9 * len(found)))],
        "max": found[-1],
    }


async def answers(inst: Installation, queries: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``runtime.insight.ask`` end to end for each query, as the reader."""
    from gouvernail.audit import AuditContext
    from gouvernail.audit.events import Actor
    from gouvernail.insight.schemas import AskIn

    ctx = AuditContext(Actor(id=str(inst.reader_id), name="reader"), "bench-ask")
    asked = []
    for query, page in queries:
        view = await inst.rt.insight.ask(
            ctx, AskIn(question=query, sources=[SLUG]), user_id=inst.reader_id
        )
        given = {p.number: p.path for p in view.passages}
        asked.append(
            {
                "query": query,
                "page": page,
                "mode": view.mode,
                "reason": view.reason,
                "answer": view.answer,
                "citations": [
                    {
                        "path": given.get(c.number),
                        "sentence": c.sentence,
                        "support": c.support,
                        "supported": c.supported,
                    }
                    for c in view.citations
                ],
                "given": list(given.values()),
            }
        )
    answered = [a for a in asked if a["mode"] == "answer"]

    def share(test: Any) -> float:
        return sum(1 for a in answered if test(a)) / len(answered) if answered else 0.0

    return {
        "asked": len(asked),
        "modes": dict(Counter(a["mode"] for a in asked)),
        "citations_valid_and_supported": share(
            lambda a: (
                a["citations"]
                and all(c["path"] is not None and c["supported"] for c in a["citations"])
            )
        ),
        "cited_page_is_the_query_page": share(
            lambda a: a["citations"] and all(c["path"] == a["page"] for c in a["citations"])
        ),
        "query_page_among_given_passages": share(lambda a: a["page"] in a["given"]),
        "each": asked,
    }


# --- the run --------------------------------------------------------------------------------------


async def measure(
    args: argparse.Namespace, settings: Any, folder: Path, pages: list[Page]
) -> dict[str, Any]:
    async with running(settings, folder) as inst:
        print(f"indexing {len(pages)} pages through the gateway...", file=sys.stderr)
        indexing = await sync(inst)
        queries = [(p.query, p.path) for p in pages]
        began = time.perf_counter()
        vectors = await embed_questions(inst, [q for q, _ in queries] + list(OUT_OF_CORPUS))
        embedding_seconds = time.perf_counter() - began
        print(f"ranking {len(queries)} queries in three modes...", file=sys.stderr)
        results = retrieve(inst, queries, vectors[: len(queries)])
        outside = retrieve(inst, [(q, "") for q in OUT_OF_CORPUS], vectors[len(queries) :])
        step = max(1, len(queries) // args.answers)
        sampled = queries[::step][: args.answers]
        print(f"asking {len(sampled)} questions end to end...", file=sys.stderr)
        answered = await answers(inst, sampled)
        return {
            "indexing": indexing,
            "query_embedding_seconds": round(embedding_seconds, 2),
            "retrieval": quality(results),
            "abstention": abstention(
                [r.best_similarity for r in results],
                [r.best_similarity for r in outside],
                settings.insight.min_similarity,
            ),
            "answers": answered,
            "queries": [
                {
                    "page": r.page,
                    "query": r.query,
                    "best_similarity": r.best_similarity,
                    **{
                        f"rank_{mode}": r.ranks[mode].index(r.page) + 1
                        if r.page in r.ranks[mode]
                        else None
                        for mode in MODES
                    },
                }
                for r in results
            ],
            "out_of_corpus": [
                {
                    "question": r.query,
                    "best_similarity": r.best_similarity,
                    **{f"first_{mode}": r.ranks[mode][:1] for mode in MODES},
                }
                for r in outside
            ],
        }


def print_report(report: dict[str, Any]) -> None:
    corpus, indexing = report["corpus"], report["indexing"]
    print(
        f"\ncorpus: {corpus['pages']} pages of {corpus['package']} {corpus['version']} "
        f"({corpus['available']} in the package, aliases skipped; sections "
        f"{', '.join(f'{s}: {n}' for s, n in corpus['sections'].items())}); "
        f"{corpus['characters']:,} characters indexed; {corpus['skipped']} pages without a "
        f"usable NOM line skipped; {corpus['shared_queries']} queries shared by several pages"
    )
    print(
        f"indexing ({report['database']}): {indexing['documents']} documents, "
        f"{indexing['chunks']} chunks in {indexing['seconds']} s: "
        f"{indexing['documents_per_second']:.2f} documents/s, "
        f"{indexing['chunks_per_second']:.1f} chunks/s "
        f"({indexing['withheld_chunks']} chunks withheld, {len(indexing['problems'])} problems; "
        f"detectors and model loaded before, in {indexing['warm_up_seconds']} s)"
    )
    retrieval = report["retrieval"]
    header = (
        f"{'mode':<10}{'recall@1':>10}{'recall@10':>11}{'nDCG@10':>9}{'MRR':>7}"
        f"{'found':>7}{'median ms':>11}"
    )
    print(
        f"\nretrieval, {corpus['pages']} queries (document level; 'found': the page is among "
        f"the {report['candidates']} candidate chunks)"
    )
    print(header + "\n" + "-" * len(header))
    for mode, m in retrieval.items():
        print(
            f"{mode:<10}{m['recall@1']:>10.3f}{m['recall@10']:>11.3f}{m['ndcg@10']:>9.3f}"
            f"{m['mrr']:>7.3f}{m['found']:>7.3f}{m['median_ms']:>11.1f}"
        )
    ab = report["abstention"]
    print(
        f"\nabstention (best cosine similarity below the threshold): {len(OUT_OF_CORPUS)} "
        f"out-of-corpus questions, {corpus['pages']} in-corpus queries"
    )
    print("threshold  out-of-corpus abstained  in-corpus wrongly abstained")
    for row in ab["sweep"]:
        mark = "  <- insight.min_similarity" if row["threshold"] == ab["current"] else ""
        print(
            f"{row['threshold']:>9.2f}  {row['out_of_corpus_abstained']:>23.3f}  "
            f"{row['in_corpus_wrongly_abstained']:>27.3f}{mark}"
        )
    for name in ("in_corpus_similarity", "out_of_corpus_similarity"):
        s = ab[name]
        if s:
            print(
                f"best similarity, {name.removesuffix('_similarity').replace('_', '-')}: "
                f"min {s['min']:.3f}, median {s['median']:.3f}, p90 {s['p90']:.3f}, "
                f"max {s['max']:.3f}"
            )
    a = report["answers"]
    modes = ", ".join(f"{k} {v}" for k, v in sorted(a["modes"].items()))
    print(
        f"\nanswers end to end ({a['asked']} in-corpus queries, extractive model): {modes}\n"
        f"  of the answers: every citation names a given passage and is supported "
        f"{a['citations_valid_and_supported']:.3f}; the cited passage is of the query's page "
        f"{a['cited_page_is_the_query_page']:.3f}; the query's page among the given passages "
        f"{a['query_page_among_given_passages']:.3f}"
    )
    load = ", ".join(f"{x:.1f}" for x in report["load_average"])
    print(
        f"\nrun time: {report['seconds']:.0f} s on {report['cpus']} CPUs "
        f"(load average at the end: {load})\ncommand: {report['command']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="pages indexed (default 400)")
    parser.add_argument("--answers", type=int, default=50, help="questions asked end to end")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (a role allowed to create databases): a throwaway database "
        "is made there and dropped at the end (default: a temporary SQLite file)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    command = shlex.join([".venv/bin/python", "benchmarks/insight_retrieval.py", *sys.argv[1:]])
    started = time.perf_counter()
    available = installed_pages()
    chosen = sample(available, args.pages)

    from gouvernail.settings import Settings

    with tempfile.TemporaryDirectory(prefix="insight-retrieval-bench-") as tmp:
        scratch = Path(tmp)
        folder = scratch / "manpages"
        folder.mkdir()
        print(f"rendering {len(chosen)} pages with man...", file=sys.stderr)
        pages, skipped = build_corpus(chosen, folder)
        with database_url(args.database_url, scratch) as url:
            settings = Settings(
                env="test",
                data_dir=scratch / "data",
                database_url=url,
                log_json=False,
                log_level="WARNING",
                password_hash_memory_kib=1024,
                password_hash_time_cost=1,
            )
            report = asyncio.run(measure(args, settings, folder, pages))
    version = _dpkg_query("-W", "-f=${Version}", PACKAGE).stdout
    queries = Counter(p.query for p in pages)
    report = {
        "command": command,
        "database": "PostgreSQL" if args.database_url else "SQLite",
        "candidates": settings.insight.candidates,
        "corpus": {
            "package": PACKAGE,
            "version": version,
            "available": len(available),
            "pages": len(pages),
            "skipped": skipped,
            "sections": dict(sorted(Counter(p.section for p in pages).items())),
            "characters": sum(len(p.markdown) for p in pages),
            "shared_queries": sum(n for n in queries.values() if n > 1),
        },
        **report,
        "seconds": time.perf_counter() - started,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    print_report(report)
    if args.json:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
