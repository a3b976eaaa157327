"""Identifier detectors: e-mail addresses, phone numbers, IBANs, card numbers and the French
NIR, SIREN and SIRET. A regular expression finds candidates, a checksum (or a numbering plan)
validates them, and context words nearby raise the score.

IBANs reuse Presidio's recogniser (its pattern and its checksum and country-format
validation); phone numbers use ``phonenumbers`` (Presidio's engine) on candidates only, which is
far cheaper than its ``PhoneNumberMatcher`` over the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers

from gouvernail.inspection.checksums import digits_of, luhn_ok, nir_ok, siren_ok, siret_ok
from gouvernail.inspection.findings import Finding
from gouvernail.inspection.lean import lean
from gouvernail.inspection.registry import DetectorSpec, Registry
from gouvernail.inspection.text import Scan, context_words

with lean():  # Presidio would import torch and transformers for nothing (see lean.py)
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

CONTEXT_WINDOW = 50
PHONE_CACHE = 4096
"""Phone candidates whose verdicts are remembered (libphonenumber is the slow part)."""
CONTEXT_BONUS = 0.1
_SEP = r"[ \u00a0.\-]?"
_DIGIT = re.compile(r"\d")

_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
_PHONE = re.compile(r"(?<![\w@+.,/-])(?:\+|00)?\(?\d[\d \u00a0().\-]{6,20}\d(?![\w@/])")
_DATE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})$")
_IBAN_HEAD = re.compile(r"\b[A-Z]{2}\d{2}(?: [A-Z0-9]{4})* $")
_US_FORMAT = re.compile(r"^(?:\+?1[ .\-]?)?\(?\d{3}\)?[ .\-]?\d{3}[ .\-]\d{4}$")
_CARD = re.compile(r"(?<![\w.,+])\d(?:[ \u00a0\-]?\d){12,18}(?![\w]|[.,]\d)")
_CARD_BRANDS: tuple[tuple[tuple[str, ...], range], ...] = (
    (("4",), range(13, 20, 3)),  # Visa: 13, 16, 19
    (("51", "52", "53", "54", "55"), range(16, 17)),  # Mastercard
    (("34", "37"), range(15, 16)),  # Amex
    (("6011", "644", "645", "646", "647", "648", "649", "65"), range(16, 20)),  # Discover
    (("35",), range(16, 20)),  # JCB
    (("36", "38", "30"), range(14, 20)),  # Diners
    (("62",), range(16, 20)),  # UnionPay
)


def _issuer(digits: str) -> bool:
    """A known issuer prefix with its lengths: Visa, Mastercard (including its 2221-2720
    series, which Presidio's card pattern misses), Amex, Discover, JCB, Diners, UnionPay."""
    if 2221 <= int(digits[:4]) <= 2720:
        return len(digits) == 16
    return any(
        digits.startswith(prefixes) and len(digits) in lengths for prefixes, lengths in _CARD_BRANDS
    )


_NIR = re.compile(
    rf"(?<![\w.,])[12]{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}(?:\d{{2}}|2[ABab]){_SEP}\d{{3}}{_SEP}"
    rf"\d{{3}}{_SEP}\d{{2}}(?![\w]|[.,]\d)"
)
_SIRET = re.compile(
    r"(?<![\w.,])\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{2}"
    r"(?![\w]|[.,]\d)"
)
_SIREN = re.compile(r"(?<![\w.,])\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{3}(?![\w]|[.,]\d|[ \u00a0.]\d)")


class IdentifierDetector:
    """One kind of identifier, as the registry configures it."""

    def __init__(self, spec: DetectorSpec, registry: Registry) -> None:
        self.name = spec.name
        self.entity = spec.entity
        self.score = spec.score
        self.context = context_words(spec.context)
        self.data_class = registry.class_of(spec)
        self.needs_digits = spec.kind != "email"
        self._find: Callable[[Scan], list[tuple[int, int, float, str]]] = _FINDERS[spec.kind](spec)
        self.gate: re.Pattern[str] | None = _gate(spec.kind)
        """Nothing is found unless this matches somewhere (the inspector checks the gates of
        every detector in one pass)."""

    def find(self, scan: Scan) -> list[Finding]:
        if self.needs_digits and _DIGIT.search(scan.text) is None:
            return []
        found = []
        for start, end, score, reason in self._find(scan):
            if scan.near(start, self.context, CONTEXT_WINDOW):
                score = min(1.0, score + CONTEXT_BONUS)
                reason += ", context"
            found.append(
                Finding(
                    self.entity, start, end, round(score, 3), self.name, self.data_class, reason
                )
            )
        return found


Hit = tuple[int, int, float, str]


def _email(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    def find(scan: Scan) -> list[Hit]:
        if "@" not in scan.text:
            return []
        return [
            (m.start(), m.end(), spec.score, "email: address") for m in _EMAIL.finditer(scan.text)
        ]

    return find


_NO_TRUNK = frozenset({"US", "CA", "LU"})
"""Regions whose national numbers are written without a trunk zero."""
_LANGUAGE_REGIONS = {"fr": ("FR", "BE", "CH"), "de": ("DE", "AT", "CH"), "en": ("GB", "US")}


def _phone(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    regions = spec.regions or ("FR",)
    context = context_words(spec.context)

    def parse(candidate: str, region: str | None) -> tuple[bool, bool]:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            return False, False
        return phonenumbers.is_possible_number(number), phonenumbers.is_valid_number(number)

    @lru_cache(maxsize=PHONE_CACHE)
    def check(candidate: str, language: str, contextual: bool) -> tuple[float, str] | None:
        digits = digits_of(candidate)
        if not 8 <= len(digits) <= 15 or candidate.count("(") != candidate.count(")"):
            return None
        if _DATE.match(candidate):
            return None
        if candidate.startswith(("+", "00")):
            international = "+" + candidate.lstrip("+")[2:] if candidate[0] == "0" else candidate
            possible, valid = parse(international, None)
            if possible:
                score = spec.score + 0.05 if valid else spec.score - 0.1
                return score, "phone: international, " + ("valid" if valid else "possible")
            return None
        preferred = _LANGUAGE_REGIONS.get(language, ())
        ordered = [*preferred, *(r for r in regions if r not in preferred)]
        trunk = candidate.startswith(("0", "(0"))
        if trunk:
            ordered = [r for r in ordered if r not in _NO_TRUNK]
        elif _US_FORMAT.match(candidate):
            ordered = ["US", "CA"]
        elif contextual:  # a national number without trunk zero (Luxembourg...): context only
            ordered = [r for r in ordered if r in _NO_TRUNK]
            for region in ordered:
                if parse(candidate, region)[1]:
                    return spec.score - 0.2, f"phone: valid in {region}, no trunk prefix"
            return None
        else:
            return None
        possible_any = False
        for region in ordered:
            possible, valid = parse(candidate, region)
            if valid:
                return spec.score, f"phone: valid in {region}"
            possible_any = possible_any or possible
        if possible_any and (trunk or contextual):
            return spec.score - 0.1, "phone: possible"
        return None

    def find(scan: Scan) -> list[Hit]:
        hits = []
        for match in _PHONE.finditer(scan.text):
            if _IBAN_HEAD.search(scan.text, max(0, match.start() - 40), match.start()):
                continue  # the tail of an IBAN that failed its checksum
            text = match.group().rstrip(" .-(")
            contextual = scan.near(match.start(), context, CONTEXT_WINDOW // 2)
            checked = check(text, scan.language, contextual)
            if checked is not None:
                hits.append((match.start(), match.start() + len(text), *checked))
        return hits

    return find


def _validated(
    regex: re.Pattern[str], valid: Callable[[str], bool], spec: DetectorSpec, reason: str
) -> Callable[[Scan], list[Hit]]:
    def find(scan: Scan) -> list[Hit]:
        return [
            (m.start(), m.end(), spec.score, reason)
            for m in regex.finditer(scan.text)
            if valid(m.group())
        ]

    return find


@lru_cache(maxsize=1)
def _iban_regex() -> re.Pattern[str]:
    patterns: list[Pattern] = IbanRecognizer().patterns  # type: ignore[has-type]
    return re.compile(patterns[0].regex)


def _iban(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    recogniser = IbanRecognizer()
    regex = _iban_regex()

    def find(scan: Scan) -> list[Hit]:
        hits = []
        for match in regex.finditer(scan.text):
            candidate = match.group()
            while len(candidate) >= 15:  # a trailing word in capitals may have been swallowed
                if recogniser.validate_result(candidate):
                    hits.append((match.start(), match.start() + len(candidate), spec.score, ""))
                    break
                cut = max(candidate.rfind(" "), candidate.rfind("-"))
                if cut < 0:
                    break
                candidate = candidate[:cut]
        return [(start, end, score, "iban: mod-97 checksum ok") for start, end, score, _ in hits]

    return find


def _credit_card(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    def valid(text: str) -> bool:
        digits = digits_of(text)
        groups = re.split(r"[ \u00a0\-]", text)
        return (
            13 <= len(digits) <= 19
            and all(len(group) >= 4 for group in groups[:-1])
            and _issuer(digits)
            and luhn_ok(digits)
        )

    return _validated(_CARD, valid, spec, "card: Luhn checksum ok")


def _nir(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    return _validated(_NIR, lambda text: nir_ok(digits_of(text)), spec, "nir: key ok")


def _siret(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    return _validated(_SIRET, lambda text: siret_ok(digits_of(text)), spec, "siret: checksum ok")


def _siren(spec: DetectorSpec) -> Callable[[Scan], list[Hit]]:
    context = context_words(spec.context)

    def find(scan: Scan) -> list[Hit]:
        hits = []
        for match in _SIREN.finditer(scan.text):
            if not siren_ok(digits_of(match.group())):
                continue
            # without a context word, a Luhn-valid 9-digit number is a weaker signal
            score = spec.score if scan.near(match.start(), context, CONTEXT_WINDOW) else 0.6
            hits.append((match.start(), match.end(), score - CONTEXT_BONUS, "siren: Luhn ok"))
        return hits

    return find


_FINDERS: dict[str, Callable[[DetectorSpec], Callable[[Scan], list[Hit]]]] = {
    "email": _email,
    "phone": _phone,
    "iban": _iban,
    "credit_card": _credit_card,
    "fr_nir": _nir,
    "fr_siret": _siret,
    "fr_siren": _siren,
}

IDENTIFIER_KINDS = frozenset(_FINDERS)


def _gate(kind: str) -> re.Pattern[str] | None:
    """The expression every finding of ``kind`` matches (None: the finder has no single one)."""
    if kind == "iban":
        return _iban_regex()
    gates = {"phone": _PHONE, "credit_card": _CARD, "fr_nir": _NIR, "fr_siret": _SIRET}
    return {**gates, "fr_siren": _SIREN}.get(kind)
