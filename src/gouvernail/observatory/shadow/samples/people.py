"""The people of a sample log: plausible identities spread over departments of unequal sizes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Person:
    identity: str
    """What the proxy logs as the user: a user name or an e-mail."""
    department: str
    """What a Zscaler-style log writes in its department column."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST_NAMES: Final = _words(
    "adam alice amina arthur bruno camille chloe david elena emma farid gabriel hugo ines "
    "jade jules karim lea louis lucas manon mathis nadia nathan noemie olivia paul quentin "
    "rose sarah sofia thomas victor wendy xavier yasmine yanis zoe"
)
_LAST_NAMES: Final = _words(
    "andre bernard bertrand blanc bonnet chevalier david dubois dupont durand fontaine "
    "fournier francois garcia girard lambert laurent lefebvre legrand leroy martin martinez "
    "mercier michel moreau morel nguyen perrin petit richard robert roux simon thomas vincent"
)
_DEPARTMENTS: Final = (
    ("R&D", 8),
    ("Sales", 6),
    ("Customer Support", 5),
    ("Marketing", 4),
    ("Operations", 4),
    ("Finance", 3),
    ("IT", 3),
    ("Legal", 2),
    ("HR", 2),
    ("Communications", 1),
    ("Procurement", 1),
    ("Executive Office", 1),
)


def sample_people(count: int, *, seed: int = 0, email_domain: str | None = None) -> list[Person]:
    """``count`` plausible people with unique identities (``jdupont``, or
    ``jeanne.dupont@<email_domain>``) spread over a dozen departments of unequal sizes."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    names, weights = zip(*_DEPARTMENTS, strict=True)
    people: list[Person] = []
    seen: set[str] = set()
    for _ in range(count):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        base = f"{first}.{last}" if email_domain else f"{first[0]}{last}"
        identity, number = base, 1
        while identity in seen:
            number += 1
            identity = f"{base}{number}"
        seen.add(identity)
        if email_domain:
            identity = f"{identity}@{email_domain}"
        people.append(Person(identity, rng.choices(names, weights)[0]))
    return people
