"""Templates and how they become labelled texts.

A template is text with slots in braces. Entity slots produce gold spans: person forms
(``{full}``, ``{first}``, ``{last}``, ``{title}``, ``{title_full}``, ``{initial}``, ``{caps}``,
``{lastfirst}``, ``{name}`` for any of them), ``{email}``, ``{phone}``, ``{phone_nat}``,
``{phone_intl}``, ``{iban}``, ``{card}``, ``{nir}``, ``{siren}``, ``{siret}``. ``#k`` binds slots
to the same person (``Bonjour {first#1}`` ... ``{caps#1}`` ... ``{email#1}``). Any other slot is a
filler from ``fillers.FILLERS`` and is never gold. A title (``Dr``, ``Herr``) is context: the
gold span covers the name only.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.detection import identifiers, people
from benchmarks.detection.fillers import FILLERS

_SLOT = re.compile(r"\{(\w+)(?:#(\d+))?\}")
PERSON_FORMS = ("full", "first", "last", "title", "title_full", "initial", "caps", "lastfirst")
_ANY_FORM = (
    ("full", 0.40), ("title", 0.14), ("title_full", 0.10), ("initial", 0.10),
    ("caps", 0.08), ("lastfirst", 0.08), ("first", 0.10),
)  # fmt: skip


@dataclass(frozen=True)
class Template:
    name: str
    text: str

    def slots(self) -> list[str]:
        return [m.group(1) for m in _SLOT.finditer(self.text)]


@dataclass(frozen=True, order=True)
class Entity:
    start: int
    end: int
    type: str

    def as_json(self) -> dict[str, object]:
        return {"type": self.type, "start": self.start, "end": self.end}


def _person_text(
    form: str, person: people.Person, rng: random.Random, language: str
) -> tuple[str, str]:
    """(context before the name, the name)."""
    first, last = person.first, person.last
    if form == "name":
        form = rng.choices([f for f, _ in _ANY_FORM], weights=[w for _, w in _ANY_FORM])[0]
    if form == "first":
        return "", first
    if form == "last":
        return "", last
    if form == "title":
        return rng.choice(people.TITLES[language]) + " ", last
    if form == "title_full":
        return rng.choice(people.TITLES[language]) + " ", f"{first} {last}"
    if form == "initial":
        return "", f"{people.initials(first)} {last}"
    if form == "caps":
        return "", rng.choice((f"{first} {last}".upper(), f"{first} {last.upper()}"))
    if form == "lastfirst":
        return "", f"{last.upper()} {first}"
    return "", f"{first} {last}"


class _Context:
    def __init__(self, rng: random.Random, split: str, language: str) -> None:
        self.rng, self.split, self.language = rng, split, language
        self.people: dict[str, people.Person] = {}

    def person(self, ref: str | None) -> people.Person:
        if ref is None:
            return people.new_person(self.rng, self.split, self.language)
        if ref not in self.people:
            self.people[ref] = people.new_person(self.rng, self.split, self.language)
        return self.people[ref]

    def fill(self, kind: str, ref: str | None) -> tuple[str, str, str | None]:
        """(context, value, entity type of the value or None)."""
        rng, language = self.rng, self.language
        if kind in PERSON_FORMS or kind == "name":
            prefix, value = _person_text(kind, self.person(ref), rng, language)
            return prefix, value, "PERSON"
        if kind == "email":
            if ref is None and rng.random() < 0.4:
                return "", identifiers.email(rng, language), "EMAIL_ADDRESS"
            handle = self.person(ref).ascii_handle(rng)
            return "", identifiers.email(rng, language, handle), "EMAIL_ADDRESS"
        simple: dict[str, tuple[str, Callable[[], str]]] = {
            "phone": ("PHONE_NUMBER", lambda: identifiers.phone(rng, language)),
            "phone_nat": ("PHONE_NUMBER", lambda: identifiers.phone(rng, language, "national")),
            "phone_intl": (
                "PHONE_NUMBER",
                lambda: identifiers.phone(rng, language, "international"),
            ),
            "iban": ("IBAN_CODE", lambda: identifiers.iban(rng)),
            "card": ("CREDIT_CARD", lambda: identifiers.card(rng)),
            "nir": ("FR_NIR", lambda: identifiers.nir(rng)),
            "siren": ("FR_SIREN", lambda: identifiers.siren(rng)),
            "siret": ("FR_SIRET", lambda: identifiers.siret(rng)),
        }
        if kind in simple:
            entity_type, make = simple[kind]
            return "", make(), entity_type
        return "", FILLERS[kind](rng, language), None


def render(
    template: Template, rng: random.Random, split: str, language: str
) -> tuple[str, list[Entity]]:
    """The text of one sample and its gold entities, in order."""
    context = _Context(rng, split, language)
    pieces: list[str] = []
    entities: list[Entity] = []
    position = cursor = 0
    for match in _SLOT.finditer(template.text):
        literal = template.text[cursor : match.start()]
        prefix, value, entity_type = context.fill(match.group(1), match.group(2))
        pieces += [literal, prefix, value]
        position += len(literal) + len(prefix)
        if entity_type is not None:
            entities.append(Entity(position, position + len(value), entity_type))
        position += len(value)
        cursor = match.end()
    pieces.append(template.text[cursor:])
    return "".join(pieces), entities


def check_templates(templates: dict[str, tuple[Template, ...]]) -> None:
    """Fail early on a misspelt slot."""
    known = {*PERSON_FORMS, "name", "email", "phone", "phone_nat", "phone_intl", "iban", "card",
             "nir", "siren", "siret", *FILLERS}  # fmt: skip
    for language, items in templates.items():
        for template in items:
            unknown = set(template.slots()) - known
            if unknown:
                raise ValueError(f"{language}/{template.name}: unknown slots {sorted(unknown)}")
