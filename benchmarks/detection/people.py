"""People for the set: names from Faker locales, rendered the ways business texts write them.

Each split draws from its own locales (``DEV_LOCALES`` / ``HELDOUT_LOCALES``, disjoint): the
detector engineer tunes on dev names only, so heldout measures names of origins never seen.
Name pools are built once per locale from a fixed Faker seed and then sampled with the caller's
``random.Random``, so a set depends only on its seed.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass

from faker import Faker

# Latin-script locales only: the texts are French, English and German business writing.
DEV_LOCALES: dict[str, tuple[str, ...]] = {
    "fr": ("fr_FR", "fr_BE", "fr_CH", "fr_CA"),
    "en": ("en_GB", "en_US", "en_IE", "en_AU"),
    "de": ("de_DE", "de_AT", "de_CH"),
    "world": (
        "es_ES", "es_MX", "it_IT", "pt_PT", "pt_BR", "nl_NL", "nl_BE", "sv_SE", "da_DK",
        "no_NO", "ga_IE", "fr_DZ", "en_PK", "en_IN", "en_NG", "yo_NG", "ig_NG", "ha_NG",
        "en_KE", "tw_GH", "zu_ZA", "zh_CN", "zh_TW", "ja_JP", "is_IS",
    ),
}  # fmt: skip
HELDOUT_LOCALES: tuple[str, ...] = (
    "pl_PL", "tr_TR", "vi_VN", "hu_HU", "fi_FI", "id_ID",
    "cs_CZ", "ro_RO", "sk_SK", "hr_HR", "lt_LT", "lv_LV",
)  # fmt: skip
_ROMANIZED = {"zh_CN", "zh_TW", "ja_JP"}
_POOL = 400

TITLES = {
    "fr": ("M.", "Mme", "Monsieur", "Madame", "Dr", "Pr", "Me"),
    "en": ("Mr", "Mrs", "Ms", "Mr.", "Dr", "Dr.", "Prof."),
    "de": ("Herr", "Frau", "Dr.", "Prof. Dr.", "Herrn"),
}
PARTICLES = {
    "fr_FR": ("de", "du", "de la", "Le"),
    "fr_BE": ("de", "Van", "Vanden"),
    "nl_NL": ("van", "van der", "de", "van den"),
    "nl_BE": ("Van", "De", "Vanden"),
    "de_DE": ("von", "von der", "zu"),
    "de_AT": ("von",),
    "it_IT": ("di", "De", "Del"),
    "pt_PT": ("da", "dos", "de"),
    "pt_BR": ("da", "dos", "de"),
    "es_ES": ("de", "del"),
}


@functools.lru_cache(maxsize=64)
def _pools(locale: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fake = Faker(locale, providers=["faker.providers.person"])  # only names: 30x faster
    fake.seed_instance(20240611)
    firsts: set[str] = set()
    lasts: set[str] = set()
    for i in range(_POOL):
        if locale in _ROMANIZED:
            first, last = fake.first_romanized_name(), fake.last_romanized_name()
        else:  # vi_VN's first_name() is English; the gendered lists are right everywhere
            first = fake.first_name_female() if i % 2 else fake.first_name_male()
            last = fake.last_name()
        first, last = " ".join(first.split()).title(), " ".join(last.split())
        if locale in _ROMANIZED:
            last = last.title()
        firsts.add(first)
        lasts.add(last)
    return tuple(sorted(firsts)), tuple(sorted(lasts))


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    locale: str

    def ascii_handle(self, rng: random.Random) -> str:
        """A mailbox local part derived from the name (``marie.dupont``, ``j.smith``...)."""
        first, last = _ascii(self.first), _ascii(self.last.replace(" ", ""))
        choices = (f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}", f"{first[0]}{last}")
        return rng.choice(choices)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c == "-") or "contact"


def locales_for(split: str, language: str) -> tuple[str, ...]:
    if split == "heldout":
        return HELDOUT_LOCALES
    return DEV_LOCALES[language]


def new_person(rng: random.Random, split: str, language: str) -> Person:
    """Half the dev names come from the text's own language, half from the rest of the world;
    heldout names come only from the heldout locales."""
    if split == "heldout":
        locale = rng.choice(HELDOUT_LOCALES)
    elif rng.random() < 0.5:
        locale = rng.choice(DEV_LOCALES[language])
    else:
        locale = rng.choice(DEV_LOCALES["world"])
    firsts, lasts = _pools(locale)
    first, last = rng.choice(firsts), rng.choice(lasts)
    roll = rng.random()
    if roll < 0.08:
        other = rng.choice(firsts)
        if other != first:
            first = f"{first}-{other}"
    elif roll < 0.16:
        other = rng.choice(lasts)
        if other != last and " " not in last + other:
            last = f"{last}-{other}"
    elif roll < 0.26 and locale in PARTICLES:
        last = f"{rng.choice(PARTICLES[locale])} {last}"
    return Person(first, last, locale)


def initials(first: str) -> str:
    """``J.`` for Jean, ``J.-P.`` for Jean-Pierre."""
    return "-".join(f"{part[0]}." for part in first.split("-"))
