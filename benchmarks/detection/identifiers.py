"""Valid identifiers as they are written in business texts, and look-alikes that are not.

Every function takes the caller's ``random.Random`` and returns the surface string. Valid
values pass their checksum; the ``bad_*`` look-alikes have the same shape and fail it.
"""

from __future__ import annotations

import random
import string

import phonenumbers
from benchmarks.detection.checksums import (
    iban_complete,
    iban_valid,
    luhn_complete,
    luhn_valid,
    nir_key,
)

# Region mix per text language, then number prefixes that libphonenumber accepts as valid.
PHONE_REGIONS = {
    "fr": ("FR", "FR", "FR", "FR", "BE", "CH", "LU"),
    "en": ("GB", "GB", "US", "US", "IE", "FR"),
    "de": ("DE", "DE", "DE", "AT", "CH", "FR"),
}
_NATIONAL_SHAPES = {
    "FR": (("1", 8), ("2", 8), ("3", 8), ("4", 8), ("5", 8), ("6", 8), ("7", 8), ("9", 8)),
    "BE": (("2", 7), ("4", 7), ("47", 7), ("48", 7), ("9", 7)),
    "CH": (("44", 7), ("22", 7), ("31", 7), ("61", 7), ("79", 7), ("78", 7)),
    "LU": (("621", 6), ("691", 6), ("2", 7)),
    "GB": (("20", 8), ("121", 7), ("161", 7), ("131", 7), ("7700", 6), ("7911", 6)),
    "US": (("212", 7), ("415", 7), ("617", 7), ("312", 7), ("202", 7), ("908", 7)),
    "IE": (("1", 7), ("21", 7), ("85", 7), ("87", 7)),
    "DE": (("30", 8), ("89", 7), ("40", 8), ("69", 8), ("221", 7), ("151", 8), ("171", 8)),
    "AT": (("1", 7), ("316", 6), ("664", 7), ("660", 7)),
}
_CARD_BRANDS = (  # prefix choices, length, grouping
    (("4",), 16, (4, 4, 4, 4)),
    (("51", "52", "53", "54", "55", "2221", "2720", "23"), 16, (4, 4, 4, 4)),
    (("34", "37"), 15, (4, 6, 5)),
    (("6011", "65"), 16, (4, 4, 4, 4)),
    (("3528", "3589", "353"), 16, (4, 4, 4, 4)),
    (("36", "38"), 14, (4, 6, 4)),
)
_IBAN_SHAPES = {  # country: BBAN parts as (alphabet, length)
    "FR": (("d", 10), ("d", 11), ("d", 2)),
    "DE": (("d", 18),),
    "GB": (("A", 4), ("d", 14)),
    "ES": (("d", 20),),
    "IT": (("A", 1), ("d", 10), ("d", 12)),
    "BE": (("d", 12),),
    "NL": (("A", 4), ("d", 10)),
    "CH": (("d", 17),),
    "LU": (("d", 3), ("d", 13)),
    "AT": (("d", 16),),
    "PT": (("d", 21),),
    "IE": (("A", 4), ("d", 14)),
}
_ALPHABETS = {"d": string.digits, "A": string.ascii_uppercase}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _group(compact: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(compact[at : at + size])
        at += size
    if at < len(compact):
        parts.append(compact[at:])
    return sep.join(p for p in parts if p)


def _by(compact: str, size: int, sep: str = " ") -> str:
    return sep.join(compact[i : i + size] for i in range(0, len(compact), size))


def _valid_number(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    code = phonenumbers.country_code_for_region(region)
    while True:
        prefix, rest = rng.choice(_NATIONAL_SHAPES[region])
        number = phonenumbers.PhoneNumber(
            country_code=code, national_number=int(prefix + _digits(rng, rest))
        )
        if phonenumbers.is_valid_number(number):
            return number


def phone(rng: random.Random, language: str, style: str = "any") -> str:
    """A valid number in the formats people type: national (``06 12 34 56 78``,
    ``06.12.34.56.78``, ``030 12345678``, ``(212) 555-0143``), international (``+33 6 12 34 56
    78``, ``+33 (0)1 ...``, ``0049 ...``, ``+442079460958``)."""
    region = rng.choice(PHONE_REGIONS[language])
    number = _valid_number(rng, region)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style == "any":
        style = rng.choice(("national", "national", "international"))
    if region == "LU":  # no trunk prefix: a bare national number is just eight digits
        style = "international"
    if style == "national":
        if region == "FR":
            return rng.choice((national, national.replace(" ", "."), national.replace(" ", "")))
        return rng.choice((national, national, national.replace(" ", "-")))
    prefix = f"+{number.country_code}"
    digits = str(number.national_number)
    variants = [intl, intl, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)]
    if region in {"FR", "DE", "CH", "AT", "GB"}:  # the trunk zero in brackets
        variants.append(f"{prefix} (0){intl.removeprefix(prefix)}")
    variants.append(f"00{number.country_code} {_by(digits, 2) if region == 'FR' else digits}")
    return rng.choice(variants)


def _bban(rng: random.Random, country: str) -> str:
    parts = []
    for alphabet, length in _IBAN_SHAPES[country]:
        parts.append("".join(rng.choice(_ALPHABETS[alphabet]) for _ in range(length)))
    return "".join(parts)


def _iban_surface(rng: random.Random, compact: str) -> str:
    return rng.choice((_by(compact, 4), _by(compact, 4), compact))


def iban(rng: random.Random) -> str:
    """A valid IBAN from one of a dozen countries, grouped by four or compact."""
    country = rng.choice(tuple(_IBAN_SHAPES))
    return _iban_surface(rng, iban_complete(country, _bban(rng, country)))


def bad_iban(rng: random.Random) -> str:
    """IBAN-shaped, wrong check digits."""
    country = rng.choice(tuple(_IBAN_SHAPES))
    compact = iban_complete(country, _bban(rng, country))
    while iban_valid(compact):
        compact = f"{compact[:2]}{rng.randrange(2, 99):02d}{compact[4:]}"
    return _iban_surface(rng, compact)


def _card_compact(rng: random.Random) -> tuple[str, tuple[int, ...]]:
    prefixes, length, grouping = rng.choice(_CARD_BRANDS)
    prefix = rng.choice(prefixes)
    return luhn_complete(prefix + _digits(rng, length - len(prefix) - 1)), grouping


def card(rng: random.Random) -> str:
    """A Luhn-valid number of Visa, Mastercard, Amex, Discover, JCB or Diners, grouped by
    spaces, dashes or not at all."""
    compact, grouping = _card_compact(rng)
    return _group(compact, grouping, rng.choice((" ", " ", "-", "")))


def bad_card(rng: random.Random) -> str:
    compact, grouping = _card_compact(rng)
    compact = compact[:-1] + str((int(compact[-1]) + rng.randrange(1, 10)) % 10)
    return _group(compact, grouping, rng.choice((" ", "-")))


def _nir_body(rng: random.Random) -> str:
    sex = rng.choice("12")
    year = f"{rng.randrange(40, 100) if rng.random() < 0.8 else rng.randrange(0, 6):02d}"
    month = f"{rng.randrange(1, 13):02d}"
    roll = rng.random()
    if roll < 0.15:
        place = rng.choice(("2A", "2B")) + _digits(rng, 3)
    elif roll < 0.22:
        place = "97" + rng.choice("1234") + f"{rng.randrange(1, 100):02d}"
    elif roll < 0.3:
        place = "99" + f"{rng.randrange(100, 500):03d}"
    else:
        department = rng.choice([d for d in range(1, 96) if d != 20])
        place = f"{department:02d}{rng.randrange(1, 900):03d}"
    return sex + year + month + place + f"{rng.randrange(1, 1000):03d}"


def _nir_surface(rng: random.Random, body: str, key: int) -> str:
    compact = f"{body}{key:02d}"
    if rng.random() < 0.4:
        return compact
    return _group(compact, (1, 2, 2, 2, 3, 3, 2), " ")


def nir(rng: random.Random) -> str:
    """A French social security number with a valid key (Corsica and overseas included)."""
    body = _nir_body(rng)
    return _nir_surface(rng, body, nir_key(body))


def bad_nir(rng: random.Random) -> str:
    body = _nir_body(rng)
    return _nir_surface(rng, body, (nir_key(body) + rng.randrange(1, 96)) % 97 + 1)


def siren(rng: random.Random, spaced: bool | None = None) -> str:
    compact = luhn_complete(str(rng.randrange(1, 10)) + _digits(rng, 7))
    spaced = rng.random() < 0.6 if spaced is None else spaced
    return _by(compact, 3) if spaced else compact


def siret(rng: random.Random) -> str:
    """SIREN + establishment number, Luhn-valid over the 14 digits (``732 829 320 00074``)."""
    head = luhn_complete(str(rng.randrange(1, 10)) + _digits(rng, 7))
    nic = f"{rng.randrange(1, 200):04d}" if rng.random() < 0.8 else _digits(rng, 4)
    compact = luhn_complete(head + nic)
    roll = rng.random()
    if roll < 0.4:
        return compact
    if roll < 0.8:
        return f"{_by(compact[:9], 3)} {compact[9:]}"
    return f"{_by(compact[:9], 3)} {compact[9:12]} {compact[12:]}"


def bad_number(rng: random.Random, length: int) -> str:
    """``length`` digits failing Luhn (an order, invoice or batch number)."""
    while True:
        value = str(rng.randrange(1, 10)) + _digits(rng, length - 1)
        if not luhn_valid(value):
            return value


def bad_siren(rng: random.Random) -> str:
    return _by(bad_number(rng, 9), 3)


def bad_siret(rng: random.Random) -> str:
    compact = bad_number(rng, 14)
    return f"{_by(compact[:9], 3)} {compact[9:]}"


_DOMAINS = {
    "fr": ("pharma-lyon.fr", "labo-rhone.com", "chu-nantes.fr", "groupe-aster.fr", "orange.fr",
           "gmail.com", "sante-conseil.fr", "cro-atlantique.eu"),
    "en": ("northbridge-pharma.com", "acme-bio.co.uk", "gmail.com", "outlook.com",
           "clinops.io", "meridian-health.org", "nhs.net"),
    "de": ("pharma-rhein.de", "gmx.de", "web.de", "klinikum-nord.de", "biotech-muenchen.de",
           "t-online.de", "medwerk.at", "labor-basel.ch"),
}  # fmt: skip
_ROLES = {
    "fr": ("contact", "rh", "compta", "pharmacovigilance", "support", "achats"),
    "en": ("info", "hr", "accounts", "safety", "support", "procurement"),
    "de": ("kontakt", "personal", "buchhaltung", "info", "einkauf", "service"),
}


def email(rng: random.Random, language: str, handle: str | None = None) -> str:
    local = handle or rng.choice(_ROLES[language])
    if rng.random() < 0.1:
        local = f"{local}{rng.randrange(1, 99)}"
    if rng.random() < 0.05:
        local = f"{local}+{rng.choice(('crm', 'news', 'test'))}"
    return f"{local}@{rng.choice(_DOMAINS[language])}"
