"""Check digits of the identifiers in the set: Luhn (cards, SIREN, SIRET), IBAN (ISO 13616,
mod 97) and the French NIR key (97 - n mod 97, Corsica's 2A/2B mapped to 19/18).

The generator uses them to build valid values and deliberately invalid look-alikes; the tests
use them to check every gold span.
"""

from __future__ import annotations

_CORSICA = {"2A": "19", "2B": "18"}


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def luhn_valid(number: str) -> bool:
    digits = _digits(number)
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def luhn_complete(payload: str) -> str:
    """``payload`` followed by the Luhn check digit that makes it valid."""
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def _iban_number(country: str, check: str, bban: str) -> int:
    rearranged = bban + country + check
    return int("".join(str(int(c, 36)) for c in rearranged.upper()))


def iban_complete(country: str, bban: str) -> str:
    """The compact IBAN for ``country`` and ``bban`` with correct check digits."""
    check = 98 - _iban_number(country, "00", bban) % 97
    return f"{country}{check:02d}{bban}"


def iban_valid(iban: str) -> bool:
    compact = _digits(iban).upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    return _iban_number(compact[:2], compact[2:4], compact[4:]) % 97 == 1


def nir_key(body: str) -> int:
    """The two-digit key of a 13-character NIR body (sex, year, month, department, commune,
    order); Corsican departments 2A and 2B count as 19 and 18."""
    department = body[5:7]
    numeric = body[:5] + _CORSICA.get(department.upper(), department) + body[7:]
    return 97 - int(numeric) % 97


def nir_valid(nir: str) -> bool:
    compact = _digits(nir).upper()
    if len(compact) != 15 or not compact[13:].isdigit():
        return False
    body = compact[:13]
    if not (body[:5] + _CORSICA.get(body[5:7], body[5:7]) + body[7:]).isdigit():
        return False
    return nir_key(body) == int(compact[13:])
