"""The portal's languages: gettext catalogues (``locales/<lang>/LC_MESSAGES/messages.po``),
read with Babel at start-up, and the language of the current request.

Message ids are the English text, so English needs no catalogue entries. The language is the
user's choice (a cookie set by ``/language/<lang>``) or else the browser's ``Accept-Language``.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from contextvars import ContextVar
from functools import cache
from importlib import resources

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "gouvernail_lang"
NAMES = {"en": "English", "fr": "Français"}

_current: ContextVar[str] = ContextVar("portal_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of ``language`` (an empty one for English)."""
    source = resources.files("gouvernail.portal") / "locales" / language / "LC_MESSAGES"
    po = source / "messages.po"
    if not po.is_file():
        return gettext_module.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The user's choice if valid, else the best match of the browser's preferences."""
    if cookie in LANGUAGES:
        return str(cookie)
    preferred = []
    for part in (accept_language or "").split(",")[:20]:
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and len(tag) <= 20:
            preferred.append(tag)
    chosen = negotiate_locale(preferred, list(LANGUAGES)) if preferred else None
    if chosen is None and preferred:  # "fr_CA" matches "fr"
        for tag in preferred:
            base = tag.split("_")[0].lower()
            if base in LANGUAGES:
                return base
    return chosen or DEFAULT_LANGUAGE


def activate(language: str) -> None:
    """Make ``language`` the current request's language."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current() -> str:
    return _current.get()


def gettext(message: str, **values: object) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled."""
    text = translations(_current.get()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


_ = gettext


def format_date(value: object, *, with_time: bool = False) -> str:
    """A date or datetime written the way the current language writes it."""
    from babel.dates import format_date as babel_date
    from babel.dates import format_datetime

    if value is None:
        return "—"
    locale = Locale.parse(_current.get())
    if with_time and hasattr(value, "hour"):
        return format_datetime(value, "medium", locale=locale) + " UTC"  # type: ignore[arg-type]
    return babel_date(value, "medium", locale=locale)  # type: ignore[arg-type]


def format_number(value: float | int | None, digits: int = 2) -> str:
    from babel.numbers import format_decimal

    if value is None:
        return "—"
    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return str(format_decimal(value, format=pattern, locale=_current.get()))
