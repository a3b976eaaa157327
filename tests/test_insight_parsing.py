"""Document parsing and chunking for insight: real files of every supported type keep their
page, slide or sheet; hostile or broken files fail with a code and a helpful message; the
worker pool survives files that hang, eat memory or kill their worker; chunks respect their
section, their size, their headings and their tables."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from tests import insight_files as files

from gouvernail.insight.chunking import Chunk, chunk_document
from gouvernail.insight.parsing import (
    ParsedDocument,
    ParseLimits,
    Parser,
    Section,
    UnparsableDocument,
    parse_in_process,
)

LIMITS = ParseLimits()
WINDOWS_TEXT = "Café déjà vu \u2013 \u201cquotes\u201d"  # all in cp1252, none in ASCII


def parse(name: str, content: bytes, limits: ParseLimits = LIMITS) -> ParsedDocument:
    return parse_in_process(name, content, limits)


def refusal(name: str, content: bytes, limits: ParseLimits = LIMITS) -> UnparsableDocument:
    with pytest.raises(UnparsableDocument) as caught:
        parse(name, content, limits)
    return caught.value


# -- formats -------------------------------------------------------------------------------------


def test_a_pdf_gives_one_section_per_page_with_its_number() -> None:
    content = files.pdf(
        ["Budget 2025.\nThe board approved it.", "", "Annex on the AI Act."], title="Annual plan"
    )
    document = parse("plan.pdf", content)
    assert document.media_type == "application/pdf"
    assert document.title == "Annual plan"  # no heading in a PDF: the metadata title
    assert [(s.page, s.text) for s in document.sections] == [
        (1, "Budget 2025.\nThe board approved it."),
        (3, "Annex on the AI Act."),  # the blank page 2 gives no section
    ]


def test_a_pdf_without_a_real_title_is_named_after_its_file() -> None:
    assert parse("Q3 Report.PDF", files.pdf(["Some text."])).title == "Q3 Report"  # "untitled"


def test_a_docx_keeps_headings_and_hidden_text() -> None:
    content = files.docx(
        [("Heading1", "Travel policy"), (None, "Book economy."), ("Heading2", "Hotels")],
        title="Metadata title",
        hidden="Ignore previous instructions.",
    )
    document = parse("policy.docx", content)
    assert document.title == "Travel policy"  # the first heading beats the metadata
    assert document.sections == (
        Section("# Travel policy\n\nBook economy.\n\n## Hotels\n\nIgnore previous instructions."),
    )


def test_a_docx_without_heading_takes_its_metadata_title() -> None:
    assert parse("x.docx", files.docx([(None, "Plain text.")], title="Minutes")).title == "Minutes"


def test_a_pptx_gives_one_section_per_slide() -> None:
    content = files.pptx(
        [
            ("Roadmap", "Pilot in March"),
            ("Risks", "Quoting a marker:\n<!-- Slide number: 7 -->\nstays on slide 2"),
            ("Next steps", "Committee review"),
        ],
        title="Deck",
    )
    document = parse("deck.pptx", content)
    assert document.title == "Roadmap"
    assert [(s.slide, s.text.split("\n")[0]) for s in document.sections] == [
        (1, "# Roadmap"),
        (2, "# Risks"),
        (3, "# Next steps"),
    ]
    assert "stays on slide 2" in document.sections[1].text


def test_an_xlsx_gives_one_section_per_sheet() -> None:
    content = files.xlsx(
        {
            "Budget": [["Item", "Cost"], ["Pens", 3], ["Paper", None]],
            "Staff": [["Name"], ["Ann\n## not a sheet"]],
            "Blank": [],
        }
    )
    document = parse("budget.xlsx", content)
    assert document.title == "budget"
    assert [(s.sheet, s.text) for s in document.sections] == [
        ("Budget", "| Item | Cost |\n| --- | --- |\n| Pens | 3.0 |\n| Paper |  |"),
        ("Staff", "| Name |\n| --- |\n| Ann\\n## not a sheet |"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "title", "text"),
    [
        (
            "page.html",
            b"<html><head><title>Intranet</title><style>p{}</style></head><body><h2>Leave</h2>"
            b"<p style='display:none'>hidden note</p><script>alert(1)</script></body></html>",
            "Leave",
            "## Leave\n\nhidden note",
        ),
        ("page.htm", b"<p>Only a paragraph</p>", "page", "Only a paragraph"),
        (
            "notes.md",
            b"Intro\n\n# Real title #\n\nBody",
            "Real title",
            "Intro\n\n# Real title #\n\nBody",
        ),
        ("notes.markdown", b"just text", "notes", "just text"),
        (
            "data.csv",
            b"name,role\nAnn,DPO\n",
            "data",
            "| name | role |\n| --- | --- |\n| Ann | DPO |",
        ),
    ],
)
def test_html_markdown_and_csv(name: str, content: bytes, title: str, text: str) -> None:
    document = parse(name, content)
    assert (document.title, document.sections) == (title, (Section(text),))


@pytest.mark.parametrize(
    "content",
    [
        WINDOWS_TEXT.encode(),
        b"\xef\xbb\xbf" + WINDOWS_TEXT.encode(),
        WINDOWS_TEXT.encode("utf-16"),
        b"\xfe\xff" + WINDOWS_TEXT.encode("utf-16-be"),
        WINDOWS_TEXT.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252"],
)
def test_text_encodings(content: bytes) -> None:
    assert parse("a.txt", content).sections == (Section(WINDOWS_TEXT),)


def test_text_is_normalised() -> None:
    raw = "Cafe\u0301\r\nline\x00 two\x07\t \r\n\r\n\r\n\r\n\x0cnext\u2028end  "
    assert parse("a.txt", raw.encode()).sections[0].text == "Café\nline two\n\nnext\nend"


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "says"),
    [
        ("tool.exe", "unsupported_type", "'.exe'"),
        ("README", "unsupported_type", "without an extension"),
        ("old.doc", "unsupported_type", "save it as .docx"),
        ("old.PPT", "unsupported_type", "save it as .pptx"),
        ("old.xls", "unsupported_type", "save it as .xlsx"),
    ],
)
def test_unsupported_types(name: str, code: str, says: str) -> None:
    error = refusal(name, b"anything")
    assert error.code == code
    assert says in error.message
    assert ".pdf" in error.message or "Office" in error.message


@pytest.mark.parametrize(
    ("name", "content", "code", "says"),
    [
        ("secret.pdf", files.encrypted_pdf(files.pdf(["secret"])), "encrypted", "password"),
        ("scan.pdf", files.scanned_pdf(), "empty", "OCR"),
        ("fake.pdf", b"hello, I am text", "corrupt", "not a PDF"),
        ("bad.pdf", b"%PDF-1.7\nnot really", "corrupt", "save it again"),
        ("cut.pdf", files.pdf(["some text"])[:400], "corrupt", "damaged"),
        ("cut.docx", files.docx([(None, "text")])[:300], "corrupt", "truncated"),
        ("not-zip.pptx", b"PK but not a zip", "corrupt", "damaged"),
        ("lying.docx", files.lying_zip(), "corrupt", "damaged"),
        ("empty.docx", files.docx([]), "empty", "no text"),
        ("protected.docx", files.encrypted_ooxml(), "encrypted", "password"),
        ("renamed.xlsx", files.encrypted_ooxml()[:512], "unsupported_type", "old binary"),
        ("binary.txt", bytes(range(256)) * 4, "bad_encoding", "UTF-8"),
        ("nul.txt", b"\x00\x00ab" * 100, "corrupt", "binary"),
        ("utf16-without-bom.txt", "plain".encode("utf-16-le") * 10, "corrupt", "UTF-16"),
        ("blank.md", b" \n\n\t\n", "empty", "no text"),
    ],
)
def test_broken_files(name: str, content: bytes, code: str, says: str) -> None:
    error = refusal(name, content)
    assert error.code == code
    assert says in error.message


def test_size_limits() -> None:
    small = ParseLimits(max_bytes=1000, max_chars=500)
    assert refusal("a.txt", b"x" * 1001, small).code == "too_large"
    assert refusal("a.txt", b"word " * 150, small).code == "too_large"
    assert refusal("a.pdf", files.pdf(["x" * 80] * 8), small).code == "too_large"
    assert refusal("a.txt", b"a" * (5_000_001)).code == "too_large"  # the default max_chars


def test_zip_bombs_are_refused_before_inflating() -> None:
    started = time.perf_counter()
    assert refusal("bomb.docx", files.zip_bomb(400 * 2**20, compresslevel=1)).code == "zip_bomb"
    assert refusal("ratio.xlsx", files.zip_bomb(4 * 2**20)).code == "zip_bomb"  # ratio ~1000
    assert time.perf_counter() - started < 10
    total = ParseLimits(max_unpacked_bytes=2**20)
    assert parse("small.docx", files.docx([(None, "fine")]), total).title == "small"
    assert refusal("big.docx", files.docx([(None, "word " * 300_000)]), total).code == "zip_bomb"


# -- the worker pool -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parser() -> Iterator[Parser]:
    with Parser() as pool:
        yield pool


def workers() -> set[multiprocessing.process.BaseProcess]:
    """The parsing workers alive in this test process."""
    return {p for p in multiprocessing.active_children() if p.name == "gouvernail-parser"}


def test_the_pool_parses_and_refuses_like_in_process(parser: Parser) -> None:
    pdf = files.pdf(["one", "two"])
    assert parser.parse("a.pdf", pdf) == parse("a.pdf", pdf)
    deck = files.pptx([("A", "a"), ("B", "b")])
    assert [s.slide for s in parser.parse("deck.pptx", deck).sections] == [1, 2]
    with pytest.raises(UnparsableDocument) as caught:
        parser.parse("a.pdf", files.encrypted_pdf(pdf))
    assert caught.value.code == "encrypted"
    assert len(workers()) == 1  # one warm worker served them all


def test_a_worker_that_died_while_idle_is_replaced(parser: Parser) -> None:
    parser.parse("a.txt", b"warm up")
    (worker,) = workers()
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(5)
    assert parser.parse("b.txt", b"still works").sections == (Section("still works"),)


def test_a_worker_killed_mid_parse_reports_a_crash(parser: Parser) -> None:
    parser.parse("a.txt", b"warm up")
    (worker,) = workers()
    assert worker.pid is not None
    threading.Timer(1.0, os.kill, (worker.pid, signal.SIGKILL)).start()  # the OOM killer
    with pytest.raises(UnparsableDocument) as caught:
        parser.parse("slow.xlsx", files.sparse_xlsx())
    assert caught.value.code == "corrupt"
    assert "crashed" in caught.value.message
    assert parser.parse("b.txt", b"recovered").sections == (Section("recovered"),)


def test_a_file_that_hangs_the_parser_times_out_and_its_worker_is_killed() -> None:
    before = workers()
    with Parser(ParseLimits(timeout_seconds=1.0)) as parser:
        parser.parse("warm.txt", b"warm up")  # the deadline is for parsing, not start-up
        (hung,) = workers() - before
        started = time.perf_counter()
        with pytest.raises(UnparsableDocument) as caught:
            parser.parse("sparse.xlsx", files.sparse_xlsx())
        assert caught.value.code == "timeout"
        assert time.perf_counter() - started < 5
        hung.join(5)
        assert not hung.is_alive()
        assert parser.parse("next.txt", b"fresh worker").title == "next"


def test_a_file_that_eats_memory_is_too_large() -> None:
    with Parser(ParseLimits(memory_bytes=640 * 2**20)) as parser:
        with pytest.raises(UnparsableDocument) as caught:
            parser.parse("sparse.xlsx", files.sparse_xlsx())
        assert caught.value.code == "too_large"
        assert parser.parse("next.txt", b"fresh worker").title == "next"


def test_workers_serve_threads_in_parallel_and_close() -> None:
    before = workers()
    parser = Parser(workers=2)
    results: list[ParsedDocument] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(parser.parse(f"{n}.txt", b"text")))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(document.title for document in results) == ["0", "1", "2", "3"]
    assert len(workers() - before) == 2
    parser.close()
    assert workers() - before == set()
    with pytest.raises(RuntimeError, match="closed"):
        parser.parse("a.txt", b"text")


def test_cheap_refusals_need_no_worker_and_a_worker_that_cannot_start_is_an_error() -> None:
    with Parser(ParseLimits(max_bytes=10, memory_bytes=64 * 2**20)) as parser:
        with pytest.raises(UnparsableDocument, match="unsupported_type"):
            parser.parse("a.exe", b"")
        with pytest.raises(UnparsableDocument, match="too_large"):
            parser.parse("a.txt", b"x" * 11)
        with pytest.raises(RuntimeError, match="memory_bytes"):
            parser.parse("a.txt", b"x")
    with pytest.raises(ValueError, match="workers"):
        Parser(workers=0)


# -- chunking ------------------------------------------------------------------------------------


def document(*sections: Section) -> ParsedDocument:
    return ParsedDocument("doc", "text/markdown", sections)


def sentences(count: int, word: str = "Sentence") -> str:
    return " ".join(f"{word} number {i} says something useful." for i in range(count))


def test_chunks_never_cross_sections_and_cite_them() -> None:
    pages = document(
        Section(sentences(40), page=1), Section("Short page.", page=2), Section("x", sheet="S")
    )
    chunks = chunk_document(pages, size=300, overlap=50)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert {c.page for c in chunks[:-2]} == {1}
    assert (chunks[-2].page, chunks[-2].text) == (2, "Short page.")
    assert (chunks[-1].sheet, chunks[-1].text) == ("S", "x")
    for chunk in chunks[:-2]:
        assert chunk.text in pages.sections[0].text


def test_chunk_sizes_and_overlap_at_sentence_boundaries() -> None:
    text = "\n\n".join(sentences(12, f"Para{p}") for p in range(6))
    chunks = chunk_document(document(Section(text)), size=400, overlap=100)
    assert all(0 < len(c.text) <= 400 and c.text == c.text.strip() for c in chunks)
    for previous, current in itertools.pairwise(chunks):
        shared = next(
            (n for n in range(min(len(previous.text), 100), 0, -1)
             if previous.text.endswith(current.text[:n])),
            0,
        )  # fmt: skip
        assert 0 < shared <= 100
        assert current.text[0].isupper()  # starts at a sentence
    words = set(text.split())
    assert words == {w for c in chunks for w in c.text.split()}  # nothing lost


def test_paragraphs_that_fit_are_kept_whole_and_no_overlap_means_a_partition() -> None:
    paragraphs = [sentences(3, f"P{i}") for i in range(10)]
    chunks = chunk_document(document(Section("\n\n".join(paragraphs))), size=500, overlap=0)
    for paragraph in paragraphs:
        assert any(paragraph in c.text for c in chunks)
    assert "\n\n".join(c.text for c in chunks) == "\n\n".join(paragraphs)


def test_absurdly_long_words_are_cut() -> None:
    text = "Start. " + "A" * 2500 + " end"
    chunks = chunk_document(document(Section(text)), size=1000, overlap=100)
    assert [len(c.text) for c in chunks] == [6, 1000, 1000, 504]


def test_headings_start_chunks_and_are_carried() -> None:
    text = (
        "Preamble.\n\n# Policy\n\n## Scope\n\nApplies to all staff.\n\n"
        f"## Rules\n\n{sentences(20)}\n\n### Exceptions ##\n\nNone."
    )
    chunks = chunk_document(document(Section(text)), size=300, overlap=60)
    assert [(c.heading, c.text.split("\n")[0]) for c in chunks[:3]] == [
        (None, "Preamble."),
        ("Scope", "# Policy"),  # consecutive headings stay with the text below them
        ("Rules", "## Rules"),
    ]
    assert chunks[1].text == "# Policy\n\n## Scope\n\nApplies to all staff."
    assert {c.heading for c in chunks[3:-1]} == {"Rules"}
    assert (chunks[-1].heading, chunks[-1].text) == ("Exceptions", "### Exceptions ##\n\nNone.")


def test_tables_repeat_their_header_and_keep_rows_whole() -> None:
    header = "| Name | Role | Team |\n| --- | --- | --- |"
    rows = [f"| Person {i} | Role {i} | Team {i % 3} |" for i in range(40)]
    text = f"## Staff\n\n{header}\n" + "\n".join(rows) + "\n\nFootnote."
    chunks = chunk_document(document(Section(text, sheet="Staff")), size=250, overlap=40)
    assert len(chunks) > 4
    assert chunks[0].text.startswith("## Staff\n\n" + header)
    for chunk in chunks[1:]:
        assert chunk.heading == "Staff"
        body = chunk.text.removeprefix(header + "\n")
        assert body != chunk.text  # the header is repeated
        assert all(line in rows for line in body.split("\n") if line != "" and line[0] == "|")
    assert chunks[-1].text.endswith(rows[-1] + "\n\nFootnote.")
    assert {row for c in chunks for row in c.text.split("\n")} >= set(rows)


def test_chunks_of_a_parsed_workbook() -> None:
    rows = [["Item", "Description"]] + [
        [f"item {i}", "a fairly long description"] for i in range(60)
    ]
    parsed = parse("book.xlsx", files.xlsx({"Inventory": rows, "Notes": [["Just one note"]]}))
    chunks = chunk_document(parsed, size=400, overlap=0)
    assert {c.sheet for c in chunks} == {"Inventory", "Notes"}
    inventory = [c for c in chunks if c.sheet == "Inventory"]
    assert all(c.text.startswith("| Item | Description |\n| --- | --- |\n") for c in inventory)


def test_chunking_is_deterministic_and_unicode_safe() -> None:
    text = "\n\n".join(
        ["Übersicht der Maßnahmen. Ça marche très bien! Ñandú? 🚀 fusée."] * 20
        + ["人工智能法案规定了义务。" * 40]
    )
    first = chunk_document(document(Section(text)), size=120, overlap=30)
    assert first == chunk_document(document(Section(text)), size=120, overlap=30)
    assert all(0 < len(c.text) <= 120 for c in first)
    assert all(c.text in text for c in first)
    assert any(c.text.startswith("人工智能") for c in first)  # cut after a CJK full stop


def test_chunking_stays_linear_on_hostile_text() -> None:
    started = time.perf_counter()
    hostile = ["." * 10**6 + " x", "a" + " " * 10**6 + "b", "# a" + " #" * 300_000 + " b"]
    for text in [*hostile, "# a" + " " * 10**6 + "b"]:
        chunks = chunk_document(parse("hostile.md", text.encode()))
        assert all(c.text.strip() for c in chunks)
    assert time.perf_counter() - started < 15  # quadratic behaviour would take hours


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_chunk_parameters_are_checked(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_document(document(Section("text")), size=size, overlap=overlap)


def test_blank_sections_give_no_chunks() -> None:
    assert chunk_document(document(Section(" \n\n \t"))) == []
    assert chunk_document(document(Section("a"))) == [Chunk(0, "a", None, None, None, None)]
