# ruff: noqa: RUF001 - the homoglyph table maps look-alike letters on purpose
"""Normalisation before prompt-injection patterns: what attackers use to hide words.

``variants(text)`` returns the text as the patterns should read it (NFKC, invisible characters
removed, Cyrillic/Greek lookalikes folded to Latin, lower case, accents removed) plus decoded
variants (base64, hex, URL-encoding, rot13, leetspeak), each with the signals that produced it.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from gouvernail.inspection.language import has_stop_words
from gouvernail.inspection.regexset import RegexSet

_HOMOGLYPHS = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ɡ": "g", "ӏ": "l",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D",
        # Greek
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "γ": "y", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H",
        "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y",
        "Χ": "X",
    }
)  # fmt: skip
_LOOKALIKES = frozenset(chr(code) for code in _HOMOGLYPHS)
_LOOKALIKE = re.compile("[" + "".join(sorted(_LOOKALIKES)) + "]")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
"""Invisible characters: soft hyphen, zero-width spaces and joiners, direction marks, variation
selectors, tag characters."""
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_LEET_WORD = re.compile(r"\b(?=[\w@$!]*[a-z])(?=[\w@$!]*[013457@$!])[\w@$!]{3,}")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}", re.ASCII)
_HEX = re.compile(
    r"(?:\\x[0-9a-fA-F]{2}){6,}|(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[ :]?){8,}", re.ASCII
)
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}", re.ASCII)
_QUOTES = str.maketrans({"'": " ", "’": " ", "`": " ", '"': " ", "«": " ", "»": " "})
GIBBERISH_RATIO = 0.05


@dataclass(frozen=True, slots=True)
class Variant:
    text: str
    signals: tuple[str, ...] = ()


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@functools.lru_cache(maxsize=4096)
def _unaccented(run: str) -> str:
    """A run of non-ASCII characters in its compatibility decomposition without combining
    marks ("é" → "e", "ﬁ" → "fi")."""
    decomposed = unicodedata.normalize("NFKD", run)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _plain(text: str) -> str:
    lowered = text.lower()
    if not lowered.isascii():  # only the non-ASCII runs need decomposing: a few per line
        lowered = _NON_ASCII.sub(lambda match: _unaccented(match.group()), lowered)
    return " ".join(lowered.translate(_QUOTES).split())  # whitespace runs: one space


def _printable(data: bytes) -> str | None:
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not decoded or sum(char.isprintable() or char.isspace() for char in decoded) < 0.9 * len(
        decoded
    ):
        return None
    return decoded


@functools.cache
def _encodings() -> RegexSet:
    """Most texts hold nothing encoded: one pass tells which decoders have work."""
    return RegexSet([_BASE64, _HEX, _URL_ESCAPE])


def _decoded(text: str) -> list[Variant]:
    found: list[Variant] = []
    candidates = _encodings().candidates(text)
    if not candidates:
        return found
    for match in _BASE64.finditer(text) if 0 in candidates else ():
        run = match.group()
        try:
            data = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = _printable(data)
        if decoded is not None:
            found.append(Variant(_plain(decoded), ("base64",)))
    for match in _HEX.finditer(text) if 1 in candidates else ():
        digits = re.sub(r"\\x|[ :]", "", match.group())
        try:
            decoded = _printable(bytes.fromhex(digits))
        except ValueError:
            continue
        if decoded is not None:
            found.append(Variant(_plain(decoded), ("hex",)))
    if 2 in candidates and len(_URL_ESCAPE.findall(text)) >= 3:
        found.append(Variant(_plain(unquote(text)), ("url_encoding",)))
    return found


def variants(text: str) -> list[Variant]:
    """The normalised text first, then every decoded or de-obfuscated variant."""
    signals: list[str] = []
    folded = unicodedata.normalize("NFKC", text)
    visible = _INVISIBLE.sub("", folded)
    if len(visible) != len(folded):
        signals.append("zero_width")
    if _LOOKALIKE.search(visible):  # else folding the lookalikes changes nothing
        if _mixes_scripts(visible):
            signals.append("homoglyphs")
        visible = visible.translate(_HOMOGLYPHS)
    plain = _plain(visible)
    result = [Variant(plain, tuple(signals))]
    leet = _LEET_WORD.sub(lambda m: m.group().translate(_LEET), plain)
    if leet != plain:
        result.append(Variant(leet, (*signals, "leetspeak")))
    result.extend(_decoded(visible))
    words = plain.count(" ") + 1
    if words >= 3 and not has_stop_words(plain, GIBBERISH_RATIO * words):
        result.append(Variant(codecs.encode(plain, "rot13"), (*signals, "rot13")))
    return result


def _mixes_scripts(text: str) -> bool:
    """A word that mixes Latin letters with Cyrillic/Greek lookalikes."""
    for word in text.split():
        has_lookalike = any(char in _LOOKALIKES for char in word)
        has_latin = any("a" <= char.lower() <= "z" for char in word)
        if has_lookalike and has_latin:
            return True
    latin = sum("a" <= char.lower() <= "z" for char in text)
    lookalike = sum(char in _LOOKALIKES for char in text)
    return latin > 4 * lookalike > 0
