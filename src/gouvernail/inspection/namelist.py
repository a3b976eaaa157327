# ruff: noqa: RUF001 - typographic apostrophes occur in names on purpose
"""The first-name gazetteer shipped with the package, and how it is rebuilt.

``data/first_names.csv`` holds Latin-script first names taken from Faker's locale data (a
one-column CSV: one a line, sorted). It is generated, not hand-written:
``python -m gouvernail.inspection.namelist`` rebuilds it (Faker is needed only then). The
locales of the independent held-out evaluation set are excluded, so that the gazetteer cannot
have seen its names.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path

NAMES_FILE = Path(__file__).parent / "data" / "first_names.csv"

HELD_OUT_LOCALES = frozenset(
    {
        "pl_PL",
        "tr_TR",
        "vi_VN",
        "hu_HU",
        "fi_FI",
        "id_ID",
        "cs_CZ",
        "ro_RO",
        "sk_SK",
        "hr_HR",
        "lt_LT",
        "lv_LV",
    }
)
"""Faker locales the held-out evaluation set draws from: never used to build the gazetteer."""

_LATIN_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏ][a-zà-öø-ɏ'’-]+$")


def read_first_names(path: Path = NAMES_FILE) -> frozenset[str]:
    """The gazetteer, lower-cased (empty if the file is absent)."""
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def _names_of(values: object) -> Iterable[str]:
    if isinstance(values, dict):
        return [str(key) for key in values]
    if isinstance(values, list | tuple):
        return [str(value) for value in values]
    return []


def build(excluded: frozenset[str] = HELD_OUT_LOCALES) -> list[str]:
    """First names of every Faker locale except ``excluded`` (Latin script, 3+ letters)."""
    import faker.providers.person as person

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        if module.name in excluded:
            continue
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute in (
            "first_names",
            "first_names_male",
            "first_names_female",
            "first_romanized_names",
        ):
            for name in _names_of(getattr(provider, attribute, ())):
                if len(name) >= 3 and _LATIN_NAME.match(name):
                    names.add(name)
    return sorted(names)


if __name__ == "__main__":
    NAMES_FILE.write_text("\n".join(build()) + "\n", encoding="utf-8")
