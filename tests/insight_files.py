"""Real documents built in memory for the parsing tests, so no binary fixture is committed."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

import openpyxl
from pptx import Presentation
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf(pages: Sequence[str], *, title: str | None = None) -> bytes:
    """One page per string, one line per line of the string."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4)
    if title is not None:
        document.setTitle(title)
    for page in pages:
        text = document.beginText(56, 780)
        text.setFont("Helvetica", 11)
        for line in page.splitlines():
            text.textLine(line)
        document.drawText(text)
        document.showPage()
    document.save()
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """What a scanner without OCR produces: pages of pictures, no text layer."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(2):
        document.rect(50, 50, 400, 600, fill=1)
        document.showPage()
    document.save()
    return buffer.getvalue()


def encrypted_pdf(content: bytes, password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/docProps/core.xml"
 ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
<Relationship Id="rId2" Target="docProps/core.xml"
 Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"/>
</Relationships>"""
_DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="styles.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>
</Relationships>"""
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{_W}">
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style>
</w:styles>"""
_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties
 xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title></cp:coreProperties>"""


def docx(
    paragraphs: Sequence[tuple[str | None, str]], *, title: str = "", hidden: str = ""
) -> bytes:
    """A minimal WordprocessingML package written by hand (python-docx is not a dependency):
    each paragraph is (style id or None, text); ``hidden`` is a last paragraph in white,
    hidden-formatted text, the way a hostile file would smuggle instructions."""
    body = "".join(
        "<w:p>"
        + (f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else "")
        + f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
        for style, text in paragraphs
    )
    if hidden:
        body += (
            '<w:p><w:r><w:rPr><w:vanish/><w:color w:val="FFFFFF"/></w:rPr>'
            f"<w:t>{escape(hidden)}</w:t></w:r></w:p>"
        )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/_rels/document.xml.rels", _DOCUMENT_RELS)
        archive.writestr("word/document.xml", document)
        archive.writestr("word/styles.xml", _STYLES)
        archive.writestr("docProps/core.xml", _CORE.format(title=escape(title)))
    return buffer.getvalue()


def pptx(slides: Sequence[tuple[str, str]], *, title: str = "") -> bytes:
    """One slide per (title, body)."""
    presentation = Presentation()
    presentation.core_properties.title = title
    layout = presentation.slide_layouts[1]  # title and content
    for heading, body in slides:
        slide = presentation.slides.add_slide(layout)
        slide.shapes.title.text = heading
        slide.placeholders[1].text = body
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sparse_xlsx() -> bytes:
    """A 5 KB workbook whose two cells sit at opposite corners of the sheet: readers that
    materialise the grid spin for minutes and eat gigabytes (a real denial-of-service shape)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "first"
    sheet["XFD1048576"] = "last"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb(unpacked_bytes: int, *, compresslevel: int = 9) -> bytes:
    """An Office-looking zip whose one member inflates to ``unpacked_bytes`` of zeros, written
    in a streaming way so the test never holds the inflated data."""
    buffer = io.BytesIO()
    block = bytes(2**20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as stream:
            for _ in range(unpacked_bytes // len(block)):
                stream.write(block)
    return buffer.getvalue()


def encrypted_ooxml() -> bytes:
    """The shape of a password-protected Office file: a compound (CFB) container holding an
    ``EncryptedPackage`` stream instead of a zip. Only the markers matter to the parser."""
    name = "EncryptedPackage".encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + name + bytes(1024)


def lying_zip(unpacked_bytes: int = 8 * 2**20) -> bytes:
    """A docx whose document member inflates to ``unpacked_bytes`` while the zip directory
    claims 1 KB: the directory check passes, so reading must stop at the declared size."""
    content = docx([(None, "x" * unpacked_bytes)])
    member = b"word/document.xml"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(member.decode())
    real = info.file_size.to_bytes(4, "little")
    forged = bytearray(content)
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # the local header and the directory entry
        at = forged.find(header)
        while at != -1:
            name_at = at + (30 if header == b"PK\x03\x04" else 46)
            if forged[name_at : name_at + len(member)] == member:
                size_at = at + (22 if header == b"PK\x03\x04" else 24)
                assert forged[size_at : size_at + 4] == real
                forged[size_at : size_at + 4] = (1024).to_bytes(4, "little")
            at = forged.find(header, at + 4)
    return bytes(forged)
