"""Reading what a form or a query string sent: text fields trimmed and bounded, and the only
redirect targets a form may name (paths of this site)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData, QueryParams

HOME = "/me"


def text_of(
    source: FormData | QueryParams | Mapping[str, Any], name: str, limit: int = 2000
) -> str:
    """The field ``name`` as text, trimmed and cut at ``limit`` ("" when absent or a file)."""
    value = source.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no ``//``) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target[:500]
