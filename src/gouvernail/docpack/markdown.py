"""Writing Markdown safely: escaping what users typed, tables, the content hash.

Everything a user typed (titles, descriptions, reasons, comments) goes through ``text`` (one
line: table cells, headings, list items) or ``block`` (several lines). Both neutralise what
could change the document's structure or reach a viewer as HTML: inline markers and ``<``
are backslash-escaped, line-start markers (headings, lists, quotes, rules, code indentation)
are escaped too, and ``text`` folds line breaks so that a title cannot open a new heading.
Escaped text reads the same in any CommonMark viewer and in our PDF.

The content hash covers the document's body: every line after the first line that is exactly
``---`` (the end of the cover). Escaped text can never produce such a line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

NOT_RECORDED = "*not recorded*"
BODY_MARK = "---"

# Characters that mean something anywhere in a line (emphasis, code, links, HTML, tables,
# strikethrough, entities, escapes, the closing sequence of a heading).
_INLINE = re.compile(r"([\\`*_\[\]<>|~&#])")
# What opens a block when it starts a line: a bullet ("- ", "+ "), a thematic break or setext
# underline ("---", "==="), an ordered list item ("1. ", "1) ").
_MARKER = re.compile(r"^([+=]|-(?=[\s-]|$))")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
# What a code span may hold as is (identifiers, versions, hashes); anything else is text.
_IDENTIFIER = re.compile(r"[\w .:/@+\-]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(value: object) -> str:
    raw = value if isinstance(value, str) else str(value)
    return _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))


def _escape_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.strip())
    return _ORDERED.sub(r"\1\\\2", _MARKER.sub(r"\\\1", line))


def text(value: object, *, empty: str = NOT_RECORDED) -> str:
    """One line of user text, escaped; ``empty`` (default: *not recorded*) if there is none."""
    folded = " ".join(_clean(value).split())
    return _escape_line(folded) if folded else empty


def block(value: object, *, empty: str = NOT_RECORDED) -> str:
    """Several lines of user text, escaped; blank lines stay paragraph breaks and single line
    breaks stay line breaks."""
    cleaned = _clean(value).strip()
    if not cleaned:
        return empty
    paragraphs = re.split(r"\n\s*\n", cleaned)
    rendered = []
    for paragraph in paragraphs:
        lines = [_escape_line(line) for line in paragraph.split("\n") if line.strip()]
        rendered.append("\\\n".join(lines))
    return "\n\n".join(rendered)


def labelled(label: str, value: object) -> str:
    """A bold label followed by user text (several lines allowed)."""
    return f"**{label}:** {block(value)}"


def code(value: object) -> str:
    """An identifier shown as code (ids, hashes, actions, statuses); a value that is not a
    plain identifier is shown as escaped text instead."""
    cleaned = " ".join(_clean(value).split())
    if not cleaned:
        return NOT_RECORDED
    return f"`{cleaned}`" if _IDENTIFIER.fullmatch(cleaned) else text(cleaned)


def when(value: datetime | date | None) -> str:
    """A date, or a time in UTC to the second."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat()


def number(value: float | int | None) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def yes_no(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return "yes" if value else "no"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured table. Cells must already be escaped (``text``, ``code``...)."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines.extend("| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def fields(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column table of labelled values."""
    return table(("field", "value"), ((label, value) for label, value in pairs))


def bullets(items: Iterable[str], *, empty: str = NOT_RECORDED) -> str:
    listed = [f"- {item}" for item in items]
    return "\n".join(listed) if listed else empty


def body_of(markdown: str) -> str:
    """The hashed part of a document: what follows the first line that is exactly ``---``."""
    _, mark, body = markdown.partition(f"\n{BODY_MARK}\n")
    return body if mark else markdown


def content_hash(markdown: str) -> str:
    """SHA-256 (hex) of the document's body, UTF-8: what the cover and the PDF footer show."""
    return hashlib.sha256(body_of(markdown).encode("utf-8")).hexdigest()
