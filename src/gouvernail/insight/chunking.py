"""Cut parsed documents into chunks small enough to embed and quote, each citing one page,
slide or sheet.

A chunk is a slice of one section's text, so it never mixes two origins and quotes the document
exactly; the only text added is a table's header row, repeated at the top of a chunk that
starts inside the table, so that the rows it holds stay readable on their own. Cuts fall, in
order of preference, between paragraphs (and table rows), between sentences, between words, and
only inside a word longer than a whole chunk. A markdown heading always starts a new chunk, so
chunks follow the document's structure and carry the heading they sit under.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, NamedTuple

from gouvernail.insight.parsing import ParsedDocument, markdown_heading

# patterns stay linear on hostile input: no nested or overlapping repeats (a line of a million
# dots or spaces must not take minutes)
_TABLE_ROW: Final = re.compile(r"[ \t]*\|")
_RULE_CHARS: Final = frozenset("|:- \t")  # a table's header rule: | --- | :-: |
# a sentence ends with . ! ? or an ellipsis followed by a space, or with a CJK full stop,
# exclamation or question mark; closing quotes and brackets stay with their sentence
_CLOSERS: Final = r"[\"'\u201d\u2019\u00bb)\]\u300d\u300f]*+"
_SENTENCE: Final = (
    rf"(?:(?<![.!?\u2026])[.!?\u2026]++{_CLOSERS}(?=\s)"
    rf"|(?<![\u3002\uff01\uff1f])[\u3002\uff01\uff1f]++{_CLOSERS})"
)
_SENTENCE_END: Final = re.compile(_SENTENCE + r"(\s*)")
_WORD: Final = re.compile(r"\S+")
# where an overlap may begin: a sentence, a paragraph or a table row; else any word
_STRONG_BOUNDARY: Final = re.compile(_SENTENCE + r"\s*|\n[ \t]*\n\s*|\n(?=[ \t]*\|)")
_WEAK_BOUNDARY: Final = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    text: str
    page: int | None
    slide: int | None
    sheet: str | None
    heading: str | None


def chunk_document(document: ParsedDocument, *, size: int = 800, overlap: int = 100) -> list[Chunk]:
    """Chunks of about ``size`` characters; consecutive chunks of a section share up to
    ``overlap`` characters (none after a heading break), so a fact cut in two stays findable."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError("size must be positive and overlap between 0 and size - 1")
    chunks: list[Chunk] = []
    for section in document.sections:
        for text, heading in _Layout(section.text, size).chunks(overlap):
            chunks.append(
                Chunk(len(chunks), text, section.page, section.slide, section.sheet, heading)
            )
    return chunks


class _Unit(NamedTuple):  # a tuple: documents have hundreds of thousands of them
    """The smallest span kept whole: a heading, paragraph, sentence, word or table row, at
    most ``size`` long, without surrounding whitespace."""

    start: int
    end: int
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class _Table:
    start: int
    rows_start: int  # where the rows after the header begin
    end: int
    header: str  # "" when the header is not repeated


