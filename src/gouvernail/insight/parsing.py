"""Turn uploaded documents into text sections that remember where they came from (PDF page,
slide, sheet), so that answers can cite them.

Parsing untrusted files is the riskiest thing the insight service does: PDF and Office parsers
have a history of hangs, memory blow-ups and crashes on crafted files. So the cheap checks (type,
size, zip central directory, encryption markers) run before any parser, and `Parser` runs the
parsers in worker processes under a memory limit and a deadline, killing a worker that overruns.

Office, HTML and CSV files go through markitdown's converters, picked by extension and called
directly: that keeps markitdown's content sniffing (magika), its fallback chain (which would,
for instance, hand a failing .docx to the generic zip converter), its plugins and its LLM
options out of the path, so nothing is guessed, loaded or fetched. PDF pages are read one by one
with pdfminer.six, because markitdown joins them and citations need page numbers.
"""

from __future__ import annotations

import contextlib
import html
import io
import logging
import multiprocessing
import os
import re
import resource
import signal
import threading
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import PurePath
from types import MappingProxyType, TracebackType
from typing import Final, Literal, Self, cast

ErrorCode = Literal[
    "unsupported_type", "corrupt", "encrypted", "too_large", "zip_bomb", "timeout", "empty",
    "bad_encoding",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text with one origin, so that every chunk cut from it can be cited precisely."""

    text: str
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    title: str
    media_type: str
    sections: tuple[Section, ...]


class UnparsableDocument(Exception):  # noqa: N818 - the name is the service's public API
    """The file cannot be indexed; ``message`` tells its owner what is wrong and what to do."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: ErrorCode = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ParseLimits:
    max_bytes: int = 50 * 2**20
    max_unpacked_bytes: int = 300 * 2**20
    max_ratio: float = 200.0
    max_chars: int = 5_000_000
    timeout_seconds: float = 60.0
    memory_bytes: int = 2 * 2**30


_Extracted = tuple[str | None, list[Section]]  # (metadata title, raw sections)

_LEGACY_OFFICE: Final = MappingProxyType({".doc": ".docx", ".ppt": ".pptx", ".xls": ".xlsx"})
_CFB_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# small members compressing very well are harmless and common (repetitive XML): only members
# above this size are held to the ratio
_RATIO_FLOOR_BYTES: Final = 2**20
_STARTUP_SECONDS: Final = 120.0
_TITLE_CHARS: Final = 300
_PLACEHOLDER_TITLES: Final = frozenset({"untitled", "(untitled)"})  # what some tools write

_LINE_BREAKS: Final = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_BLANK_LINES: Final = re.compile(r"\n{3,}")
# no overlapping repeats, so that hostile lines cannot make these quadratic
_HEADING: Final = re.compile(r" {0,3}#{1,6}[ \t]+(\S.*)")
_CLOSING_HASHES: Final = re.compile(r"(?<![ \t])[ \t]++#++[ \t]*+$")
_SLIDE_MARKER: Final = re.compile(r"^<!-- Slide number: (\d+) -->$", re.MULTILINE)
_SHEET_HEADING: Final = re.compile(r"^## (.*)$", re.MULTILINE)
_EMPTY_CELL: Final = re.compile(r"(?<=\| )NaN(?= \|)")  # how pandas renders a blank cell
_CORE_TITLE: Final = re.compile(rb"<dc:title>([^<]*)</dc:title>")
_WORD: Final = re.compile(r"\w")


def parse_in_process(name: str, content: bytes, limits: ParseLimits) -> ParsedDocument:
    """The same as `Parser.parse`, in the calling process: what the workers run, and enough for
    tests and small tools that trust their input."""
    extension = _check_request(name, content, limits)
    media_type, extract = _FORMATS[extension]
    try:
        metadata_title, raw = extract(content, limits)
    except UnparsableDocument:
        raise
    except MemoryError as exc:
        raise UnparsableDocument(
            "too_large", "reading this file needs more memory than allowed: split it up"
        ) from exc
    except Exception as exc:  # parsers raise anything at all on malformed input
        raise UnparsableDocument(
            "corrupt",
            f"the file could not be read as {extension} ({type(exc).__name__}): it may be "
            "damaged or not really of that type; open it, save it again and re-upload it",
        ) from exc
    sections = tuple(
        Section(text, section.page, section.slide, section.sheet)
        for section in raw
        if _WORD.search(text := _normalise(section.text))
    )
    if sum(len(section.text) for section in sections) > limits.max_chars:
        raise _too_many_chars(limits)
    if not sections:
        raise UnparsableDocument(
            "empty",
            "no text was found in this file; a scanned PDF needs OCR (text recognition) "
            "before it can be indexed",
        )
    return ParsedDocument(_title(sections, metadata_title, name), media_type, sections)


def _check_request(name: str, content: bytes, limits: ParseLimits) -> str:
    """The checks worth doing before handing the bytes to a worker."""
    extension = PurePath(name).suffix.lower()
    if extension in _LEGACY_OFFICE:
        raise UnparsableDocument(
            "unsupported_type",
            f"the old binary format {extension} is not supported: open the file in Office "
            f"and save it as {_LEGACY_OFFICE[extension]}",
        )
    if extension not in _FORMATS:
        kind = f"files of type {extension!r}" if extension else "files without an extension"
        raise UnparsableDocument(
            "unsupported_type", f"{kind} are not supported; supported: {', '.join(_FORMATS)}"
        )
    if len(content) > limits.max_bytes:
        raise UnparsableDocument(
            "too_large",
            f"the file is {len(content) / 2**20:.1f} MiB, above the limit of "
            f"{limits.max_bytes / 2**20:.1f} MiB: split it or remove images",
        )
    return extension


def _normalise(text: str) -> str:
    """One canonical form, so that offsets, search and injection detection see the same text.
    Hidden text is kept on purpose: the caller inspects everything."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", _LINE_BREAKS.sub("\n", text)))
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))  # a regex can be quadratic
    return _BLANK_LINES.sub("\n\n", text).strip()


def markdown_heading(line: str) -> str | None:
    """The title of a markdown ATX heading line (``## Title ##``), else None; shared with the
    chunker so that both agree on what a heading is."""
    if match := _HEADING.fullmatch(line):
        return _CLOSING_HASHES.sub("", match[1]).strip() or None
    return None


def _title(sections: tuple[Section, ...], metadata_title: str | None, name: str) -> str:
    for section in sections:
        for line in section.text.split("\n") if section.sheet is None else ():
            if heading := markdown_heading(line):
                return heading[:_TITLE_CHARS]
    title = " ".join(_normalise(metadata_title or "").split())[:_TITLE_CHARS]
    return title if title and title.lower() not in _PLACEHOLDER_TITLES else PurePath(name).stem


def _too_many_chars(limits: ParseLimits) -> UnparsableDocument:
    return UnparsableDocument(
        "too_large", f"the file holds more than {limits.max_chars:,} characters of text: split it"
    )


# -- text ----------------------------------------------------------------------------------------


def _decode(content: bytes, limits: ParseLimits) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 when that yields plain text."""
    text = _try_decode(content)
    if text is None or _binary(text.count("\x00"), len(text)):
        if _binary(content.count(0), len(content)):
            raise UnparsableDocument(
                "corrupt", "the file holds binary data, not text; if it is UTF-16, save it as UTF-8"
            )
        raise UnparsableDocument(
            "bad_encoding", "the text encoding was not recognised: save the file as UTF-8"
        )
    if len(text) > limits.max_chars:
        raise _too_many_chars(limits)
    return text


def _binary(nuls: int, length: int) -> bool:
    """Text has no NULs, save the odd stray one; binary data (or UTF-16 without a BOM) has
    plenty."""
    return nuls > 4 and nuls * 20 > length


def _try_decode(content: bytes) -> str | None:
    with contextlib.suppress(UnicodeDecodeError):
        return content.decode("utf-8-sig")
    encoding = "utf-16" if content.startswith((b"\xff\xfe", b"\xfe\xff")) else "cp1252"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for char in text if char < " " and char not in "\t\n\r\x0c")
    return text if encoding == "utf-16" or controls * 200 <= len(text) else None


def _plain_text(content: bytes, limits: ParseLimits) -> _Extracted:
    return None, [Section(_decode(content, limits))]


def _html(content: bytes, limits: ParseLimits) -> _Extracted:
    markdown, title = _convert(_decode(content, limits).encode(), ".html")
    return title, [Section(markdown)]


def _csv(content: bytes, limits: ParseLimits) -> _Extracted:
    return None, [Section(_convert(_decode(content, limits).encode(), ".csv")[0])]


# -- office --------------------------------------------------------------------------------------


def _open_ooxml(content: bytes, limits: ParseLimits) -> zipfile.ZipFile:
    """Check the zip's central directory before any parser inflates a member. zipfile holds
    every member to its declared size when reading, so a directory that lies fails the CRC."""
    if content.startswith(_CFB_MAGIC):  # a compound file: encrypted OOXML, or a renamed .doc
        if "EncryptedPackage".encode("utf-16-le") in content:
            raise UnparsableDocument(
                "encrypted", "the file is password-protected: ask its owner for an unprotected copy"
            )
        raise UnparsableDocument(
            "unsupported_type",
            "the file is in an old binary Office format despite its name: open it in Office "
            "and save it in the current format (.docx, .pptx, .xlsx)",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnparsableDocument(
            "corrupt",
            "the file is damaged (not a valid Office archive; perhaps truncated): open it, "
            "save it again and re-upload it",
        ) from exc
    total = 0
    for member in archive.infolist():
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > limits.max_unpacked_bytes or (
            member.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_ratio
        ):
            raise UnparsableDocument(
                "zip_bomb",
                "the file would unpack to an abnormal size (a 'zip bomb', or an oversized "
                "document), so it was not opened: save it again from Office, or split it",
            )
    return archive


def _core_title(archive: zipfile.ZipFile) -> str | None:
    with contextlib.suppress(KeyError):
        match = _CORE_TITLE.search(archive.read("docProps/core.xml"))  # sizes checked above
        return html.unescape(match[1].decode("utf-8", "replace")) if match else None
    return None


def _docx(content: bytes, limits: ParseLimits) -> _Extracted:
    title = _core_title(_open_ooxml(content, limits))
    return title, [Section(_convert(content, ".docx")[0])]


def _pptx(content: bytes, limits: ParseLimits) -> _Extracted:
    """One section per slide. markitdown numbers its slide markers 1, 2, 3...: only the marker
    with the next number counts, so a slide quoting a marker cannot renumber the ones before."""
    title = _core_title(_open_ooxml(content, limits))
    markdown = _convert(content, ".pptx")[0]
    sections: list[Section] = []
    number, position = 0, 0
    for marker in _SLIDE_MARKER.finditer(markdown):
        if int(marker[1]) == number + 1:
            if number:
                sections.append(Section(markdown[position : marker.start()], slide=number))
            number, position = number + 1, marker.end()
    if number:
        sections.append(Section(markdown[position:], slide=number))
    return title, sections


def _xlsx(content: bytes, limits: ParseLimits) -> _Extracted:
    """One section per sheet: markitdown heads each sheet with ``## name`` and renders cells as
    table rows (lines starting with ``|``), so a cell cannot forge a sheet heading."""
    title = _core_title(_open_ooxml(content, limits))
    markdown = _EMPTY_CELL.sub("", _convert(content, ".xlsx")[0])
    headings = list(_SHEET_HEADING.finditer(markdown))
    ends = [heading.start() for heading in headings[1:]] + [len(markdown)]
    return title, [
        Section(markdown[heading.end() : end], sheet=heading[1])
        for heading, end in zip(headings, ends, strict=True)
    ]


def _convert(content: bytes, extension: str) -> tuple[str, str | None]:
    """(markdown, title) from markitdown's converter for the extension, called directly."""
    from markitdown import StreamInfo
    from markitdown.converters import (
        CsvConverter,
        DocxConverter,
        HtmlConverter,
        PptxConverter,
        XlsxConverter,
    )

    converters = {
        ".docx": DocxConverter,
        ".pptx": PptxConverter,
        ".xlsx": XlsxConverter,
        ".html": HtmlConverter,
        ".csv": CsvConverter,
    }
    converter = converters[extension]()  # type: ignore[no-untyped-call]
    result = converter.convert(
        io.BytesIO(content), StreamInfo(extension=extension, charset="utf-8")
    )
    return result.markdown, result.title


# -- pdf -----------------------------------------------------------------------------------------


def _pdf(content: bytes, limits: ParseLimits) -> _Extracted:
    """One section per page."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    if b"%PDF-" not in content[:1024]:
        raise UnparsableDocument("corrupt", "the file is not a PDF despite its name")
    try:
        document = PDFDocument(PDFParser(io.BytesIO(content)))
    except PDFEncryptionError as exc:
        raise UnparsableDocument(
            "encrypted", "the PDF is password-protected: ask its owner for an unprotected copy"
        ) from exc
    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=LAParams())
    interpreter = PDFPageInterpreter(manager, device)
    sections: list[Section] = []
    total = 0
    for number, page in enumerate(PDFPage.create_pages(document), start=1):
        interpreter.process_page(page)
        layout = device.get_result()
        text = "".join(item.get_text() for item in layout if isinstance(item, LTTextContainer))
        total += len(text)
        if total > limits.max_chars:
            raise _too_many_chars(limits)
        sections.append(Section(text, page=number))
    return _pdf_title(document.info), sections


def _pdf_title(info: list[dict[str, object]]) -> str | None:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    for entry in info:
        title = resolve1(entry.get("Title"))
        if isinstance(title, bytes | str):
            return decode_text(title) if isinstance(title, bytes) else title
    return None


_OOXML: Final = "application/vnd.openxmlformats-officedocument"
_FORMATS: Final = MappingProxyType(
    {
        ".pdf": ("application/pdf", _pdf),
        ".docx": (f"{_OOXML}.wordprocessingml.document", _docx),
        ".pptx": (f"{_OOXML}.presentationml.presentation", _pptx),
        ".xlsx": (f"{_OOXML}.spreadsheetml.sheet", _xlsx),
        ".html": ("text/html", _html),
        ".htm": ("text/html", _html),
        ".md": ("text/markdown", _plain_text),
        ".markdown": ("text/markdown", _plain_text),
        ".txt": ("text/plain", _plain_text),
        ".csv": ("text/csv", _csv),
    }
)


# -- worker pool ---------------------------------------------------------------------------------


def _serve(connection: Connection, limits: ParseLimits) -> None:
    """A worker's life: limit memory, import the parsers once, then parse until told to stop.
    Malformed files make parsers chatter (warnings, pdfminer log lines): nobody reads this
    process's output and every outcome travels back as a reply, so the chatter is silenced."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    # numerical libraries start a thread per core, each reserving address space that the limit
    # counts: one is plenty here (this works as long as nothing imported numpy yet)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers stop
    logging.getLogger().addHandler(logging.NullHandler())
    warnings.simplefilter("ignore")
    import markitdown.converters  # noqa: F401
    import pdfminer.high_level  # noqa: F401

    connection.send("ready")
    with contextlib.suppress(EOFError):  # the server went away
        while (job := connection.recv()) is not None:
            name, content = job
            try:
                connection.send(("ok", parse_in_process(name, content, limits)))
            except UnparsableDocument as exc:
                # a process that ran out of memory is not trusted with the next file
                retire = isinstance(exc.__cause__, MemoryError)
                connection.send(("error", exc.code, exc.message, retire))
                if retire:
                    return


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    connection: Connection

    @classmethod
    def start(cls, limits: ParseLimits) -> _Worker:
        context = multiprocessing.get_context("spawn")  # never fork: the server has threads
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs, limits), name="gouvernail-parser", daemon=True
        )
        process.start()
        theirs.close()
        worker = cls(process, ours)
        with contextlib.suppress(EOFError, OSError):
            if ours.poll(_STARTUP_SECONDS) and ours.recv() == "ready":
                return worker
        worker.stop()
        raise RuntimeError(
            f"the document parsing worker did not start (exit code {process.exitcode}); "
            "check ParseLimits.memory_bytes"
        )

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()


