"""The portal speaks French and English: every message of the pages and templates has a French
translation with the same placeholders (``make messages`` extracts them)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PORTAL = Path("src/gouvernail/portal")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True"}}


def _messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PORTAL), METHODS, OPTIONS, keywords={"_": None, "N_": None, "gettext": None}
    ):
        if isinstance(message, str):
            found.add(message)
    return found


def test_every_message_has_a_french_translation() -> None:
    messages = _messages()
    assert len(messages) > 100  # the extraction sees the templates and the pages
    catalog = read_po(
        io.BytesIO((PORTAL / "locales/fr/LC_MESSAGES/messages.po").read_bytes()), locale="fr"
    )
    missing = sorted(m for m in messages if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"{len(missing)} untranslated (run make messages): {missing[:10]}"
    for message in messages:
        translated = catalog.get(message)
        assert translated is not None
        assert not translated.fuzzy, message
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translated.string)), (
            message
        )
