"""Check digits of the identifiers the detectors validate: Luhn (cards, SIREN, SIRET) and the
French social security number (NIR) key. Pure functions over digit strings."""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"
"""La Poste's SIRETs do not follow Luhn: their digits sum to a multiple of 5 instead."""


def digits_of(text: str) -> str:
    """The digits (and the Corsican letters A/B) of ``text``, separators dropped."""
    return "".join(char for char in text.upper() if char.isdigit() or char in "AB")


def luhn_ok(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def siren_ok(number: str) -> bool:
    return len(number) == 9 and luhn_ok(number) and number != "000000000"


def siret_ok(number: str) -> bool:
    if len(number) != 14 or not number.isdigit() or number == "0" * 14:
        return False
    if number.startswith(LA_POSTE_SIREN):
        return sum(ord(char) - 48 for char in number) % 5 == 0
    return luhn_ok(number)


def nir_ok(number: str) -> bool:
    """A 15-character NIR (13 characters + 2-digit key): key = 97 - (n mod 97), where Corsica's
    departments 2A and 2B count as 19 and 18."""
    if len(number) != 15 or number[0] not in "12378":
        return False
    body, key = number[:13], number[13:]
    department = body[5:7]
    if department == "2A":
        body = body[:5] + "19" + body[7:]
    elif department == "2B":
        body = body[:5] + "18" + body[7:]
    if not body.isdigit() or not key.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)
