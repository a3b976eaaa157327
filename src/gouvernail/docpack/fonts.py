"""Fonts of the PDF and what happens to a character they lack.

The text font is Bitstream Vera, the TrueType family that ships inside the ``reportlab``
package (so nothing is downloaded and no system font is needed); it covers French and the
usual typography (multiplication and comparison signs, dashes, the euro sign). A character it
lacks is drawn with a PDF base-14 font that has it (Symbol: arrows, Greek, mathematics;
ZapfDingbats: check marks), and failing those replaced by a readable ASCII form, never dropped
silently and never an error.
"""

from __future__ import annotations

import codecs
import unicodedata
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.rl_codecs import RL_Codecs
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "GouvernailVera"
BOLD = f"{FAMILY}-Bold"
FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FILES = {
    FAMILY: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    f"{FAMILY}-Italic": "VeraIt.ttf",
    f"{FAMILY}-BoldItalic": "VeraBI.ttf",
}
FALLBACK_FONTS = (("Symbol", "symbol"), ("ZapfDingbats", "zapfdingbats"))
# Stand-ins for characters that NFKD does not reduce to ASCII, used where no font can draw them
# (and in the footer, which has one font); anything else is shown as its code point: [U+4E2D].
ASCII_FORMS = {
    "→": "->",
    "←": "<-",
    "↔": "<->",
    "⇒": "=>",
    "✓": "[x]",
    "✔": "[x]",
    "✅": "[x]",
    "✗": "(x)",
    "❌": "(x)",
    "⚠": "(!)",
    "⛔": "(no)",
}


@cache
def register() -> str:
    """Register the Vera family with ReportLab; return its name. ReportLab keeps fonts in a
    process-wide registry of its own, so this runs once per process (registering is
    idempotent and read-only afterwards)."""
    RL_Codecs.register()
    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(
        FAMILY,
        normal=FAMILY,
        bold=BOLD,
        italic=f"{FAMILY}-Italic",
        boldItalic=f"{FAMILY}-BoldItalic",
    )
    return FAMILY


@cache
def _covered() -> frozenset[int]:
    register()
    font = pdfmetrics.getFont(FAMILY)
    assert isinstance(font, TTFont)
    return frozenset(font.face.charToGlyph)


def _encodes(char: str, encoding: str) -> bool:
    try:
        codecs.encode(char, encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def ascii_form(char: str) -> str:
    """A readable ASCII stand-in for a character no font has."""
    if char in ASCII_FORMS:
        return ASCII_FORMS[char]
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed or f"[U+{ord(char):04X}]"


@cache
def glyph(char: str) -> str:
    """Paragraph markup drawing one character: itself, in a fallback font, or ASCII."""
    if ord(char) in _covered() or char in "\n\t":
        return escape(char)
    for font, encoding in FALLBACK_FONTS:
        if _encodes(char, encoding):
            return f'<font face="{font}">{escape(char)}</font>'
    return escape(ascii_form(char))


def markup(value: str) -> str:
    """Plain text as ReportLab paragraph markup: XML-escaped, every glyph drawable."""
    return "".join(glyph(char) for char in value)


def plain(value: str) -> str:
    """Text for places without markup (footer, metadata): characters Vera lacks in ASCII."""
    covered = _covered()
    return "".join(c if ord(c) in covered else ascii_form(c) for c in value)
