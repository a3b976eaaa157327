"""A generated document: its Markdown with a cover, and the file it is delivered as.

The cover says what the document is, when and by whom it was generated, by which version of
Gouvernail, and the SHA-256 of the content below it (see ``markdown.content_hash``). That hash
does not depend on the cover, so two documents generated from the same record state carry the
same hash, and a printed page (whose footer shows it) can be matched to its source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from gouvernail.docpack import markdown as md
from gouvernail.docpack import pdf

HASH_NOTE = (
    "The content SHA-256 is computed over the UTF-8 text of this Markdown document after the "
    "first line `---` below; the PDF prints it in every page footer. To check a copy, generate "
    "the document again and compare: the hash stays the same while the record is unchanged."
)


class Format(StrEnum):
    MD = "md"
    PDF = "pdf"


MEDIA_TYPES = {Format.MD: "text/markdown; charset=utf-8", Format.PDF: "application/pdf"}


@dataclass(frozen=True)
class Document:
    """A document ready to render: ``title`` is plain text (footer, PDF metadata), ``stem``
    the file name without extension."""

    title: str
    stem: str
    markdown: str

    @property
    def content_hash(self) -> str:
        return md.content_hash(self.markdown)


@dataclass(frozen=True)
class Rendered:
    """The delivered file: bytes, media type, file name, content hash, SHA-256 of the bytes."""

    body: bytes
    media_type: str
    filename: str
    content_hash: str
    sha256: str
    document: Document


def assemble(title: str, stem: str, cover: Iterable[tuple[str, str]], body: str) -> Document:
    """Cover (with the content hash of ``body``) + ``---`` + body."""
    content = f"\n{body.strip()}\n"
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    head = "\n\n".join(
        [
            f"# {md.text(title)}",
            md.fields([*cover, ("Content SHA-256", md.code(digest))]),
            HASH_NOTE,
        ]
    )
    document = Document(title=title, stem=stem, markdown=f"{head}\n\n{md.BODY_MARK}\n{content}")
    assert document.content_hash == digest
    return document


def render(document: Document, fmt: Format) -> Rendered:
    digest = document.content_hash
    if fmt is Format.PDF:
        body = pdf.render(document.markdown, title=document.title, digest=digest)
    else:
        body = document.markdown.encode("utf-8")
    return Rendered(
        body=body,
        media_type=MEDIA_TYPES[fmt],
        filename=f"{document.stem}.{fmt.value}",
        content_hash=digest,
        sha256=hashlib.sha256(body).hexdigest(),
        document=document,
    )
