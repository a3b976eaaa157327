"""Markdown to PDF: the same document as the Markdown, printable, with a controlled footer.

The Markdown is parsed by markdown-it-py (CommonMark plus tables, raw HTML off) and each block
becomes a ReportLab flowable: headings, paragraphs, lists, tables (header row repeated on each
page, cells wrapped), quotes, code, rules. Every page carries the document's title, its content
hash (the SHA-256 the cover shows) and "page N of M", so a printed page can be tied to the exact
content it came from. Output is reproducible: the same Markdown gives the same bytes
(ReportLab's invariant mode fixes the creation date and the document id).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import partial
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
    XPreformatted,
)

from gouvernail.docpack import fonts

MARGIN = 18 * mm
SAFE_SCHEMES = ("http://", "https://", "mailto:")
HEADING_ROOM = 30 * mm


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


class _Styles:
    """The paragraph styles of one document."""

    def __init__(self) -> None:
        family = fonts.register()
        self.body = ParagraphStyle("body", fontName=family, fontSize=9.5, leading=12.5)
        self.body.spaceAfter = 4
        sizes = {1: 16.0, 2: 13.0, 3: 11.0, 4: 10.0, 5: 9.5, 6: 9.5}
        self.headings = {
            level: ParagraphStyle(
                f"h{level}",
                parent=self.body,
                fontName=fonts.BOLD,
                fontSize=size,
                leading=size * 1.25,
                spaceBefore=10 if level > 1 else 0,
                spaceAfter=5,
            )
            for level, size in sizes.items()
        }
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8, leading=10, spaceAfter=0)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.header = ParagraphStyle("header", parent=self.cell, fontName=fonts.BOLD)
        self.code = ParagraphStyle(
            "code", parent=self.body, fontSize=8, leading=10, backColor=colors.whitesmoke
        )


def _inline(token: Token) -> str:
    """The markup of an inline token: text escaped and drawable, emphasis, safe links."""
    parts: list[str] = []
    links: list[bool] = []  # per open link: whether it is drawn as a link
    tags = {"strong": "b", "em": "i", "s": "strike"}
    for child in token.children or []:
        kind = child.type
        if kind == "text":
            parts.append(fonts.markup(child.content))
        elif kind == "code_inline":
            face = "Courier" if child.content.isascii() else fonts.FAMILY
            parts.append(f'<font face="{face}">{fonts.markup(child.content)}</font>')
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("<br/>")
        elif kind.rsplit("_", 1)[0] in tags:
            name, side = kind.rsplit("_", 1)
            parts.append(f"<{tags[name]}>" if side == "open" else f"</{tags[name]}>")
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
            links.append(href.startswith(SAFE_SCHEMES))
            if links[-1]:
                parts.append(f'<a href="{fonts.markup(href)}" color="#1f4e99">')
        elif kind == "link_close" and links and links.pop():
            parts.append("</a>")
        elif kind == "image":
            parts.append(fonts.markup(child.content))
    return "".join(parts)


class _Story:
    """Walks the block tokens of the Markdown and builds the flowables."""

    def __init__(self, styles: _Styles, width: float) -> None:
        self.styles = styles
        self.width = width
        self.flowables: list[Flowable] = []
        self.lists: list[list[int]] = []  # one [next number] per open list; [-1]: bullets
        self.quote = 0
        self.item_opened = False  # the next paragraph starts a list item: it gets the bullet

    def _indent(self) -> float:
        return 12.0 * (len(self.lists) + self.quote)

    def build(self, tokens: Sequence[Token]) -> list[Flowable]:
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index)
        return self.flowables

    def _block(self, tokens: Sequence[Token], index: int) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            style = self.styles.headings[int(token.tag[1])]
            # a heading never ends a page: it needs room for a few lines after it (a
            # keep-with-next would push a long table after it to the next page whole)
            self.flowables.append(CondPageBreak(HEADING_ROOM))
            self.flowables.append(Paragraph(_inline(tokens[index + 1]), style))
            return index + 3
        if kind == "paragraph_open":
            self.flowables.append(self._paragraph(tokens[index + 1]))
            return index + 3
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1)) if kind == "ordered_list_open" else -1
            self.lists.append([start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.item_opened = True
        elif kind == "blockquote_open":
            self.quote += 1
        elif kind == "blockquote_close":
            self.quote -= 1
        elif kind == "table_open":
            return self._table(tokens, index)
        elif kind in ("fence", "code_block"):
            style = ParagraphStyle("code_in", parent=self.styles.code, leftIndent=self._indent())
            self.flowables.append(XPreformatted(fonts.markup(token.content.rstrip("\n")), style))
        elif kind == "hr":
            self.flowables.append(
                HRFlowable(width="100%", thickness=0.6, color=colors.grey, spaceAfter=6)
            )
        return index + 1

    def _paragraph(self, inline: Token) -> Paragraph:
        indent = self._indent()
        style = ParagraphStyle("p", parent=self.styles.body, leftIndent=indent)
        if not (self.lists and self.item_opened):
            return Paragraph(_inline(inline), style)
        self.item_opened = False
        counter = self.lists[-1]
        bullet = "•" if counter[0] < 0 else f"{counter[0]}."
        if counter[0] >= 0:
            counter[0] += 1
        style.bulletIndent = indent - 10
        return Paragraph(_inline(inline), style, bulletText=bullet)

    def _table(self, tokens: Sequence[Token], index: int) -> int:
        rows: list[list[Paragraph]] = []
        texts: list[list[str]] = []  # per column: the source text of its cells
        row: list[Paragraph] = []
        header = True
        index += 1
        while tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "tbody_open":
                header = False
            elif token.type == "tr_open":
                row = []
            elif token.type == "tr_close":
                rows.append(row)
            elif token.type in ("th_open", "td_open"):
                inline = tokens[index + 1]
                right = "right" in str(token.attrs.get("style", ""))
                style = self.styles.header if header else self.styles.cell
                if right and not header:
                    style = self.styles.cell_right
                row.append(Paragraph(_inline(inline), style))
                if len(texts) < len(row):
                    texts.append([])
                texts[len(row) - 1].append(inline.content)
                index += 2
            index += 1
        self.flowables.append(self._grid(rows, texts))
        self.flowables.append(Spacer(1, 6))
        return index + 1

    def _grid(self, rows: list[list[Paragraph]], texts: list[list[str]]) -> Table:
        width = self.width - self._indent()
        table = Table(
            rows,
            colWidths=column_widths(texts, width, self.styles.cell.fontSize),
            repeatRows=1,
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return table


def column_widths(texts: list[list[str]], width: float, size: float) -> list[float]:
    """Widths that keep each column's longest word whole (up to a third of the table) and
    share the rest in proportion to how much text each column holds."""
    padding = 8.0

    def measure(text: str) -> float:
        return float(pdfmetrics.stringWidth(text, fonts.BOLD, size))

    floor = [
        min(max((measure(w) for t in column for w in t.split()), default=0.0), width / 3) + padding
        for column in texts
    ]
    natural = [max((measure(t) for t in column), default=0.0) + padding for column in texts]
    if sum(floor) >= width:
        return [width * f / sum(floor) for f in floor]
    spare = [n - f for n, f in zip(natural, floor, strict=True)]
    if sum(natural) <= width or not sum(spare):
        return [width * n / sum(natural) for n in natural]
    room = width - sum(floor)
    return [f + room * extra / sum(spare) for f, extra in zip(floor, spare, strict=True)]


class _NumberedCanvas(Canvas):
    """A canvas that knows the page count when it draws the footers ("page N of M")."""

    def __init__(self, *args: Any, title: str = "", digest: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._title = title
        self._digest = digest
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's own page reset

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        width, _ = A4
        self.saveState()
        self.setStrokeColor(colors.grey)
        self.setLineWidth(0.4)
        self.line(MARGIN, 13 * mm, width - MARGIN, 13 * mm)
        self.setFont(fonts.FAMILY, 7)
        self.setFillColor(colors.dimgrey)
        self.drawString(MARGIN, 9 * mm, fonts.plain(self._title)[:110])
        self.drawRightString(width - MARGIN, 9 * mm, f"page {number} of {total}")
        self.drawString(MARGIN, 5.5 * mm, f"content SHA-256 {self._digest}")
        self.restoreState()


def render(markdown: str, *, title: str, digest: str) -> bytes:
    """The PDF of a Markdown document; ``digest`` (its content hash) goes in every footer."""
    styles = _Styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=fonts.plain(title),
        author="Gouvernail",
        subject=f"content SHA-256 {digest}",
        creator="Gouvernail",
        invariant=1,
    )
    frame_padding = 12  # a frame keeps 6 points free on each side
    story = _Story(styles, document.width - frame_padding).build(_parser().parse(markdown))
    document.build(story, canvasmaker=partial(_NumberedCanvas, title=title, digest=digest))
    return buffer.getvalue()