class Parser:
    """Parses documents in worker processes, so that a hostile file can neither hang nor
    exhaust the server: a small pool, started on first use and kept warm (a worker takes a
    couple of seconds to import the parsers); a worker that times out, crashes or runs out of
    memory is killed and replaced, and the caller gets `UnparsableDocument`.

    Workers are spawned, never forked, so the program's main module must be safe to import
    (the usual ``if __name__ == "__main__":`` guard)."""

    def __init__(self, limits: ParseLimits = ParseLimits(), *, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._limits = limits
        self._size = workers
        self._idle: list[_Worker] = []
        self._started = 0
        self._closed = False
        self._changed = threading.Condition()

    def parse(self, name: str, content: bytes) -> ParsedDocument:
        """Thread-safe; waits for a free worker. Raises `UnparsableDocument`, or RuntimeError
        when no worker can start (a server problem, not the document's)."""
        _check_request(name, content, self._limits)
        worker = self._acquire()
        healthy = False
        try:
            try:
                worker.connection.send((name, content))
            except OSError:  # it died while idle: the file was not read, so use a fresh one
                worker.stop()
                worker = _Worker.start(self._limits)
                worker.connection.send((name, content))
            reply = self._receive(worker)
            healthy = reply[0] == "ok" or not reply[3]
        finally:
            self._release(worker, healthy=healthy)
        if reply[0] == "ok":
            return cast(ParsedDocument, reply[1])
        raise UnparsableDocument(cast(ErrorCode, reply[1]), cast(str, reply[2]))

    def _receive(self, worker: _Worker) -> tuple[object, ...]:
        if not worker.connection.poll(self._limits.timeout_seconds):
            raise UnparsableDocument(
                "timeout",
                f"reading the file took more than {self._limits.timeout_seconds:g} s and was "
                "stopped: it may be malformed or too complex; save it again, or split it",
            )
        try:
            return cast(tuple[object, ...], worker.connection.recv())
        except (EOFError, OSError):
            worker.process.join(5)
            raise UnparsableDocument(
                "corrupt",
                f"the parser crashed on this file (exit code {worker.process.exitcode}): it is "
                "probably damaged; open it, save it again and re-upload it",
            ) from None

    def _acquire(self) -> _Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise RuntimeError("the parser is closed")
                if self._idle:
                    return self._idle.pop()
                if self._started < self._size:
                    self._started += 1
                    break
                self._changed.wait()
        try:
            return _Worker.start(self._limits)  # outside the lock: it takes seconds
        except BaseException:
            with self._changed:
                self._started -= 1
                self._changed.notify()
            raise

    def _release(self, worker: _Worker, *, healthy: bool) -> None:
        with self._changed:
            keep = healthy and not self._closed and worker.process.is_alive()
            if keep:
                self._idle.append(worker)
            else:
                self._started -= 1
            self._changed.notify()
        if not keep:
            worker.stop()

    def close(self) -> None:
        """Stop the idle workers now; busy ones stop when their document is done."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._started -= len(idle)
            self._changed.notify_all()
        for worker in idle:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
            worker.process.join(5)
            worker.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
