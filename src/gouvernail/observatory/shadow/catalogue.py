"""The catalogue of AI services: which hosts belong to which service, and matching a host.

A service's ``domains`` match themselves and every subdomain (``chatgpt.com`` matches
``chatgpt.com`` and ``ab.chatgpt.com``, never ``notchatgpt.com``); its ``patterns`` are
shell-style globs over the whole host for hosts whose variable part is in the middle
(``bedrock-runtime.*.amazonaws.com``). The most specific domain wins, so ``api.openai.com``
(an API) is not swallowed by an ``openai.com`` entry. The shipped catalogue is
``observatory/data/ai_services.yaml``; the company's copy lives in the database, editable.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

import orjson
import yaml

Category = Literal[
    "chat",
    "api",
    "code",
    "image",
    "audio",
    "video",
    "writing",
    "translation",
    "search",
    "meeting",
    "agent",
    "productivity",
    "other",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z][a-z0-9-]{0,62}$"
)
PATTERN = re.compile(r"^[a-z0-9_*?.-]{3,253}$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One AI service as matching sees it."""

    slug: str
    name: str
    vendor: str
    category: str
    domains: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    api: bool = False
    """A model provider's programmatic API: calling it directly bypasses the gateway."""


def check_domain(domain: str) -> str:
    """A domain as the catalogue stores it (lower case, no scheme, port or path), or
    ValueError saying what is wrong."""
    value = domain.strip().lower().rstrip(".")
    if not DOMAIN.match(value):
        raise ValueError(
            f"{domain!r} is not a host name such as chatgpt.com (no scheme, port, path)"
        )
    return value


def check_pattern(pattern: str) -> str:
    value = pattern.strip().lower()
    if not PATTERN.match(value) or ("*" not in value and "?" not in value):
        raise ValueError(
            f"{pattern!r} is not a host pattern such as bedrock-runtime.*.amazonaws.com "
            "(letters, digits, dots, hyphens and * or ?)"
        )
    return value


def shipped() -> tuple[str, list[Entry]]:
    """The catalogue that ships with Gouvernail: its version and its services."""
    text = resources.files("gouvernail.observatory").joinpath("data/ai_services.yaml").read_text()
    document = yaml.safe_load(text)
    return str(document.get("version", "")), parse(document)


def parse(document: Any) -> list[Entry]:
    """Entries from a catalogue document (``{"services": [...]}``), checked: ValueError names
    the first bad entry and what is wrong with it."""
    if not isinstance(document, dict) or not isinstance(document.get("services"), list):
        raise ValueError("a catalogue is a mapping with a list of services")
    entries: list[Entry] = []
    for number, item in enumerate(document["services"], 1):
        try:
            entries.append(entry(item))
        except (TypeError, ValueError) as error:
            raise ValueError(f"service {number}: {error}") from None
    check(entries)
    return entries


def entry(item: Any) -> Entry:
    if not isinstance(item, dict):
        raise TypeError("each service is a mapping")
    slug = str(item.get("id", ""))
    if not SLUG.match(slug):
        raise ValueError(f"id {slug!r}: lower-case letters, digits and hyphens")
    category = str(item.get("category", "other"))
    if category not in CATEGORIES:
        raise ValueError(f"{slug}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    domains = tuple(check_domain(str(d)) for d in item.get("domains") or ())
    patterns = tuple(check_pattern(str(p)) for p in item.get("patterns") or ())
    if not domains and not patterns:
        raise ValueError(f"{slug}: give at least one domain or pattern")
    name, vendor = str(item.get("name", "")).strip(), str(item.get("vendor", "")).strip()
    if not name or not vendor:
        raise ValueError(f"{slug}: give its name and vendor")
    return Entry(slug, name, vendor, category, domains, patterns, bool(item.get("api", False)))


def check(entries: Sequence[Entry]) -> None:
    """No id and no domain twice."""
    seen: dict[str, str] = {}
    slugs: set[str] = set()
    for e in entries:
        if e.slug in slugs:
            raise ValueError(f"id {e.slug!r} appears twice")
        slugs.add(e.slug)
        for domain in e.domains:
            if domain in seen:
                raise ValueError(f"domain {domain} belongs to both {seen[domain]} and {e.slug}")
            seen[domain] = e.slug


class Matcher:
    """Host → service, for the distinct hosts of a log (a dictionary walk over the host's
    suffixes, then the few glob patterns)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self._domains = {d: e for e in self.entries for d in e.domains}
        self._patterns = [(p, e) for e in self.entries for p in e.patterns]
        body = orjson.dumps(
            [[e.slug, e.domains, e.patterns, e.api] for e in self.entries],
            option=orjson.OPT_SORT_KEYS,
        )
        self.digest = hashlib.sha256(body).hexdigest()
        """Identifies the catalogue an import was matched with."""

    def match(self, host: str) -> Entry | None:
        host = host.lower().rstrip(".")
        labels = host.split(".")
        for start in range(len(labels) - 1):  # the longest suffix first: the most specific
            found = self._domains.get(".".join(labels[start:]))
            if found is not None:
                return found
        for pattern, found in self._patterns:
            if fnmatch.fnmatchcase(host, pattern):
                return found
        return None