class _Layout:
    """One section's text seen as units, headings and tables."""

    def __init__(self, text: str, size: int) -> None:
        self.text = text
        self.size = size
        self.units: list[_Unit] = []
        self.tables: list[_Table] = []
        self.table_starts: list[int] = []
        self.heading_starts: list[int] = []
        self.headings: list[str] = []
        self._scan()

    def _scan(self) -> None:
        block: list[tuple[int, int]] = []  # lines of the current paragraph or table
        in_table = False
        position = 0
        for line in [*self.text.split("\n"), ""]:
            start, end = position, position + len(line)
            position = end + 1
            heading = markdown_heading(line) if len(line) <= self.size else None
            row = _TABLE_ROW.match(line) is not None
            if block and (not line.strip() or heading or row != in_table):
                self._add_block(block, in_table)
                block = []
            if heading:
                self.heading_starts.append(start)
                self.headings.append(heading)
                self.units.append(_Unit(start, end, heading))
            elif line.strip():
                block.append((start, end))
                in_table = row

    def _add_block(self, lines: list[tuple[int, int]], is_table: bool) -> None:
        if not is_table:
            self._add_span(lines[0][0], lines[-1][1], sentences=True)
            return
        rows = lines
        header = ""
        if len(lines) > 1 and _is_rule(self.text[slice(*lines[1])]):
            rows = lines[2:]
            header = self.text[lines[0][0] : lines[1][1]]
            self._add_span(lines[0][0], lines[1][1], sentences=False)
        rows_start = rows[0][0] if rows else lines[-1][1]
        repeated = header if len(header) <= self.size // 2 else ""
        self.tables.append(_Table(lines[0][0], rows_start, lines[-1][1], repeated))
        self.table_starts.append(lines[0][0])
        for start, end in rows:
            self._add_span(start, end, sentences=False)

    def _add_span(self, start: int, end: int, *, sentences: bool) -> None:
        """Add a span as one unit if it fits, else cut at sentences, then words, then
        anywhere."""
        text, size, units = self.text, self.size, self.units
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            return
        if end - start <= size:
            units.append(_Unit(start, end))
        elif sentences:
            position = start
            for match in _SENTENCE_END.finditer(text, start, end):
                if match.start(1) - position <= size:  # the common case, kept cheap
                    units.append(_Unit(position, match.start(1)))
                else:
                    self._add_span(position, match.start(1), sentences=False)
                position = match.end()
            self._add_span(position, end, sentences=False)
        elif _WORD.fullmatch(text, start, end) is None:
            for word in _WORD.finditer(text, start, end):
                if word.end() - word.start() <= size:
                    units.append(_Unit(word.start(), word.end()))
                else:
                    self._add_span(word.start(), word.end(), sentences=False)
        else:
            for piece in range(start, end, size):
                units.append(_Unit(piece, min(piece + size, end)))

    def chunks(self, overlap: int) -> Iterator[tuple[str, str | None]]:
        """Pack units greedily into chunks of at most ``size`` characters. A chunk that holds
        only headings is never cut, so a heading always keeps some text after it."""
        start = end = -1
        room = 0  # what the current chunk can hold from its start: size less any header
        only_headings = False
        for unit in self.units:
            if start < 0 or (not only_headings and unit.heading is not None):
                if start >= 0:
                    yield self._render(start, end)
                start, end, only_headings = unit.start, unit.end, unit.heading is not None
            elif only_headings:
                end, only_headings = unit.end, unit.heading is not None
            elif unit.end - start <= room:
                end = unit.end
                continue
            else:
                yield self._render(start, end)
                start, end = self._overlap_start(start, end, unit, overlap), unit.end
            room = self.size - len(self._prefix(start))
        if start >= 0:
            yield self._render(start, end)

    def _overlap_start(self, start: int, end: int, unit: _Unit, overlap: int) -> int:
        """Where the next chunk begins: the earliest boundary within the last ``overlap``
        characters of the previous chunk that still leaves room for ``unit``; else ``unit``."""
        earliest = max(end - overlap, start + 1)
        # a boundary's match may begin a little before it; lookbehinds see before the offset
        window = max(earliest - 16, start)
        for pattern in (_STRONG_BOUNDARY, _WEAK_BOUNDARY):
            for match in pattern.finditer(self.text, window, end):
                position = match.end()
                if (
                    earliest <= position < end
                    and self._may_start(position)
                    and self._length(position, unit.end) <= self.size
                ):
                    return position
        return unit.start

    def _table_at(self, position: int) -> _Table | None:
        index = bisect.bisect_right(self.table_starts, position) - 1
        if index >= 0 and position < self.tables[index].end:
            return self.tables[index]
        return None

    def _may_start(self, position: int) -> bool:
        """Inside a table a chunk may only start at a row, never in the header or mid-row."""
        table = self._table_at(position)
        return table is None or (position >= table.rows_start and self.text[position - 1] == "\n")

    def _prefix(self, start: int) -> str:
        table = self._table_at(start)
        if table is None or not table.header or start < table.rows_start:
            return ""
        return table.header + "\n"

    def _length(self, start: int, end: int) -> int:
        return len(self._prefix(start)) + end - start

    def _render(self, start: int, end: int) -> tuple[str, str | None]:
        index = bisect.bisect_left(self.heading_starts, end) - 1
        heading = self.headings[index] if index >= 0 else None
        return self._prefix(start) + self.text[start:end], heading


def _is_rule(line: str) -> bool:
    return "---" in line and _RULE_CHARS.issuperset(line)
